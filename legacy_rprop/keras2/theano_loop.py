"""An element-wise update with several outputs as one C loop, for Theano.

Theano 1.0 fuses a chain of element-wise ops into one loop only while every
intermediate has a single consumer, and gcc does not vectorize the loops it
writes.  An Rprop update shares intermediates between its outputs (the new
step size feeds the weight and is stored), so Theano runs it as six to
eleven scalar loops, 2.5 to 3.5 times Adam's step (benchmarks/RESULTS.md).
`elementwise` builds the whole update as one op instead:

1. the update function is applied to 0-d tensors, giving an ordinary Theano
   graph of element-wise ops (the same rule code as on TensorFlow);
2. that graph becomes one `theano.scalar.Composite` with several outputs;
   its constants (the hyper-parameters) become typed inputs, so float32
   arithmetic stays float32 (Composite would print them as double literals);
3. `ElementwiseLoop` runs the Composite's C code in one plain loop over
   contiguous memory, in a function of its own, which gcc vectorizes.
   After Theano's other in-place optimizations, `OverwriteInputs` lets each
   output reuse the memory of the input it replaces (the state variable it
   updates) where Theano's destroy handler finds that safe.

The Theano internals this relies on (Theano 1.0.5 and theano-pymc 1.0.10
have them alike), and what breaks if one changes:

- ``Elemwise.scalar_op`` and ``DimShuffle`` of 0-d graphs, read by
  `_scalar_graph`: a new element-wise op class would make it raise
  TypeError ("not an element-wise op") when the optimizer is built.
- ``theano.scalar.Composite`` with several outputs, its ``c_code``,
  ``c_support_code_apply`` and ``prepare_node``: the generated C loop is
  written around them; a change there fails at compile time.
- ``gof.Op`` with ``destroy_map``, ``gof.DestroyHandler``,
  ``fgraph.replace_all_validate`` and ``InconsistencyError``: used by
  `OverwriteInputs`; without them the outputs get new memory (slower, the
  same numbers), or the optimizer registration fails at import.
- Position 75 of ``theano.compile.optdb`` is Theano's own in-place pass;
  `OverwriteInputs` is registered right after it (75.5).  If that moved,
  the overwrite could run before Theano's and take memory Theano wants.
- The compiled-module cache key comes from ``c_code_cache_version_apply``;
  a CRC of the generated code keeps a changed loop from reusing an old
  module.
"""
import zlib

import numpy as np
import theano.scalar as ts
from theano import gof
from theano import tensor as T
from theano.compile import optdb
from theano.tensor.elemwise import DimShuffle, Elemwise


def elementwise(function, inputs, overwrite=None):
    """``function(*inputs)`` as one loop; returns the list of outputs.

    `inputs` are tensors of one shape (that of the first) or 0-d; the
    outputs have the shape and broadcast pattern of the first input.
    `overwrite` maps an output index to the index of an input whose memory it
    may take over (the variable it will be assigned to).
    """
    inputs = [T.as_tensor_variable(x) for x in inputs]
    placeholders = [T.tensor(dtype=x.dtype, broadcastable=()) for x in inputs]
    outputs = function(*placeholders)
    scalar_inputs, scalar_outputs, constants = _scalar_graph(placeholders, outputs)
    op = ElementwiseLoop(ts.Composite(scalar_inputs, scalar_outputs),
                         candidates=tuple(sorted((overwrite or {}).items())))
    return op(*(inputs + constants), return_list=True)


def _scalar_graph(tensor_inputs, tensor_outputs):
    """The scalar twin of an element-wise graph on 0-d tensors.

    Returns (scalar inputs, scalar outputs, 0-d tensor constants), where the
    constants are the values of the scalar inputs past those of
    `tensor_inputs`.
    """
    scalar_of = {}
    for x in tensor_inputs:
        scalar_of[x] = ts.get_scalar_type(x.dtype)()
    constant_inputs, constants = [], []

    def convert(v):
        if v in scalar_of:
            return scalar_of[v]
        if isinstance(v, gof.Constant):
            if np.size(v.data) != 1:
                raise TypeError('elementwise: a constant of shape %s' % (np.shape(v.data),))
            scalar_of[v] = ts.get_scalar_type(v.dtype)()
            constant_inputs.append(scalar_of[v])
            constants.append(T.constant(np.asarray(v.data).reshape(()), dtype=v.dtype))
        elif v.owner is not None and isinstance(v.owner.op, Elemwise):
            args = [convert(x) for x in v.owner.inputs]
            results = v.owner.op.scalar_op.make_node(*args).outputs
            scalar_of.update(zip(v.owner.outputs, results))
        elif v.owner is not None and isinstance(v.owner.op, DimShuffle):
            scalar_of[v] = convert(v.owner.inputs[0])  # only 0-d here: no-op
        else:
            raise TypeError('elementwise: %s is not an element-wise op'
                            % (v.owner.op if v.owner else v,))
        return scalar_of[v]

    scalar_inputs = [scalar_of[x] for x in tensor_inputs]
    scalar_outputs = []
    for v in tensor_outputs:
        s = convert(v)
        # Composite wants every output computed by a node of its own
        if s.owner is None or s in scalar_outputs:
            s = ts.identity(s)
        scalar_outputs.append(s)
    return scalar_inputs + constant_inputs, scalar_outputs, constants


