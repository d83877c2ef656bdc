"""The compat layer: Keras 1 style optimizers on Keras 2.3.1, this backend."""
import warnings

import numpy as np
import pytest
from keras.callbacks import LearningRateScheduler
from keras.constraints import NonNeg

from harness import GradientFeeder, in_keras_graph
from support.streams import gradient_stream
from keras1_era_optimizers import CORPUS, MultipliedSGD
from legacy_rprop import RProp
from legacy_rprop.compat import Optimizer, backend
from models import classifier, fit_full_batch
from old_style_optimizers import (ForwardingSGD, NewStyleSGD, OldSGD, ParamsFirstSGD,
                                  PythonIfOptimizer, SignStepOptimizer, SoftTargetUpdates)


def test_old_style_optimizer_gives_the_numbers_of_rprop():
    old = classifier(SignStepOptimizer(first_step=0.01))
    new = classifier(RProp(init_alpha=0.01))
    old_losses = fit_full_batch(old, 60)
    new_losses = fit_full_batch(new, 60)
    assert new_losses[-1] < new_losses[0] / 5
    np.testing.assert_allclose(old_losses, new_losses, rtol=0, atol=1e-6)
    for a, b in zip(old.get_weights(), new.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    for a, b in zip(old.optimizer.get_weights(), new.optimizer.get_weights_per_tensor()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


def test_constraints_reach_old_code_through_the_constraints_argument():
    model = classifier(SignStepOptimizer(first_step=0.05),
                       kernel_constraint=NonNeg())
    fit_full_batch(model, 10)
    kernel = model.get_weights()[0]
    assert np.all(kernel >= 0)
    # without the constraint the same run has negative kernel entries
    free = classifier(SignStepOptimizer(first_step=0.05))
    fit_full_batch(free, 10)
    assert np.any(free.get_weights()[0] < 0)


def test_old_sgd_takes_plain_gradient_steps_and_counts_them():
    old = classifier(OldSGD(lr=0.1))
    new = classifier(NewStyleSGD(learning_rate=0.1))
    old_losses = fit_full_batch(old, 5)
    new_losses = fit_full_batch(new, 5)
    np.testing.assert_allclose(old_losses, new_losses, rtol=0, atol=1e-6)
    assert backend.get_value(old.optimizer.iterations) == 5
    assert backend.get_value(new.optimizer.iterations) == 5
    assert old_losses[-1] < old_losses[0]


def test_lr_and_learning_rate_are_one_variable_for_keras_callbacks():
    optimizer = OldSGD(lr=0.1)
    assert optimizer.lr is optimizer.learning_rate
    model = classifier(optimizer)
    seen = []

    def schedule(epoch):  # Keras < 2.1 passes the epoch only
        seen.append(backend.get_value(model.optimizer.lr))
        return 0.1 / (epoch + 1)

    fit_full_batch(model, 3, callbacks=[LearningRateScheduler(schedule)])
    np.testing.assert_allclose(seen, [0.1, 0.1, 0.05], rtol=1e-6)
    np.testing.assert_allclose(backend.get_value(optimizer.learning_rate), 0.1 / 3,
                               rtol=1e-6)
    optimizer.lr = backend.variable(0.5)
    assert optimizer.learning_rate is optimizer.lr


def test_python_if_on_a_tensor_names_the_fix():
    with pytest.raises(TypeError) as error:
        fit_full_batch(classifier(PythonIfOptimizer()), 1)
    message = str(error.value)
    assert 'PythonIfOptimizer.get_updates used a tensor as a Python truth value' in message
    assert 'K.switch(condition, value_if_true, value_if_false)' in message


def test_backend_has_the_keras1_names():
    x = backend.variable(np.zeros((3, 4)))
    assert backend.get_variable_shape(x) == (3, 4)
    a, b = backend.variable([1., 2., 3.]), backend.variable([2., 2., 2.])
    np.testing.assert_array_equal(backend.eval(backend.lesser(a, b)), [True, False, False])
    np.testing.assert_array_equal(backend.eval(backend.lesser_equal(a, b)), [True, True, False])
    # switch chooses element by element on every Keras 2 (TensorFlow's took
    # a scalar condition only before Keras 2.1)
    chosen = backend.switch(backend.less(a, b), a, b * 10)
    np.testing.assert_array_equal(backend.eval(chosen), [1., 20., 20.])
    # everything else is keras.backend itself
    from keras import backend as keras_backend
    assert backend.sign is keras_backend.sign
    assert backend.floatx() == keras_backend.floatx()


def test_variable_from_a_value_computed_from_another_variable():
    scale = backend.variable(0.25)
    derived = backend.variable(np.ones((2, 3)) * scale)
    np.testing.assert_array_equal(backend.get_value(derived), np.full((2, 3), 0.25))
    backend.set_value(scale, 1.)  # taken at creation, not linked afterwards
    np.testing.assert_array_equal(backend.get_value(derived), np.full((2, 3), 0.25))


class SwapOptimizer(Optimizer):
    """Swaps two state variables every step (and leaves params alone)."""

    def get_updates(self, loss, params):
        self.a, self.b = backend.variable(1.), backend.variable(2.)
        return [backend.update(self.a, self.b), backend.update(self.b, self.a)]


def test_updates_see_pre_step_values():
    """Each write of the swap must see the other variable's value from
    before the step, whatever order the backend runs them in."""
    optimizer = SwapOptimizer()
    with in_keras_graph():
        loss = backend.constant(0.) * 1.
        step = backend.function([], [loss], updates=optimizer.get_updates(loss, []))
    for expected in [(2., 1.), (1., 2.)] * 20:
        step([])
        assert (backend.get_value(optimizer.a), backend.get_value(optimizer.b)) == expected


def test_update_helpers_return_keras1_pairs():
    c = backend.variable(10.)
    one, three = backend.constant(1.), backend.constant(3.)
    for pair, value in [(backend.update(c, three), 3.), (backend.update_add(c, one), 11.),
                        (backend.update_sub(c, one), 9.)]:
        assert pair[0] is c
        assert backend.eval(pair[1]) == value


@pytest.mark.parametrize('make', [OldSGD, ParamsFirstSGD, ForwardingSGD, NewStyleSGD],
                         ids=lambda c: c.__name__)
def test_every_get_updates_signature_gets_its_arguments(make):
    """(params, constraints, loss), (params, loss), (loss, params) and
    *args/**kwargs all train as SGD does."""
    rng = np.random.RandomState(0)
    shapes = [(4, 3), (3,)]
    weights = [rng.normal(size=s).astype('float32') for s in shapes]
    feeder = GradientFeeder(make(0.1), weights)
    lr = np.float32(0.1)
    for grads in gradient_stream(shapes, 5, seed=1):
        feeder.step(grads)
        weights = [w - lr * g for w, g in zip(weights, grads)]
        for got, want in zip(feeder.weights(), weights):
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize('run', range(3))
@pytest.mark.parametrize('inner', ['OldSGD', 'RProp'])
def test_every_read_of_a_wrapper_s_step_sees_pre_step_values(inner, run):
    """The wrapper's soft target updates read every param, and the wrapped
    optimizer writes every param in the same step: each target must move
    towards the param's value from before the step, on TensorFlow as on
    Theano (unordered, TensorFlow 1 read some params after their write)."""
    shapes = [(3,)] * 40
    rng = np.random.RandomState(run)
    weights = [rng.normal(size=s).astype('float32') for s in shapes]
    wrapped = OldSGD(0.1) if inner == 'OldSGD' else RProp(init_alpha=0.1)
    optimizer = SoftTargetUpdates(wrapped, tau=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # no false warning about unordered ops
        # (TensorFlow 1.4 reads its constants with numpy's deprecated fromstring)
        warnings.filterwarnings('ignore', category=DeprecationWarning, module='tensorflow')
        feeder = GradientFeeder(optimizer, weights)
    targets = [np.zeros(s, 'float32') for s in shapes]
    half = np.float32(0.5)
    moved = 0
    for grads in gradient_stream(shapes, 20, seed=10 + run):
        before = feeder.weights()
        feeder.step(grads)
        targets = [half * p + half * t for p, t in zip(before, targets)]
        for k, (got, want) in enumerate(zip(backend.batch_get_value(optimizer.targets),
                                            targets)):
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7,
                                       err_msg='target %d read a stepped param' % k)
        moved += sum(int(np.any(a != b)) for a, b in zip(before, feeder.weights()))
    assert moved > 20 * 40 * 0.9  # the params really were written every step


def test_wrapping_a_keras_builtin_optimizer_warns_on_tensorflow():
    import keras
    optimizer = SoftTargetUpdates(keras.optimizers.SGD(0.1))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        GradientFeeder(optimizer, [np.ones(3, 'float32')])
    messages = [str(w.message) for w in caught if 'made by keras.backend' in str(w.message)]
    if backend.backend() == 'tensorflow':  # Keras' own assign ops, unordered
        assert len(messages) == 1 and 'SoftTargetUpdates.get_updates returned' in messages[0]
    else:  # Keras' Theano backend returns (variable, value) pairs, ordered by Theano
        assert messages == []


@pytest.mark.parametrize('name', sorted(CORPUS))
def test_keras1_era_optimizers_train_unchanged_but_their_imports(name):
    make, kwargs = CORPUS[name]
    losses = fit_full_batch(classifier(make(**kwargs)), 30)
    assert np.all(np.isfinite(losses))
    assert losses[-1] < 0.9 * losses[0], losses


def test_layer_multipliers_reach_each_layer():
    model = classifier(MultipliedSGD(lr=0.5))
    frozen, trained = model.layers[0].name, model.layers[1].name
    model.optimizer.multipliers = {frozen: 0., trained: 2.}
    before = model.get_weights()
    fit_full_batch(model, 3)
    after = model.get_weights()
    for b, a in zip(before[:2], after[:2]):
        np.testing.assert_array_equal(a, b)  # multiplier 0: not moved
    assert all(np.any(a != b) for b, a in zip(before[2:], after[2:]))


def test_keras1_get_state_and_set_state():
    optimizer = OldSGD(0.1)
    with pytest.raises(ValueError) as error:
        optimizer.get_state()
    assert 'OldSGD has no state yet' in str(error.value)
    model = classifier(optimizer)
    fit_full_batch(model, 2)
    state = optimizer.get_state()
    # the updates of OldSGD write its step counter, then every param
    assert len(state) == 1 + len(model.trainable_weights)
    assert state[0] == 2
    for value, param in zip(state[1:], backend.batch_get_value(model.trainable_weights)):
        np.testing.assert_array_equal(value, param)
    optimizer.set_state([np.zeros_like(v) for v in state])
    assert backend.get_value(optimizer.iterations) == 0
    assert not any(np.any(w) for w in model.get_weights())
    with pytest.raises(ValueError) as error:
        optimizer.set_state(state[:2])
    assert 'set_state needs 5 values, one per variable that OldSGD updates, got 2' \
        in str(error.value)
