"""The one place where the Keras backends differ for this package.

Theano applies all updates of a compiled function simultaneously: every
expression sees the values from before the step.  TensorFlow 1.x graph mode
with resource variables does not: a write to a variable and a read of it that
are not connected by a data or control dependency may run in either order.
`assign_after_reads` orders every write after every new value is computed, so
both backends see pre-step values only.

Element-wise update rules are many small ops; `fused` runs them as one loop
over memory, which makes the step several times faster: XLA compiles it on
TensorFlow, `legacy_rprop._theano_loop` on Theano.  XLA's CPU "fast math"
would assume that no NaN ever occurs and break the non-finite policies, so
it is switched off (XLA_FLAGS) unless the user's XLA_FLAGS already decide
it; it has to be set before TensorFlow's first XLA compilation, hence at
import.
"""
import os

import numpy as np
from keras import backend as K

IS_TENSORFLOW = K.backend() == 'tensorflow'
if IS_TENSORFLOW:
    import tensorflow as tf
elif K.backend() == 'theano':
    import theano

    from legacy_rprop import _theano_loop

# the update as one C loop on Theano; on a GPU, Theano's own element-wise
# fusion (the loop is CPU code)
USE_THEANO_LOOP = (K.backend() == 'theano'
                   and not theano.config.device.startswith(('cuda', 'gpu')))

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


def fused(function, inputs, overwrite=None):
    """``function(*inputs)``, a list of element-wise outputs, computed in as
    few passes over memory as the backend allows.

    `inputs` are tensors of one shape, or 0-d.  On TensorFlow the ops go into
    an XLA JIT scope and become one compiled loop.  On Theano they become
    one C loop (`legacy_rprop._theano_loop`), in which output k may reuse the
    memory of input ``overwrite[k]`` (the variable it will be assigned to).
    """
    if USE_XLA:
        with tf.xla.experimental.jit_scope():
            return function(*inputs)
    if USE_THEANO_LOOP:
        return _theano_loop.elementwise(function, inputs, overwrite)
    return function(*inputs)
