"""tf.keras gives the numbers of multi-backend Keras: the same classifier
from the same initial weights, full batch, every variant, against Keras
2.3.1 on TensorFlow 1.15 (support.histories); and a run of Keras 2.3.1 goes
on here from its weights and optimizer state as it went on there."""
import os
import sys

import numpy as np
import pytest

from harness import CURRENT_API
from legacy_rprop.tfkeras import VARIANTS, OptimizerStateError, RProp
from models import classifier, fit_full_batch
from support import histories as reference_histories
from support.classifier_data import data
from support.processes import same_imports
from support.reference import assert_each_bits_equal

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope='module')
def histories():
    own = reference_histories.run_json(sys.executable, os.path.join(HERE, 'loss_history.py'),
                                       same_imports())
    return {'multi-backend': reference_histories.multi_backend(), 'tf.keras': own['histories']}


@pytest.fixture(scope='module')
def multi_backend(histories):
    return histories['multi-backend']


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_tf_keras_agrees_with_keras_2_3_1_on_tf_1_15(histories, variant):
    theirs = np.array(histories['multi-backend']['histories'][variant])
    ours = np.array(histories['tf.keras'][variant])
    assert len(ours) == len(theirs) == reference_histories.EPOCHS
    assert ours[-1] < ours[0] / 5  # it trained, it did not just agree
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=reference_histories.TOLERANCE)


def going_on(variant, weights, state):
    """The classifier with `weights`, its optimizer given `state` per tensor
    (the legacy API makes the state at the first step: one is taken, and
    then the weights and the state are set)."""
    model = classifier(RProp(variant=variant, init_alpha=0.01))
    if CURRENT_API:
        model.optimizer.build(model.trainable_variables)
    else:
        model.train_on_batch(*data())
    model.set_weights(weights)
    if state is not None:
        model.optimizer.set_weights_per_tensor(state)
    return model


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_a_keras_2_3_1_run_goes_on_here_with_its_optimizer_state(multi_backend, variant):
    weights, state, theirs = reference_histories.handed_over(multi_backend, variant)
    model = going_on(variant, weights, state)
    assert_each_bits_equal(model.optimizer.get_weights_per_tensor(), state)
    ours = fit_full_batch(model, len(theirs))
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=reference_histories.TOLERANCE)
    # the state is what keeps the numbers: afresh, they differ
    afresh = fit_full_batch(going_on(variant, weights, None), len(theirs))
    assert np.max(np.abs(np.array(afresh) - theirs)) > 100 * reference_histories.TOLERANCE


def test_state_per_tensor_that_does_not_fit_is_refused_and_nothing_loaded(multi_backend):
    weights, state, _ = reference_histories.handed_over(multi_backend, 'iRprop+')
    model = going_on('iRprop-', weights, None)
    before = model.optimizer.get_weights_per_tensor()
    with pytest.raises(OptimizerStateError, match=r"RProp\(variant='iRprop-'\) cannot take this "
                       r'state per tensor: for this model it is 8 arrays .* but got 9 arrays'):
        model.optimizer.set_weights_per_tensor(state)
    assert_each_bits_equal(model.optimizer.get_weights_per_tensor(), before)
    with pytest.raises(ValueError, match=r'RProp has no state to load into yet: '):
        RProp().set_weights_per_tensor(state[:8])
