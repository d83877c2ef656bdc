"""The one place where the backends and versions of multi-backend Keras
differ for this flavour: which backend runs, its element-wise `OPS` for the
rules, and the few Keras names that changed.

Keras 2.0.8 to 2.3.1, TensorFlow 1.4 to 2.2 and Theano 1.0 differ in a few
names; each difference is detected here by looking for the feature, never
by a version number:

- ``K.symbolic`` (Keras 2.3) builds a graph inside Keras' own graph; older
  Keras have one graph and no such decorator;
- ``K.is_tensor`` (Keras 2.2) tells a symbolic value from a number;
- before Keras 2.2 a Sequential model wraps the Model that trains;
- Theano raises for a weight the loss does not reach, TensorFlow returns
  None (`gradients` gives None on both).
"""
import numpy as np
from keras import backend as K

from legacy_rprop.core.ops import Ops

IS_TENSORFLOW = K.backend() == 'tensorflow'
if IS_TENSORFLOW:
    import tensorflow as tf

    from legacy_rprop.core import tensorflow_ops
    _SYMBOLIC_TYPES = (tf.Tensor, tf.Variable)
else:
    import theano

    _SYMBOLIC_TYPES = (theano.Variable,)


class TheanoOps(Ops):
    """The contract on Theano tensors, through Keras' Theano backend."""

    def where(self, condition, if_true, if_false):
        return K.switch(condition, if_true, if_false)  # element-wise, also for 0-d conditions

    def sign(self, x):
        return K.sign(x)  # NaN for NaN, +0 for -0

    def sign_of_finite(self, x):
        return K.sign(x)

    def minimum(self, x, y):
        return K.minimum(x, y)

    def maximum(self, x, y):
        return K.maximum(x, y)

    def zeros_like(self, x):
        # a 0-d zero, which Theano broadcasts: no tensor of zeros is written
        return np.zeros((), dtype=K.dtype(x))

    def negative(self, x):
        return -x

    def is_finite(self, x):
        return K.less_equal(K.abs(x), np.finfo(K.dtype(x)).max)


# the ops of the plain graph of the rule on this backend
OPS = tensorflow_ops.PLAIN if IS_TENSORFLOW else TheanoOps()
# whether this backend treats subnormal numbers as zero
FLUSHES_SUBNORMALS = IS_TENSORFLOW


def symbolic(function):
    """Keras' ``K.symbolic`` where it exists (build `function`'s ops in the
    graph Keras trains in), else `function` itself (Keras < 2.3 has one
    graph)."""
    return getattr(K, 'symbolic', lambda f: f)(function)


def is_symbolic(value):
    """True for a tensor or variable of the backend, False for a number or
    array (``K.is_tensor``, which Keras < 2.2 lacks)."""
    return isinstance(value, _SYMBOLIC_TYPES)


def value_now(tensor):
    """The value of a symbolic `tensor`, computed now, as a NumPy array.

    Also inside the graph that Keras 2.3 builds its training step in on
    TensorFlow 2, where ``K.eval`` cannot run: the computation is run from
    outside that graph (``tf.init_scope``).
    """
    if IS_TENSORFLOW and getattr(tf, 'executing_eagerly', lambda: False)():
        return tensor.numpy()
    if IS_TENSORFLOW and hasattr(tf, 'init_scope'):
        function = K.function([], [tensor])
        with tf.init_scope():
            return function([])[0]
    return K.eval(tensor)


def gradients(loss, params):
    """The gradient of `loss` for each of `params`, None for a param the
    loss does not reach (or that has no gradient, an integer one)."""
    if IS_TENSORFLOW:
        return K.gradients(loss, params)
    return theano.grad(loss, params, disconnected_inputs='ignore', return_disconnected='None')


def dense(gradient):
    """`gradient` as the dense tensor it stands for (on TensorFlow an
    embedding's gradient is an ``IndexedSlices``; Theano's are dense)."""
    return tensorflow_ops.dense(gradient) if IS_TENSORFLOW else gradient


def training_model(model):
    """The Model that holds `model`'s compiled training step: the model
    itself, or before Keras 2.2 the Model that a Sequential wrapped."""
    return model if hasattr(model, 'train_function') else model.model


def batch_size(loss):
    """The number of samples in the batch `loss` is computed on: the first
    dimension of an input of the training step (a placeholder whose first
    dimension is not fixed, as Keras makes for inputs, targets and sample
    weights), as a tensor."""
    if IS_TENSORFLOW:
        seen, pending = set(), [loss.op]
        while pending:
            op = pending.pop()
            if op in seen:
                continue
            seen.add(op)
            if op.type in ('Placeholder', 'PlaceholderWithDefault'):
                shape = op.outputs[0].get_shape()
                if shape.ndims and shape.as_list()[0] is None:
                    return tf.shape(op.outputs[0])[0]
            pending.extend(tensor.op for tensor in op.inputs)
    else:
        for variable in theano.gof.graph.inputs([loss]):
            shape = getattr(variable, '_keras_shape', None)  # K.placeholder's shape
            if shape and shape[0] is None:
                return variable.shape[0]
    raise ValueError(
        'batches_per_step > 1 weights each batch by its size, and found no batch '
        'dimension the loss depends on (a Keras model\'s inputs have one)')
