"""TensorFlow's element-wise operations for the rules (the `ops` contract of
`legacy_rprop.core.ops`), and XLA where it computes them exactly; shared by
multi-backend Keras on TensorFlow, tf.keras and Keras 3 on TensorFlow.

Two sets of ops, for the two ways TensorFlow runs the rule: `PLAIN` for the
graph of TensorFlow's own kernels, `XLA` for a computation XLA compiles.
They differ in `sign`: TensorFlow's kernel gives 0 for NaN, XLA's keeps the
sign of a zero (-0.0 for -0.0), and the contract wants NaN and +0.0.

`FusedUpdate` runs a whole element update (`legacy_rprop.core.update`) as
one XLA computation where XLA computes it exactly, and as the plain graph
elsewhere.

TensorFlow's CPU kernels and XLA treat subnormal numbers as zero (and flush
subnormal results to zero): a subnormal gradient counts as a zero gradient
there, and the backward pass flushes most of them before they reach an
optimizer.  `FLUSHES_SUBNORMALS` says so for the tests.

XLA's CPU "fast math" assumes that no NaN or infinity ever occurs, which
would break the non-finite policies; TensorFlow 1.x and 2.2 have it on by
default.  So importing this module adds ``--xla_cpu_enable_fast_math=false``
to ``XLA_FLAGS`` unless ``XLA_FLAGS`` already sets that flag: this applies
to every XLA computation of the process (XLA then honours NaN and infinity
in them too).  TensorFlow reads ``XLA_FLAGS`` once, when it makes its first
session or eager context; import the package before that.  Whether XLA
computes the ops exactly is not assumed but checked, once, by running them
(`exact_xla`); where it does not (fast math already on, or TensorFlow 1.12's
XLA, which drops NaN), the plain graph runs instead, with the same numbers.

The differences between TensorFlow versions, each found by looking for the
feature: ``tf.math.is_nan``/``is_finite`` (TensorFlow 2 dropped ``tf.is_nan``),
``tf.math.unsorted_segment_sum`` (``tf.unsorted_segment_sum`` before 1.13),
XLA's JIT scope (``tf.xla.experimental`` from 1.14, ``tf.contrib`` before;
1.4 has the scope but no XLA device).
"""
import inspect
import os
import warnings

import numpy as np
import tensorflow as tf

from legacy_rprop.core import switches
from legacy_rprop.core.ops import Ops

_math = getattr(tf, 'math', tf)
_is_nan = getattr(_math, 'is_nan', None) or tf.is_nan
_is_finite = getattr(_math, 'is_finite', None) or tf.is_finite
_unsorted_segment_sum = (getattr(_math, 'unsorted_segment_sum', None)
                         or tf.unsorted_segment_sum)
# TensorFlow 1's graph API (``tf.compat.v1`` from 1.13)
_v1 = getattr(getattr(tf, 'compat', None), 'v1', tf)

# subnormal numbers count as zero on TensorFlow's CPU kernels and in XLA
FLUSHES_SUBNORMALS = True

if switches.FUSED and '--xla_cpu_enable_fast_math' not in os.environ.get('XLA_FLAGS', ''):
    os.environ['XLA_FLAGS'] = (os.environ.get('XLA_FLAGS', '')
                               + ' --xla_cpu_enable_fast_math=false').strip()


