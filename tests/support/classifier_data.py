"""The test classifier's data and initial weights: NumPy only, the same for
every backend and Keras flavour."""
import numpy as np

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
