"""Environments for the child processes the tests start."""
import os
import sys

# the folder that holds the `support` package
TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def same_imports(**environment):
    """``os.environ`` for a child on this interpreter that imports what this
    process imports (this process's ``sys.path``), plus `environment`."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p),
                **environment)


def own_stack(**environment):
    """``os.environ`` for a child on another interpreter: its own stack and
    installed package, and the `support` package; plus `environment`."""
    env = dict(os.environ, PYTHONPATH=TESTS, **environment)
    # set by importing TensorFlow 2 in this process; it would switch a
    # child's TensorFlow 1.15 to eager execution
    env.pop('TF2_BEHAVIOR', None)
    return env
