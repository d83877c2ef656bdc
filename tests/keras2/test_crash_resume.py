"""Kill a checkpointed run with SIGKILL, resume it, and get the weights of an
uninterrupted run, bit for bit, on this backend."""
import glob
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
from keras.callbacks import ModelCheckpoint
from keras.layers import Dense, Layer
from keras.models import Sequential

from support.reference import assert_bits_equal
from support.processes import same_imports

HERE = os.path.dirname(os.path.abspath(__file__))
EPOCHS = 300
KILL_AFTER = 100


def job(mode, out_dir, **popen):
    return subprocess.Popen([sys.executable, os.path.join(HERE, 'crash_resume_job.py'),
                             mode, out_dir, str(EPOCHS)],
                            env=same_imports(), cwd=HERE, stdout=subprocess.PIPE, **popen)


def finish(process):
    out, _ = process.communicate()
    assert process.returncode == 0
    return out.decode('utf-8')


def final_arrays(out_dir):
    with np.load(os.path.join(out_dir, 'final.npz')) as f:
        return [f['arr_%d' % i] for i in range(len(f.files))]


def test_killed_run_resumes_to_the_weights_of_an_uninterrupted_run(tmp_path):
    straight, crashed = str(tmp_path / 'straight'), str(tmp_path / 'crashed')
    os.makedirs(straight)
    os.makedirs(crashed)
    uninterrupted = job('train', straight, stderr=subprocess.DEVNULL)

    victim = job('train', crashed, stderr=subprocess.DEVNULL)
    for line in victim.stdout:
        if line.decode('utf-8').strip() == 'epoch %d' % KILL_AFTER:
            victim.send_signal(signal.SIGKILL)
            break
    victim.wait()
    assert victim.returncode == -signal.SIGKILL
    assert not os.path.exists(os.path.join(crashed, 'final.npz'))

    out = finish(job('resume', crashed, stderr=subprocess.DEVNULL))
    resumed_after = int(out.splitlines()[0].split()[-1])
    assert KILL_AFTER <= resumed_after < EPOCHS, 'the kill did not land mid-run'
    assert out.splitlines()[-1] == 'epoch %d' % EPOCHS

    finish(uninterrupted)
    expected, got = final_arrays(straight), final_arrays(crashed)
    assert len(got) == len(expected) == 4 + 2 + 1  # weights + iRprop+ state
    for a, b in zip(expected, got):
        assert_bits_equal(a, b)


TORN_HDF5 = b'\x89HDF\r\n\x1a\n' + b'\0' * 100  # a file killed while being written


def checkpointed_fit(model, x, y, epochs, out_dir):
    """Fit full batch with Keras' own ModelCheckpoint (which names the files
    as the installed Keras does); return the newest file."""
    pattern = os.path.join(str(out_dir), 'ckpt-{epoch:04d}.h5')
    model.fit(x, y, batch_size=len(x), epochs=epochs, shuffle=False, verbose=0,
              callbacks=[ModelCheckpoint(pattern)])
    return sorted(glob.glob(os.path.join(str(out_dir), 'ckpt-*.h5')))[-1]


def test_a_torn_checkpoint_is_skipped_for_the_one_before(tmp_path):
    from legacy_rprop import load_latest_checkpoint
    from models import classifier, data
    from legacy_rprop import RProp
    model = classifier(RProp(variant='Rprop+'))
    newest = checkpointed_fit(model, *data(), epochs=2, out_dir=tmp_path)
    number = int(newest[-7:-3])
    with open(str(tmp_path / ('ckpt-%04d.h5' % (number + 1))), 'wb') as f:
        f.write(TORN_HDF5)
    with pytest.warns(UserWarning, match='cannot be read'):
        loaded, epoch = load_latest_checkpoint(str(tmp_path / 'ckpt-*.h5'))
    assert epoch == 2
    for a, b in zip(model.optimizer.get_weights(), loaded.optimizer.get_weights()):
        assert_bits_equal(a, b)
    assert load_latest_checkpoint(str(tmp_path / 'none-*.h5')) == (None, 0)


class Doubling(Layer):
    """A custom layer that a checkpoint cannot load unless it is named in
    custom_objects."""

    def call(self, inputs):
        return 2 * inputs


def test_a_checkpoint_that_reads_but_does_not_load_is_an_error_not_a_skip(tmp_path):
    from legacy_rprop import RProp, load_latest_checkpoint
    model = Sequential([Dense(3, input_shape=(4,)), Doubling()])
    model.compile(optimizer=RProp(), loss='mse')
    checkpointed_fit(model, np.ones((2, 4)), np.ones((2, 3)), epochs=2, out_dir=tmp_path)
    with pytest.raises(ValueError) as error:
        load_latest_checkpoint(str(tmp_path / 'ckpt-*.h5'))
    assert 'Doubling' in str(error.value)
    loaded, epoch = load_latest_checkpoint(str(tmp_path / 'ckpt-*.h5'),
                                           custom_objects={'Doubling': Doubling})
    assert epoch == 2
    for a, b in zip(model.optimizer.get_weights(), loaded.optimizer.get_weights()):
        assert_bits_equal(a, b)


def test_when_every_matching_checkpoint_is_torn_the_error_lists_each(tmp_path):
    from legacy_rprop import CheckpointError, load_latest_checkpoint
    for name in ('ckpt-0001.h5', 'ckpt-0002.h5'):
        with open(str(tmp_path / name), 'wb') as f:
            f.write(TORN_HDF5)
    with pytest.raises(CheckpointError) as error:
        load_latest_checkpoint(str(tmp_path / 'ckpt-*.h5'))
    message = str(error.value)
    assert 'none of the 2 checkpoint files' in message
    assert 'ckpt-0001.h5 (OSError' in message and 'ckpt-0002.h5 (OSError' in message
