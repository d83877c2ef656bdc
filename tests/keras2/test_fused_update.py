"""The update as one loop over memory (XLA on TensorFlow from
`switches.XLA_FROM` weights on, one C loop on Theano): the numbers of the
NumPy reference and of the plain graph of the rule on every path the choice
can take, state memory reused, views as gradients."""
import os

import numpy as np
import pytest
from keras import backend as K

import legacy_rprop.keras2.optimizers
from legacy_rprop.core import switches
from legacy_rprop.keras2 import backend, fusion
from harness import GradientFeeder, in_keras_graph, tensorflow_graph
from legacy_rprop import VARIANTS, RProp
from support.reference import Reference, assert_bits_equal, state_per_tensor
from support.streams import gradient_stream, loss_stream
from support.processes import same_imports

SHAPES = [(6, 4), (3,), ()]
STEPS = 40


def unfused(update, groups, first_output_shapes):
    """The rule as the plain graph."""
    outputs = []
    for (hyper, inputs), shapes in zip(groups, first_output_shapes):
        new = update(hyper, inputs)
        values = [new[name] for name in update.output_names]
        outputs.append([fusion.pieces(values[0], shapes)] + values[1:])
    return outputs


def poisoned_stream(steps=STEPS):
    stream = gradient_stream(SHAPES, steps, seed=3)
    stream[5][0][1, 2] = np.nan
    stream[9][1][0] = np.inf
    return stream


def trajectory(variant, nonfinite, steps=STEPS):
    """Weights and optimizer state after every step of a fixed stream."""
    rng = np.random.RandomState(0)
    weights = [rng.normal(size=s).astype('float32') for s in SHAPES]
    optimizer = RProp(variant=variant, nonfinite=nonfinite, init_alpha=0.01)
    feeder = GradientFeeder(optimizer, weights)
    history = []
    for grads, loss in zip(poisoned_stream(steps), loss_stream(steps, seed=4)):
        feeder.step(grads, loss)
        history.append(feeder.weights() + optimizer.get_weights())
    return history


def fuse_from(monkeypatch, elements):
    """Compile the update with XLA from `elements` weights on."""
    monkeypatch.setattr(switches, 'XLA_FROM', elements)


@pytest.mark.parametrize('nonfinite', ['skip', 'propagate'])
@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_fused_update_equals_the_plain_graph_bit_for_bit(variant, nonfinite, monkeypatch):
    fuse_from(monkeypatch, 0)
    fused = trajectory(variant, nonfinite)
    monkeypatch.setattr(legacy_rprop.keras2.optimizers, 'fused', unfused)
    plain = trajectory(variant, nonfinite)
    for t, (got, want) in enumerate(zip(fused, plain)):
        for k, (a, b) in enumerate(zip(got, want)):
            assert_bits_equal(a, b, err_msg='%s: array %d after step %d' % (variant, k, t + 1))
    if nonfinite == 'propagate':
        assert np.isnan(fused[-1][0]).any()  # the NaN really went through


