"""Test set-up for the Keras 3 flavour (TensorFlow, JAX, PyTorch: tox sets
KERAS_BACKEND and LEGACY_RPROP_EXPECT_BACKEND).

As in every test directory (`support.stack`): the pinned versions are
checked, a skip fails, `not_applicable` records what does not apply.  JAX
runs with two host devices, for the data-parallel test (`keras.distribution`);
TensorFlow with two logical CPUs, for MirroredStrategy.
"""
import os

if os.environ.get('KERAS_BACKEND') == 'jax':  # before JAX makes its devices
    os.environ['XLA_FLAGS'] = (os.environ.get('XLA_FLAGS', '')
                               + ' --xla_force_host_platform_device_count=2').strip()

import keras  # noqa: E402
import pytest  # noqa: E402

from support.stack import (EXPECTED_STACK, installed, not_applicable,  # noqa: E402,F401
                           pytest_runtest_makereport, pytest_terminal_summary)
from support.stack import pytest_sessionstart as check_stack  # noqa: E402

BACKEND = keras.backend.backend()
if BACKEND == 'tensorflow':
    import tensorflow as tf
    tf.config.set_logical_device_configuration(
        tf.config.list_physical_devices('CPU')[0], [tf.config.LogicalDeviceConfiguration()] * 2)


def pytest_report_header(config):
    return 'keras %s on %s; pinned: %s' % (keras.__version__, BACKEND,
                                          ' '.join(EXPECTED_STACK) or 'nothing')


def pytest_sessionstart(session):
    expected = os.environ.get('LEGACY_RPROP_EXPECT_BACKEND')
    if expected and BACKEND != expected:
        raise pytest.UsageError('LEGACY_RPROP_EXPECT_BACKEND=%s but Keras runs on %s'
                                % (expected, BACKEND))
    check_stack(session)


@pytest.fixture(autouse=True)
def fresh_state():
    """Every test starts from float32 and Keras' state cleared."""
    keras.backend.clear_session()
    keras.backend.set_floatx('float32')
    yield
    keras.backend.clear_session()
    keras.backend.set_floatx('float32')
