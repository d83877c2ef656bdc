"""The one place where the Keras backends and versions differ for this package.

Theano applies all updates of a compiled function simultaneously: every
expression sees the values from before the step.  TensorFlow 1.x graph mode
with resource variables does not: a write to a variable and a read of it that
are not connected by a data or control dependency may run in either order.
`assign_after_reads` orders every write after every new value is computed, so
both backends see pre-step values only.

The optimizer runs its rule once per step over all weights of a model
(`concatenated` and `pieces` turn the weight tensors into one vector and
back).  An element-wise rule is many small ops; `fused` runs it as a loop
over memory where that pays: on TensorFlow XLA compiles it when the model
has `XLA_FROM_ELEMENTS` weights or more (on a smaller one XLA's fixed cost
per launch is more than the ops it saves), on Theano
`legacy_rprop._theano_loop` makes it one C loop.

The element-wise operations the rules use (`ops`) are TensorFlow's from
`legacy_rprop_core.tensorflow_ops` (the same as tf.keras runs), or Keras'
Theano backend's.

Keras 2.0.8 to 2.3.1, TensorFlow 1.4 to 2.2 and Theano 1.0 differ in a few
names; each difference is detected here by looking for the feature, never
by a version number:

- ``K.symbolic`` (Keras 2.3) builds a graph inside Keras' own graph; older
  Keras have one graph and no such decorator.
- XLA where `legacy_rprop_core.tensorflow_ops` finds it exact; otherwise
  the update runs as the plain graph of the rule (same numbers).
- ``K.is_tensor`` (Keras 2.2) tells a symbolic value from a number.
- Before Keras 2.2 a Sequential model wraps the Model that trains.
"""
import contextlib
import threading
import types

import numpy as np
from keras import backend as K

from legacy_rprop_core.settings import FUSED, XLA_FROM

IS_TENSORFLOW = K.backend() == 'tensorflow'
if IS_TENSORFLOW:
    import tensorflow as tf

    from legacy_rprop_core import tensorflow_ops as ops
    _SYMBOLIC_TYPES = (tf.Tensor, tf.Variable)
elif K.backend() == 'theano':
    import theano

    from legacy_rprop import _theano_loop
    _SYMBOLIC_TYPES = (theano.Variable,)

    ops = types.SimpleNamespace(
        minimum=K.minimum, maximum=K.maximum,
        where=K.switch,  # element-wise on Theano, also for 0-d conditions
        sign=K.sign,  # NaN for NaN already
        sign_of_finite=K.sign,
        # a 0-d zero, which Theano broadcasts: no tensor of zeros is written
        zeros_like=lambda x: np.zeros((), dtype=K.dtype(x)),
        negative=lambda x: -x,
        is_finite=lambda x: K.less_equal(K.abs(x), np.finfo(K.dtype(x)).max),
    )

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


where, sign, is_finite = ops.where, ops.sign, ops.is_finite

# the update compiled by XLA on TensorFlow, where XLA is there and exact
USE_XLA = IS_TENSORFLOW and ops.jit_scope is not None

# On TensorFlow an update over fewer elements runs as the plain graph: an
# XLA launch costs a fixed ~0.1 ms a step (signature, cache look-up, run),
# more than the plain graph's ops cost on a small model; beyond this size
# the plain graph's passes over memory cost more (benchmarks/RESULTS.md).
XLA_FROM_ELEMENTS = XLA_FROM


def concatenated(tensors):
    """The elements of `tensors` as one vector, tensor after tensor (one
    tensor is only reshaped)."""
    vectors = [tensor if K.ndim(tensor) == 1 else K.reshape(tensor, (-1,))
               for tensor in tensors]
    return vectors[0] if len(vectors) == 1 else K.concatenate(vectors, axis=0)


def pieces(vector, shapes):
    """`vector` cut into tensors of `shapes`: the inverse of `concatenated`."""
    sizes = [int(np.prod(shape)) for shape in shapes]
    if len(shapes) == 1:
        parts = [vector]
    elif IS_TENSORFLOW:
        parts = tf.split(vector, sizes)
    else:  # new arrays, not views of one buffer (which Theano would copy one by one)
        parts = theano.tensor.split(vector, sizes, len(sizes))
    tensors = [part if len(shape) == 1 else K.reshape(part, shape)
               for part, shape in zip(parts, shapes)]
    if not IS_TENSORFLOW:  # a reshape to a length of 1 makes the axis broadcastable
        tensors = [theano.tensor.unbroadcast(t, *range(t.ndim)) for t in tensors]
    return tensors


def fused(computations, first_output_shapes):
    """The outputs of element-wise computations, each computed in as few
    passes over memory as the backend allows, the first output of each cut
    into tensors (`pieces`).

    `computations` is a list of ``(function, inputs, overwrite)``: `inputs`
    are tensors of one shape, or 0-d, and ``function(*inputs)`` returns a
    list of element-wise outputs.  The first output of computation k comes
    back as tensors of the shapes ``first_output_shapes[k]``.  On
    TensorFlow the computations of at least `XLA_FROM_ELEMENTS` elements go
    into one XLA JIT scope (one compiled computation; the cut is in it, so
    each tensor is written where it goes, with no copy), smaller ones run as
    the plain graph.  On Theano each becomes one C loop
    (`legacy_rprop._theano_loop`), in which output k may reuse the memory of
    input ``overwrite[k]`` (the variable it will be assigned to).
    """
    def cut(values, k):
        return [pieces(values[0], first_output_shapes[k])] + list(values[1:])

    if USE_THEANO_LOOP:
        return [cut(_theano_loop.elementwise(function, inputs, overwrite), k)
                for k, (function, inputs, overwrite) in enumerate(computations)]
    if IS_TENSORFLOW:  # each variable read once, however often the rule uses it
        computations = [(function, [tf.convert_to_tensor(x) for x in inputs], overwrite)
                        for function, inputs, overwrite in computations]

    def outputs_of(k):
        function, inputs, _ = computations[k]
        return cut(function(*inputs), k)

    large = [USE_XLA and _elements(inputs[0]) >= XLA_FROM_ELEMENTS
             for _, inputs, _ in computations]
    outputs = {}
    if any(large):
        with ops.jit_scope():
            outputs.update((k, outputs_of(k)) for k in range(len(computations)) if large[k])
    outputs.update((k, outputs_of(k)) for k in range(len(computations)) if not large[k])
    return [outputs[k] for k in range(len(computations))]


def outside_the_fused_update():
    """Around the building of the gradients and of their and the weights'
    concatenation: on TensorFlow with XLA these ops are marked not to be
    compiled.

    XLA's clustering grows the cluster of a JIT scope over every
    neighbouring op it can compile, up to the loss and the whole backward
    pass; XLA's CPU code for those is slower than TensorFlow's kernels
    (784-512-512-10 on 10,000 samples: 1.04-1.09x Keras Adam's step with
    them in the cluster, 0.99-1.01x without), and a concatenation inside
    the loop costs an index search per element.  The reads and
    writes of the variables are left to the cluster (one launch fewer per
    variable; a step of one tensor of 10,000 weights 6-9% faster that way).
    """
    return ops.jit_scope(compile_ops=False) if USE_XLA else contextlib.ExitStack()


def _elements(tensor):
    return int(np.prod(K.int_shape(tensor)))
