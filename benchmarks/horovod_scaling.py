"""Epoch time of full-batch Rprop on 1 and 2 Horovod workers (Gloo, this
machine), and what the allreduce of a step costs on paper.

A 784-256-256-10 MLP (N = 269322 weights) on S samples, full batch, each
worker on S / W of them; median epoch time after two warm-up epochs.  Runs
``horovodrun --gloo -np W`` for each W itself.

    python benchmarks/horovod_scaling.py [--samples 40000] [--workers 1 2] [--epochs 12]
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

LAYERS = (784, 256, 256, 10)


def parse():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--samples', type=int, default=40000)
    p.add_argument('--workers', type=int, nargs='+', default=[1, 2])
    p.add_argument('--epochs', type=int, default=12)
    p.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    return p.parse_args()


def worker(args):
    import horovod.keras as hvd
    import keras
    from keras.layers import Dense
    from keras.models import Sequential

    from legacy_rprop import RProp
    from legacy_rprop.horovod import DistributedOptimizer
    hvd.init()
    per_worker = args.samples // hvd.size()
    rng = np.random.RandomState(hvd.rank())
    x = rng.uniform(-1, 1, size=(per_worker, LAYERS[0])).astype('float32')
    y = np.eye(LAYERS[-1], dtype='float32')[rng.randint(LAYERS[-1], size=per_worker)]
    model = Sequential([Dense(LAYERS[1], activation='relu', input_shape=(LAYERS[0],)),
                        Dense(LAYERS[2], activation='relu'),
                        Dense(LAYERS[3], activation='softmax')])
    model.compile(DistributedOptimizer(RProp(variant='iRprop-')), 'categorical_crossentropy')
    times = []

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    model.fit(x, y, batch_size=per_worker, epochs=args.epochs, shuffle=False, verbose=0,
              callbacks=[hvd.callbacks.BroadcastGlobalVariablesCallback(0), Clock()])
    if hvd.rank() == 0:
        print(json.dumps({'workers': hvd.size(), 'epoch_s': float(np.median(times[2:])),
                          'weights': int(model.count_params())}))


def main():
    args = parse()
    if args.worker:
        return worker(args)
    horovodrun = os.path.join(os.path.dirname(sys.executable), 'horovodrun')
    runs = []
    for w in args.workers:
        out = subprocess.check_output(
            [horovodrun, '--gloo', '-np', str(w), '-H', 'localhost:%d' % w, sys.executable,
             os.path.abspath(__file__), '--worker', '--samples', str(args.samples),
             '--epochs', str(args.epochs)], stderr=subprocess.DEVNULL).decode('utf-8')
        line = [x for x in out.splitlines() if '"workers"' in x][-1]
        runs.append(json.loads(line[line.index('{'):]))
    n = runs[0]['weights']
    print('%d samples, %s MLP (N = %d weights), full batch, iRprop-' % (
        args.samples, '-'.join(map(str, LAYERS)), n))
    print('%8s %14s %10s %26s' % ('workers', 's per epoch', 'speed-up',
                                  'allreduce bytes/worker/step'))
    for r in runs:
        w = r['workers']
        # a ring allreduce sends (and receives) 2 (W - 1) / W of the gradient
        wire = 2. * (w - 1) / w * 4 * n
        print('%8d %14.3f %10.2f %26s' % (w, r['epoch_s'], runs[0]['epoch_s'] / r['epoch_s'],
                                           '%.2f MB' % (wire / 1e6) if w > 1 else '-'))
    print('the gradient is %.2f MB (float32), whatever the number of samples' % (4 * n / 1e6))


if __name__ == '__main__':
    main()
