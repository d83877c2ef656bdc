"""The same run gives the same numbers across backends and Keras versions.

Needs an environment with both backends of Keras 2.3.1 installed (tox's
py37-crossbackend) and, for the comparisons with an older Keras, that older
stack's tox environment (LEGACY_RPROP_OTHER_STACK, Keras 2.2.4 on TensorFlow
1.13; tox builds it before this one).
"""
import json
import os
import subprocess
import sys

import h5py
import keras
import numpy as np
import pytest

from keras1_era_optimizers import CORPUS
from legacy_rprop import VARIANTS
from models import fit_full_batch
from support.processes import own_stack, same_imports
from support.reference import assert_bits_equal

HERE = os.path.dirname(os.path.abspath(__file__))
TOLERANCE = 1e-4

pytestmark = pytest.mark.crossbackend


def run_json(script, args=(), backend='tensorflow', python=None):
    """Run a script of this folder and return the JSON it printed last.

    With `python` None, the child imports exactly what this process imports;
    otherwise it runs on that interpreter's own stack."""
    env = (same_imports if python is None else own_stack)(KERAS_BACKEND=backend)
    env.pop('LEGACY_RPROP_EXPECT_BACKEND', None)
    python = python or sys.executable
    output = subprocess.check_output(
        [python, os.path.join(HERE, script)] + list(args), env=env, cwd=HERE)
    return json.loads(output.decode('utf-8').strip().splitlines()[-1])


def other_stack_python():
    """The interpreter of the older stack's tox environment."""
    root = os.environ.get('LEGACY_RPROP_OTHER_STACK')
    python = os.path.join(root or '', 'bin', 'python')
    assert root and os.path.exists(python), (
        'LEGACY_RPROP_OTHER_STACK=%r has no bin/python: build that environment '
        'first (tox -e py37-keras224-tf113)' % root)
    return python


def loss_histories(backend, python=None):
    result = run_json('loss_history.py', backend=backend, python=python)
    assert result['backend'] == backend
    return result


@pytest.fixture(scope='module')
def histories():
    return {'theano': loss_histories('theano'),
            'tensorflow': loss_histories('tensorflow'),
            'keras 2.2.4': loss_histories('tensorflow', other_stack_python())}


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_theano_and_tensorflow_agree(histories, variant):
    theano = np.array(histories['theano']['histories'][variant])
    tensorflow = np.array(histories['tensorflow']['histories'][variant])
    assert len(theano) == len(tensorflow) == 60
    assert theano[-1] < theano[0] / 5  # it trained, it did not just agree
    np.testing.assert_allclose(theano, tensorflow, rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_keras_2_2_4_on_tf_1_13_agrees_with_keras_2_3_1_on_tf_1_15(histories, variant):
    assert histories['keras 2.2.4']['keras'] == '2.2.4'
    assert histories['tensorflow']['keras'] == '2.3.1'
    old = np.array(histories['keras 2.2.4']['histories'][variant])
    new = np.array(histories['tensorflow']['histories'][variant])
    assert len(old) == len(new) == 60
    assert old[-1] < old[0] / 5
    np.testing.assert_allclose(old, new, rtol=0, atol=TOLERANCE)


def test_a_model_saved_on_keras_2_2_4_loads_and_trains_on_under_2_3_1(tmp_path):
    path = str(tmp_path / 'saved_on_2.2.4.h5')
    old = run_json('save_and_train_on.py', [path], python=other_stack_python())
    assert old['keras'] == '2.2.4'
    with h5py.File(path, 'r') as f:
        group = f['optimizer_weights']
        names = [n.decode('utf8') if isinstance(n, bytes) else n
                 for n in group.attrs['weight_names']]
        saved_state = [np.array(group[n]) for n in names]

    model = keras.models.load_model(path)  # no custom_objects: registered
    assert model.optimizer.get_config()['variant'] == 'iRprop+'
    loaded_state = model.optimizer.get_weights()
    assert len(loaded_state) == len(saved_state) == 2 + 1
    for saved, loaded in zip(saved_state, loaded_state):
        assert_bits_equal(saved, loaded)  # the state
    history = fit_full_batch(model, len(old['history']))
    np.testing.assert_allclose(history, old['history'], rtol=0, atol=TOLERANCE)
    for new, was in zip(model.get_weights(), old['weights']):
        np.testing.assert_allclose(new, np.array(was, dtype='float32'), rtol=0, atol=1e-4)


@pytest.fixture(scope='module')
def compat_histories():
    return {backend: run_json('compat_histories.py', backend=backend)['histories']
            for backend in ('theano', 'tensorflow')}


# COCOB divides by L * max(G + L, alpha * L), which amplifies the backends'
# last-bit differences (seen: 8.5e-6 after 17 epochs)
CORPUS_TOLERANCE = {'COCOB': 1e-4}


@pytest.mark.parametrize('name', sorted(CORPUS))
def test_keras1_era_optimizers_agree_on_theano_and_tensorflow(compat_histories, name):
    theano = np.array(compat_histories['theano'][name])
    tensorflow = np.array(compat_histories['tensorflow'][name])
    assert len(theano) == len(tensorflow) == 30
    assert theano[-1] < 0.9 * theano[0]
    np.testing.assert_allclose(theano, tensorflow, rtol=0,
                               atol=CORPUS_TOLERANCE.get(name, 1e-6))


@pytest.mark.parametrize('name', ['Nadam', 'Adamax'])
def test_keras_1_2_2_style_optimizers_match_keras_builtins_on_theano(compat_histories, name):
    ours = np.array(compat_histories['theano'][name + '1'])
    keras_own = np.array(compat_histories['theano']['keras.' + name])
    assert ours[-1] < 0.9 * ours[0]
    np.testing.assert_allclose(ours, keras_own, rtol=0, atol=1e-6)