class TensorFlowOps(Ops):
    """The contract on TensorFlow tensors; `xla` for ops that XLA compiles."""

    def __init__(self, xla):
        self.xla = xla

    def where(self, condition, if_true, if_false):
        return tf.where(condition, if_true, if_false)

    def sign(self, x):
        return tf.where(_is_nan(x), x, self.sign_of_finite(x))

    def sign_of_finite(self, x):
        if self.xla:  # XLA's sign(-0.0) is -0.0
            return tf.where(tf.equal(x, 0), self.zeros_like(x), tf.sign(x))
        return tf.sign(x)

    def sign_to_compare(self, x):
        return tf.sign(x)

    def minimum(self, x, y):
        return tf.minimum(x, y)

    def maximum(self, x, y):
        return tf.maximum(x, y)

    def zeros_like(self, x):
        # a constant where the shape is known: the graph does not compute it
        # again at every step (TensorFlow 1's select needs a full tensor)
        if x.shape.is_fully_defined():
            return tf.zeros(x.shape.as_list(), dtype=x.dtype.base_dtype)
        return tf.zeros_like(x)

    def negative(self, x):
        # TensorFlow's Neg on CPU computes a vector of floats as 0 - x, which
        # gives +0.0 for +0.0; a product with -1 is the IEEE negation
        return x * -1.

    def is_finite(self, x):
        return _is_finite(x)


PLAIN = TensorFlowOps(xla=False)
XLA = TensorFlowOps(xla=True)


def dense(gradient):
    """`gradient` as a dense tensor: an ``IndexedSlices`` (the gradient of a
    gather, such as an embedding's) becomes the tensor it stands for, the
    rows it leaves out zero and the rows it names more than once summed."""
    if isinstance(gradient, tf.IndexedSlices):
        rows = gradient.dense_shape[0] if gradient.dense_shape is not None else None
        return _unsorted_segment_sum(gradient.values, gradient.indices, rows)
    return gradient


def jit_scope():
    """XLA's JIT scope for a TensorFlow 1 graph, or None where this
    TensorFlow has none."""
    xla = getattr(getattr(tf, 'xla', None), 'experimental', None)
    if hasattr(xla, 'jit_scope'):
        return xla.jit_scope
    try:  # before TensorFlow 1.14
        from tensorflow.contrib.compiler.jit import experimental_jit_scope
    except ImportError:
        return None
    return experimental_jit_scope


# what XLA must compute: the ops on NaN, infinities, signed zeros and
# ordinary numbers, as the contract says
_PROBE = np.array([np.nan, -np.inf, -2., -0., 0., 3., np.inf], dtype='float32')


def _probe_outputs(x):
    return [XLA.is_finite(x), XLA.sign(x), XLA.where(XLA.is_finite(x), x, XLA.zeros_like(x))]


def _probe_passes(results):
    finite, signs, kept = (np.asarray(r) for r in results)
    return bool(finite.tolist() == [False, False, True, True, True, True, False]
            and np.isnan(signs[0]) and signs[1:].tolist() == [-1., -1., 0., 0., 1., 1.]
            and not np.signbit(signs[3:5]).any()
            and kept.tolist() == [0., 0., -2., -0., 0., 3., 0.] and np.signbit(kept[3]))


_exact = {}


def exact_xla(compile_function=None):
    """Whether XLA computes the ops exactly in this process, found once by
    running them: in a TensorFlow 1 graph under `jit_scope`, or through
    `compile_function` (``tf.function`` with XLA on, TensorFlow 2).  False
    where there is no XLA, or ``LEGACY_RPROP_FUSED=0``."""
    key = 'function' if compile_function else 'scope'
    if key not in _exact:
        _exact[key] = switches.FUSED and _run_probe(compile_function)
        if switches.FUSED and not _exact[key] and _xla_is_there(compile_function):
            warnings.warn(
                'legacy_rprop: XLA does not keep NaN and infinity in this process '
                '(XLA_FLAGS has --xla_cpu_enable_fast_math on, or TensorFlow made its '
                'session before legacy_rprop was imported), so the Rprop update runs as '
                'the plain graph: the same numbers, slower on large models. Import '
                'legacy_rprop first, or set XLA_FLAGS=--xla_cpu_enable_fast_math=false.',
                stacklevel=3)
    return _exact[key]


def _xla_is_there(compile_function):
    """Whether this TensorFlow can compile with XLA at all (1.12 can, but drops
    NaN: no warning for that, it is this TensorFlow's own limit)."""
    return compile_function is not None or hasattr(getattr(tf, 'xla', None), 'experimental')


