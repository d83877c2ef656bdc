"""The one place where Keras 3's backends (TensorFlow, JAX, PyTorch) differ
for this flavour: the element-wise `OPS` for the rules, where the step's loss
is caught, how a sparse gradient becomes dense, and how the new values are
written under a TensorFlow distribution strategy.

Each difference is found by the backend Keras runs (``keras.backend.backend()``)
or by looking for the feature:

- the loss: Keras' trainers hand it to ``optimizer.scale_loss`` inside the
  training step, before the gradients.  On TensorFlow and PyTorch the value
  kept there is the step's loss, also in a compiled step; on JAX that call
  runs inside the differentiated function, where a value kept would be the
  differentiation's tracer, so an identity with its own gradient
  (``jax.custom_vjp``) keeps the value its forward pass sees, which is the
  training step's own (a concrete array, or the tracer of its ``jit``);
- TensorFlow hands an embedding's gradient over as ``IndexedSlices``;
- under a TensorFlow distribution strategy each replica's loss is its share
  of the mean, and a model's weights are written from the cross-replica
  context;
- TensorFlow compiles the update of a large state group with XLA itself
  (`update_runner`): Keras compiles a step with XLA only where there is a
  GPU;
- on PyTorch, whose steps Keras runs eagerly by default, the update of a
  large state group is compiled by torch.compile once a run has been long
  enough to pay for it (`run_update`).
"""
import collections
import contextlib
import functools
import itertools
import math
import threading
import time
import types
import warnings

import keras
import numpy as np
from keras import ops as keras_ops

from legacy_rprop.core import switches
from legacy_rprop.core.ops import Ops
from legacy_rprop.core.rules import Hyper
from legacy_rprop.core.update import hyper_in_dtype

BACKEND = keras.backend.backend()
if BACKEND == 'tensorflow':
    import tensorflow as tf

    from legacy_rprop.core import tensorflow_ops
elif BACKEND == 'jax':
    import jax

# subnormal numbers count as zero on TensorFlow's CPU kernels and in XLA (JAX)
FLUSHES_SUBNORMALS = BACKEND in ('tensorflow', 'jax')


class _NativeOps(Ops):
    """The contract on a backend's own tensors, through its own functions:
    ``keras.ops`` promotes float64 to float32 (as JAX does without x64), so
    a float64 model would be updated in float32 precision through it.
    `functions` is the backend's module (``jax.numpy``, ``torch``)."""

    def __init__(self, functions):
        self.f = functions

    def where(self, condition, if_true, if_false):
        return self.f.where(condition, if_true, if_false)

    def sign(self, x):
        return self.f.where(self.f.isnan(x), x, self.sign_of_finite(x))

    def sign_of_finite(self, x):
        # XLA's (JAX's) sign of -0.0 is -0.0
        return self.f.where(x == 0, self.f.zeros_like(x), self.f.sign(x))

    def sign_to_compare(self, x):
        return self.f.sign(x)

    def minimum(self, x, bound):
        return self.f.minimum(x, bound)

    def maximum(self, x, bound):
        return self.f.maximum(x, bound)

    def zeros_like(self, x):
        return self.f.zeros_like(x)

    def negative(self, x):
        return x * -1.

    def is_finite(self, x):
        return self.f.isfinite(x)


# the backend's own functions: keras.ops' would convert every argument on
# every call, a cost that counts on PyTorch's eager step
if BACKEND == 'tensorflow':
    # what XLA computes exactly (jit_compile), and the plain kernels too
    OPS = tensorflow_ops.XLA
    _concatenate, _split, _reshape, cast = tf.concat, tf.split, tf.reshape, tf.cast
elif BACKEND == 'jax':
    OPS = _NativeOps(jax.numpy)
    _concatenate, _split, _reshape = jax.numpy.concatenate, jax.numpy.split, jax.numpy.reshape
    cast = jax.numpy.asarray
