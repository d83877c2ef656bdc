"""Training through Keras' fit, saving, loading and resuming, on this backend."""
import keras
import numpy as np
import pytest
from keras.constraints import MaxNorm

from legacy_rprop import VARIANTS, OptimizerStateError, RProp, Rprop
from models import classifier, fit_full_batch
from support.reference import assert_bits_equal

# every variant must bring the loss below initial / LOSS_FACTOR in EPOCHS epochs
EPOCHS = 100
LOSS_FACTOR = 5.


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_full_batch_training_lowers_the_loss(variant):
    losses = fit_full_batch(classifier(RProp(variant=variant, init_alpha=0.01)),
                            EPOCHS)
    assert np.all(np.isfinite(losses))
    assert losses[-1] < losses[0] / LOSS_FACTOR, losses[::10]


def test_question_class_trains():
    losses = fit_full_batch(classifier(Rprop()), EPOCHS)
    assert losses[-1] < losses[0] / LOSS_FACTOR, losses[::10]


def test_kernel_constraint_holds_after_every_epoch():
    model = classifier(RProp(init_alpha=0.05), kernel_constraint=MaxNorm(0.5))
    for _ in range(5):
        fit_full_batch(model, 3)
        column_norms = np.sqrt(np.sum(model.get_weights()[0] ** 2, axis=0))
        assert np.all(column_norms <= 0.5 + 1e-6), column_norms
    # the constraint was active: unconstrained training goes past it
    free = classifier(RProp(init_alpha=0.05))
    fit_full_batch(free, 15)
    assert np.max(np.sqrt(np.sum(free.get_weights()[0] ** 2, axis=0))) > 0.5


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_save_load_resume_is_bit_exact(variant, tmp_path):
    straight = classifier(RProp(variant=variant, init_alpha=0.01))
    fit_full_batch(straight, 20)

    first = classifier(RProp(variant=variant, init_alpha=0.01))
    fit_full_batch(first, 10)
    path = str(tmp_path / 'model.h5')
    first.save(path)
    resumed = keras.models.load_model(path)  # no custom_objects needed
    assert isinstance(resumed.optimizer, RProp)
    assert resumed.optimizer.get_config() == first.optimizer.get_config()
    for saved, loaded in zip(first.optimizer.get_weights(),
                             resumed.optimizer.get_weights()):
        assert_bits_equal(saved, loaded)
    fit_full_batch(resumed, 10)

    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        assert_bits_equal(a, b)
    for a, b in zip(straight.optimizer.get_weights(),
                    resumed.optimizer.get_weights()):
        assert_bits_equal(a, b)


def test_optimizer_weights_have_the_documented_order():
    model = classifier(RProp(variant='iRprop+'))
    fit_full_batch(model, 1)
    params = model.trainable_weights
    names = [w.name.rsplit('/', 1)[-1] for w in model.optimizer.weights]
    assert [name.split(':')[0] for name in names] == ['step_size', 'prev_grad', 'prev_loss']
    n_weights = sum(int(np.prod(keras.backend.int_shape(p))) for p in params)
    shapes = [w.shape for w in model.optimizer.get_weights()]
    assert shapes == [(n_weights,)] * 2 + [()]
    # one array per slot and weight tensor, as versions 0.1.0 to 0.4.0 held it
    per_tensor = model.optimizer.get_weights_per_tensor()
    assert [w.shape for w in per_tensor] == [
        tuple(keras.backend.int_shape(p)) for p in params] * 2 + [()]
    state = model.optimizer.get_weights()
    for slot in range(2):
        assert_bits_equal(
            np.concatenate([w.ravel() for w in per_tensor[slot * len(params):
                                                          (slot + 1) * len(params)]]),
            state[slot])


