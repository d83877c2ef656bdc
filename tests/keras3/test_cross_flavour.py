"""Keras 3 gives the numbers of multi-backend Keras: the same classifier
from the same initial weights, full batch, every variant, on this backend
eagerly and compiled, against Keras 2.3.1 on TensorFlow 1.15
(support.histories), within 1e-4."""
import numpy as np
import pytest

from harness import MODES, cases
from legacy_rprop.keras3 import VARIANTS, RProp
from support import histories
from test_keras_api import classifier, full_batch_losses


@pytest.fixture(scope='module')
def multi_backend():
    return histories.multi_backend()


@pytest.mark.parametrize('variant, mode', cases(sorted(VARIANTS),
                                               representative=lambda v: v == 'iRprop+'))
def test_keras_3_agrees_with_keras_2_3_1_on_tf_1_15(multi_backend, variant, mode):
    ours = np.array(full_batch_losses(classifier(RProp(variant=variant, init_alpha=0.01),
                                                 **MODES[mode]), histories.EPOCHS))
    theirs = np.array(multi_backend[variant])
    assert ours[-1] < ours[0] / 5  # it trained, it did not just agree
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=histories.TOLERANCE)