class ElementwiseLoop(gof.Op):
    """A Composite's outputs computed in one loop over contiguous memory.

    `inplace` pairs (output, input) whose memory the output reuses;
    `candidates` pairs that `OverwriteInputs` may turn into `inplace` ones.
    """
    __props__ = ('composite', 'candidates', 'inplace')

    def __init__(self, composite, candidates=(), inplace=()):
        self.composite = composite
        self.candidates = tuple(candidates)
        self.inplace = tuple(inplace)
        self.destroy_map = {out: [inp] for out, inp in self.inplace}

    def make_node(self, *inputs):
        inputs = [T.as_tensor_variable(x) for x in inputs]
        first = inputs[0]
        for x in inputs[1:]:
            if x.ndim not in (0, first.ndim):
                raise TypeError('elementwise: inputs of %d and %d dimensions'
                                % (first.ndim, x.ndim))
        outputs = [T.TensorType(t.dtype, first.broadcastable)()
                   for t in self.composite.outputs_type]
        return gof.Apply(self, inputs, outputs)

    def prepare_node(self, node, storage_map, compute_map, impl):
        self.composite.prepare_node(None, None, None, impl)

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]] * len(node.outputs)

    def perform(self, node, inputs, output_storage):
        # Python fallback (Theano without a C compiler): numpy, element by element
        shape = np.shape(inputs[0])
        broadcast = [np.broadcast_to(x, shape) for x in inputs]
        results = np.frompyfunc(self.composite.impl, len(inputs), len(node.outputs))(*broadcast)
        if len(node.outputs) == 1:
            results = [results]
        for storage, result, out in zip(output_storage, results, node.outputs):
            storage[0] = np.asarray(result, dtype=out.dtype).reshape(shape)

    def _scalar_node(self, node):
        return self.composite.make_node(
            *[ts.get_scalar_type(x.dtype)() for x in node.inputs])

    def c_headers(self):
        return self.composite.c_headers()

    def c_support_code(self):
        return self.composite.c_support_code()

    def c_support_code_apply(self, node, name):
        """The loop, as a function of its own: gcc vectorizes it there."""
        c_type = [v.type.dtype_specs()[1] for v in node.inputs + node.outputs]
        n_in = len(node.inputs)
        params = ['npy_intp n']
        params += ['const %s* x_%d' % (c_type[k], k) if var.ndim else
                   'const %s a_%d' % (c_type[k], k)
                   for k, var in enumerate(node.inputs)]
        params += ['%s* out_%d' % (c_type[n_in + o], o) for o in range(len(node.outputs))]
        # One iteration reads all its inputs before it writes an output, so
        # an output may share memory with an input (hence ivdep).  Comparisons
        # are stored as int instead of npy_bool (a byte): with mixed widths in
        # the loop, gcc does not vectorize it.
        lines = ['static __attribute__((noinline)) void %s_loop(%s) {'
                 % (name, ', '.join(params)),
                 '#define npy_bool int',
                 '#pragma GCC ivdep',
                 'for (npy_intp i = 0; i < n; ++i) {']
        lines += ['const %s a_%d = x_%d[i];' % (c_type[k], k, k)
                  for k, var in enumerate(node.inputs) if var.ndim]
        lines += ['%s b_%d;' % (c_type[n_in + o], o) for o in range(len(node.outputs))]
        lines.append(self.composite.c_code(
            self._scalar_node(node), name + '_scalar',
            ['a_%d' % k for k in range(n_in)],
            ['b_%d' % o for o in range(len(node.outputs))], dict(fail='')))
        lines += ['out_%d[i] = b_%d;' % (o, o) for o in range(len(node.outputs))]
        lines += ['}', '#undef npy_bool', '}']
        return '\n'.join([self.composite.c_support_code_apply(self._scalar_node(node), name)]
                         + lines)

    def c_compile_args(self):
        # lets gcc compute both sides of a select, which a vectorized loop
        # does; the values are the same (this is not -ffast-math)
        return ['-fno-trapping-math']

    def c_code_cache_version_apply(self, node):
        # Theano reuses a compiled module whose key, built from this version,
        # matches; a checksum of the generated code keeps that key honest
        inames = ['x%d' % k for k in range(len(node.inputs))]
        onames = ['z%d' % o for o in range(len(node.outputs))]
        code = (self.c_support_code_apply(node, 'node')
                + self.c_code(node, 'node', inames, onames, dict(fail='fail;')))
        return (zlib.crc32(code.encode('utf-8')),)

    def c_code(self, node, name, inames, onames, sub):
        first, fail = inames[0], sub['fail']
        inplace = dict(self.inplace)
        code = ['{']
        for x, var in zip(inames, node.inputs):
            if var.ndim:
                code.append(
                    'if (!PyArray_SAMESHAPE(%s, %s)) {PyErr_SetString(PyExc_ValueError, '
                    '"elementwise: inputs of different shapes"); %s}' % (x, first, fail))
        # outputs: the overwritten input's memory, or new memory
        for o, (z, var) in enumerate(zip(onames, node.outputs)):
            code.append('Py_XDECREF(%s);' % z)
            if o in inplace:
                source = inames[inplace[o]]
                code.append('if (PyArray_ISCARRAY(%s)) {%s = %s; Py_INCREF(%s);} else'
                            % (source, z, source, z))
            code.append('%s = (PyArrayObject*)PyArray_EMPTY(PyArray_NDIM(%s), '
                        'PyArray_DIMS(%s), %s, 0);'
                        % (z, first, first, var.type.dtype_specs()[2]))
            code.append('if (!%s) {%s}' % (z, fail))
        # inputs: contiguous (a copy only where Theano hands over a view)
        args = ['PyArray_SIZE(%s)' % first]
        for k, (x, var) in enumerate(zip(inames, node.inputs)):
            c_type = var.type.dtype_specs()[1]
            code.append('PyArrayObject* in_%d = PyArray_GETCONTIGUOUS(%s);' % (k, x))
            code.append('if (!in_%d) {%s}' % (k, fail))
            args.append('((%s*)PyArray_DATA(in_%d))%s' % (c_type, k, '' if var.ndim else '[0]'))
        args += ['(%s*)PyArray_DATA(%s)' % (var.type.dtype_specs()[1], z)
                 for z, var in zip(onames, node.outputs)]
        code.append('%s_loop(%s);' % (name, ', '.join(args)))
        code += ['Py_DECREF(in_%d);' % k for k in range(len(inames))]
        code.append('}')
        return '\n'.join(code)


