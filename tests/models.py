"""A small full-batch classifier with fixed data and fixed initial weights,
identical on every backend."""
import numpy as np
from keras.layers import Dense
from keras.models import Sequential

from legacy_rprop._backend import training_model

N_SAMPLES = 64


def data():
    """Points in [-1, 1]^4 labelled by the XOR of the first two coordinates."""
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, size=(N_SAMPLES, 4)).astype('float32')
    y = ((x[:, 0] > 0) != (x[:, 1] > 0)).astype('float32')[:, None]
    return x, y


def initial_weights():
    rng = np.random.RandomState(1)
    return [rng.normal(scale=0.5, size=(4, 8)).astype('float32'),
            np.zeros(8, 'float32'),
            rng.normal(scale=0.5, size=(8, 1)).astype('float32'),
            np.zeros(1, 'float32')]


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
