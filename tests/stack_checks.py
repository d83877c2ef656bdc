"""What the conftest.py of every test directory checks about the stack it
runs on (tox sets LEGACY_RPROP_EXPECT_STACK to the versions an environment
pins, ``keras==2.2.4 tensorflow==1.13.2``): Keras-free, shared."""
import os

import pkg_resources
import pytest

EXPECTED_STACK = os.environ.get('LEGACY_RPROP_EXPECT_STACK', '').split()


def installed(name):
    try:
        return pkg_resources.get_distribution(name).version
    except pkg_resources.DistributionNotFound:
        return None


def check_expected_stack():
    """Stop the run at once if another version than a pinned one is installed."""
    for pin in EXPECTED_STACK:
        name, version = pin.split('==')
        if installed(name) != version:
            raise pytest.UsageError('LEGACY_RPROP_EXPECT_STACK wants %s, installed: %s'
                                    % (pin, installed(name)))


def count_skip_as_failure(report, run):
    """A skip would hide a stack that did not run: in a `run` of a tox
    environment it fails the test."""
    if report.skipped:
        report.outcome = 'failed'
        report.longrepr = 'skipped in a %s, which counts as a failure: %s' % (
            run, report.longrepr)