else:
    import torch

    # the integer type of a float type's size, whose bits a select moves
    _BITS = {torch.float16: torch.int16, torch.bfloat16: torch.int16,
             torch.float32: torch.int32, torch.float64: torch.int64}
    # a float type's exponent bits, and the shift that spreads an integer's
    # sign bit over all its bits, for conditions held as masks of bits
    _EXPONENT = {torch.float32: 0x7F800000, torch.float64: 0x7FF0000000000000}
    _MAGNITUDE = {torch.float32: 0x7FFFFFFF, torch.float64: 0x7FFFFFFFFFFFFFFF}
    _SPREAD = {torch.float32: 31, torch.float64: 63}

    # below this many elements PyTorch's where is the faster (one call's
    # fixed cost counts more than its branches): measured in the update of
    # 3000, 1e4 and 2e4 weights and of a 64-256-256-10 net's six tensors
    _BRANCH_FREE_FROM = 2 ** 13

    def _is_plus_zero(bits):
        """Whether `bits` (a float's, viewed as integers) is one 0-d +0."""
        return not bits.dim() and not bits.item()

    # 0-d constants to compare with: a Python number costs PyTorch's eager
    # op a tensor of its own at every call (1.4 us of 2.3 for a comparison
    # of 17 floats)
    _ZERO, _INF = torch.tensor(0.), torch.tensor(math.inf)

    def _branch_free(x):
        """Whether the ops select the bits of `x` (a large tensor on the
        CPU, run eagerly) rather than call PyTorch's where."""
        return (x.device.type == 'cpu' and x.numel() >= _BRANCH_FREE_FROM
                and not _torch_compiling())

    class _TorchOps(_NativeOps):
        """PyTorch's CPU kernel of where branches on every element: on a
        large tensor whose condition is mixed (signs that flip here and
        there) it took five times a multiplication's time (1e5 floats:
        300 us, 58 us where the condition is all true), and a comparison
        that makes booleans took 70 us where a multiplication took 15.  On
        a large float32 or float64 tensor run eagerly on the CPU the
        conditions are therefore masks of the values' integer type (all
        bits set where the condition holds) made by integer arithmetic on
        the bits, and `where` selects the bits (``b ^ ((a ^ b) & mask)``):
        exact and branch-free.  torch.compile compiles PyTorch's where
        into a branch-free loop itself."""

        def where(self, condition, if_true, if_false):
            large = if_true if if_true.dim() else if_false
            if condition.dtype == torch.bool and not _branch_free(large):
                return torch.where(condition, if_true, if_false)
            bits = _BITS[large.dtype]
            mask = condition.to(bits).neg_() if condition.dtype == torch.bool else condition
            chosen, other = if_true.view(bits), if_false.view(bits)
            if _is_plus_zero(other):  # the 0-d zero of zeros_like: a & mask
                return (chosen & mask).view(large.dtype)
            if _is_plus_zero(chosen):  # b ^ (b & mask)
                return (other & mask).bitwise_xor_(other).view(large.dtype)
            return (chosen ^ other).bitwise_and_(mask).bitwise_xor_(other).view(large.dtype)

        def sign_of_finite(self, x):
            # PyTorch's sign of -0.0 is +0.0 (eagerly and compiled): two
            # passes over the tensor fewer
            return torch.sign(x)

        def zeros_like(self, x):
            return x.new_zeros(())  # broadcast by where: nothing to fill

        def negative(self, x):
            return torch.neg(x)  # IEEE negation, without a tensor made of a Python -1.

        def is_finite(self, x):
            if not self._as_mask(x):
                # two passes; PyTorch's isfinite took 2.5 times as long (1e5 floats)
                return x.abs() < _INF
            # the exponent's bits, less all of them set: negative where finite
            exponent = _EXPONENT[x.dtype]
            return (x.view(_BITS[x.dtype]) & exponent).sub_(exponent).bitwise_right_shift_(
                _SPREAD[x.dtype])

        def is_positive(self, x):
            return self._is_zero(1. - x) if self._as_mask(x) else x > _ZERO

        def is_negative(self, x):
            return self._is_zero(x + 1.) if self._as_mask(x) else x < _ZERO

        @staticmethod
        def _as_mask(x):
            """Whether the conditions on `x` are masks of bits (a large
            float32 or float64 tensor run eagerly on the CPU)."""
            return x.dtype in _EXPONENT and _branch_free(x)

        @staticmethod
        def _is_zero(x):
            """The mask of +-0 in `x`, a new tensor (-1 + 1 is +0 exactly;
            NaN is not zero whatever its sign bit)."""
            magnitude = x.view(_BITS[x.dtype]).bitwise_and_(_MAGNITUDE[x.dtype])
            return magnitude.sub_(1).bitwise_right_shift_(_SPREAD[x.dtype])

    OPS = _TorchOps(torch)
    _concatenate, _split, _reshape = torch.cat, torch.split, torch.reshape

    # the time the eager update of one kind takes in a process before it is
    # compiled: compiling takes some 3-5 s (from Inductor's cache) to 25 s
    # (the first time on a machine), which only a run that long pays back
    EAGER_SECONDS_BEFORE_COMPILING = 10.
    # a group of fewer weights runs its own ops in every run: between the
    # other work of a training step, calling the compiled update (Dynamo's
    # and Inductor's wrappers) took longer than the eager ops on a few
    # thousand weights (timed right after a train_on_batch: 17 weights
    # 63-122 us eagerly, 128-153 us compiled, every variant; 3000 weights
    # 74-178 against 140-153; 8000 weights 96-199 against 142-169)
    COMPILED_FROM = 2 ** 11
    _clock = time.perf_counter
    _eager_seconds = collections.Counter()  # by update kind
    _compiled = {}  # by update kind: the compiled update, False where it cannot be

    def run_update(update, hyper, inputs):
        """`update` run on `inputs` (one state group on the CPU): the
        update torch.compile compiles, in place, once the eager update of
        its kind (its `key`, the rule, policy and accumulation, and the
        weights' dtype) has taken `EAGER_SECONDS_BEFORE_COMPILING` in the
        process, else its own ops, timed for its kind.  Compiled once per
        kind for every optimizer and group size: a short run never waits
        for the compiler, a long one waits once.  Returns the new values
        and the compiled update (None where the update ran eagerly)."""
        kind = update.key + (inputs['weight'].dtype,)
        if kind not in _compiled and _eager_seconds[kind] >= EAGER_SECONDS_BEFORE_COMPILING:
            _compiled[kind] = _compile(update, hyper, inputs)
        compiled = _compiled.get(kind) or None
        if compiled is None:
            start = _clock()
            new = update(hyper, inputs)
            _eager_seconds[kind] += _clock() - start
            return new, None
        compiled(hyper, inputs)
        return {name: inputs[name] for name in update.output_names}, compiled

    def _compile(update, hyper, inputs):
        """`update` compiled, if it gives the eager update's bits on a probe
        like `inputs` (NaN, +-inf, +-0, subnormal and ordinary numbers); else
        False, with a warning."""
        probe = _probe_inputs(inputs)
        try:
            function = torch.compile(_in_place(update), dynamic=True, fullgraph=True)
            with torch.no_grad():
                want = update(hyper, probe)
                function(hyper, probe)
            failure = None if all(_same_numbers(probe[name], want[name]) for name in want) else (
                "its numbers differ from the eager update's")
        except Exception as error:  # noqa: BLE001 (no C++ compiler, an unsupported op, ...)
            failure = '%s: %s' % (type(error).__name__, str(error).split('\n')[0])
        if failure:
            warnings.warn(
                'legacy_rprop: torch.compile cannot compile the Rprop update here (%s), so it '
                'runs eagerly: the same numbers, slower on large models. LEGACY_RPROP_FUSED=0 '
                'does not try.' % failure, stacklevel=2)
        return False if failure else function

    def _in_place(update):
        """A function that runs `update` and writes each new value into its
        input (a variable's own memory, for a state slot and a tensor's
        group of its own), in the compiled loop: no new tensors, no
        copies.  With a code object of its own: torch.compile keeps its
        compilations of a function per code object and gives up on one after
        8, which the kinds of update would share."""
        def write(hyper, inputs):
            for name, value in update(hyper, inputs).items():
                inputs[name].copy_(value)
        return types.FunctionType(write.__code__.replace(), write.__globals__,
                                  closure=write.__closure__)

    # what the probe is made of: NaN, +-inf, +-0, subnormal and ordinary numbers
    _PROBE_VALUES = [math.nan, math.inf, -math.inf, 0., -0., 1e-45, -1e-45, 1.2e-38, 1.5,
                     -1.5, 3e-3, -7.]
    _PROBE_SIZE = 4096  # each pair of values side by side in two inputs, many times over

    def _probe_inputs(inputs):
        """Inputs like `inputs` (1-d tensors, and 0-d ones kept as they are),
        each 1-d one a draw of its own from the probe's values."""
        values = np.array(_PROBE_VALUES)
        probe = {}
        for k, (name, value) in enumerate(inputs.items()):
            # as the real input's requires_grad: torch.compile's guards tell them apart
            requires_grad = value.requires_grad
            if value.dim():
                drawn = values[np.random.RandomState(k).randint(len(values), size=_PROBE_SIZE)]
                value = torch.tensor(drawn, dtype=value.dtype)
            probe[name] = value.detach().clone().requires_grad_(requires_grad)
        return probe

    def _same_numbers(got, want):
        """Equal bits, or NaN in both (a NaN's sign bit means nothing)."""
        bits = _BITS[want.dtype]
        return bool(((got.view(bits) == want.view(bits)) | (got.isnan() & want.isnan())).all())

    def cast(tensor, dtype):
        dtype = getattr(torch, dtype)
        if isinstance(tensor, torch.Tensor) and tensor.dtype == dtype:
            return tensor  # (a call fewer per gradient and step)
        return torch.as_tensor(tensor, dtype=dtype)

