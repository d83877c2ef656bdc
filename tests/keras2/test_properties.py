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
from legacy_rprop.keras2.backend import FLUSHES_SUBNORMALS
from support.reference import Reference, assert_bits_equal, state_per_tensor

MAX_ELEMENTS = 3000

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


def magnitudes(rng, shape, dtype):
    """Magnitudes across the whole range of `dtype`, log-uniform from its
    smallest subnormal number to its largest number."""
    info = np.finfo(dtype)
    smallest = np.log10(info.tiny * info.eps)  # the smallest subnormal
    return (10. ** rng.uniform(smallest, np.log10(info.max), size=shape)).astype(dtype)


@st.composite
def streams(draw, shape, dtype):
    """Gradients with zeros of both signs, sign flips and magnitudes over the
    whole float range (subnormal ones too), and losses that rise, fall and
    repeat; generated from a drawn seed."""
    steps = draw(st.integers(2, 12))
    zero_fraction = draw(st.sampled_from([0., 0.1, 0.5, 1.]))
    flip_fraction = draw(st.sampled_from([0., 0.3, 0.7, 1.]))
    rng = np.random.RandomState(draw(st.integers(0, 2 ** 31 - 1)))
    signs = rng.choice([-1., 1.], size=shape).astype(dtype)
    grads, losses = [], []
    for _ in range(steps):
        signs = np.where(rng.uniform(size=shape) < flip_fraction, -signs, signs)
        zero = rng.uniform(size=shape) < zero_fraction
        grads.append(signs * np.where(zero, 0., magnitudes(rng, shape, dtype)))
        losses.append(losses[-1] if losses and rng.uniform() < 0.2 else rng.uniform(0, 10))
    return grads, losses


@st.composite
def cases(draw):
    shape = draw(shapes.filter(lambda s: int(np.prod(s)) <= MAX_ELEMENTS))
    dtype = draw(st.sampled_from(['float32', 'float64']))
    return shape, dtype, draw(hyperparameters()), draw(streams(shape, dtype))


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
        reference = Reference(variant, w0, flush_subnormals=FLUSHES_SUBNORMALS, **hyper)
        for t, (g, loss) in enumerate(zip(grads, losses)):
            feeder.step([g], loss)
            reference.update(feeder.delivered[0], reference.dtype.type(loss))
            # bit for bit: the same float operations in the same order
            assert_bits_equal(feeder.weights()[0], reference.w, err_msg='step %d' % (t + 1))
            state = optimizer.get_weights_per_tensor()
            expected = state_per_tensor([reference])
            assert len(state) == len(expected)
            for k, (got, want) in enumerate(zip(state, expected)):
                assert_bits_equal(got, want, err_msg='state %d, step %d' % (k, t + 1))
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
