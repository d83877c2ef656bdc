"""Whole training steps from tiny to large full-batch models, every Rprop
variant against Keras' SGD and Adam, on the backend Keras runs on.

Models (layer sizes, samples): the demo's nets (2-4-1 XOR on 4, 10-5-10
encoder on 10, 2-20-20-1 spirals on 194, 30-10-1 breast cancer on 569), an
MLP 64-256-256-10 on 1000 and 784-512-512-10 on 10,000 random samples.  For
each model every optimizer's compiled step is timed interleaved, round-robin
(``--rounds`` rounds of ``--steps`` calls of ``train_on_batch``, median over
rounds, every round from the same weights), so the ratios compare like
with like on a shared machine.  Prints
ms per step and each Rprop variant's step as a multiple of Adam's; with
``--json FILE`` also writes the numbers.  ``--flavour tf.keras`` runs the
same with TensorFlow's own Keras and `legacy_rprop.tfkeras` (against
tf.keras' SGD and Adam of the same optimizer API): on TensorFlow 1.15 each
step is a ``train_on_batch``, on TensorFlow 2 a ``tf.function`` of the
model's ``train_step`` (what ``fit`` runs per batch; ``train_on_batch``
there builds a data iterator per call, some 20 ms).  ``--legacy-api`` times
the classes of tf.keras' legacy optimizer API on TensorFlow 2.11+ (RProp
then updates one tensor at a time).

    python benchmarks/model_sweep.py [--backend theano|tensorflow] [--models ...]
    python benchmarks/model_sweep.py --flavour tf.keras [--legacy-api] [--models ...]
"""
import argparse
import json
import os
import sys

import numpy as np

from step_cost import seconds_per_step

MODELS = {
    '2-4-1': ((2, 4, 1), 4),
    '10-5-10': ((10, 5, 10), 10),
    '2-20-20-1': ((2, 20, 20, 1), 194),
    '30-10-1': ((30, 10, 1), 569),
    '64-256-256-10': ((64, 256, 256, 10), 1000),
    '784-512-512-10': ((784, 512, 512, 10), 10000),
}
OPTIMIZERS = ('SGD', 'Adam', 'keras-answer', 'Rprop-', 'iRprop-', 'Rprop+', 'iRprop+')
RPROP = OPTIMIZERS[2:]


# which Keras the sweep runs: multi-backend Keras with `legacy_rprop`, or
# TensorFlow's own with `legacy_rprop.tfkeras` (--flavour tf.keras)
FLAVOUR = {'name': 'keras', 'legacy_api': False}


def keras_module():
    if FLAVOUR['name'] == 'tf.keras':
        import tensorflow as tf
        return tf.keras
    import keras
    return keras


def network(sizes, optimizer):
    """The sweep's net: tanh hidden layers, a sigmoid output, mean squared
    error, compiled with `optimizer`."""
    keras = keras_module()
    Dense, Sequential = keras.layers.Dense, keras.models.Sequential
    layers = [Dense(sizes[1], activation='tanh', input_shape=(sizes[0],))]
    layers += [Dense(n, activation='tanh') for n in sizes[2:-1]]
    layers.append(Dense(sizes[-1], activation='sigmoid'))
    model = Sequential(layers)
    model.compile(optimizer=optimizer, loss='mse')
    return model


def data(sizes, samples):
    """Random inputs in [-1, 1] and 0/1 targets (seed 0)."""
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, size=(samples, sizes[0])).astype('float32')
    y = (rng.uniform(size=(samples, sizes[-1])) > 0.5).astype('float32')
    return x, y


def optimizer_named(name):
    """Keras' SGD or Adam, or `RProp` with variant `name`, of the flavour."""
    if FLAVOUR['name'] == 'tf.keras':
        from legacy_rprop.tfkeras import RProp
        from legacy_rprop.tfkeras.backend import CurrentOptimizerBase
        optimizers = keras_module().optimizers
        if FLAVOUR['legacy_api'] or CurrentOptimizerBase is None:
            # compare with the OptimizerV2 classes that RProp is then one of
            from legacy_rprop.tfkeras.optimizers import RProp
            optimizers = getattr(optimizers, 'legacy', optimizers)
    else:
        from keras import optimizers
        from legacy_rprop import RProp
    return {'SGD': optimizers.SGD, 'Adam': optimizers.Adam}.get(
        name, lambda: RProp(variant=name))()


def _eager():
    if FLAVOUR['name'] != 'tf.keras':
        return False
    import tensorflow as tf
    return tf.executing_eagerly()


def _state_variables(optimizer):
    variables = optimizer.variables
    return variables() if callable(variables) else variables


def _state(optimizer):
    """The optimizer's state as arrays (tf.keras' current optimizers have
    no get_weights)."""
    if _eager():
        return [v.numpy() for v in _state_variables(optimizer)]
    return optimizer.get_weights()