@pytest.mark.parametrize('side', ['below', 'at'])
@pytest.mark.parametrize('nonfinite', ['skip', 'propagate'])
@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_either_side_of_the_xla_threshold_the_update_is_the_reference_s(variant, nonfinite,
                                                                         side, monkeypatch):
    """The path a model's size chooses (XLA from `switches.XLA_FROM`
    weights on, the plain graph below; Theano's loop at any size), each
    against the NumPy reference, NaN and infinity included."""
    rng = np.random.RandomState(0)
    weights = [rng.normal(size=s).astype('float32') for s in SHAPES]
    size = sum(w.size for w in weights)
    fuse_from(monkeypatch, size if side == 'at' else size + 1)
    feeder = GradientFeeder(RProp(variant=variant, nonfinite=nonfinite, init_alpha=0.01),
                            weights)
    references = [Reference(variant, w, init_alpha=0.01, nonfinite=nonfinite,
                            flush_subnormals=backend.FLUSHES_SUBNORMALS) for w in weights]
    for t, (grads, loss) in enumerate(zip(poisoned_stream(), loss_stream(STEPS, seed=4))):
        seen_loss = feeder.step(grads, loss)  # NaN with a NaN gradient (harness)
        for reference, g in zip(references, grads):
            reference.update(g, seen_loss)
        label = '%s, %s, step %d' % (variant, side, t + 1)
        for got, reference in zip(feeder.weights(), references):
            assert_bits_equal(got, reference.w, err_msg=label)
        state, expected = feeder.optimizer.get_weights_per_tensor(), state_per_tensor(references)
        assert len(state) == len(expected)
        for got, want in zip(state, expected):
            assert_bits_equal(got, want, err_msg=label)
    if backend.IS_TENSORFLOW:  # the path the size chose
        assert len(xla_scopes()) == (1 if side == 'at' and fusion.use_xla() else 0)


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_the_update_is_one_loop_that_reuses_the_state_memory(variant, monkeypatch):
    fuse_from(monkeypatch, 15)  # the model's size
    with in_keras_graph():
        p = K.variable(np.ones((5, 3), 'float32'))
        c = K.variable(np.linspace(-1, 1, 15).reshape(5, 3).astype('float32'))
        loss = K.sum(p * c)
        optimizer = RProp(variant=variant)
        step = K.function([], [loss], updates=optimizer.get_updates(loss=loss, params=[p]))
    step([])
    n_slots = len(VARIANTS[variant].slots)
    if K.backend() == 'theano':
        from theano.tensor.elemwise import Elemwise
        from legacy_rprop.keras2.theano_loop import ElementwiseLoop
        nodes = step.function.maker.fgraph.toposort()
        loops = [n for n in nodes if isinstance(n.op, ElementwiseLoop)]
        assert len(loops) == 1
        # every state slot is written into its own variable's memory
        assert {(1 + k, 2 + k) for k in range(n_slots)} <= set(loops[0].op.inplace)
        # the only other element-wise work is the loss, sum(p * c)
        elementwise = [n for n in nodes if isinstance(n.op, Elemwise)
                       and n.outputs[0].ndim > 0]
        assert len(elementwise) == 1
        # Theano without a C compiler runs the same loop in Python
        import theano
        py_optimizer = RProp(variant=variant)
        q = K.variable(np.ones((5, 3), 'float32'))
        py_loss = K.sum(q * c)
        py_step = theano.function([], [py_loss], mode=theano.Mode(linker='py'),
                                  updates=py_optimizer.get_updates(loss=py_loss, params=[q]))
        py_step()
        for _ in range(5):
            step([])
            py_step()
        assert_bits_equal(K.get_value(q), K.get_value(p))
        for a, b in zip(py_optimizer.get_weights(), optimizer.get_weights()):
            assert_bits_equal(a, b)
    else:
        graph = tensorflow_graph()
        compiled = {op.type for op in graph.get_operations()
                    if '_XlaCompile' in op.node_def.attr and op.get_attr('_XlaCompile')}
        if fusion.use_xla():
            # the rule's element-wise ops are in the XLA cluster
            assert {'Sign', 'Minimum', 'Maximum', 'Mul'} <= compiled
            assert compiled & {'Select', 'SelectV2'}  # SelectV2 on TensorFlow 2
            assert 'AssignVariableOp' not in compiled
        else:  # a TensorFlow without XLA's jit_scope: the plain graph
            assert not compiled


def compiled_by_xla(op):
    """Whether `op` carries XLA's compile mark set to True."""
    return '_XlaCompile' in op.node_def.attr and op.get_attr('_XlaCompile')


