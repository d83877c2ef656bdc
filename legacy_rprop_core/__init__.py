"""What every Keras flavour of legacy_rprop shares; imports no Keras at all.

The package has one adapter per Keras flavour over this core:

- `legacy_rprop`: multi-backend Keras 2.0.8 to 2.3.1 (Theano, TensorFlow),
  and the compatibility layer for Keras-1-style optimizers;
- `legacy_rprop_tfkeras`: TensorFlow's own Keras (``tf.keras`` of
  TensorFlow 1.15 and 2.x, an ``OptimizerV2``).

Here: the update rules (`rules`), the arguments, their checks and the errors
(`settings`), one element's update with the non-finite policy (`update`),
and TensorFlow's element-wise operations for the rules (`tensorflow_ops`,
imported only by the adapters that run on TensorFlow).
"""

__version__ = '0.5.2'
