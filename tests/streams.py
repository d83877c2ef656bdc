"""Gradient and loss streams for driving an optimizer step by step: NumPy
only, shared by the tests of every Keras flavour."""
import numpy as np


def gradient_stream(shapes, steps, seed, zero_fraction=0.15, flip_fraction=0.3):
    """Gradients with runs of equal signs, sign flips, exact zeros and a wide
    range of magnitudes, as float32 arrays: a list (per step) of lists."""
    rng = np.random.RandomState(seed)
    signs = [rng.choice([-1., 1.], size=s) for s in shapes]
    stream = []
    for _ in range(steps):
        grads = []
        for k, shape in enumerate(shapes):
            flip = rng.uniform(size=shape) < flip_fraction
            signs[k] = np.where(flip, -signs[k], signs[k])
            magnitude = 10. ** rng.uniform(-6, 3, size=shape)
            zero = rng.uniform(size=shape) < zero_fraction
            grads.append(np.where(zero, 0., signs[k] * magnitude).astype('float32'))
        stream.append(grads)
    return stream


def loss_stream(steps, seed):
    """Loss values that rise and fall (a random walk), float32."""
    rng = np.random.RandomState(seed)
    return (10. + np.cumsum(rng.normal(size=steps))).astype('float32')
