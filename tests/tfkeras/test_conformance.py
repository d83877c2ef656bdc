"""Every rule of the tf.keras flavour against the NumPy reference, step by
step, in every way this TensorFlow runs a step (harness.MODES)."""
import numpy as np
import pytest
import tensorflow as tf

from harness import MODES, GradientFeeder
from legacy_rprop.tfkeras import VARIANTS, RProp, Rprop
from support.reference import Reference, assert_bits_equal
from support.streams import (HYPER_SETS, SHAPES, STEPS, gradient_stream, initial_weights,
                             loss_stream, poisoned_stream)
from legacy_rprop.core.tensorflow_ops import FLUSHES_SUBNORMALS


def run_against_reference(optimizer, variant, hyper, mode, stream=None, constraints=None,
                          reference_constraints=None, nonfinite='skip', dtype='float32'):
    weights = [w.astype(dtype) for w in initial_weights()]
    feeder = GradientFeeder(optimizer, weights, mode, constraints)
    references = [Reference(variant, w, nonfinite=nonfinite,
                            flush_subnormals=FLUSHES_SUBNORMALS, **hyper) for w in weights]
    grads_per_step, losses = stream or (gradient_stream(SHAPES, STEPS, seed=1),
                                        loss_stream(STEPS, seed=2))
    flips = zeros = 0
    for t, (grads, loss) in enumerate(zip(grads_per_step, losses)):
        grads, loss = [g.astype(dtype) for g in grads], np.dtype(dtype).type(loss)
        with np.errstate(invalid='ignore'):  # the poisoned stream's NaN
            for ref, g in zip(references, grads):
                flips += np.sum(ref.g_prev * g < 0)
                zeros += np.sum(g == 0)
        seen = feeder.step(grads, loss)
        assert seen == loss or (np.isnan(seen) and np.isnan(loss))
        for k, (ref, g) in enumerate(zip(references, grads)):
            ref.update(g, loss)
            if reference_constraints and reference_constraints[k]:
                ref.w = reference_constraints[k](ref.w)
        for k, (got, ref) in enumerate(zip(feeder.weights(), references)):
            assert_bits_equal(got, ref.w, err_msg='%s, %s: parameter %d after step %d'
                              % (variant, mode, k, t + 1))
        for slot in VARIANTS[variant].slots:
            for k, (got, ref) in enumerate(zip(feeder.slots(slot), references)):
                assert_bits_equal(got, ref.state()[slot],
                                  err_msg='%s, %s: %s of parameter %d after step %d'
                                  % (variant, mode, slot, k, t + 1))
        if VARIANTS[variant].uses_loss:
            assert_bits_equal(feeder.prev_loss(), references[0].previous_loss(),
                              err_msg='%s, %s: prev_loss after step %d' % (variant, mode, t + 1))
    # the stream really exercised the interesting cases
    assert flips > 200 and zeros > 200
    return feeder


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('hyper_set', sorted(HYPER_SETS))
@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_every_step_matches_reference(variant, hyper_set, mode):
    hyper = HYPER_SETS[hyper_set]
    feeder = run_against_reference(RProp(variant=variant, **hyper), variant, hyper, mode)
    assert feeder.values([feeder.optimizer.iterations]) == [STEPS]


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_float64_weights_match_the_reference_in_their_own_precision(variant, mode):
    run_against_reference(RProp(variant=variant), variant, {}, mode, dtype='float64')


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_propagate_policy_is_the_same_rule_on_finite_gradients(variant, mode):
    run_against_reference(RProp(variant=variant, nonfinite='propagate'), variant, {}, mode,
                          nonfinite='propagate')


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_skip_policy_matches_reference_with_nonfinite_gradients(variant, mode):
    hyper = dict(init_alpha=0.05)
    run_against_reference(RProp(variant=variant, **hyper), variant, hyper, mode,
                          stream=poisoned_stream())


@pytest.mark.parametrize('mode', MODES)
def test_question_class_is_rprop_plus_under_its_own_names(mode):
    hyper = dict(init_alpha=0.01, scale_up=1.3, scale_down=0.4, min_alpha=1e-4, max_alpha=2.)
    optimizer = Rprop(init_step=0.01, posStep=1.3, negStep=0.4, minStep=1e-4, maxStep=2.)
    run_against_reference(optimizer, 'Rprop+', hyper, mode)


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_constraint_is_applied_after_the_rule(variant, mode):
    hyper = dict(init_alpha=0.05)

    def non_negative(w):
        if mode == 'xla':  # XLA computes Keras' NonNeg, w * (w >= 0), as a select: +0.0
            return np.where(w >= 0, w, w.dtype.type(0))
        return w * (w >= 0)  # a negative weight times 0: -0.0

    run_against_reference(
        RProp(variant=variant, **hyper), variant, hyper, mode,
        constraints=[tf.keras.constraints.NonNeg(), None, None],
        reference_constraints=[non_negative, None, None])


@pytest.mark.parametrize('mode', MODES)
def test_irprop_plus_backtracks_only_when_the_loss_rose(mode):
    """The gradient flips sign twice: the loss rose at the first flip (the
    last move is undone) and fell at the second (no move at all)."""
    feeder = GradientFeeder(RProp(variant='iRprop+', init_alpha=0.1),
                            [np.zeros(2, 'float32')], mode)
    feeder.step([np.float32([1., 1.])], loss=5.)    # move -0.1 each
    feeder.step([np.float32([1., 1.])], loss=4.)    # step 0.12: at -0.22
    feeder.step([np.float32([-1., -1.])], loss=6.)  # rose: undo -0.12
    np.testing.assert_allclose(feeder.weights()[0], [-0.1, -0.1], atol=1e-7)
    feeder.step([np.float32([-1., -1.])], loss=5.)  # g_prev was 0: move +0.06
    np.testing.assert_allclose(feeder.weights()[0], [-0.04, -0.04], atol=1e-7)
    feeder.step([np.float32([1., 1.])], loss=4.)    # fell: no undo, no move
    np.testing.assert_allclose(feeder.weights()[0], [-0.04, -0.04], atol=1e-7)
