"""Classic full-batch benchmark problems for Rprop, none needing a download.

Each problem is a data set, a network shape and a target loss (mean squared
error of sigmoid outputs, the criterion of the Rprop papers).  Initial
weights come from NumPy with a given seed, so every backend starts from the
same numbers.
"""
import collections

import numpy as np

# target_loss: the loss a run must reach to count as solved;
# epochs: how many full-batch epochs the demo gives a run by default
Problem = collections.namedtuple(
    'Problem', 'name description x y layers target_loss epochs')

# hidden layers use tanh, the output layer sigmoid
Layer = collections.namedtuple('Layer', 'units activation')


def xor():
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype='float32')
    y = np.array([[0], [1], [1], [0]], dtype='float32')
    return Problem('xor', 'XOR, 2-4-1', x, y,
                   [Layer(4, 'tanh'), Layer(1, 'sigmoid')], 1e-3, 200)


def encoder(n=10, hidden=5):
    x = np.eye(n, dtype='float32')
    return Problem('encoder', '%d-%d-%d encoder' % (n, hidden, n), x, x,
                   [Layer(hidden, 'tanh'), Layer(n, 'sigmoid')], 1e-3, 200)


def two_spirals(points_per_spiral=97):
    """Lang & Witbrock's two intertwined spirals (194 points)."""
    i = np.arange(points_per_spiral)
    angle = i * np.pi / 16.
    radius = 6.5 * (104 - i) / 104.
    spiral = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    x = np.concatenate([spiral, -spiral]).astype('float32') / 6.5
    y = np.concatenate([np.ones(points_per_spiral),
                        np.zeros(points_per_spiral)])[:, None].astype('float32')
    return Problem('spirals', 'two spirals, 2-20-20-1', x, y,
                   [Layer(20, 'tanh'), Layer(20, 'tanh'), Layer(1, 'sigmoid')],
                   1e-2, 3000)


def breast_cancer():
    """scikit-learn's bundled Wisconsin breast cancer data (569 x 30),
    standardised."""
    from sklearn.datasets import load_breast_cancer
    data = load_breast_cancer()
    x = (data.data - data.data.mean(axis=0)) / data.data.std(axis=0)
    y = data.target[:, None]
    return Problem('cancer', 'breast cancer, 30-10-1', x.astype('float32'),
                   y.astype('float32'), [Layer(10, 'tanh'), Layer(1, 'sigmoid')],
                   1e-2, 300)


PROBLEMS = collections.OrderedDict([
    ('xor', xor), ('encoder', encoder), ('spirals', two_spirals),
    ('cancer', breast_cancer)])


def get(name):
    if name not in PROBLEMS:
        raise ValueError('problem must be one of %s, got %r'
                         % (', '.join(PROBLEMS), name))
    return PROBLEMS[name]()


def initial_weights(problem, seed):
    """Glorot-uniform kernels and zero biases, from NumPy's RandomState(seed)."""
    rng = np.random.RandomState(seed)
    weights, fan_in = [], problem.x.shape[1]
    for layer in problem.layers:
        limit = np.sqrt(6. / (fan_in + layer.units))
        weights.append(rng.uniform(-limit, limit, (fan_in, layer.units)).astype('float32'))
        weights.append(np.zeros(layer.units, dtype='float32'))
        fan_in = layer.units
    return weights


def build_model(problem, optimizer, seed):
    """The problem's network, compiled with `optimizer` and mean squared error."""
    from keras.layers import Dense
    from keras.models import Sequential
    first, *rest = problem.layers
    model = Sequential(
        [Dense(first.units, activation=first.activation, input_shape=problem.x.shape[1:])]
        + [Dense(layer.units, activation=layer.activation) for layer in rest])
    model.set_weights(initial_weights(problem, seed))
    model.compile(optimizer=optimizer, loss='mse')
    return model
