"""The one place where the Keras backends differ for this package.

Theano applies all updates of a compiled function simultaneously: every
expression sees the values from before the step.  TensorFlow 1.x graph mode
with resource variables does not: a write to a variable and a read of it that
are not connected by a data or control dependency may run in either order.
`assign_after_reads` orders every write after every new value is computed, so
both backends see pre-step values only.

Element-wise update rules are many small ops; on TensorFlow `fused`
has XLA compile them into one loop over memory, which makes the step
several times faster.  XLA's CPU "fast math" would assume that no
NaN ever occurs and break the non-finite policies, so it is switched off
(XLA_FLAGS) unless the user's XLA_FLAGS already decide it; it has to be set
before TensorFlow's first XLA compilation, hence at import.
"""
import contextlib
import os

import numpy as np
from keras import backend as K

IS_TENSORFLOW = K.backend() == 'tensorflow'
if IS_TENSORFLOW:
    import tensorflow as tf

# LEGACY_RPROP_XLA=0 turns XLA compilation of the update off (TensorFlow only)
USE_XLA = IS_TENSORFLOW and os.environ.get('LEGACY_RPROP_XLA', '1') != '0'
if USE_XLA and '--xla_cpu_enable_fast_math' not in os.environ.get('XLA_FLAGS', ''):
    os.environ['XLA_FLAGS'] = (os.environ.get('XLA_FLAGS', '')
                               + ' --xla_cpu_enable_fast_math=false').strip()


def assign_after_reads(assignments):
    """Turn ``[(variable, new_value), ...]`` into Keras update ops.

    On TensorFlow every write gets a control dependency on every new value,
    so no write can overtake a read of the state it overwrites.  On Theano the
    pairs are applied simultaneously already.
    """
    if not IS_TENSORFLOW:
        return [K.update(variable, value) for variable, value in assignments]
    # A new value that is a variable itself must be read here, outside the
    # control block: reading it inside would create a read after the writes.
    values = [tf.convert_to_tensor(value, dtype=variable.dtype.base_dtype)
              for variable, value in assignments]
    with tf.control_dependencies(values):
        return [K.update(variable, value)
                for (variable, _), value in zip(assignments, values)]


# Element-wise functions for the update rules.

def where(condition, if_true, if_false):
    """Element-wise select (also for 0-d tensors: Keras' ``K.switch`` turns a
    0-d condition into ``tf.cond`` on TensorFlow)."""
    if IS_TENSORFLOW:
        return tf.where(condition, if_true, if_false)
    return K.switch(condition, if_true, if_false)


def sign(x):
    """-1, 0 or 1 per element, and NaN for NaN, as in NumPy and Theano.

    (TensorFlow's own sign returns 0 for NaN, which would turn a NaN gradient
    into a silent "no move" instead of propagating it.)
    """
    if IS_TENSORFLOW:
        return tf.where(tf.is_nan(x), x, tf.sign(x))
    return K.sign(x)


def zeros_like(x):
    """Zeros to select from with `where`: a full tensor where TensorFlow 1's
    select needs one (XLA fuses it away), a 0-d constant on Theano (which
    broadcasts it and saves writing a tensor of zeros)."""
    if IS_TENSORFLOW:
        return tf.zeros_like(x)
    return np.zeros((), dtype=K.dtype(x))


def is_finite(x):
    """True where x is neither NaN nor +-inf."""
    return K.less_equal(K.abs(x), np.finfo(K.dtype(x)).max)


@contextlib.contextmanager
def fused():
    """Build the element-wise ops of an update inside this block so that they
    run as one loop: on TensorFlow in an XLA JIT scope.  Theano's optimizer
    fuses element-wise ops by itself, but only chains with one consumer
    each: an intermediate that two outputs share (the new step size, say)
    ends a loop there."""
    if not USE_XLA:
        yield
        return
    with tf.xla.experimental.jit_scope():
        yield