def test_only_the_rule_is_fused_and_the_backward_pass_stays_out(monkeypatch, not_applicable):
    """The fused update is the rule alone.  On TensorFlow XLA's clustering
    grows a compiled cluster over every neighbouring op it can compile, so
    the gradients and the concatenations are marked not to be; on a
    TensorFlow 1 session the backward pass is seen to run as TensorFlow's
    own ops (TensorFlow 1.15 once ran it inside the cluster).  On Theano
    the step has one loop, and the backward pass's products outside it."""
    from keras.layers import Dense
    from keras.models import Sequential
    fuse_from(monkeypatch, 0)
    model = Sequential([Dense(8, activation='tanh', input_shape=(5,)), Dense(2)])
    model.compile(optimizer=RProp(variant='iRprop+'), loss='mse')
    rng = np.random.RandomState(0)
    x, y = rng.normal(size=(16, 5)).astype('float32'), rng.normal(size=(16, 2)).astype('float32')
    model.train_on_batch(x, y)
    function = backend.training_model(model).train_function
    if K.backend() == 'theano':
        from legacy_rprop.keras2.theano_loop import ElementwiseLoop
        nodes = function.function.maker.fgraph.toposort()
        assert len([n for n in nodes if isinstance(n.op, ElementwiseLoop)]) == 1
        # forward and backward: 2 products each layer, but the input's gradient
        products = [n for n in nodes if 'Dot' in type(n.op).__name__
                    or 'Gemm' in type(n.op).__name__]
        assert len(products) >= 5
        return
    graph = tensorflow_graph()
    step_ops = graph.get_operations()
    # the backward pass's ops that the weights' gradients need
    backward = [op for op in step_ops if 'gradients/' in op.name and (
        op.type in ('BiasAddGrad', 'TanhGrad') or op.name.endswith('_grad/MatMul_1'))]
    assert len(backward) == 5
    if not fusion.use_xla():
        assert not any(compiled_by_xla(op) for op in step_ops)
        return
    assert {'Sign', 'Minimum', 'Maximum'} <= {op.type for op in step_ops
                                              if compiled_by_xla(op)}
    not_compiled = [op for op in step_ops if '_XlaCompile' in op.node_def.attr
                    and not op.get_attr('_XlaCompile')]
    assert set(backward) <= set(not_compiled)
    assert 'ConcatV2' in {op.type for op in not_compiled}
    session = getattr(K, 'get_session', None)
    if session is None or not hasattr(function, 'updates_op'):
        return not_applicable('the trace: Keras 2.3.1 runs its step on TensorFlow 2 as a '
                              'function, with no session to trace (the marks are checked)')
    import tensorflow as tf
    metadata = tf.RunMetadata()
    feed = dict(zip(function.inputs, [x, y, np.ones(len(x), 'float32')]))
    session().run(function.outputs + [function.updates_op], feed, run_metadata=metadata,
                  options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE))
    ran = {node.node_name.split(':')[0] for device in metadata.step_stats.dev_stats
           for node in device.node_stats}
    assert {op.name for op in backward} <= ran, sorted({op.name for op in backward} - ran)
    from tensorflow.python.client import device_lib
    if any(d.device_type == 'XLA_CPU' for d in device_lib.list_local_devices()):
        assert any('xla_run' in name or 'XlaLaunch' in name for name in ran), sorted(ran)
    else:  # TensorFlow 1.4: the scope is there, no XLA device; plain ops
        assert 'Sign' in {graph.get_operation_by_name(name).type for name in ran
                          if name in {op.name for op in step_ops}}


def test_a_gradient_that_is_a_view_is_read_correctly():
    """p * transpose(G): the gradient is a transposed view of G (on Theano
    a strided array that the loop reads through a contiguous copy)."""
    rng = np.random.RandomState(5)
    w0 = rng.normal(size=(4, 6)).astype('float32')
    with in_keras_graph():
        p = K.variable(w0)
        g_in = K.placeholder(shape=(6, 4))
        linear = K.sum(p * K.transpose(g_in))
        optimizer = RProp(variant='iRprop-', init_alpha=0.01)
        loss = linear - K.stop_gradient(linear)
        step = K.function([g_in], [loss],
                          updates=optimizer.get_updates(loss=loss, params=[p]))
    reference = Reference('iRprop-', w0, init_alpha=0.01)
    for grads in gradient_stream([(6, 4)], 30, seed=6):
        step([grads[0]])
        reference.update(grads[0].T, 0.)
        assert_bits_equal(K.get_value(p), reference.w)


def run_python(code, **environment):
    """Run `code` in a new Python with this test's path, the package's
    switches (LEGACY_RPROP_*) at their defaults but for `environment`."""
    import subprocess
    import sys
    env = {name: value for name, value in same_imports(**environment).items()
           if not name.startswith('LEGACY_RPROP_') or name in environment}
    return subprocess.run([sys.executable, '-c', code], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True)


