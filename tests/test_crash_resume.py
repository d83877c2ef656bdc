"""Kill a checkpointed run with SIGKILL, resume it, and get the weights of an
uninterrupted run, bit for bit, on this backend."""
import os
import signal
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
EPOCHS = 300
KILL_AFTER = 100


def job(mode, out_dir, **popen):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    return subprocess.Popen([sys.executable, os.path.join(HERE, 'crash_resume_job.py'),
                             mode, out_dir, str(EPOCHS)],
                            env=env, cwd=HERE, stdout=subprocess.PIPE, **popen)


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
    assert len(got) == len(expected) == 4 + 3 * 4 + 1  # weights + iRprop+ state
    for a, b in zip(expected, got):
        np.testing.assert_array_equal(a, b)


def test_a_torn_checkpoint_is_skipped_for_the_one_before(tmp_path):
    from legacy_rprop import load_latest_checkpoint
    from models import classifier, fit_full_batch
    from legacy_rprop import RProp
    model = classifier(RProp(variant='Rprop+'))
    fit_full_batch(model, 2)
    model.save(str(tmp_path / 'ckpt-0002.h5'))
    with open(str(tmp_path / 'ckpt-0003.h5'), 'wb') as f:
        f.write(b'\x89HDF\r\n\x1a\n' + b'\0' * 100)  # killed while writing
    loaded, epoch = load_latest_checkpoint(str(tmp_path / 'ckpt-*.h5'))
    assert epoch == 2
    for a, b in zip(model.optimizer.get_weights(), loaded.optimizer.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert load_latest_checkpoint(str(tmp_path / 'none-*.h5')) == (None, 0)
