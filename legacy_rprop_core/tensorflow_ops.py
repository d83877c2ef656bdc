"""TensorFlow's element-wise operations for the rules, and XLA where it
computes them exactly: shared by multi-backend Keras on TensorFlow and by
tf.keras, so that both run the same ops.

XLA's CPU "fast math" would assume that no NaN ever occurs and break the
non-finite policies, so it is switched off (XLA_FLAGS) unless the user's
XLA_FLAGS already decide it; it has to be set before TensorFlow's first XLA
compilation, hence at import.

The differences between TensorFlow versions, each detected by looking for
the feature:

- ``tf.math.is_nan`` and ``is_finite`` (TensorFlow 2 dropped ``tf.is_nan`` and
  ``tf.is_finite``);
- ``tf.xla.experimental.jit_scope`` (TensorFlow 1.14); before it,
  ``tf.contrib``'s jit scope, if a probe finds that XLA there keeps NaN as NaN
  (TensorFlow 1.13 does; 1.12's XLA drops it; 1.4 has no XLA device).
"""
import os

import numpy as np
import tensorflow as tf

from legacy_rprop_core.settings import FUSED


_is_nan = getattr(getattr(tf, 'math', None), 'is_nan', None) or tf.is_nan
_is_finite = getattr(getattr(tf, 'math', None), 'is_finite', None) or tf.is_finite

minimum = tf.minimum
maximum = tf.maximum


def where(condition, if_true, if_false):
    """Element-wise select (also for 0-d tensors)."""
    return tf.where(condition, if_true, if_false)


def sign(x):
    """-1, 0 or 1 per element, and NaN for NaN, as in NumPy and Theano.

    (TensorFlow's own sign returns 0 for NaN, which would turn a NaN gradient
    into a silent "no move" instead of propagating it.)
    """
    return tf.where(_is_nan(x), x, tf.sign(x))


def sign_of_finite(x):
    """-1, 0 or 1 per element of a finite `x` (TensorFlow's sign, one op)."""
    return tf.sign(x)


def zeros_like(x):
    """Zeros to select from with `where` (TensorFlow 1's select needs a full
    tensor; XLA fuses it away): a constant where the shape is known, which
    the graph does not compute again at every step."""
    if x.shape.is_fully_defined():
        return tf.zeros(x.shape.as_list(), dtype=x.dtype.base_dtype)
    return tf.zeros_like(x)


def negative(x):
    """-x, with the sign of a zero flipped too.

    (TensorFlow's Neg on CPU computes a vector of floats as 0 - x, which
    gives +0.0 for +0.0; a product with -1 is the IEEE negation.)
    """
    return x * -1.


def is_finite(x):
    """True where x is neither NaN nor +-inf (one op)."""
    return _is_finite(x)


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


if FUSED:
    if '--xla_cpu_enable_fast_math' not in os.environ.get('XLA_FLAGS', ''):
        os.environ['XLA_FLAGS'] = (os.environ.get('XLA_FLAGS', '')
                                   + ' --xla_cpu_enable_fast_math=false').strip()
    jit_scope = _exact_jit_scope()
else:
    jit_scope = None
"""XLA's JIT scope for graph mode, or None where XLA is off, missing or not
exact."""
