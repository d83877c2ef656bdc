"""Peak memory of full-batch training with and without `batches_per_step`.

A 784-512-512-10 MLP on N random samples (default 200000: the inputs are
0.6 GB, the full batch's activations and their gradients several GB),
trained for a few epochs with one step per epoch: one batch of all N samples
(k = 1), or k batches of N/k samples added up by ``batches_per_step=k``.
Each k runs in a child process of its own, which reports its peak resident
memory (ru_maxrss); the weights after training are compared with k = 1's.

    python benchmarks/accumulation_memory.py [--samples 200000] [--ks 1 10 100]
"""
import argparse
import json
import os
import resource
import subprocess
import sys

import numpy as np

EPOCHS = 5


def parse():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--samples', type=int, default=200000)
    p.add_argument('--ks', type=int, nargs='+', default=[1, 10, 100])
    p.add_argument('--child', type=int, help=argparse.SUPPRESS)
    return p.parse_args()


def child(args, k):
    """Train with k batches per step; print peak RSS and the weights' digest."""
    from keras.layers import Dense
    from keras.models import Sequential

    from legacy_rprop import RProp
    rng = np.random.RandomState(0)
    x = np.empty((args.samples, 784), dtype='float32')
    for start in range(0, args.samples, 10000):  # no float64 copy of the whole set
        rows = x[start:start + 10000]
        rows[...] = rng.uniform(-1, 1, size=rows.shape)
    y = np.eye(10, dtype='float32')[rng.randint(10, size=args.samples)]
    model = Sequential([Dense(512, activation='relu', input_shape=(784,)),
                        Dense(512, activation='relu'), Dense(10, activation='softmax')])
    init = np.random.RandomState(1)
    model.set_weights([init.normal(scale=0.05, size=w.shape).astype('float32')
                       for w in model.get_weights()])
    model.compile(RProp(variant='iRprop-', init_alpha=0.01, batches_per_step=k),
                  'categorical_crossentropy')
    model.fit(x, y, batch_size=-(-args.samples // k), epochs=EPOCHS, shuffle=False, verbose=0)
    weights = [w.tolist() for w in model.get_weights()[-1:]]  # the output biases
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({'k': k, 'peak_mb': peak_kb / 1024., 'output_bias': weights,
                      'first_kernel_sum': float(np.sum(model.get_weights()[0]))}))


def main():
    args = parse()
    if args.child is not None:
        return child(args, args.child)
    results = []
    for k in args.ks:
        out = subprocess.check_output(
            [sys.executable, os.path.abspath(__file__), '--child', str(k),
             '--samples', str(args.samples)])
        results.append(json.loads(out.decode('utf-8').strip().splitlines()[-1]))
    base = results[0]
    print('%d samples, 784-512-512-10, %d epochs (one step each), iRprop-' % (
        args.samples, EPOCHS))
    print('%5s %12s %14s %18s %22s' % ('k', 'batch size', 'peak RSS MB',
                                        'max |output bias|', 'first kernel: sum'))
    print('%5s %12s %14s %18s %22s' % ('', '', '', 'diff to k=%d' % base['k'],
                                        'rel. diff to k=%d' % base['k']))
    for r in results:
        bias = np.max(np.abs(np.array(r['output_bias']) - np.array(base['output_bias'])))
        kernel = abs(r['first_kernel_sum'] - base['first_kernel_sum']) / abs(
            base['first_kernel_sum'])
        print('%5d %12d %14.0f %18.2e %22.2e' % (
            r['k'], -(-args.samples // r['k']), r['peak_mb'], bias, kernel))


if __name__ == '__main__':
    main()
