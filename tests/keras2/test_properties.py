"""Property-based tests: random shapes, hyper-parameters and gradient streams
against the NumPy reference, on this backend, in float32 and float64."""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from keras import backend as K

from harness import GradientFeeder
from legacy_rprop import VARIANTS, RProp
from support.reference import Reference, assert_bits_equal

MAX_ELEMENTS = 3000
# |g| within 10**(-15 .. 15), so that g * g_prev stays a normal float32
# (TensorFlow flushes subnormal numbers to zero, NumPy does not)
LOG_MAGNITUDE = 15

shapes = st.integers(0, 4).flatmap(
    lambda ndim: st.lists(st.integers(1, 3000 if ndim == 1 else 55 if ndim == 2
                                      else 14 if ndim == 3 else 7),
                          min_size=ndim, max_size=ndim)).map(tuple)


@st.composite
def hyperparameters(draw):
    log_min = draw(st.floats(-8, -1))
    log_max = log_min + draw(st.floats(0, 6))
    # D_0 mostly within the bounds, sometimes outside (used as given)
    return dict(min_alpha=10 ** log_min, max_alpha=10 ** log_max,
                init_alpha=10 ** draw(st.floats(log_min - 2, log_max + 2)),
                scale_up=1 + 10 ** draw(st.floats(-3, 0.5)),
                scale_down=draw(st.floats(0.01, 0.99)))


@st.composite
def streams(draw, shape):
    """Gradients with zeros, sign flips and magnitudes from tiny to huge, and
    losses that rise and fall; generated from a drawn seed."""
    steps = draw(st.integers(2, 12))
    zero_fraction = draw(st.sampled_from([0., 0.1, 0.5, 1.]))
    flip_fraction = draw(st.sampled_from([0., 0.3, 0.7, 1.]))
    rng = np.random.RandomState(draw(st.integers(0, 2 ** 31 - 1)))
    signs = rng.choice([-1., 1.], size=shape)
    grads, losses = [], []
    for _ in range(steps):
        signs = np.where(rng.uniform(size=shape) < flip_fraction, -signs, signs)
        magnitude = 10. ** rng.uniform(-LOG_MAGNITUDE, LOG_MAGNITUDE, size=shape)
        zero = rng.uniform(size=shape) < zero_fraction
        grads.append(np.where(zero, 0., signs * magnitude))
        losses.append(rng.uniform(0, 10))
    return grads, losses


@st.composite
def cases(draw):
    shape = draw(shapes.filter(lambda s: int(np.prod(s)) <= MAX_ELEMENTS))
    return (shape, draw(st.sampled_from(['float32', 'float64'])),
            draw(hyperparameters()), draw(streams(shape)))


@pytest.mark.parametrize('variant', sorted(VARIANTS))
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=cases())
def test_every_variant_equals_the_reference_on_random_cases(variant, case):
    shape, dtype, hyper, (grads, losses) = case
    if hasattr(K, 'clear_session'):
        K.clear_session()
    K.set_floatx(dtype)
    try:
        w0 = np.random.RandomState(0).normal(size=shape).astype(dtype)
        optimizer = RProp(variant=variant, **hyper)
        feeder = GradientFeeder(optimizer, [w0])
        reference = Reference(variant, w0, **hyper)
        for t, (g, loss) in enumerate(zip(grads, losses)):
            g = g.astype(dtype)
            feeder.step([g], loss)
            reference.update(g, reference.dtype.type(loss))
            got = feeder.weights()[0]
            assert got.dtype == np.dtype(dtype)
            # bit for bit: the same float operations in the same order
            assert_bits_equal(got, reference.w, err_msg='step %d' % (t + 1))
            step = optimizer.get_weights_per_tensor()[0]
            assert_bits_equal(step, reference.step, err_msg='step %d' % (t + 1))
    finally:
        K.set_floatx('float32')


ARGUMENTS = ('init_alpha', 'scale_up', 'scale_down', 'min_alpha', 'max_alpha')
any_number = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                       st.integers(-10, 10), st.sampled_from([0., 1., 1e-6, 50.]))


def documented_problems(values):
    """The arguments the README says are invalid for these values."""
    if any(isinstance(v, float) and not math.isfinite(v) for v in values.values()):
        return {k for k, v in values.items() if not math.isfinite(v)}
    v = values
    problems = set()
    if v['init_alpha'] <= 0:
        problems.add('init_alpha')
    if v['scale_up'] <= 1:
        problems.add('scale_up')
    if not 0 < v['scale_down'] < 1:
        problems.add('scale_down')
    if v['min_alpha'] <= 0:
        problems.add('min_alpha')
    if v['max_alpha'] < v['min_alpha']:
        problems.add('max_alpha')
    return problems


@settings(max_examples=300, deadline=None, derandomize=True)
@given(values=st.fixed_dictionaries({name: any_number for name in ARGUMENTS}))
def test_invalid_hyperparameters_always_give_the_documented_error(values):
    problems = documented_problems(values)
    if not problems:
        RProp(**values)
        return
    with pytest.raises(ValueError) as error:
        RProp(**values)
    message = str(error.value)
    named = message.split(' ', 1)[0]
    assert named in problems, (values, message)
    assert ' must ' in message and ', got ' in message
