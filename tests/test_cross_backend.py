"""Theano and TensorFlow 1.15 give the same loss history from the same
initial weights.  Needs an environment with both backends installed (tox's
crossbackend environment)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from legacy_rprop import VARIANTS

HERE = os.path.dirname(os.path.abspath(__file__))
TOLERANCE = 1e-4

pytestmark = pytest.mark.crossbackend


def loss_histories(backend):
    # the child imports exactly what this process imports
    env = dict(os.environ, KERAS_BACKEND=backend,
               PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    env.pop('LEGACY_RPROP_EXPECT_BACKEND', None)
    output = subprocess.check_output(
        [sys.executable, os.path.join(HERE, 'loss_history.py')], env=env, cwd=HERE)
    result = json.loads(output.decode('utf-8').strip().splitlines()[-1])
    assert result['backend'] == backend
    return result['histories']


@pytest.fixture(scope='module')
def histories():
    return {backend: loss_histories(backend) for backend in ('theano', 'tensorflow')}


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_theano_and_tensorflow_agree(histories, variant):
    theano = np.array(histories['theano'][variant])
    tensorflow = np.array(histories['tensorflow'][variant])
    assert len(theano) == len(tensorflow) == 60
    assert theano[-1] < theano[0] / 5  # it trained, it did not just agree
    np.testing.assert_allclose(theano, tensorflow, rtol=0, atol=TOLERANCE)