def _run_probe(compile_function):
    try:
        if compile_function is not None:
            with tf.init_scope():  # eagerly, also when asked while a function is traced
                return _probe_passes([r.numpy() for r in
                                      compile_function(_probe_outputs)(tf.constant(_PROBE))])
        scope = jit_scope()
        if scope is None:
            return False
        graph = tf.Graph()
        with graph.as_default():
            x = _v1.placeholder(tf.float32, _PROBE.shape)
            with scope():
                outputs = _probe_outputs(x)
            with _v1.Session(graph=graph) as session:
                return _probe_passes(session.run(outputs, {x: _PROBE}))
    except Exception:  # no XLA device (TensorFlow 1.4), or XLA fails to compile
        return False


def jit_compile_keyword():
    """The name of tf.function's XLA switch (TensorFlow 2.5: jit_compile), if any."""
    function = getattr(tf, 'function', None)  # TensorFlow 1.14 on
    if function is None:
        return None
    parameters = inspect.signature(function).parameters
    for name in ('jit_compile', 'experimental_compile'):
        if name in parameters:
            return name
    return None


_JIT_COMPILE = jit_compile_keyword() if switches.FUSED else None


def _tensorflow_2():
    """Eager outside functions: TensorFlow 2's behaviour (also while a
    tf.function is being traced), not a TensorFlow 1 graph."""
    outside_functions = (getattr(_v1, 'executing_eagerly_outside_functions', None)
                         or getattr(tf, 'executing_eagerly', None))  # 1.15: only the latter
    return bool(outside_functions and outside_functions())


def _in_jit_scope(function):
    def in_jit_scope(*values):
        with jit_scope()():
            return function(*values)
    return in_jit_scope


class FusedUpdate(object):
    """An element update (`legacy_rprop.core.update`) as one XLA computation
    per call, one pass over memory instead of one per op, where XLA computes
    it exactly: a ``jit_compile``d function on TensorFlow 2, the JIT scope
    in a TensorFlow 1 graph.  Elsewhere, and with ``LEGACY_RPROP_FUSED=0``,
    the plain graph of the rule (the same numbers).  Compiled once per
    dtype: the inputs always come in one order, and `hyper` (NumPy scalars,
    constants of the computation) is the first call's.  Used by tf.keras'
    classes and by Keras 3 on TensorFlow.

    A call given the `size` of its state group runs a group of fewer than
    ``switches.XLA_FROM`` weights as `update` itself (its ops, in the
    caller's graph): there XLA's fixed cost per call is more than the passes
    over memory it saves.  Keras may still compile the caller's whole step
    with XLA (``jit_compile``), so `update` should be on the `XLA` ops."""

    @staticmethod
    def compile(function):
        """`function` as one XLA computation per call (TensorFlow 2)."""
        return tf.function(function, **{_JIT_COMPILE: True})

    def __init__(self, update):
        self._given = update
        if _tensorflow_2():
            compiled = _JIT_COMPILE and exact_xla(self.compile)
            self._wrap = self.compile
        else:
            compiled = exact_xla()
            self._wrap = _in_jit_scope
        if not compiled:
            self._wrap = lambda function: function
        self.update = update.with_ops(XLA if compiled else PLAIN)
        self._functions = {}

    def __call__(self, hyper, inputs, shapes=None):
        """The new values ``{name: tensor}`` (`update.output_names`); `shapes`:
        those of the group's tensors (None: compiled whatever their size)."""
        if shapes is not None and sum(int(np.prod(s)) for s in shapes) < switches.XLA_FROM:
            return self._given(hyper, inputs)
        function, values, _ = self.update.computation(hyper, inputs)
        dtype = inputs['weight'].dtype.base_dtype.name
        if dtype not in self._functions:
            self._functions[dtype] = self._wrap(function)
        return dict(zip(self.update.output_names, self._functions[dtype](*values)))