cast.__doc__ = """`tensor` (or a Python number) in the float `dtype` (a name:
'float32'); itself if it is."""


def _is_in(value, tensor):
    """Whether `value` is `tensor`'s own memory (PyTorch), a view of it alike."""
    return (value.data_ptr() == tensor.data_ptr() and value.shape == tensor.shape
            and value.stride() == tensor.stride())


def _torch_compiling():
    """Whether torch.compile is tracing the step (where Keras' own assign is
    what it knows how to trace)."""
    return torch.compiler.is_compiling()


def dense(gradient):
    """`gradient` as the dense tensor it stands for (on TensorFlow an
    embedding's gradient is an ``IndexedSlices``)."""
    return tensorflow_ops.dense(gradient) if BACKEND == 'tensorflow' else gradient


def concatenated(tensors):
    """The elements of `tensors` as one vector (one tensor is only reshaped)."""
    vectors = [_reshape(t, (-1,)) for t in tensors]
    return vectors[0] if len(vectors) == 1 else _concatenate(vectors, 0)


def pieces(vector, shapes):
    """`vector` cut into tensors of `shapes`: the inverse of `concatenated`."""
    if len(shapes) == 1:
        return [_reshape(vector, shapes[0])]
    # sizes in plain Python: under torch.compile NumPy's arithmetic would be
    # traced as tensors, and int() of one breaks the graph (eager fallback)
    sizes = [math.prod(shape) for shape in shapes]
    if BACKEND == 'jax':  # jax.numpy.split takes the cut points
        parts = _split(vector, list(itertools.accumulate(sizes))[:-1])
    else:
        parts = _split(vector, sizes)
    return [_reshape(part, shape) for part, shape in zip(parts, shapes)]


