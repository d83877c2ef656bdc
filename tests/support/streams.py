"""Gradient and loss streams for driving an optimizer step by step, and the
conformance run's setup: NumPy only, shared by the tests of every Keras
flavour."""
import numpy as np

# the conformance run: parameter shapes, steps, hyper-parameter sets
SHAPES = [(7, 5), (5,), ()]
STEPS = 120

HYPER_SETS = {
    'defaults': {},
    # a narrow step range, so both clipping bounds are hit many times
    'narrow': dict(init_alpha=0.02, scale_up=1.5, scale_down=0.3,
                   min_alpha=1e-3, max_alpha=0.1),
    # D_0 above D_max, as on the paper's two spirals: used as given until
    # the rule adapts it
    'above-max': dict(init_alpha=0.1, max_alpha=0.001),
}


def initial_weights(seed=0):
    rng = np.random.RandomState(seed)
    return [rng.normal(size=s).astype('float32') for s in SHAPES]


def gradient_stream(shapes, steps, seed, zero_fraction=0.15, flip_fraction=0.3):
    """Gradients with runs of equal signs, sign flips, exact zeros (+0.0
    and -0.0) and a wide range of magnitudes, as float32 arrays: a list (per
    step) of lists."""
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
            grads.append(np.where(zero, signs[k] * 0., signs[k] * magnitude).astype('float32'))
        stream.append(grads)
    return stream


def loss_stream(steps, seed):
    """Loss values that rise and fall (a random walk), and every fourth
    equal to the one before (iRprop+'s E_t = E_(t-1): not a rise), float32."""
    rng = np.random.RandomState(seed)
    losses = (10. + np.cumsum(rng.normal(size=steps))).astype('float32')
    losses[4::4] = losses[3::4][:len(losses[4::4])]
    return losses


def poisoned_stream(seed=3):
    """The conformance run's gradients and losses (SHAPES, STEPS) with NaN,
    +inf and -inf in a few elements, and a NaN loss, on some steps."""
    grads_per_step = gradient_stream(SHAPES, STEPS, seed=seed)
    losses = loss_stream(STEPS, seed=seed + 1)
    rng = np.random.RandomState(seed + 2)
    for t in (5, 6, 17, 30, 77):
        for g in grads_per_step[t][:2]:
            flat = g.reshape(-1)
            flat[rng.choice(flat.size, size=3, replace=False)] = [np.nan, np.inf, -np.inf]
        losses[t] = np.nan
    return grads_per_step, losses
