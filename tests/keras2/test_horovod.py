"""Rprop across processes with Horovod (Gloo, two workers on this machine):
tox's py37-horovod environment only (Horovod built against TF 1.15)."""
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from keras import backend as K

from legacy_rprop import VARIANTS, RProp
from models import classifier, fit_full_batch
from support import zoo
from support.processes import same_imports
from support.reference import assert_bits_equal

pytestmark = pytest.mark.horovod
HERE = os.path.dirname(os.path.abspath(__file__))
EPOCHS = 20


def horovodrun(*args):
    """``horovodrun --gloo -np 2 -H localhost:2 python horovod_job.py ...``;
    returns the exit code."""
    horovodrun = os.path.join(os.path.dirname(sys.executable), 'horovodrun')
    return subprocess.call(
        [horovodrun, '--gloo', '-np', '2', '-H', 'localhost:2', sys.executable,
         os.path.join(HERE, 'horovod_job.py')] + [str(a) for a in args],
        env=same_imports(), cwd=HERE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def one_process(model_name, variant):
    """The model trained by one process on all the data."""
    optimizer = RProp(variant=variant, init_alpha=0.01)
    if model_name == 'classifier':
        model = classifier(optimizer)
        losses = fit_full_batch(model, EPOCHS)
    else:
        model, compile_kwargs, x, y = zoo.build(keras, 'embedding-pooling', 'float32')
        model.compile(optimizer, **compile_kwargs)
        losses = model.fit(x, y, batch_size=len(x), epochs=EPOCHS, shuffle=False,
                           verbose=0).history['loss']
    assert losses[-1] < 0.9 * losses[0]
    return model


@pytest.mark.parametrize('model_name', ['classifier', 'embedding'])
def test_two_workers_on_half_the_data_each_make_the_steps_of_one_process(model_name,
                                                                          workers):
    """The embedding's gradient is sparse: Horovod gathers its rows from the
    workers, and the optimizer makes the dense gradient they stand for."""
    for variant in sorted(VARIANTS):
        K.clear_session()
        model = one_process(model_name, variant)
        result = workers['%s %s' % (model_name, variant)]
        for got, want in zip(result['weights'], model.get_weights()):
            np.testing.assert_allclose(np.array(got, 'float32'), want, rtol=1e-6, atol=1e-7,
                                       err_msg=variant)
        state = model.optimizer.get_weights_per_tensor()
        for got, want in zip(result['step_sizes'], state[:len(model.trainable_weights)]):
            assert_bits_equal(np.array(got, 'float32'), want, err_msg=variant)
        if variant == 'iRprop+':  # the loss it compares is that of all the data
            np.testing.assert_allclose(result['last_state'], state[-1], rtol=1e-6)


@pytest.fixture(scope='module')
def workers(tmp_path_factory):
    """What two workers on half the data each ended with (horovod_job.py)."""
    out = str(tmp_path_factory.mktemp('horovod') / 'two_workers.json')
    assert horovodrun('compare', out, EPOCHS) == 0
    with open(out) as f:
        return json.load(f)


def test_a_killed_worker_leaves_checkpoints_that_resume_exactly(tmp_path):
    """iRprop+ for 12 epochs, rank 0 checkpointing every epoch: once
    straight through, once with rank 1 killed (SIGKILL) after epoch 7 and the
    job started again, resuming from the newest checkpoint that reads."""
    straight, killed = tmp_path / 'straight', tmp_path / 'killed'
    straight.mkdir()
    killed.mkdir()
    assert horovodrun('checkpoint', straight, 12) == 0
    assert horovodrun('checkpoint', killed, 12, 7) != 0
    assert not (killed / 'final.json').exists()
    assert len(list(killed.glob('ckpt-*.h5'))) >= 6
    assert horovodrun('checkpoint', killed, 12) == 0
    with open(str(straight / 'final.json')) as f, open(str(killed / 'final.json')) as g:
        assert json.load(f) == json.load(g)


def test_the_horovod_example_trains_and_resumes(tmp_path):
    example = os.path.join(HERE, os.pardir, os.pardir, 'examples', 'horovod_train.py')
    horovodrun = os.path.join(os.path.dirname(sys.executable), 'horovodrun')
    env = same_imports()
    outputs = []
    for epochs in (10, 20):  # the second run resumes after epoch 10
        outputs.append(subprocess.check_output(
            [horovodrun, '--gloo', '-np', '2', '-H', 'localhost:2', sys.executable, example,
             '--epochs', str(epochs), '--dir', str(tmp_path)],
            env=env, stderr=subprocess.DEVNULL).decode('utf-8'))
    assert '2 workers, epochs 1-10: loss' in outputs[0]
    assert '2 workers, epochs 11-20: loss' in outputs[1]
    assert len(list(tmp_path.glob('ckpt-*.h5'))) == 20
