"""Every rule against the NumPy reference, step by step, on this backend."""
import numpy as np
import pytest
from keras.constraints import NonNeg

from harness import GradientFeeder
from legacy_rprop import VARIANTS, RProp, Rprop
from legacy_rprop.keras2.backend import FLUSHES_SUBNORMALS
from support.reference import Reference, assert_bits_equal, state_per_tensor
from support.streams import HYPER_SETS, SHAPES, STEPS, gradient_stream, initial_weights, loss_stream


def assert_state_is_the_reference_s(optimizer, references, label):
    """Every array of the optimizer's state, prev_loss included, bit for bit."""
    state, expected = optimizer.get_weights_per_tensor(), state_per_tensor(references)
    assert len(state) == len(expected), label
    for k, (got, want) in enumerate(zip(state, expected)):
        assert_bits_equal(got, want, err_msg='%s: state %d' % (label, k))


def run_against_reference(optimizer, variant, hyper, constraints=None,
                          reference_constraints=None):
    weights = initial_weights()
    feeder = GradientFeeder(optimizer, weights, constraints)
    references = [Reference(variant, w, flush_subnormals=FLUSHES_SUBNORMALS, **hyper)
                  for w in weights]
    grads_per_step = gradient_stream(SHAPES, STEPS, seed=1)
    losses = loss_stream(STEPS, seed=2)
    flips = zeros = 0
    for t, (grads, loss) in enumerate(zip(grads_per_step, losses)):
        for ref, g in zip(references, grads):
            flips += np.sum(ref.g_prev * g < 0)
            zeros += np.sum(g == 0)
        assert feeder.step(grads, loss) == loss
        for k, (ref, g) in enumerate(zip(references, grads)):
            ref.update(g, loss)
            if reference_constraints and reference_constraints[k]:
                ref.w = reference_constraints[k](ref.w)
        for k, (got, ref) in enumerate(zip(feeder.weights(), references)):
            assert_bits_equal(got, ref.w,
                              err_msg='%s: parameter %d after step %d' % (variant, k, t + 1))
        assert_state_is_the_reference_s(optimizer, references,
                                        '%s after step %d' % (variant, t + 1))
    # the stream really exercised the interesting cases
    assert flips > 200 and zeros > 200


@pytest.mark.parametrize('hyper_set', sorted(HYPER_SETS))
@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_every_step_matches_reference(variant, hyper_set):
    hyper = HYPER_SETS[hyper_set]
    run_against_reference(RProp(variant=variant, **hyper), variant, hyper)


def test_question_class_is_rprop_plus_under_its_own_names():
    hyper = dict(init_alpha=0.01, scale_up=1.3, scale_down=0.4,
                 min_alpha=1e-4, max_alpha=2.)
    optimizer = Rprop(init_step=0.01, posStep=1.3, negStep=0.4,
                      minStep=1e-4, maxStep=2.)
    run_against_reference(optimizer, 'Rprop+', hyper)