def update_runner(update):
    """How this backend runs `update` (an element update on `OPS`,
    `legacy_rprop.core.update`) on a state group of tensors of `shapes`
    (the inputs are their concatenations, in that order): ``runner(hyper,
    inputs, shapes)`` -> the new values by name.

    On TensorFlow a `tensorflow_ops.FusedUpdate`: a group of
    ``switches.XLA_FROM`` weights or more is one XLA computation (where XLA
    computes the rule exactly).  Keras compiles no training step with XLA on
    a machine without a GPU, and there each op of the rule would be a kernel
    of its own, one pass over memory each.  JAX compiles the whole step
    itself (Keras' default there); `InPlaceInOrder` arranges the update for
    it.

    On PyTorch, which Keras runs eagerly by default, a group of
    `COMPILED_FROM` weights or more on the CPU is updated by the update
    torch.compile compiles (`run_update`: one loop instead of some thirty
    element-wise passes) once the run has been long enough to pay for
    compiling it; the update's own ops run before that, on a smaller group,
    inside a step torch.compile compiles whole (``jit_compile=True``) and
    with ``LEGACY_RPROP_FUSED=0``."""
    if BACKEND == 'tensorflow':
        return tensorflow_ops.FusedUpdate(update)
    if BACKEND == 'torch':
        return CompiledWhenItPays(update)
    return InPlaceInOrder(update)