def time_steps(models, x, y, rounds, count):
    """Median ms per ``train_on_batch`` of each of `models` (name -> model)
    on (x, y), timed interleaved in rounds of `count` calls
    (`step_cost.seconds_per_step`).

    Every round of every model starts from the same weights and from its
    optimizer's state after the first step, so that each round repeats the
    same computation and the forward and backward passes compute on the same
    values whatever the optimizer: their cost can depend on the values (in
    Theano's C code a tanh of a large argument costs less than of a small
    one), which is not the optimizer's step.
    """
    weights = next(iter(models.values())).get_weights()

    def step(model):
        if FLAVOUR['name'] == 'tf.keras' and _eager():
            import tensorflow as tf
            batch = (tf.constant(x), tf.constant(y))
            train_step = tf.function(lambda: model.train_step(batch))
            return lambda _: train_step()
        return lambda _: model.train_on_batch(x, y)

    def restart(model, state):
        def reset():
            model.set_weights(weights)
            if _eager():
                for variable, value in zip(_state_variables(model.optimizer), state):
                    variable.assign(value)
            else:
                model.optimizer.set_weights(state)
        return reset

    steps, restarts = {}, {}
    for name, model in models.items():
        model.set_weights(weights)
        steps[name] = step(model)
        steps[name](None)  # compiles the training step
        restarts[name] = restart(model, [np.array(v) for v in _state(model.optimizer)])
    seconds = seconds_per_step(steps, rounds, count, before=restarts)
    return {name: 1e3 * t for name, t in seconds.items()}


def time_model(sizes, samples, rounds, steps):
    x, y = data(sizes, samples)
    models = {name: network(sizes, optimizer_named(name)) for name in OPTIMIZERS}
    return time_steps(models, x, y, rounds, steps)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--backend', choices=('theano', 'tensorflow'))
    p.add_argument('--models', nargs='+', default=list(MODELS), choices=list(MODELS))
    p.add_argument('--rounds', type=int, default=15)
    p.add_argument('--steps', type=int, default=20)
    p.add_argument('--json', help='also write the results to this file')
    p.add_argument('--flavour', choices=('keras', 'tf.keras'), default='keras')
    p.add_argument('--legacy-api', action='store_true',
                   help="tf.keras: the legacy optimizer API's classes on TensorFlow 2.11+")
    args = p.parse_args()
    if args.legacy_api and args.flavour != 'tf.keras':
        p.error('--legacy-api is for --flavour tf.keras')
    FLAVOUR['name'], FLAVOUR['legacy_api'] = args.flavour, args.legacy_api
    if args.flavour == 'tf.keras':
        if args.backend not in (None, 'tensorflow'):
            p.error('--flavour tf.keras runs on TensorFlow only')
        import tensorflow as tf
        from legacy_rprop.tfkeras.backend import CurrentOptimizerBase
        K = tf.keras.backend
        api = ('legacy' if args.legacy_api or CurrentOptimizerBase is None else 'current')
        print('tf.keras of TensorFlow %s (%s), %s optimizer API; median of %d rounds of '
              '%d steps' % (tf.__version__, 'eager' if tf.executing_eagerly() else 'graph',
                            api, args.rounds, args.steps))
        describe = {'flavour': 'tf.keras', 'tensorflow': tf.__version__, 'api': api}
    else:
        from keras import backend as K
        if args.backend and args.backend != K.backend():
            os.execve(sys.executable, [sys.executable] + sys.argv,
                      dict(os.environ, KERAS_BACKEND=args.backend))
        import keras
        from legacy_rprop.core import switches
        from legacy_rprop.keras2 import fusion
        print('keras %s, backend %s, fused update: %s from %d weights; median of %d rounds '
              'of %d steps' % (keras.__version__, K.backend(),
                               'XLA' if fusion.use_xla() else 'C loop'
                               if fusion.USE_THEANO_LOOP else 'off (plain graph)',
                               switches.XLA_FROM if fusion.use_xla() else 0,
                               args.rounds, args.steps))
        describe = {'keras': keras.__version__, 'backend': K.backend(),
                    'fused': bool(fusion.use_xla() or fusion.USE_THEANO_LOOP)}
    print('%-15s %7s %7s %7s %s' % ('model', 'samples', 'SGD ms', 'Adam ms',
                                    '  '.join('%12s' % v for v in RPROP) + '  (x Adam)'))
    results = {}
    for label in args.models:
        sizes, samples = MODELS[label]
        if hasattr(K, 'clear_session'):
            K.clear_session()
        times = time_model(sizes, samples, args.rounds, args.steps)
        results[label] = times
        print('%-15s %7d %7.3f %7.3f %s' % (
            label, samples, times['SGD'], times['Adam'],
            '  '.join('%12.2f' % (times[v] / times['Adam']) for v in RPROP)), flush=True)
    worst = max(times[v] / times['Adam'] for times in results.values() for v in RPROP)
    print('largest Rprop step / Adam step: %.2f' % worst)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(describe, ms_per_step=results), f, indent=1)


if __name__ == '__main__':
    main()
