"""Test set-up for the tf.keras flavour (TensorFlow 1.15 and 2.x).

The NumPy side of the tests (the reference rules, the gradient streams, the
classifier's data) is the shared `support` package; as in every test
directory (`support.stack`) the pinned versions are checked, a skip fails,
`not_applicable` records what does not apply.
"""
import pytest
import tensorflow as tf

from support.stack import (EXPECTED_STACK, not_applicable,  # noqa: F401 -- hooks, fixture
                           pytest_runtest_makereport, pytest_sessionstart,
                           pytest_terminal_summary)

# two logical CPUs for the distribution tests (test_distribute.py); this has
# to happen before TensorFlow makes its devices, that is before any op runs
if tf.executing_eagerly():
    tf.config.set_logical_device_configuration(
        tf.config.list_physical_devices('CPU')[0],
        [tf.config.LogicalDeviceConfiguration()] * 2)


def pytest_report_header(config):
    return 'tf.keras of TensorFlow %s (eager: %s); pinned: %s' % (
        tf.__version__, tf.executing_eagerly(), ' '.join(EXPECTED_STACK) or 'nothing')


@pytest.fixture(autouse=True)
def fresh_session():
    """Every test starts from float32 and a new graph (TensorFlow 1)."""
    tf.keras.backend.clear_session()
    tf.keras.backend.set_floatx('float32')
    yield
    tf.keras.backend.clear_session()
