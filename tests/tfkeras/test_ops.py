"""TensorFlow's ops keep the contract of `legacy_rprop.core.ops`, in every
way this TensorFlow runs the update (harness.MODES): its own kernels, and
XLA where the flavour compiles with it."""
import pytest
import tensorflow as tf

from harness import MODES
from legacy_rprop.core import tensorflow_ops
from support import ops_check


def computed(mode):
    """``compute(op name, *arrays)`` running the op as `mode` runs a step."""
    ops = tensorflow_ops.XLA if mode == 'xla' else tensorflow_ops.PLAIN

    def compute(name, *arguments):
        def op(*tensors):
            return ops_check.call(ops, name, tensors)
        if mode == 'graph':
            placeholders = [tf.compat.v1.placeholder(tf.as_dtype(a.dtype), a.shape)
                            for a in arguments]
            output = op(*placeholders)
            return tf.compat.v1.keras.backend.get_session().run(
                output, dict(zip(placeholders, arguments)))
        if mode == 'function':
            op = tf.function(op)
        elif mode == 'xla':
            op = tensorflow_ops.FusedUpdate.compile(op)
        return op(*[tf.constant(a) for a in arguments]).numpy()
    return compute


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('mode', MODES)
def test_the_ops_keep_the_contract(mode, dtype):
    ops_check.check(computed(mode), dtype, tensorflow_ops.FLUSHES_SUBNORMALS)


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_the_ops_keep_the_contract_in_a_tensorflow_1_jit_scope(dtype, not_applicable):
    if tf.executing_eagerly():
        return not_applicable('TensorFlow 2 compiles the update as a jit_compile function '
                              "(mode 'xla' above), not in a JIT scope")
    graph = tf.Graph()

    def compute(name, *arguments):
        with graph.as_default():
            placeholders = [tf.compat.v1.placeholder(tf.as_dtype(a.dtype), a.shape)
                            for a in arguments]
            with tensorflow_ops.jit_scope()():
                output = ops_check.call(tensorflow_ops.XLA, name, placeholders)
            with tf.compat.v1.Session(graph=graph) as session:
                return session.run(output, dict(zip(placeholders, arguments)))
    ops_check.check(compute, dtype, tensorflow_ops.FLUSHES_SUBNORMALS)
