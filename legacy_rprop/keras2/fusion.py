"""The rule of a step over all weights of a model, in as few passes over
memory as the backend allows.

The optimizer runs its rule once per step over all weights (`concatenated`
and `pieces` turn the weight tensors into one vector and back).  An
element-wise rule is many small ops; `fused` runs it as one loop where that
pays: on TensorFlow XLA compiles it when the model has
``LEGACY_RPROP_XLA_FROM`` weights or more (`legacy_rprop.core.switches`; on a
smaller model XLA's fixed cost per launch is more than the ops it saves),
on Theano `legacy_rprop.keras2.theano_loop` makes it one C loop.
"""
import contextlib

import numpy as np
from keras import backend as K

from legacy_rprop.core import switches
from legacy_rprop.keras2.backend import IS_TENSORFLOW, OPS

if IS_TENSORFLOW:
    import tensorflow as tf

    from legacy_rprop.core import tensorflow_ops
else:
    import theano

# the update as one C loop on Theano; on a GPU, Theano's own element-wise
# fusion (the loop is CPU code)
USE_THEANO_LOOP = (switches.FUSED and not IS_TENSORFLOW
                   and not theano.config.device.startswith(('cuda', 'gpu')))
if USE_THEANO_LOOP:
    from legacy_rprop.keras2 import theano_loop


def use_xla():
    """Whether XLA compiles large updates here: where TensorFlow has XLA
    and it computes the rule exactly (`tensorflow_ops.exact_xla`)."""
    return IS_TENSORFLOW and tensorflow_ops.exact_xla()


def concatenated(tensors):
    """The elements of `tensors` as one vector, tensor after tensor (one
    tensor is only reshaped)."""
    vectors = [tensor if K.ndim(tensor) == 1 else K.reshape(tensor, (-1,))
               for tensor in tensors]
    return vectors[0] if len(vectors) == 1 else K.concatenate(vectors, axis=0)


def pieces(vector, shapes):
    """`vector` cut into tensors of `shapes`: the inverse of `concatenated`."""
    sizes = [int(np.prod(shape)) for shape in shapes]
    if len(shapes) == 1:
        parts = [vector]
    elif IS_TENSORFLOW:
        parts = tf.split(vector, sizes)
    else:  # new arrays, not views of one buffer (which Theano would copy one by one)
        parts = theano.tensor.split(vector, sizes, len(sizes))
    tensors = [part if len(shape) == 1 else K.reshape(part, shape)
               for part, shape in zip(parts, shapes)]
    if not IS_TENSORFLOW:  # a reshape to a length of 1 makes the axis broadcastable
        tensors = [theano.tensor.unbroadcast(t, *range(t.ndim)) for t in tensors]
    return tensors


def fused(update, groups, first_output_shapes):
    """The outputs of `update` (an `ElementUpdate`, or an accumulating one)
    for each group of weights, each computed in as few passes over memory as
    the backend allows, the first output of each cut into tensors (`pieces`).

    `groups` is a list of ``(hyper, inputs)``: `inputs` ``{name: tensor}``
    are of one shape, or 0-d.  The first output of group k comes back as
    tensors of the shapes ``first_output_shapes[k]``.  On TensorFlow a group
    of at least ``switches.XLA_FROM`` elements is computed in one XLA JIT
    scope (the cut is in it, so each tensor is written where it goes, with no
    copy), a smaller one as the plain graph.  On Theano each is one C loop,
    in which each output may reuse the memory of the input it replaces (the
    variable it will be assigned to).
    """
    def cut(values, k):
        return [pieces(values[0], first_output_shapes[k])] + list(values[1:])

    if USE_THEANO_LOOP:
        return [cut(theano_loop.elementwise(*update.computation(hyper, inputs)), k)
                for k, (hyper, inputs) in enumerate(groups)]
    if IS_TENSORFLOW:  # each variable read once, however often the rule uses it
        groups = [(hyper, {name: tf.convert_to_tensor(x) for name, x in inputs.items()})
                  for hyper, inputs in groups]
    large = [use_xla() and _elements(inputs['weight']) >= switches.XLA_FROM
             for _, inputs in groups]

    def outputs_of(k, ops):
        hyper, inputs = groups[k]
        new = update.with_ops(ops)(hyper, inputs)
        return cut([new[name] for name in update.output_names], k)

    outputs = {}
    if any(large):
        with tensorflow_ops.jit_scope()():
            outputs.update((k, outputs_of(k, tensorflow_ops.XLA))
                           for k in range(len(groups)) if large[k])
    outputs.update((k, outputs_of(k, OPS)) for k in range(len(groups)) if not large[k])
    return [outputs[k] for k in range(len(groups))]


def outside_the_fused_update():
    """Around the building of the gradients and of their and the weights'
    concatenation: on TensorFlow with XLA these ops are marked not to be
    compiled.

    XLA's clustering grows the cluster of a JIT scope over every
    neighbouring op it can compile, up to the loss and the whole backward
    pass; XLA's CPU code for those is slower than TensorFlow's kernels
    (784-512-512-10 on 10,000 samples: 1.04-1.09x Keras Adam's step with
    them in the cluster, 0.99-1.01x without), and a concatenation inside
    the loop costs an index search per element.  The reads and
    writes of the variables are left to the cluster (one launch fewer per
    variable; a step of one tensor of 10,000 weights 6-9% faster that way).
    """
    if use_xla():
        return tensorflow_ops.jit_scope()(compile_ops=False)
    return contextlib.ExitStack()


def _elements(tensor):
    return int(np.prod(K.int_shape(tensor)))
