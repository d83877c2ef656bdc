"""Keras 3 gives the numbers of multi-backend Keras: the same classifier
from the same initial weights, full batch, every variant, on this backend
eagerly and compiled, against Keras 2.3.1 on TensorFlow 1.15
(support.histories), within 1e-4; and a run of Keras 2.3.1 goes on here
from its weights and optimizer state as it went on there."""
import numpy as np
import pytest

from harness import MODES, cases
from legacy_rprop.keras3 import VARIANTS, OptimizerStateError, RProp
from support import histories
from support.reference import assert_each_bits_equal
from test_keras_api import classifier, full_batch_losses


@pytest.fixture(scope='module')
def multi_backend():
    return histories.multi_backend()


@pytest.mark.parametrize('variant, mode', cases(sorted(VARIANTS),
                                               representative=lambda v: v == 'iRprop+'))
def test_keras_3_agrees_with_keras_2_3_1_on_tf_1_15(multi_backend, variant, mode):
    ours = np.array(full_batch_losses(classifier(RProp(variant=variant, init_alpha=0.01),
                                                 **MODES[mode]), histories.EPOCHS))
    theirs = np.array(multi_backend['histories'][variant])
    assert ours[-1] < ours[0] / 5  # it trained, it did not just agree
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=histories.TOLERANCE)


def going_on(variant, weights, state, mode='eager'):
    """The classifier with `weights`, its optimizer given `state` per tensor."""
    model = classifier(RProp(variant=variant, init_alpha=0.01), **MODES[mode])
    model.set_weights(weights)
    model.optimizer.build(model.trainable_variables)
    if state is not None:
        model.optimizer.set_weights_per_tensor(state)
    return model


@pytest.mark.parametrize('variant, mode', cases(sorted(VARIANTS),
                                               representative=lambda v: v == 'iRprop+'))
def test_a_keras_2_3_1_run_goes_on_here_with_its_optimizer_state(multi_backend, variant, mode):
    weights, state, theirs = histories.handed_over(multi_backend, variant)
    model = going_on(variant, weights, state, mode)
    assert_each_bits_equal(model.optimizer.get_weights_per_tensor(), state)
    ours = full_batch_losses(model, len(theirs))
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=histories.TOLERANCE)
    if mode == 'eager':  # the state is what keeps the numbers: afresh, they differ
        afresh = full_batch_losses(going_on(variant, weights, None), len(theirs))
        assert np.max(np.abs(np.array(afresh) - theirs)) > 100 * histories.TOLERANCE


def test_state_per_tensor_that_does_not_fit_is_refused_and_nothing_loaded(multi_backend):
    weights, state, _ = histories.handed_over(multi_backend, 'iRprop+')
    model = going_on('iRprop-', weights, None)
    before = model.optimizer.get_weights_per_tensor()
    with pytest.raises(OptimizerStateError, match=r"RProp\(variant='iRprop-'\) cannot take this "
                       r'state per tensor: for this model it is 8 arrays .* but got 9 arrays'):
        model.optimizer.set_weights_per_tensor(state)
    assert_each_bits_equal(model.optimizer.get_weights_per_tensor(), before)
    with pytest.raises(ValueError, match=r'RProp has no state to load into yet: build it with '
                       r'optimizer.build\(model.trainable_variables\)'):
        RProp().set_weights_per_tensor(state[:4])
