"""What every Keras flavour shares; imports no Keras at all.

- `rules`: the five update rules, one function each, and their `Variant`
  records;
- `ops`: the contract of element-wise operations the rules are written
  against, and NumPy's implementation of it;
- `update`: one element's update with the non-finite policy and with
  `batches_per_step`;
- `arguments`: the front half of every optimizer (signature, checks,
  errors, docstrings, config, the `Rprop` alias);
- `state`: saved state: what does not fit and its error, and the layouts
  of earlier versions and of other flavours (per tensor) it is read in;
- `layout`: the multi-backend flavour's state as one vector per slot;
- `switches`: the environment variables, read once;
- `tensorflow_ops`: TensorFlow's ops and its XLA-compiled update (imported
  only by the flavours that run on TensorFlow).
"""
