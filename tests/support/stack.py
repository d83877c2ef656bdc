"""What every test directory's conftest.py shares (it imports these hooks
and the fixture): Keras-free.

- tox sets LEGACY_RPROP_EXPECT_STACK to the versions an environment pins
  (``keras==2.2.4 tensorflow==1.13.2``); the run stops at once if another
  version is installed (a local label, ``+cpu``, is the same version);
- in such a run a skipped test fails: a skip would hide a stack that did
  not run;
- a test that does not apply to a stack says so with `not_applicable`
  (``not_applicable('Keras 2.0 cannot read ...')``) and passes; the reason
  is kept in the JUnit report (tools/check_reports.py counts them) and
  listed at the end of the run.
"""
import os

import pytest

EXPECTED_STACK = os.environ.get('LEGACY_RPROP_EXPECT_STACK', '').split()


def installed(name):
    """The installed version of the distribution `name`, or None."""
    try:
        from importlib import metadata
    except ImportError:  # Python < 3.8
        import pkg_resources
        try:
            return pkg_resources.get_distribution(name).version
        except pkg_resources.DistributionNotFound:
            return None
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def public_version(version):
    """`version` without its local label (``2.13.0+cpu``: ``2.13.0``), which
    a pin ``==2.13.0`` admits, as pip does."""
    return None if version is None else version.split('+', 1)[0]


def pytest_sessionstart(session):
    for pin in EXPECTED_STACK:
        name, version = pin.split('==')
        if public_version(installed(name)) != version:
            raise pytest.UsageError('LEGACY_RPROP_EXPECT_STACK wants %s, installed: %s'
                                    % (pin, installed(name)))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if EXPECTED_STACK and report.skipped:
        report.outcome = 'failed'
        report.longrepr = 'skipped in a stack run, which counts as a failure: %s' % (
            report.longrepr,)


_NOT_APPLICABLE = []


@pytest.fixture
def not_applicable(request):
    """``not_applicable(reason)``: this test does not apply to this stack,
    for `reason`; the test then returns, and passes."""
    def record(reason):
        request.node.user_properties.append(('not_applicable', reason))
        _NOT_APPLICABLE.append((request.node.nodeid, reason))
    return record


def pytest_terminal_summary(terminalreporter):
    if _NOT_APPLICABLE:
        terminalreporter.section('not applicable to this stack: %d' % len(_NOT_APPLICABLE))
        for nodeid, reason in _NOT_APPLICABLE:
            terminalreporter.line('%s: %s' % (nodeid, reason))
