"""A small full-batch classifier with fixed data and fixed initial weights,
identical on every backend."""
from keras.layers import Dense
from keras.models import Sequential

from support.classifier_data import N_SAMPLES, data, initial_weights  # noqa: F401 -- used by tests
from legacy_rprop.keras2.backend import training_model


def classifier(optimizer, **dense_kwargs):
    model = Sequential([Dense(8, activation='tanh', input_shape=(4,), **dense_kwargs),
                        Dense(1, activation='sigmoid')])
    model.set_weights(initial_weights())
    model.compile(optimizer=optimizer, loss='binary_crossentropy')
    return model


def fit_full_batch(model, epochs, **kwargs):
    """Full-batch training; returns the loss of every epoch."""
    x, y = data()
    history = model.fit(x, y, batch_size=N_SAMPLES, epochs=epochs, shuffle=False,
                        verbose=0, **kwargs)
    return history.history['loss']


def train_function(model):
    """The compiled training step of `model`."""
    return training_model(model).train_function
