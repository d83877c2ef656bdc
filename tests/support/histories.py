"""The full-batch loss history of every variant on the test classifier under
multi-backend Keras 2.3.1 on TensorFlow 1.15, and each run's weights and
optimizer state halfway: the numbers every other flavour is compared with,
and the runs every other flavour goes on from.  tests/keras2/loss_history.py
run by that stack's interpreter (tox's py37-tensorflow environment, which
`make test` builds first: LEGACY_RPROP_MULTI_BACKEND_PYTHON)."""
import json
import os
import subprocess

import numpy as np

from support.processes import TESTS, own_stack

EPOCHS = 60
TOLERANCE = 1e-4


def run_json(python, script, env):
    """Run `script` with `python`; the JSON it printed last."""
    output = subprocess.check_output([python, script], env=env, cwd=os.path.dirname(script))
    return json.loads(output.decode('utf-8').strip().splitlines()[-1])


def multi_backend():
    python = os.environ.get('LEGACY_RPROP_MULTI_BACKEND_PYTHON', '')
    assert os.path.exists(python), (
        'LEGACY_RPROP_MULTI_BACKEND_PYTHON=%r is not an interpreter: build tox -e '
        'py37-tensorflow first (tox run -e py37-tensorflow --notest)' % python)
    result = run_json(python, os.path.join(TESTS, 'keras2', 'loss_history.py'),
                      own_stack(KERAS_BACKEND='tensorflow'))
    assert result['keras'] == '2.3.1' and result['backend'] == 'tensorflow'
    return result


def handed_over(result, variant, dtype='float32'):
    """From `multi_backend()`'s `result`: the model weights and the
    optimizer state per tensor of `variant`'s run after its first
    ``handover_epoch`` epochs, and the losses of its other epochs."""
    given = result['handover'][variant]
    arrays = [[np.asarray(a, dtype=dtype) for a in given[key]] for key in ('weights', 'state')]
    return arrays[0], arrays[1], result['histories'][variant][result['handover_epoch']:]
