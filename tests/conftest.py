"""Test set-up shared by every stack.

tox sets LEGACY_RPROP_EXPECT_BACKEND to the backend an environment was built
for and LEGACY_RPROP_EXPECT_STACK to the versions it pins (``keras==2.2.4
tensorflow==1.13.2``); the run fails at once if Keras picked another backend
or another version got installed, and any skipped test counts as a failure (a
skip would hide a stack that did not run).
"""
import os

import pytest
from keras import backend as K

from stack_checks import EXPECTED_STACK, check_expected_stack, count_skip_as_failure, installed

EXPECTED_BACKEND = os.environ.get('LEGACY_RPROP_EXPECT_BACKEND')


def pytest_report_header(config):
    names = [pin.split('==')[0] for pin in EXPECTED_STACK] or ['keras']
    return 'keras backend: %s (expected: %s); %s' % (
        K.backend(), EXPECTED_BACKEND or 'any',
        ', '.join('%s %s' % (name, installed(name)) for name in names))


def pytest_sessionstart(session):
    if EXPECTED_BACKEND and K.backend() != EXPECTED_BACKEND:
        raise pytest.UsageError(
            'LEGACY_RPROP_EXPECT_BACKEND=%s but Keras runs on %s'
            % (EXPECTED_BACKEND, K.backend()))
    check_expected_stack()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if EXPECTED_BACKEND:
        count_skip_as_failure(outcome.get_result(), 'backend run')


@pytest.fixture(autouse=True)
def fresh_session():
    """Every test starts from float32 and, on TensorFlow, an empty graph."""
    clear = getattr(K, 'clear_session', lambda: None)  # Theano has no session
    clear()
    K.set_floatx('float32')
    yield
    clear()
