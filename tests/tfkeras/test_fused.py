"""The update runs as one XLA computation per tensor where XLA is there
(TensorFlow 2: a jit-compiled function; TensorFlow 1.15: the JIT scope) --
on tf.keras' current optimizer API one per state group of XLA_FROM weights
or more, the plain graph below -- and LEGACY_RPROP_FUSED=0 turns that off
with the same numbers."""
import os
import subprocess
import sys

import numpy as np
import tensorflow as tf

from harness import CURRENT_API, EAGER, GradientFeeder
from legacy_rprop.core.switches import FUSED, XLA_FROM
from legacy_rprop.tfkeras import RProp
from support.processes import same_imports

HERE = os.path.dirname(os.path.abspath(__file__))


def test_the_update_is_compiled_by_xla():
    assert FUSED  # tox runs with the default
    optimizer = RProp(variant='iRprop+')
    shape = (XLA_FROM // 2, 2) if CURRENT_API else (3, 2)
    feeder = GradientFeeder(optimizer, [np.ones(shape, 'float32')],
                            'function' if EAGER else 'graph')
    feeder.step([np.ones(shape, 'float32')], loss=1.)
    (update,) = optimizer._fused._functions.values()
    if EAGER:
        assert isinstance(update, type(tf.function(lambda: None)))
        assert True in (getattr(update, '_jit_compile', None),
                        getattr(update, '_experimental_compile', None))
    else:
        graph = tf.compat.v1.get_default_graph()
        compiled = [op for op in graph.get_operations()
                    if '_XlaCompile' in op.node_def.attr and op.get_attr('_XlaCompile')]
        assert any(op.type == 'Select' or op.type == 'SelectV2' for op in compiled)


def test_a_small_state_group_runs_the_plain_graph(not_applicable):
    """XLA's fixed cost per call is more than it saves on a group of fewer
    than XLA_FROM weights (tf.keras' current API: one rule over all weights)."""
    if not CURRENT_API:
        return not_applicable('the legacy API compiles the update of every tensor')
    optimizer = RProp(variant='iRprop-')
    shape = (XLA_FROM // 2 - 1, 2)
    feeder = GradientFeeder(optimizer, [np.ones(shape, 'float32')], 'function')
    feeder.step([np.ones(shape, 'float32')])
    assert optimizer._fused._functions == {}
    return None


def test_without_fusion_every_rule_still_matches_the_reference():
    env = same_imports(LEGACY_RPROP_FUSED='0')
    env.pop('PYTEST_ADDOPTS', None)  # no junit report of the inner run
    mode = 'function' if EAGER else 'graph'
    result = subprocess.run(
        [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'test_conformance.py',
         '-k', 'every_step and defaults and %s' % mode],
        env=env, cwd=HERE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = result.stdout.decode('utf-8')
    assert result.returncode == 0, output
    assert '5 passed' in output, output
