"""Test set-up for the tf.keras flavour (TensorFlow 1.15 and 2.x).

The NumPy side of the tests (the reference rules, the gradient streams, the
classifier's data) is shared with the multi-backend tests in ../tests; this
directory imports nothing from there that imports Keras.  As there, tox's
LEGACY_RPROP_EXPECT_STACK (``tensorflow==2.8.4``) is checked at the start
and a skipped test counts as a failure.
"""
import os
import sys

import pytest
import tensorflow as tf

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(1, os.path.join(HERE, os.pardir, 'tests'))

from stack_checks import (EXPECTED_STACK, check_expected_stack,  # noqa: E402
                          count_skip_as_failure)

# two logical CPUs for the distribution tests (test_distribute.py); this has
# to happen before TensorFlow makes its devices, that is before any op runs
if tf.executing_eagerly():
    tf.config.set_logical_device_configuration(
        tf.config.list_physical_devices('CPU')[0],
        [tf.config.LogicalDeviceConfiguration()] * 2)


def pytest_report_header(config):
    return 'tf.keras of TensorFlow %s (eager: %s); pinned: %s' % (
        tf.__version__, tf.executing_eagerly(), ' '.join(EXPECTED_STACK) or 'nothing')


def pytest_sessionstart(session):
    check_expected_stack()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if EXPECTED_STACK:
        count_skip_as_failure(outcome.get_result(), 'stack run')


@pytest.fixture(autouse=True)
def fresh_session():
    """Every test starts from float32 and a new graph (TensorFlow 1)."""
    tf.keras.backend.clear_session()
    tf.keras.backend.set_floatx('float32')
    yield
    tf.keras.backend.clear_session()