def test_irprop_plus_backtracks_only_when_the_loss_rose():
    """The gradient flips sign twice: the loss rose at the first flip (the
    last move is undone) and fell at the second (no move at all)."""
    feeder = GradientFeeder(RProp(variant='iRprop+', init_alpha=0.1),
                            [np.zeros(2, 'float32')])
    feeder.step([np.float32([1., 1.])], loss=5.)    # move -0.1 each
    feeder.step([np.float32([1., 1.])], loss=4.)    # step 0.12: at -0.22
    feeder.step([np.float32([-1., -1.])], loss=6.)  # rose: undo -0.12
    np.testing.assert_allclose(feeder.weights()[0], [-0.1, -0.1], atol=1e-7)
    feeder.step([np.float32([-1., -1.])], loss=5.)  # g_prev was 0: move +0.06
    np.testing.assert_allclose(feeder.weights()[0], [-0.04, -0.04], atol=1e-7)
    feeder.step([np.float32([1., 1.])], loss=4.)    # fell: no undo, no move
    np.testing.assert_allclose(feeder.weights()[0], [-0.04, -0.04], atol=1e-7)
    feeder.step([np.float32([1., 1.])], loss=4.)    # g_prev was 0: move -0.03
    feeder.step([np.float32([-1., -1.])], loss=4.)  # equal loss, not a rise: no undo
    np.testing.assert_allclose(feeder.weights()[0], [-0.07, -0.07], atol=1e-7)


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_tiny_gradients_adapt_the_step_size_as_any_others(variant, dtype):
    """Rprop ignores the gradient's magnitude: two gradients whose product
    underflows (to a subnormal number, which TensorFlow flushes to 0, or to
    0 itself) still keep or flip their sign.  'keras-answer' tests the
    product, as the answer did, and the reference says what that gives."""
    tiny = np.finfo(dtype).tiny
    magnitudes = np.array([tiny ** 0.5 * 1e-2, tiny * 1e3, 1e-20, 1.], dtype)
    signs = [1., 1., -1., -1., 1., 1.]
    feeder = GradientFeeder(RProp(variant=variant, init_alpha=0.01),
                            [np.zeros(len(magnitudes), dtype)])
    reference = Reference(variant, np.zeros(len(magnitudes), dtype), init_alpha=0.01,
                          flush_subnormals=FLUSHES_SUBNORMALS)
    for t, sign in enumerate(signs):
        feeder.step([sign * magnitudes], loss=float(t % 2))
        reference.update(sign * magnitudes, np.dtype(dtype).type(t % 2))
        assert_bits_equal(feeder.weights()[0], reference.w, err_msg='step %d' % (t + 1))
        assert_state_is_the_reference_s(feeder.optimizer, [reference], 'step %d' % (t + 1))
    if variant != 'keras-answer':  # every element adapted as the unit gradient did
        step_sizes = feeder.optimizer.get_weights_per_tensor()[0]
        assert_bits_equal(step_sizes, np.full(len(magnitudes), step_sizes[-1], dtype))


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_constraint_is_applied_after_the_rule(variant):
    hyper = dict(init_alpha=0.05)
    run_against_reference(
        RProp(variant=variant, **hyper), variant, hyper,
        constraints=[NonNeg(), None, None],
        reference_constraints=[lambda w: w * (w >= 0), None, None])


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_propagate_policy_is_the_same_rule_on_finite_gradients(variant):
    run_against_reference(RProp(variant=variant, nonfinite='propagate'), variant, {})


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_weights_of_two_dtypes_each_match_the_reference_in_their_own_precision(variant):
    """The state is one vector per slot and dtype: float32 and float64
    weights in one model keep their precision, bit for bit."""
    from keras import backend as K
    from harness import in_keras_graph
    rng = np.random.RandomState(7)
    dtypes = ['float32', 'float64', 'float32']
    shapes = [(3, 2), (4,), (2,)]
    initial = [rng.normal(size=s).astype(d) for s, d in zip(shapes, dtypes)]
    optimizer = RProp(variant=variant, init_alpha=0.01)
    with in_keras_graph():
        params = [K.variable(w, dtype=d) for w, d in zip(initial, dtypes)]
        grads = [K.placeholder(shape=s, dtype=d) for s, d in zip(shapes, dtypes)]
        loss_value = K.placeholder(shape=(), dtype='float32')
        terms = [K.sum(p * g) for p, g in zip(params, grads)]
        linear = sum(K.cast(t - K.stop_gradient(t), 'float32') for t in terms)
        step = K.function(grads + [loss_value], [linear + loss_value],
                          updates=optimizer.get_updates(loss=linear + loss_value,
                                                        params=params))
    references = [Reference(variant, w, init_alpha=0.01, flush_subnormals=FLUSHES_SUBNORMALS)
                  for w in initial]
    stream = gradient_stream(shapes, STEPS, seed=8)
    for t, (grads_now, loss) in enumerate(zip(stream, loss_stream(STEPS, seed=9))):
        grads_now = [g.astype(d) for g, d in zip(grads_now, dtypes)]
        step(grads_now + [np.float32(loss)])
        for ref, g in zip(references, grads_now):
            ref.update(g, np.float32(loss))
        for k, (got, ref) in enumerate(zip(K.batch_get_value(params), references)):
            assert_bits_equal(got, ref.w, err_msg='weight %d, step %d' % (k, t + 1))
    names = [w.name.rsplit('/', 1)[-1].split(':')[0] for w in optimizer.weights]
    assert names[:2] == ['step_size_float32', 'step_size_float64']
    state = optimizer.get_weights_per_tensor()
    expected = state_per_tensor(references)
    if variant == 'iRprop+':  # the loss is float32, whichever dtype the weights have
        expected[-1] = np.float32(expected[-1])
    assert len(state) == len(expected)
    for got, want in zip(state, expected):
        assert_bits_equal(got, want)
