"""The demo end to end on this backend, on a small setting."""
import json
import os
import shutil
import struct
import subprocess
import sys

import numpy as np
import pytest
from keras import backend as K

from legacy_rprop import VARIANTS
from legacy_rprop.demo import run as demo
from support.processes import same_imports

HERE = os.path.dirname(os.path.abspath(__file__))


def run_cli(*args, **env):
    process = subprocess.run([sys.executable, '-m', 'legacy_rprop'] + list(args),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=same_imports(**env), cwd=HERE)
    return process.returncode, process.stdout.decode('utf-8'), process.stderr.decode('utf-8')


def png_size(path):
    with open(path, 'rb') as f:
        header = f.read(24)
    assert header[:8] == b'\x89PNG\r\n\x1a\n' and header[12:16] == b'IHDR'
    return struct.unpack('>II', header[16:24])


@pytest.fixture(scope='module')
def small_demo(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('demo'))
    code, stdout, stderr = run_cli('demo', '--problems', 'xor', 'encoder',
                                   '--epochs', '150', '--out', out)
    assert code == 0, stderr
    return out, stdout


def test_demo_prints_progress_and_the_table(small_demo):
    out, stdout = small_demo
    assert 'on %s' % K.backend() in stdout.splitlines()[0]
    assert '[14/14] encoder  Adam' in stdout
    table = [line for line in stdout.splitlines() if line.startswith('| ')]
    assert len(table) == 1 + 1 + len(demo.OPTIMIZERS)
    with open(os.path.join(out, 'demo.md')) as f:
        assert '\n'.join(table) in f.read()


def test_demo_writes_a_readable_png(small_demo):
    out, _ = small_demo
    width, height = png_size(os.path.join(out, 'demo.png'))
    assert width >= 800 and height >= 300
    from matplotlib.image import imread
    pixels = imread(os.path.join(out, 'demo.png'))
    assert pixels.shape[:2] == (height, width)
    assert pixels.std() > 0.05  # not a blank image


def test_rprop_variants_reach_the_xor_and_encoder_targets(small_demo):
    out, _ = small_demo
    with open(os.path.join(out, 'demo.json')) as f:
        results = json.load(f)['results']
    assert len(results) == 2 * len(demo.OPTIMIZERS)
    for r in results:
        assert len(r['losses']) == 150
        if r['optimizer'] in VARIANTS:
            assert r['epochs_to_target'] is not None and r['epochs_to_target'] <= 100, r
            assert r['losses'][-1] < 1e-3
        else:  # full-batch SGD and Adam at their defaults are far slower
            assert r['epochs_to_target'] is None, r


def test_same_seed_same_numbers():
    names = list(VARIANTS) + ['SGD', 'Adam']
    first = demo.run(['xor'], names, epochs=40, seed=3, progress=lambda _: None)
    again = demo.run(['xor'], names, epochs=40, seed=3, progress=lambda _: None)
    other = demo.run(['xor'], ['iRprop+'], epochs=40, seed=4, progress=lambda _: None)
    for a, b in zip(first, again):
        assert a.epochs_to_target == b.epochs_to_target
        if a.optimizer in ('SGD', 'Adam') and K.backend() == 'tensorflow':
            # Keras' own optimizers read variables in the step that writes
            # them, unordered on TensorFlow: Keras 2.3.1's Adam its step
            # counter (bias correction with t or t + 1, seen: up to 1.2e-4
            # relative); before Keras 2.3 (reference variables) SGD too reads
            # a kernel for the gradient of the layer below after its write
            # (seen: 1e-7 relative)
            np.testing.assert_allclose(a.losses, b.losses, rtol=1e-3)
        else:
            assert a.losses == b.losses, a.optimizer
    assert not np.allclose(first[4].losses, other[0].losses)
    assert first[4].optimizer == 'iRprop+'


def test_help_explains_the_options():
    code, stdout, _ = run_cli('demo', '--help')
    assert code == 0
    for option in ('--backend', '--problems', '--optimizers', '--epochs', '--seed',
                   '--init-alpha', '--paper', '--out'):
        assert option in stdout


def test_bad_options_name_the_allowed_values():
    code, _, stderr = run_cli('demo', '--problems', 'parity')
    assert code == 2
    assert "invalid choice: 'parity'" in stderr and 'xor' in stderr
    code, _, stderr = run_cli('demo', '--epochs', '0')
    assert code == 2 and 'must be >= 1' in stderr
    code, _, stderr = run_cli('demo', '--init-alpha', '-1')
    assert code == 2 and 'init_alpha must be > 0, got -1.0' in stderr


def test_help_and_bad_options_answer_before_keras_is_imported():
    code = '\n'.join([
        'import sys',
        'from legacy_rprop.__main__ import main',
        'for argv in (["demo", "--help"], ["demo", "--epochs", "0"],',
        '             ["demo", "--init-alpha", "0"], ["demo", "--problems", "parity"]):',
        '    try:',
        '        main(argv)',
        '    except SystemExit as exit:',
        '        assert exit.code in (0, 2), (argv, exit.code)',
        '    else:',
        '        raise AssertionError("%s did not stop" % argv)',
        'print(sorted(m for m in ("keras", "tensorflow", "theano") if m in sys.modules))'])
    process = subprocess.run([sys.executable, '-c', code], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=same_imports(), cwd=HERE)
    stdout = process.stdout.decode('utf-8')
    assert process.returncode == 0, process.stderr.decode('utf-8')
    assert stdout.splitlines()[-1] == '[]', stdout.splitlines()[-1]


def test_console_script_is_installed():
    script = shutil.which('legacy-rprop', path=os.path.dirname(sys.executable)
                          + os.pathsep + os.environ.get('PATH', ''))
    assert script, 'legacy-rprop not found next to %s' % sys.executable
    process = subprocess.run([script, '--help'], stdout=subprocess.PIPE)
    assert process.returncode == 0 and b'demo' in process.stdout


@pytest.mark.crossbackend
def test_backend_option_switches_the_backend():
    for active, wanted in (('tensorflow', 'theano'), ('theano', 'tensorflow')):
        code, stdout, stderr = run_cli('demo', '--backend', wanted, '--problems', 'xor',
                                       '--optimizers', 'iRprop-', '--epochs', '3',
                                       '--out', os.path.join(HERE, '.demo-%s' % wanted),
                                       KERAS_BACKEND=active)
        shutil.rmtree(os.path.join(HERE, '.demo-%s' % wanted), ignore_errors=True)
        assert code == 0, stderr
        assert 'on %s' % wanted in stdout.splitlines()[0]
