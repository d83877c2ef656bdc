"""Write what legacy_rprop's iRprop- does, for benchmarks/torch_compare.py
(which runs torch.optim.Rprop on the same inputs in a Python 3.11
environment):

- the weights after every step of a fixed gradient stream;
- the full-batch loss history of the demo's XOR and 10-5-10 encoder problems,
  with their data and initial weights (seed 0).

    python benchmarks/export_irprop_trajectory.py OUT.npz
"""
import sys

import numpy as np
from keras import backend as K

from legacy_rprop import RProp
from legacy_rprop.demo import problems
from legacy_rprop.demo import run as demo

N, STEPS, INIT_ALPHA = 1000, 200, 0.01
PROBLEMS, PROBLEM_EPOCHS, PROBLEM_SEED = ('xor', 'encoder'), 100, 0


def gradient_stream(rng):
    """Runs of equal signs, flips, exact zeros, magnitudes 1e-4 .. 1e2."""
    signs = rng.choice([-1., 1.], size=N)
    for _ in range(STEPS):
        signs = np.where(rng.uniform(size=N) < 0.3, -signs, signs)
        g = signs * 10. ** rng.uniform(-4, 2, size=N)
        yield np.where(rng.uniform(size=N) < 0.1, 0., g).astype('float32')


def main(path):
    rng = np.random.RandomState(0)
    w0 = rng.normal(size=N).astype('float32')
    p = K.variable(w0)
    g = K.placeholder(shape=(N,))
    linear = K.sum(p * g)
    loss = linear - K.stop_gradient(linear)  # its gradient is g
    optimizer = RProp(variant='iRprop-', init_alpha=INIT_ALPHA)
    step = K.function([g], [loss], updates=optimizer.get_updates(loss=loss, params=[p]))
    grads, trajectory = [], []
    for gradient in gradient_stream(rng):
        step([gradient])
        grads.append(gradient)
        trajectory.append(K.get_value(p))
    runs = {}
    for name in PROBLEMS:
        problem = problems.get(name)
        result = demo.train(problem, 'iRprop-', PROBLEM_EPOCHS, PROBLEM_SEED)
        runs.update({name + '/x': problem.x, name + '/y': problem.y,
                     name + '/losses': np.array(result.losses),
                     name + '/target': problem.target_loss,
                     name + '/activations': np.array(
                         [layer.activation for layer in problem.layers])})
        for k, w in enumerate(problems.initial_weights(problem, PROBLEM_SEED)):
            runs['%s/w%d' % (name, k)] = w
    np.savez(path, w0=w0, grads=np.array(grads), trajectory=np.array(trajectory),
             init_alpha=INIT_ALPHA, backend=K.backend(), problems=np.array(PROBLEMS),
             problem_init_alpha=demo.DEMO_INIT_ALPHA, **runs)
    print('wrote %s: %d steps of %d weights, and %d epochs of %s, on %s'
          % (path, STEPS, N, PROBLEM_EPOCHS, ' and '.join(PROBLEMS), K.backend()))


if __name__ == '__main__':
    main(sys.argv[1])
