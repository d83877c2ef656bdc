"""This backend's ops keep the contract of `legacy_rprop.core.ops`, eagerly
and compiled as Keras compiles a training step."""
import keras
import numpy as np
import pytest

from harness import BACKEND
from legacy_rprop.keras3 import backend
from support import ops_check


def compute(compiled):
    """``compute(op name, *arrays)`` on this backend's tensors."""
    def run(name, *arguments):
        def op(*tensors):
            return ops_check.call(backend.OPS, name, tensors)
        if compiled:
            if BACKEND == 'tensorflow':
                import tensorflow as tf
                op = tf.function(op, jit_compile=True)
            elif BACKEND == 'jax':
                import jax
                op = jax.jit(op)
            else:
                import torch
                op = torch.compile(op)
        tensors = [keras.ops.convert_to_tensor(a, dtype=str(a.dtype)) for a in arguments]
        return keras.ops.convert_to_numpy(op(*tensors))
    return run


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('compiled', [False, True], ids=['eager', 'compiled'])
# 'large': some 2^16 elements, where PyTorch's ops select another way
@pytest.mark.parametrize('repeat', [1, 2 ** 16 // 14 ** 2], ids=['small', 'large'])
def test_the_ops_keep_the_contract(compiled, dtype, repeat, not_applicable):
    if dtype == 'float64' and BACKEND == 'jax':
        import jax
        if not jax.config.jax_enable_x64:
            return not_applicable('JAX computes in float64 only with jax_enable_x64')
    ops_check.check(compute(compiled), dtype, backend.FLUSHES_SUBNORMALS, repeat)
    return None


def test_float64_stays_float64_in_every_op(not_applicable):
    """Keras' own ops compute float64 in float32 (as JAX does without x64);
    these keep the dtype, or a float64 model would step in float32."""
    if BACKEND == 'jax':
        import jax
        if not jax.config.jax_enable_x64:
            return not_applicable('JAX computes in float64 only with jax_enable_x64')
    x = keras.ops.convert_to_tensor(np.float64([1e-3, -2.]), dtype='float64')
    bound = keras.ops.convert_to_tensor(np.float64(1.), dtype='float64')
    for result in (backend.OPS.minimum(x * 1.2, bound), backend.OPS.maximum(x, bound),
                   backend.OPS.sign(x), backend.OPS.negative(x),
                   backend.concatenated([x, x]), backend.pieces(backend.concatenated([x, x]),
                                                                [(2,), (1, 2)])[1]):
        assert keras.backend.standardize_dtype(result.dtype) == 'float64'
    assert keras.ops.convert_to_numpy(backend.OPS.minimum(x * 1.2, bound))[0] == 1e-3 * 1.2
    return None
