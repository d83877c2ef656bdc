"""Every layer family of the model zoo (tests/support/zoo.py) trains, saves,
loads without custom_objects and resumes bit for bit, with every variant, in
float32 and float64 (`zoo.cases`), on this stack."""
import keras
import numpy as np
import pytest
from keras import backend as K

from legacy_rprop import VARIANTS, RProp
from support import zoo
from support.reference import assert_bits_equal

EPOCHS, SAVED_AFTER = 4, 2
clear_session = getattr(K, 'clear_session', lambda: None)  # Theano has none


def fit(model, x, y, epochs, initial_epoch=0):
    history = model.fit(x, y, batch_size=zoo.SAMPLES, epochs=epochs,
                        initial_epoch=initial_epoch, shuffle=False, verbose=0)
    return history.history['loss']


def train_and_save(name, dtype, optimizer, path):
    """The zoo model trained SAVED_AFTER epochs, saved to `path`, then
    trained on to EPOCHS; ``(losses, state when saved, final weights, final
    optimizer state, x, y)``."""
    model, compile_kwargs, x, y = zoo.build(keras, name, dtype)
    model.compile(optimizer, **compile_kwargs)
    losses = fit(model, x, y, SAVED_AFTER)
    model.save(path)
    saved_state = model.optimizer.get_weights()
    losses += fit(model, x, y, EPOCHS, SAVED_AFTER)
    return losses, saved_state, model.get_weights(), model.optimizer.get_weights(), x, y


@pytest.mark.parametrize('name, variant, dtype', zoo.cases(sorted(VARIANTS)))
def test_the_model_trains_saves_loads_and_resumes_bit_for_bit(name, variant, dtype, tmp_path,
                                                              not_applicable):
    K.set_floatx(dtype)
    path = str(tmp_path / 'model.h5')
    try:
        losses, saved_state, weights, state, x, y = train_and_save(
            name, dtype, RProp(variant=variant, init_alpha=0.05), path)
    except Exception as error:
        # not applicable only where Keras' own Adam fails on the same case
        clear_session()
        with pytest.raises(type(error)):
            train_and_save(name, dtype, keras.optimizers.Adam(), path)
        return not_applicable('%s in %s: Keras itself cannot train it here (Adam fails '
                              'too: %s)' % (name, dtype, str(error).splitlines()[0][:120]))
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0], losses

    clear_session()
    resumed = keras.models.load_model(path)  # no custom_objects
    assert type(resumed.optimizer) is RProp and resumed.optimizer.variant == variant
    for got, want in zip(resumed.optimizer.get_weights(), saved_state):
        assert_bits_equal(got, want)
    resumed_losses = fit(resumed, x, y, EPOCHS, SAVED_AFTER)
    if name in zoo.RANDOM_IN_TRAINING:  # Dropout draws new masks after the load
        assert np.all(np.isfinite(resumed_losses))
        return
    np.testing.assert_array_equal(resumed_losses, losses[SAVED_AFTER:])
    for got, want in zip(resumed.get_weights(), weights):
        assert_bits_equal(got, want)
    for got, want in zip(resumed.optimizer.get_weights(), state):
        assert_bits_equal(got, want)
