"""tf.keras gives the numbers of multi-backend Keras: the same classifier
from the same initial weights, full batch, every variant, against Keras
2.3.1 on TensorFlow 1.15 (support.histories)."""
import os
import sys

import numpy as np
import pytest

from legacy_rprop.tfkeras import VARIANTS
from support import histories as reference_histories
from support.processes import same_imports

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope='module')
def histories():
    own = reference_histories.run_json(sys.executable, os.path.join(HERE, 'loss_history.py'),
                                       same_imports())
    return {'multi-backend': reference_histories.multi_backend(), 'tf.keras': own['histories']}


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_tf_keras_agrees_with_keras_2_3_1_on_tf_1_15(histories, variant):
    theirs = np.array(histories['multi-backend'][variant])
    ours = np.array(histories['tf.keras'][variant])
    assert len(ours) == len(theirs) == reference_histories.EPOCHS
    assert ours[-1] < ours[0] / 5  # it trained, it did not just agree
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=reference_histories.TOLERANCE)
