"""tf.keras gives the numbers of multi-backend Keras: the same classifier
from the same initial weights, full batch, every variant, against Keras
2.3.1 on TensorFlow 1.15 (the interpreter of tox's py37-tensorflow
environment, LEGACY_RPROP_MULTI_BACKEND_PYTHON; tox builds it first)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from legacy_rprop.tfkeras import VARIANTS
from support.processes import own_stack, same_imports

HERE = os.path.dirname(os.path.abspath(__file__))
MULTI_BACKEND_TESTS = os.path.join(HERE, os.pardir, 'keras2')
TOLERANCE = 1e-4


def run_json(python, script, env):
    output = subprocess.check_output([python, script], env=env, cwd=os.path.dirname(script))
    return json.loads(output.decode('utf-8').strip().splitlines()[-1])


@pytest.fixture(scope='module')
def histories():
    python = os.environ.get('LEGACY_RPROP_MULTI_BACKEND_PYTHON', '')
    assert os.path.exists(python), (
        'LEGACY_RPROP_MULTI_BACKEND_PYTHON=%r is not an interpreter: build tox -e '
        'py37-tensorflow first' % python)
    multi_backend = run_json(python, os.path.join(MULTI_BACKEND_TESTS, 'loss_history.py'),
                             own_stack(KERAS_BACKEND='tensorflow'))
    own = run_json(sys.executable, os.path.join(HERE, 'loss_history.py'), same_imports())
    return {'multi-backend': multi_backend, 'tf.keras': own}


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_tf_keras_agrees_with_keras_2_3_1_on_tf_1_15(histories, variant):
    assert histories['multi-backend']['keras'] == '2.3.1'
    assert histories['multi-backend']['backend'] == 'tensorflow'
    theirs = np.array(histories['multi-backend']['histories'][variant])
    ours = np.array(histories['tf.keras']['histories'][variant])
    assert len(ours) == len(theirs) == 60
    assert ours[-1] < ours[0] / 5  # it trained, it did not just agree
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=TOLERANCE)
