"""``keras.backend`` as Keras-1-era optimizer code expects it.

Everything ``keras.backend`` exports is here unchanged, except:

- `update`, `update_add`, `update_sub` return ``(variable, new_value)``
  pairs, as Keras 1 did, instead of TensorFlow assign ops; the compat
  `Optimizer` turns them into writes that run after every read of the step.
  (Keras 2.3.1's own ``K.function`` also accepts such pairs.)
- `variable` also accepts a symbolic initial value computed from other
  variables (``numpy.ones(shape) * some_variable``); it is evaluated once,
  when the variable is created.
- `switch` chooses element by element when the condition is a tensor of the
  values' rank, on every Keras 2 (before 2.1, TensorFlow's switch took a
  scalar condition only), and takes plain numbers as values, as Keras 1 did.

and these Keras 1 names, which Keras 2.3.1 no longer exports, are back:
`get_variable_shape` (= int_shape), `lesser` (= less),
`lesser_equal` (= less_equal).
"""
from keras.backend import *  # noqa: F401,F403 -- this module *is* the Keras backend
from keras import backend as _keras_backend

from legacy_rprop.keras2.backend import OPS as _OPS
from legacy_rprop.keras2.backend import is_symbolic as _is_symbolic
from legacy_rprop.keras2.backend import value_now as _value_now


def update(x, new_x):
    """Schedule ``x = new_x`` for the end of the step."""
    return (x, new_x)


def update_add(x, increment):
    """Schedule ``x = x + increment`` for the end of the step."""
    return (x, x + increment)


def update_sub(x, decrement):
    """Schedule ``x = x - decrement`` for the end of the step."""
    return (x, x - decrement)


def variable(value, dtype=None, name=None, constraint=None):
    """`keras.backend.variable`, also for a value computed from variables."""
    if _is_symbolic(value):
        # On TF 1.15 a variable whose initializer reads another, not yet
        # initialized variable fails with FailedPreconditionError; take the
        # value now instead.
        value = _value_now(value)
    return _keras_backend.variable(value, dtype=dtype, name=name,
                                   constraint=constraint)


def get_variable_shape(x):
    """Keras 1: the shape of a variable, as a tuple of ints."""
    return _keras_backend.int_shape(x)


lesser = _keras_backend.less
lesser_equal = _keras_backend.less_equal


def switch(condition, then_expression, else_expression):
    """Element-wise choice where `condition` and both values are tensors of
    one rank; otherwise `keras.backend.switch` (a scalar condition, or
    callables).  A value may be a plain number, as Keras 1 allowed."""
    then_expression, else_expression = _tensors_for_numbers(then_expression, else_expression)
    if (_is_symbolic(condition) and _is_symbolic(then_expression)
            and _is_symbolic(else_expression)
            and 0 < _keras_backend.ndim(condition) == _keras_backend.ndim(then_expression)
            == _keras_backend.ndim(else_expression)):
        return _OPS.where(condition, then_expression, else_expression)
    return _keras_backend.switch(condition, then_expression, else_expression)


def _tensors_for_numbers(*values):
    """Plain numbers among `values` as constants of the tensors' dtype."""
    dtypes = [_keras_backend.dtype(v) for v in values if _is_symbolic(v)]
    dtype = dtypes[0] if dtypes else _keras_backend.floatx()
    return [_keras_backend.constant(v, dtype=dtype) if isinstance(v, (int, float)) else v
            for v in values]