class InPlaceInOrder(object):
    """JAX's runner (`update_runner`): `update` on a state group of tensors
    of `shapes`, arranged so that XLA copies no array and reads each input
    once per output.

    In a step Keras compiles, XLA on the CPU computes each output in a loop
    of its own that reads the inputs it needs, and writes it into the
    memory of the input it replaces (Keras' trainer donates the weights and
    the state).  Two things cost passes over memory there:
    - the weights and gradients of a group concatenated into vectors, and
      the new weights cut out of one: so each tensor's new weights are
      computed in its shape from its slice of the state vectors (XLA folds a
      slice of a concatenation into the tensor);
    - an input overwritten while other loops still have to read it, which
      XLA copies first where the loops are not ordered by their data: so the
      outputs are computed one after another (the weights, then each slot in
      the update's order), each from a gradient that depends, through a
      select on a condition that always holds, on one element of every
      output computed before it.
    iRprop- on 1e6 weights in one tensor: 12 floats read or written per
    weight instead of 14, Rprop+ 12 instead of 20, 64-256-256-10's
    tensors 12.5 instead of 20 (Keras' Adam: 10).  The numbers are those of
    `update` on the whole group, which is element-wise; outside a trace
    (Keras' ``run_eagerly``) it runs once, as it is."""

    def __init__(self, update):
        self.update = update

    def __call__(self, hyper, inputs, shapes):
        if not isinstance(inputs['weight'], jax.core.Tracer):
            return self.update(hyper, inputs)
        tensors = {name: pieces(value, shapes) for name, value in inputs.items()
                   if jax.numpy.ndim(value) == 1}
        weights = []
        for k in range(len(shapes)):
            piece = dict(inputs)
            piece.update((name, parts[k]) for name, parts in tensors.items())
            weights.append(self.update(hyper, piece)['weight'])
        new, written = {'weight': concatenated(weights)}, [w for w in weights if w.size]
        for name in self.update.output_names[1:]:
            # (a state vector, not a reshaped tensor: XLA would compute an
            # element of a reshaped output again, from the inputs)
            new[name] = self.update(hyper, dict(inputs, grad=_after(written, inputs['grad'])))[name]
            written += [new[name]] if new[name].size else []
        return new


def _after(arrays, value):
    """`value` made to depend on the first element of each of `arrays` (a
    number with its lowest bit set is not 0, which XLA does not fold)."""
    if not arrays:
        return value
    bits = [jax.lax.bitcast_convert_type(a[(0,) * a.ndim], _unsigned(a.dtype)) for a in arrays]
    holds = functools.reduce(jax.numpy.logical_and, [(b | 1) != 0 for b in bits])
    return jax.numpy.where(holds, value, jax.numpy.zeros_like(value))


def _unsigned(dtype):
    """The unsigned integer type of `dtype`'s size."""
    return {2: jax.numpy.uint16, 4: jax.numpy.uint32,
            8: jax.numpy.uint64}[jax.numpy.dtype(dtype).itemsize]


class CompiledWhenItPays(object):
    """PyTorch's runner (`update_runner`): `update` compiled by torch.compile
    where and once that pays (`run_update`: a group of `COMPILED_FROM`
    weights or more on the CPU, in an eager step), else itself.
    `compiled`: the compiled update of the last group that `run_update`
    ran, or None."""

    def __init__(self, update):
        self.update, self.compiled = update, None

    def __call__(self, hyper, inputs, shapes):
        weight = inputs['weight']
        if (switches.FUSED and weight.numel() >= COMPILED_FROM
                and weight.device.type == 'cpu' and not _torch_compiling()):
            new, self.compiled = run_update(self.update, hyper, inputs)
            return new
        return self.update(hyper, inputs)


