"""Full-batch training step of a realistic model, and optimizer memory.

An MLP 784-512-512-10 (669,706 parameters) on 10,000 random samples, one
full-batch step per call of Keras' train function, Keras' SGD and Adam and
every Rprop variant timed interleaved (median over rounds).  Memory: the
optimizer's state in bytes per parameter (exact, from its weights), and the
peak and final (after 5 steps) resident memory of a separate process that
builds and trains the model with that optimizer only.

    python benchmarks/model_step.py [--backend theano|tensorflow]
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

SAMPLES, SIZES = 10000, (784, 512, 512, 10)
OPTIMIZERS = ('SGD', 'Adam', 'keras-answer', 'Rprop-', 'iRprop-', 'Rprop+', 'iRprop+')


def build(name):
    from keras.layers import Dense
    from keras.models import Sequential
    from keras.optimizers import SGD, Adam
    from legacy_rprop import RProp
    rng = np.random.RandomState(0)
    model = Sequential([Dense(SIZES[1], activation='relu', input_shape=(SIZES[0],)),
                        Dense(SIZES[2], activation='relu'),
                        Dense(SIZES[3], activation='softmax')])
    optimizer = {'SGD': SGD, 'Adam': Adam}.get(name, lambda: RProp(variant=name))()
    model.compile(optimizer=optimizer, loss='categorical_crossentropy')
    x = rng.normal(size=(SAMPLES, SIZES[0])).astype('float32')
    y = np.eye(SIZES[3], dtype='float32')[rng.randint(SIZES[3], size=SAMPLES)]
    model.train_on_batch(x, y)  # builds and compiles the train function
    return model, x, y


def state_bytes_per_parameter(model):
    from keras import backend as K
    params = sum(K.count_params(w) for w in model.trainable_weights)
    state = sum(w.nbytes for w in model.optimizer.get_weights())
    return state / params, params


def child(name):
    """Train 5 steps with one optimizer; print peak and final RSS and the
    state size."""
    model, x, y = build(name)
    for _ in range(5):
        model.train_on_batch(x, y)
    per_param, params = state_bytes_per_parameter(model)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with open('/proc/self/statm') as f:  # resident pages, after training
        final = int(f.read().split()[1]) * resource.getpagesize()
    print(json.dumps({'peak_rss': int(peak), 'final_rss': final,
                      'state_per_param': float(per_param), 'params': int(params)}))


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--backend', choices=('theano', 'tensorflow'))
    p.add_argument('--rounds', type=int, default=15)
    p.add_argument('--child', help=argparse.SUPPRESS)
    args = p.parse_args()
    from keras import backend as K
    if args.backend and args.backend != K.backend():
        os.execve(sys.executable, [sys.executable] + sys.argv,
                  dict(os.environ, KERAS_BACKEND=args.backend))
    if args.child:
        return child(args.child)

    models = {name: build(name) for name in OPTIMIZERS}
    samples = {name: [] for name in OPTIMIZERS}
    for _ in range(args.rounds):
        for name, (model, x, y) in models.items():
            start = time.perf_counter()
            model.train_on_batch(x, y)
            samples[name].append(time.perf_counter() - start)
    times = {name: float(np.median(s)) for name, s in samples.items()}
    print('backend %s; MLP %s, %d samples, full batch; median of %d steps'
          % (K.backend(), '-'.join(map(str, SIZES)), SAMPLES, args.rounds))
    print('%-13s %9s %7s %7s %14s %12s %13s' % ('optimizer', 'ms/step', 'x SGD', 'x Adam',
                                                'state B/param', 'peak RSS MB',
                                                'final RSS MB'))
    for name in OPTIMIZERS:
        out = subprocess.check_output(
            [sys.executable, os.path.abspath(__file__), '--child', name],
            stderr=subprocess.DEVNULL).decode('utf-8').strip().splitlines()[-1]
        memory = json.loads(out)
        print('%-13s %9.1f %7.2f %7.2f %14.2f %12.1f %13.1f' % (
            name, 1e3 * times[name], times[name] / times['SGD'],
            times[name] / times['Adam'], memory['state_per_param'],
            memory['peak_rss'] / 2 ** 20, memory['final_rss'] / 2 ** 20))


if __name__ == '__main__':
    main()
