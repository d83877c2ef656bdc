"""Test set-up of the multi-backend flavour, on every stack.

As in every test directory (`support.stack`): the pinned versions are
checked, a skip fails, `not_applicable` records what does not apply.  Here
also: tox sets LEGACY_RPROP_EXPECT_BACKEND to the backend an environment
was built for, and the run stops at once if Keras picked another.
"""
import os
import warnings

import pytest

# Theano only warns about a THEANO_FLAGS entry it does not know, and runs
# without it (theano-pymc knows gcc.cxxflags, not gcc__cxxflags): here it
# stops the run, so that no flag of tox.ini or the image is lost unseen
warnings.filterwarnings('error', message='Theano does not recognise this flag')
from keras import backend as K  # noqa: E402

from support.stack import (EXPECTED_STACK, installed, not_applicable,  # noqa: E402,F401
                           pytest_runtest_makereport, pytest_terminal_summary)
from support.stack import pytest_sessionstart as check_stack  # noqa: E402

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
    check_stack(session)


@pytest.fixture(autouse=True)
def fresh_session():
    """Every test starts from float32 and, on TensorFlow, an empty graph."""
    clear = getattr(K, 'clear_session', lambda: None)  # Theano has no session
    clear()
    K.set_floatx('float32')
    yield
    clear()