@pytest.mark.parametrize('switch', ['LEGACY_RPROP_FUSED', 'LEGACY_RPROP_XLA'])
def test_one_switch_turns_the_fused_update_off_on_every_backend(switch):
    import json
    code = ('import json; from legacy_rprop.core import switches; '
            'from legacy_rprop.keras2 import fusion; '
            'print(json.dumps([switches.FUSED, fusion.use_xla(), fusion.USE_THEANO_LOOP]))')

    def flags(**extra):
        run = run_python(code, **extra)
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout.strip().splitlines()[-1])

    assert flags(**{switch: '0'}) == [False, False, False]
    # the switch alone, without importing Keras (a child importing Keras
    # takes seconds)
    switch_only = 'from legacy_rprop.core import switches; print(switches.FUSED)'
    explicit = run_python(switch_only, **{switch: '1'})
    assert explicit.returncode == 0 and explicit.stdout.split() == ['True'], explicit.stderr
    for wrong in ('false', 'off', '2', ''):
        failed = run_python(switch_only, **{switch: wrong})
        assert failed.returncode != 0
        assert ("ValueError: %s must be 0 (off) or 1 (on), got '%s'" % (switch, wrong)
                in failed.stderr), failed.stderr
    on = flags()
    assert on[0] is True
    # on, it is the backend's loop where the backend has one
    assert on[1:] == [fusion.use_xla(), fusion.USE_THEANO_LOOP]
    if K.backend() == 'theano':
        assert on[2] is True  # the C loop on this CPU


def test_the_fused_update_runs_where_this_stack_has_it(not_applicable):
    """XLA on TensorFlow where tox says this stack has it exactly
    (LEGACY_RPROP_EXPECT_XLA), the C loop on Theano: a probe that failed
    would fall back to the plain graph silently, with the same numbers."""
    if not backend.IS_TENSORFLOW:
        assert fusion.USE_THEANO_LOOP
        return None
    expected = os.environ.get('LEGACY_RPROP_EXPECT_XLA')
    if expected is None:
        return not_applicable('LEGACY_RPROP_EXPECT_XLA is not set (tox sets it)')
    assert fusion.use_xla() == (expected == '1')
    return None


def test_the_size_from_which_xla_compiles_is_set_by_the_environment():
    code = 'from legacy_rprop.core import switches; print(switches.XLA_FROM)'
    assert run_python(code).stdout.split()[-1] == '2000'
    assert run_python(code, LEGACY_RPROP_XLA_FROM='0').stdout.split()[-1] == '0'
    for wrong in ('-1', 'many', '1e5'):
        failed = run_python(code, LEGACY_RPROP_XLA_FROM=wrong)
        assert failed.returncode != 0
        assert ('ValueError: LEGACY_RPROP_XLA_FROM must be a whole number of weights >= 0, '
                "got '%s'" % wrong) in failed.stderr


def xla_scopes():
    """The JIT scopes of the graph's ops that XLA is to compile."""
    return {op.get_attr('_XlaScope') for op in tensorflow_graph().get_operations()
            if '_XlaScope' in op.node_def.attr and compiled_by_xla(op)}


@pytest.mark.parametrize('size', ['small', 'large'])
@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_every_tensor_of_a_step_is_updated_in_one_computation(variant, size, monkeypatch):
    """One rule per step over all tensors: on Theano one C loop; on
    TensorFlow one XLA computation for a model of `switches.XLA_FROM`
    weights or more, the plain graph for a smaller one."""
    shapes = [(5, 3), (3,), (3, 2), (2,)]
    fuse_from(monkeypatch, 26 if size == 'large' else 27)  # 26 weights
    rng = np.random.RandomState(2)
    with in_keras_graph():
        params = [K.variable(rng.normal(size=s).astype('float32')) for s in shapes]
        loss = sum(K.sum(p * p) for p in params)
        optimizer = RProp(variant=variant)
        step = K.function([], [loss], updates=optimizer.get_updates(loss=loss, params=params))
    step([])
    if K.backend() == 'theano':
        from legacy_rprop.keras2.theano_loop import ElementwiseLoop
        nodes = step.function.maker.fgraph.toposort()
        assert len([n for n in nodes if isinstance(n.op, ElementwiseLoop)]) == 1
    else:
        fused = size == 'large' and fusion.use_xla()
        assert len(xla_scopes()) == (1 if fused else 0)
