"""The one place where the Keras backends differ for this package.

Theano applies all updates of a compiled function simultaneously: every
expression sees the values from before the step.  TensorFlow 1.x graph mode
with resource variables does not: a write to a variable and a read of it that
are not connected by a data or control dependency may run in either order.
`assign_after_reads` orders every write after every new value is computed, so
both backends see pre-step values only.
"""
from keras import backend as K

IS_TENSORFLOW = K.backend() == 'tensorflow'
if IS_TENSORFLOW:
    import tensorflow as tf


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


def where(condition, if_true, if_false):
    """Element-wise select, for tensors of any rank including 0-d.

    (Keras' ``K.switch`` turns a 0-d condition into ``tf.cond`` on TF.)
    """
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
