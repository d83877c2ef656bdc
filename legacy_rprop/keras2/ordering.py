"""Every write of a training step after every read of it, on both backends.

Theano applies all updates of a compiled function simultaneously: every
expression sees the values from before the step.  TensorFlow 1.x graph mode
with resource variables does not: a write to a variable and a read of it
that are not connected by a data or control dependency may run in either
order.  `assign_after_reads` orders every write after every new value is
computed, so both backends see pre-step values only.
"""
import contextlib
import threading

from keras import backend as K

from legacy_rprop.keras2.backend import IS_TENSORFLOW

if IS_TENSORFLOW:
    import tensorflow as tf

_nesting = threading.local()


@contextlib.contextmanager
def updates_of_one_step():
    """Around the building of one optimizer's updates for a training step.

    An optimizer that wraps another calls the inner one's ``get_updates``
    inside its own; there, `assign_after_reads` hands the inner pairs back
    unchanged, and only the outermost optimizer orders every write of the
    step after every read of it, the inner ones' included.
    """
    _nesting.depth = getattr(_nesting, 'depth', 0) + 1
    try:
        yield
    finally:
        _nesting.depth -= 1


def assign_after_reads(assignments):
    """Turn ``[(variable, new_value), ...]`` into Keras update ops.

    On TensorFlow every write gets a control dependency on every new value,
    so no write can overtake a read of the state it overwrites.  On Theano the
    pairs are applied simultaneously already.  Inside another optimizer's
    `updates_of_one_step`, the pairs are returned as they are, for that
    optimizer to order.
    """
    if getattr(_nesting, 'depth', 0) > 1:
        return [tuple(pair) for pair in assignments]
    if not IS_TENSORFLOW:
        return [K.update(variable, value) for variable, value in assignments]
    # A new value that is a variable itself must be read here, outside the
    # control block: reading it inside would create a read after the writes.
    values = [_read(value, variable.dtype.base_dtype) for variable, value in assignments]
    with tf.control_dependencies(values):
        return [K.update(variable, value)
                for (variable, _), value in zip(assignments, values)]


def _read(value, dtype):
    """`value` as a tensor that a later write to a variable cannot change.

    Reading a reference variable (the kind Keras < 2.3 makes) gives a tensor
    that shares the variable's memory, so an assign that runs after the read
    still changes what was read; multiplying by one makes a copy and keeps
    every value (-0.0 and NaN included).  Only a variable assigned as it is
    needs this: any computed value is new memory already.
    """
    tensor = tf.convert_to_tensor(value, dtype=dtype)
    if isinstance(value, tf.Variable):
        tensor = tensor * tf.ones((), dtype=dtype)
    return tensor