def hyper_tensors(hyper, dtype):
    """The hyper-parameters as the update takes them in `dtype`: on
    TensorFlow NumPy scalars of `dtype`, constants of the computation that
    uses them (a compiled update is traced once and used in every graph);
    elsewhere 0-d tensors of `dtype` (torch.compile makes float32 constants
    of float64 NumPy scalars).  Made once per optimizer, outside the step: a
    compiled step that made them would be compiled again at its second call."""
    if BACKEND == 'tensorflow':
        return hyper_in_dtype(hyper, dtype)
    if BACKEND != 'torch':
        return Hyper(*(keras_ops.convert_to_tensor(v, dtype) for v in hyper_in_dtype(hyper, dtype)))
    # from the Python floats: NumPy scalars would be traced as tensors under
    # torch.compile (the conversion rounds to `dtype` as NumPy does)
    return Hyper(*(torch.tensor(float(v), dtype=getattr(torch, dtype)) for v in hyper))


class StepValue(object):
    """A value of the step being built, handed from where the training step
    has it to the update: `put(value)`, then `take()` in the update (None
    if nothing was put since the last take).  Per thread: a distribution
    strategy builds each replica's step in a thread of its own."""

    def __init__(self):
        self._local = threading.local()

    def put(self, value):
        self._local.value = value

    def take(self):
        value = getattr(self._local, 'value', None)
        self._local.value = None
        return value


class LossCatcher(StepValue):
    """The loss of the step being built, as the backend lets an optimizer
    see it: `caught(loss)` in ``scale_loss`` (returns what to go on with),
    `take()` in the update."""

    def __init__(self):
        super(LossCatcher, self).__init__()
        if BACKEND == 'jax':
            @jax.custom_vjp
            def identity(x):
                return x

            def forward(x):
                self.put(x)
                return x, None

            identity.defvjp(forward, lambda _, g: (g,))
            self._identity = identity

    def caught(self, loss):
        if BACKEND == 'jax':
            return self._identity(loss)
        self.put(keras_ops.stop_gradient(loss))
        return loss


def _replicas():
    """The TensorFlow replica context of more than one replica, or None."""
    if BACKEND != 'tensorflow':
        return None
    context = tf.distribute.get_replica_context()
    return context if context is not None and context.num_replicas_in_sync > 1 else None


def replicas_in_sync():
    """The number of replicas a TensorFlow distribution strategy runs the
    step on (1 outside one, and on JAX and PyTorch)."""
    context = _replicas()
    return 1 if context is None else context.num_replicas_in_sync


def summed_over_replicas(tensors):
    """`tensors` (the gradients, and iRprop+'s loss: each replica's share of
    the mean) summed over the replicas of a TensorFlow distribution strategy,
    in one all-reduce, as Keras' own optimizers sum the gradients; `tensors`
    elsewhere."""
    context = _replicas()
    if context is None:
        return list(tensors)
    return context.all_reduce(tf.distribute.ReduceOp.SUM, list(tensors))


def no_autograd():
    """Where the update runs: outside PyTorch's autograd, which would
    otherwise record every op of it when `apply` is called outside
    ``torch.no_grad()`` (Keras' trainers call it inside)."""
    return torch.no_grad() if BACKEND == 'torch' else contextlib.nullcontext()


def assign_all(pairs, strategy=None):
    """``variable.assign(value)`` for each ``(keras.Variable, value)`` (each
    value of the variable's shape and dtype); under a TensorFlow
    distribution `strategy` every replica's copy from its replica's value,
    as Keras' own optimizers write them."""
    if BACKEND == 'torch' and not _torch_compiling():
        # one call for all, not one Keras assign (and its checks) per
        # variable; none for a value the compiled update wrote in place.
        # Each variable's value read once: Keras' value property looks up
        # the device and its scopes at every read
        owns = [(variable.value, value) for variable, value in pairs]
        pairs = [(own, value) for own, value in owns if not _is_in(value, own)]
        if pairs:
            torch._foreach_copy_(*zip(*pairs))
        return
    if _replicas() is None:
        for variable, value in pairs:
            variable.assign(value)
        return

    def update(distribution, pairs):
        for variable, value in pairs:
            distribution.extended.update(variable.value, lambda v, x: v.assign(x),
                                         args=(value,), group=False)
    tf.__internal__.distribute.interim.maybe_merge_call(update, strategy, list(pairs))
