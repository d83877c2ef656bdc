"""The test classifier in tf.keras: the same data, initial weights and layers
as the multi-backend tests' (classifier_data)."""
import tensorflow as tf

from support.classifier_data import N_SAMPLES, data, initial_weights


def classifier(optimizer, **compile_kwargs):
    model = tf.keras.Sequential([
        tf.keras.layers.Dense(8, activation='tanh', input_shape=(4,)),
        tf.keras.layers.Dense(1, activation='sigmoid')])
    model.set_weights(initial_weights())
    model.compile(optimizer=optimizer, loss='binary_crossentropy', **compile_kwargs)
    return model


def fit_full_batch(model, epochs, **kwargs):
    """Full-batch training; returns the loss of every epoch."""
    x, y = data()
    history = model.fit(x, y, batch_size=N_SAMPLES, epochs=epochs, shuffle=False,
                        verbose=0, **kwargs)
    return history.history['loss']