class OverwriteInputs(gof.Optimizer):
    """Let an `ElementwiseLoop` output take over its candidate input's memory
    wherever Theano's destroy handler accepts it (the input is a variable
    this function updates and nothing reads it after the loop)."""

    def add_requirements(self, fgraph):
        fgraph.attach_feature(gof.DestroyHandler())

    def apply(self, fgraph):
        protected = set(fgraph.outputs)
        for feature in fgraph._features:
            protected.update(getattr(feature, 'protected', ()))
        for node in list(fgraph.toposort()):
            if not isinstance(node.op, ElementwiseLoop) or node.op.inplace:
                continue
            inplace = []
            for out, inp in node.op.candidates:
                x = node.inputs[inp]
                if (isinstance(x, gof.Constant) or x in protected
                        or x.type != node.outputs[out].type
                        or fgraph.has_destroyers([x])):
                    continue
                op = ElementwiseLoop(node.op.composite, node.op.candidates,
                                     tuple(inplace + [(out, inp)]))
                new_outputs = op(*node.inputs, return_list=True)
                try:
                    fgraph.replace_all_validate(list(zip(node.outputs, new_outputs)),
                                                reason='legacy_rprop_overwrite_inputs')
                except gof.InconsistencyError:
                    continue
                inplace.append((out, inp))
                node = new_outputs[0].owner


# after Theano's own in-place optimizations (position 75 in optdb)
try:
    optdb.register('legacy_rprop_overwrite_inputs', OverwriteInputs(), 75.5,
                   'fast_run', 'inplace')
except ValueError:  # registered already (the module was reloaded)
    pass
