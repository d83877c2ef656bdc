"""Test set-up shared by every backend.

tox sets LEGACY_RPROP_EXPECT_BACKEND to the backend an environment was built
for; the run then fails at once if Keras picked another one, and any skipped
test counts as a failure (a skip would hide a backend that did not run).
"""
import os

import pytest
from keras import backend as K

EXPECTED_BACKEND = os.environ.get('LEGACY_RPROP_EXPECT_BACKEND')


def pytest_report_header(config):
    return 'keras backend: %s (expected: %s)' % (
        K.backend(), EXPECTED_BACKEND or 'any')


def pytest_sessionstart(session):
    if EXPECTED_BACKEND and K.backend() != EXPECTED_BACKEND:
        raise pytest.UsageError(
            'LEGACY_RPROP_EXPECT_BACKEND=%s but Keras runs on %s'
            % (EXPECTED_BACKEND, K.backend()))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if EXPECTED_BACKEND and report.skipped:
        report.outcome = 'failed'
        report.longrepr = 'skipped in a backend run, which counts as a failure: %s' % (
            report.longrepr,)


@pytest.fixture(autouse=True)
def fresh_session():
    """Every test starts from float32 and, on TensorFlow, an empty graph."""
    clear = getattr(K, 'clear_session', lambda: None)  # Theano has no session
    clear()
    K.set_floatx('float32')
    yield
    clear()
