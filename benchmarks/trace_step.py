"""Where the time of one training step goes, on Keras 2 with TensorFlow 1.x:
each optimizer's compiled step traced with TensorFlow's step statistics
(``RunOptions(trace_level=FULL_TRACE)``), the mean time of its costliest
nodes and the number of nodes run per step, and the step timed over many
``train_on_batch`` calls.

    python benchmarks/trace_step.py [--model 2 4 1] [--samples 4] [--optimizers ...]
"""
import argparse
import collections
import os
import time

import numpy as np

from model_sweep import OPTIMIZERS, data, network, optimizer_named


def parse():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--model', type=int, nargs='+', default=[2, 4, 1], help='layer sizes')
    p.add_argument('--samples', type=int, default=4)
    p.add_argument('--optimizers', nargs='+', default=['SGD', 'Adam', 'iRprop-', 'iRprop+'],
                   choices=OPTIMIZERS)
    p.add_argument('--traced', type=int, default=200, help='traced steps (default 200)')
    p.add_argument('--timed', type=int, default=2000, help='timed steps (default 2000)')
    p.add_argument('--top', type=int, default=8, help='costliest nodes shown (default 8)')
    return p.parse_args()


def trace(model, x, y, steps):
    """Mean microseconds per node and step over `steps` traced steps (the
    first tenth left out), and the nodes run per step."""
    import tensorflow as tf
    from keras import backend as K
    function = model.train_function
    feed = dict(zip(function.inputs, [x, y, np.ones(len(x), 'float32')]))
    fetches = function.outputs + [function.updates_op]
    micros, nodes = collections.defaultdict(float), 0
    skipped = steps // 10
    for step in range(steps):
        metadata = tf.RunMetadata()
        K.get_session().run(fetches, feed, run_metadata=metadata, options=tf.RunOptions(
            trace_level=tf.RunOptions.FULL_TRACE))
        if step < skipped:
            continue
        for device in metadata.step_stats.dev_stats:
            for node in device.node_stats:
                micros[node.node_name] += node.all_end_rel_micros / (steps - skipped)
            nodes += len(device.node_stats)
    return micros, nodes / (steps - skipped)


def main():
    args = parse()
    os.environ.setdefault('KERAS_BACKEND', 'tensorflow')
    from keras import backend as K
    x, y = data(args.model, args.samples)
    print('model %s on %d samples, Keras on TensorFlow; times per step' % (
        '-'.join(map(str, args.model)), args.samples))
    for name in args.optimizers:
        K.clear_session()
        model = network(args.model, optimizer_named(name))
        for _ in range(50):  # compile and warm up
            model.train_on_batch(x, y)
        micros, nodes = trace(model, x, y, args.traced)
        start = time.perf_counter()
        for _ in range(args.timed):
            model.train_on_batch(x, y)
        ms = 1e3 * (time.perf_counter() - start) / args.timed
        print('\n%s: %.4f ms per train_on_batch, %d nodes run per step' % (name, ms, nodes))
        for node, us in sorted(micros.items(), key=lambda item: -item[1])[:args.top]:
            print('  %8.2f us  %s' % (us, node[:90]))


if __name__ == '__main__':
    main()
