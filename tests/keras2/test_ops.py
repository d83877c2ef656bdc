"""This backend's ops keep the contract of `legacy_rprop.core.ops`, on the
plain graph and inside the fused update (XLA; Theano's C loop)."""
import numpy as np
import pytest
from keras import backend as K

from harness import in_keras_graph
from legacy_rprop.keras2 import backend, fusion
from support import ops_check


def fed(array):
    """`array` as the ops get values in training: a variable on Theano (the
    original Theano 1.0.5 cannot hash a constant that holds NaN), a
    constant on TensorFlow."""
    make = K.constant if backend.IS_TENSORFLOW else K.variable
    return make(array, dtype=str(array.dtype))


def plain(name, *arguments):
    with in_keras_graph():
        tensors = [fed(a) for a in arguments]
        result = ops_check.call(backend.OPS, name, tensors)
        return backend.value_now(result) if backend.is_symbolic(result) else result  # Theano: 0-d


def in_xla(name, *arguments):
    import tensorflow as tf

    from legacy_rprop.core import tensorflow_ops
    graph = tf.Graph()
    with graph.as_default():
        placeholders = [tensorflow_ops._v1.placeholder(tf.as_dtype(a.dtype), a.shape)
                        for a in arguments]
        with tensorflow_ops.jit_scope()():
            output = ops_check.call(tensorflow_ops.XLA, name, placeholders)
        with tensorflow_ops._v1.Session(graph=graph) as session:
            return session.run(output, dict(zip(placeholders, arguments)))


def in_theano_loop(name, *arguments):
    import theano

    from legacy_rprop.keras2 import theano_loop
    inputs = [np.asarray(a, dtype='int8' if a.dtype == bool else a.dtype) for a in arguments]

    def function(*values):
        if name.startswith('where'):  # the loop's inputs are numbers: the condition back to bool
            values = (K.not_equal(values[0], 0),) + values[1:]
        result = theano.tensor.as_tensor_variable(ops_check.call(backend.OPS, name, values))
        return [K.cast(result, 'float64')]

    (output,) = theano_loop.elementwise(function, [fed(a) for a in inputs])
    result = theano.function([], output)()
    return result.astype(arguments[-1].dtype)


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_the_plain_graph_s_ops_keep_the_contract(dtype):
    ops_check.check(plain, dtype, backend.FLUSHES_SUBNORMALS)


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_the_fused_update_s_ops_keep_the_contract(dtype, not_applicable):
    if backend.IS_TENSORFLOW:
        if not fusion.use_xla():
            return not_applicable('XLA is not there or not exact on this TensorFlow: the '
                                  'update runs as the plain graph')
        ops_check.check(in_xla, dtype, backend.FLUSHES_SUBNORMALS)
    else:
        ops_check.check(in_theano_loop, dtype, backend.FLUSHES_SUBNORMALS)