@pytest.mark.parametrize('variant', ['Rprop-', 'iRprop+'])
@pytest.mark.parametrize('load', ['set_weights', 'set_weights_per_tensor'])
def test_state_in_the_per_tensor_layout_loads_and_trains_on_exactly(variant, load):
    """State laid out as versions 0.1.0 to 0.4.0 saved it (one array per slot
    and weight tensor, what every flavour's get_weights_per_tensor gives) is
    converted at load: training on from it gives the weights of training
    straight through."""
    straight = classifier(RProp(variant=variant, init_alpha=0.01))
    assert straight.optimizer.get_weights_per_tensor() == []  # no state before the step
    fit_full_batch(straight, 5)
    weights, per_tensor = straight.get_weights(), straight.optimizer.get_weights_per_tensor()
    resumed = classifier(RProp(variant=variant, init_alpha=0.01))
    fit_full_batch(resumed, 1)  # builds the optimizer's state
    resumed.set_weights(weights)
    getattr(resumed.optimizer, load)(per_tensor)
    for got, want in zip(resumed.optimizer.get_weights(), straight.optimizer.get_weights()):
        assert_bits_equal(got, want)
    fit_full_batch(straight, 5)
    fit_full_batch(resumed, 5)
    for got, want in zip(resumed.get_weights(), straight.get_weights()):
        assert_bits_equal(got, want)


def test_state_per_tensor_that_does_not_fit_is_refused_and_nothing_loaded():
    plus = classifier(RProp(variant='iRprop+', init_alpha=0.01))
    with pytest.raises(ValueError, match=r"RProp has no state to load into yet: Keras makes "
                       r"it with the model's training function"):
        plus.optimizer.set_weights_per_tensor([])
    fit_full_batch(plus, 2)
    minus = classifier(RProp(variant='iRprop-', init_alpha=0.01))
    fit_full_batch(minus, 1)
    before = minus.optimizer.get_weights()
    with pytest.raises(OptimizerStateError, match=r"RProp\(variant='iRprop-'\) cannot take this "
                       r'state per tensor: for this model it is 8 arrays .* but got 9 arrays'):
        minus.optimizer.set_weights_per_tensor(plus.optimizer.get_weights_per_tensor())
    for got, kept in zip(minus.optimizer.get_weights(), before):
        assert_bits_equal(got, kept)


@pytest.mark.parametrize('variant', ['keras-answer', 'iRprop+'])
def test_state_in_the_layout_of_0_5_loads_and_trains_on_exactly(variant):
    """A model with a large weight tensor (256 x 300: a state vector of its
    own), its state as 0.5.x saved it (one vector per slot and dtype), set
    into a new optimizer: training on gives the weights of training
    straight through."""
    from keras.layers import Dense
    from keras.models import Sequential
    rng = np.random.RandomState(0)
    x, y = rng.normal(size=(32, 256)).astype('float32'), rng.normal(size=(32, 1))

    def model():
        m = Sequential([Dense(300, activation='tanh', input_shape=(256,)), Dense(1)])
        m.set_weights([rng.uniform(-0.1, 0.1, size=w.shape) for w in m.get_weights()])
        m.compile(RProp(variant=variant, init_alpha=0.01), 'mse')
        return m

    straight = model()
    straight.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0)
    layout = straight.optimizer.layout
    assert len(layout.groups) == 2  # the kernel alone, the other three together
    kinds = layout.kinds([w.shape for w in straight.optimizer.get_weights()])
    by_dtype = layout.by_dtype()
    old = by_dtype.from_per_tensor(straight.optimizer.get_weights_per_tensor(),
                                   by_dtype.flat_shapes(kinds))
    assert [a.shape for a in old] != [w.shape for w in straight.optimizer.get_weights()]
    resumed = model()
    resumed.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)  # builds its state
    resumed.set_weights(straight.get_weights())
    resumed.optimizer.set_weights(old)
    for got, want in zip(resumed.optimizer.get_weights(), straight.optimizer.get_weights()):
        assert_bits_equal(got, want)
    for m in (straight, resumed):
        m.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0)
    for got, want in zip(resumed.get_weights(), straight.get_weights()):
        assert_bits_equal(got, want)
