"""The one place where the Keras backends and versions differ for this package.

Theano applies all updates of a compiled function simultaneously: every
expression sees the values from before the step.  TensorFlow 1.x graph mode
with resource variables does not: a write to a variable and a read of it that
are not connected by a data or control dependency may run in either order.
`assign_after_reads` orders every write after every new value is computed, so
both backends see pre-step values only.

Element-wise update rules are many small ops; `fused` runs them as loops
over memory, which makes the step several times faster: on TensorFlow XLA
compiles the updates of all tensors of a step as one computation (one
launch per step: launches, not arithmetic, dominate small models), on
Theano `legacy_rprop._theano_loop` makes one C loop per tensor.  XLA's CPU "fast math"
would assume that no NaN ever occurs and break the non-finite policies, so
it is switched off (XLA_FLAGS) unless the user's XLA_FLAGS already decide
it; it has to be set before TensorFlow's first XLA compilation, hence at
import.

Keras 2.0.8 to 2.3.1, TensorFlow 1.4 to 2.2 and Theano 1.0 differ in a few
names; each difference is detected here by looking for the feature, never
by a version number:

- ``K.symbolic`` (Keras 2.3) builds a graph inside Keras' own graph; older
  Keras have one graph and no such decorator.
- ``tf.xla.experimental.jit_scope`` (TensorFlow 1.14) is what `fused` uses;
  before it, ``tf.contrib``'s jit scope, if a probe finds that XLA there
  keeps NaN as NaN (TensorFlow 1.13 does; 1.12's XLA drops it; 1.4 has no
  XLA device); otherwise the update runs as the plain graph of the rule
  (same numbers).
- ``tf.math.is_nan`` (TensorFlow 2 dropped ``tf.is_nan``).
- ``K.is_tensor`` (Keras 2.2) tells a symbolic value from a number.
- Before Keras 2.2 a Sequential model wraps the Model that trains.
"""
import contextlib
import os
import threading

import numpy as np
from keras import backend as K

IS_TENSORFLOW = K.backend() == 'tensorflow'
if IS_TENSORFLOW:
    import tensorflow as tf

    _is_nan = getattr(getattr(tf, 'math', None), 'is_nan', None) or tf.is_nan
    _SYMBOLIC_TYPES = (tf.Tensor, tf.Variable)
elif K.backend() == 'theano':
    import theano

    from legacy_rprop import _theano_loop
    _SYMBOLIC_TYPES = (theano.Variable,)

# LEGACY_RPROP_FUSED=0 turns the fused update off on both backends (the
# update then runs as the plain graph of the rule, with the same numbers);
# LEGACY_RPROP_XLA is its old name
FUSED = os.environ.get('LEGACY_RPROP_FUSED', os.environ.get('LEGACY_RPROP_XLA', '1')) != '0'

# the update as one C loop on Theano; on a GPU, Theano's own element-wise
# fusion (the loop is CPU code)
USE_THEANO_LOOP = (FUSED and K.backend() == 'theano'
                   and not theano.config.device.startswith(('cuda', 'gpu')))


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


def training_model(model):
    """The Model that holds `model`'s compiled training step: the model
    itself, or before Keras 2.2 the Model that a Sequential wrapped."""
    return model if hasattr(model, 'train_function') else model.model


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
        return tf.where(_is_nan(x), x, tf.sign(x))
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


def _exact_jit_scope():
    """TensorFlow's XLA JIT scope, where XLA computes the update exactly."""
    xla = getattr(getattr(tf, 'xla', None), 'experimental', None)
    if hasattr(xla, 'jit_scope'):
        return xla.jit_scope
    try:  # before TensorFlow 1.14
        from tensorflow.contrib.compiler.jit import experimental_jit_scope
    except ImportError:
        return None
    return experimental_jit_scope if _xla_keeps_nan(experimental_jit_scope) else None


def _xla_keeps_nan(jit_scope):
    """Whether XLA, under ``jit_scope``, computes `is_finite` and `sign` of
    NaN and infinity as the update needs them (a comparison with NaN is
    False)."""
    values = np.array([np.nan, -np.inf, -2., 0., 3.], dtype='float32')
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, values.shape)
        with jit_scope():
            finite, signs = is_finite(x), sign(x)  # as the update computes them
        with tf.Session(graph=graph) as session:
            got_finite, got_signs = session.run([finite, signs], {x: values})
    return (got_finite.tolist() == [False, False, True, True, True]
            and np.isnan(got_signs[0]) and got_signs[1:].tolist() == [-1., -1., 0., 1.])


if FUSED and IS_TENSORFLOW:
    if '--xla_cpu_enable_fast_math' not in os.environ.get('XLA_FLAGS', ''):
        os.environ['XLA_FLAGS'] = (os.environ.get('XLA_FLAGS', '')
                                   + ' --xla_cpu_enable_fast_math=false').strip()
    _jit_scope = _exact_jit_scope()
else:
    _jit_scope = None

# the update compiled by XLA on TensorFlow, where XLA is there and exact
USE_XLA = _jit_scope is not None


def fused(computations):
    """The outputs of element-wise computations, each computed in as few
    passes over memory as the backend allows.

    `computations` is a list of ``(function, inputs, overwrite)``: `inputs`
    are tensors of one shape, or 0-d, and ``function(*inputs)`` returns a
    list of element-wise outputs.  On TensorFlow all of them go into one XLA
    JIT scope, one compiled computation for the whole step.  On Theano each
    becomes one C loop (`legacy_rprop._theano_loop`), in which output k may
    reuse the memory of input ``overwrite[k]`` (the variable it will be
    assigned to).
    """
    if USE_XLA:
        with _jit_scope():
            return [function(*inputs) for function, inputs, _ in computations]
    if USE_THEANO_LOOP:
        return [_theano_loop.elementwise(function, inputs, overwrite)
                for function, inputs, overwrite in computations]
    return [function(*inputs) for function, inputs, _ in computations]
