"""Step cost of every Rprop variant against Keras' SGD and Adam.

One parameter tensor of N float32 elements, loss = sum(p * c) with c a
second (non-trainable) variable, so the gradient is c and the backend cannot
fold it into a constant; one full training step per call of a Keras
function.  All optimizers of one N are timed interleaved in the same run
(round-robin, ``--steps`` steps back to back per round as in training,
median over rounds), so their ratios compare like with like on a shared,
noisy machine.  Each line also gives the step's effective memory
traffic (the bytes the update must at least read and write) against the
copy bandwidth of ``numpy.copyto`` measured in the same run, and on Theano
the number of element-wise loops over N elements that the compiled step runs
(legacy_rprop runs each Rprop update as one loop, see
legacy_rprop/keras2/theano_loop.py; Keras' SGD and Adam run as Theano fuses them).

    python benchmarks/step_cost.py [--backend theano|tensorflow] [--sizes ...] [--steps 20]
"""
import argparse
import gc
import os
import sys
import time

import numpy as np

SIZES = (10 ** 4, 10 ** 5, 10 ** 6, 4 * 10 ** 6)
# arrays of N elements the update must read or write at least, per step:
# SGD reads p and g and writes p; Adam reads p, g, m, v and writes p, m, v;
# every Rprop rule reads p, g, step, prev_grad and writes p, step,
# prev_grad (Rprop+ and iRprop+ kept prev_move too up to version 0.6: 9)
MINIMAL_ARRAYS = {'SGD': 3, 'Adam': 7, 'keras-answer': 7, 'Rprop-': 7, 'iRprop-': 7,
                  'Rprop+': 7, 'iRprop+': 7}
# targets at the largest N: step time as a multiple of Adam's
TARGETS = {'keras-answer': 0.8, 'Rprop-': 0.8, 'iRprop-': 0.8, 'Rprop+': 1.0, 'iRprop+': 1.0}


def parse():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--backend', choices=('theano', 'tensorflow'))
    p.add_argument('--sizes', type=int, nargs='+', default=list(SIZES))
    p.add_argument('--rounds', type=int, default=25, help='timed rounds (default 25)')
    p.add_argument('--steps', type=int, default=20,
                   help='steps back to back per round (default 20)')
    return p.parse_args()


def main():
    args = parse()
    from keras import backend as K
    if args.backend and args.backend != K.backend():
        os.execve(sys.executable, [sys.executable] + sys.argv,
                  dict(os.environ, KERAS_BACKEND=args.backend))
    from keras.optimizers import SGD, Adam
    from legacy_rprop import VARIANTS, RProp

    print('backend %s, %d rounds of %d steps, median seconds per step'
          % (K.backend(), args.rounds, args.steps))
    for n in args.sizes:
        makers = [('SGD', SGD), ('Adam', Adam)] + [
            (v, lambda v=v: RProp(variant=v)) for v in VARIANTS]
        steps = {name: training_step(K, make(), n) for name, make in makers}
        copy_seconds = time_copy(n, args.rounds)
        times = seconds_per_step(steps, args.rounds, args.steps)
        worst = print_table(n, times, copy_seconds,
                            {name: elementwise_loops(K, step) for name, step in steps.items()})
    print_targets(worst, args.sizes[-1])
    # TF: free the steps' callables and close the session before the
    # interpreter tears down TensorFlow's modules (else each callable
    # complains that the module it releases itself with is gone)
    del steps
    gc.collect()
    if hasattr(K, 'clear_session'):
        K.clear_session()


def print_table(n, times, copy_seconds, loops=None):
    """One table of step times (`times`: name -> seconds, SGD and Adam
    included) and the traffic each step moves against a numpy copy; returns
    each targeted optimizer's ratio to Adam."""
    copy_bandwidth = 2 * 4 * n / copy_seconds
    print('\nN = %d   numpy copy: %.3g ms = %.2f GB/s' % (
        n, 1e3 * copy_seconds, copy_bandwidth / 1e9))
    print('%-13s %10s %8s %8s %14s %7s' % ('optimizer', 'ms/step', 'x SGD', 'x Adam',
                                           'traffic/copy', 'loops'))
    for name, t in times.items():
        traffic = MINIMAL_ARRAYS[name] * 4 * n / t
        print('%-13s %10.3f %8.2f %8.2f %14.2f %7s' % (
            name, 1e3 * t, t / times['SGD'], t / times['Adam'],
            traffic / copy_bandwidth, (loops or {}).get(name, '-')))
    return {name: times[name] / times['Adam'] for name in TARGETS}


def print_targets(ratios, n):
    print('\ntargets at N = %d (x Adam):' % n)
    for name, target in TARGETS.items():
        print('  %-13s %.2f  target <= %.1f  %s' % (
            name, ratios[name], target, 'met' if ratios[name] <= target else 'NOT met'))


def training_step(K, optimizer, n):
    from legacy_rprop.keras2.backend import symbolic
    rng = np.random.RandomState(0)
    p = K.variable(rng.normal(size=n).astype('float32'))
    c = K.variable(rng.choice([-1., 1.], size=n).astype('float32'))

    def build():
        loss = K.sum(p * c)
        updates = optimizer.get_updates(loss=loss, params=[p])
        return K.function([], [loss], updates=updates)

    # built in the graph Keras trains in (a graph of its own under TensorFlow
    # 2) and called outside it; the step keeps its variables and optimizer
    # alive (there a variable is deleted with its last Python reference)
    step = symbolic(build)()
    step.keep_alive = (p, c, optimizer)
    for _ in range(3):  # compile and warm up
        step([])
    return step


def elementwise_loops(K, step):
    """Element-wise loops over tensors in the compiled Theano step, the
    loss's included ('-' on TensorFlow, where XLA decides)."""
    if K.backend() != 'theano':
        return '-'
    from theano.tensor.elemwise import Elemwise
    from legacy_rprop.keras2.theano_loop import ElementwiseLoop
    nodes = step.function.maker.fgraph.toposort()
    return str(sum(1 for node in nodes if isinstance(node.op, (Elemwise, ElementwiseLoop))
                   and node.outputs[0].ndim > 0))


def seconds_per_step(steps, rounds, count, before=None):
    """Median seconds of one step of each of `steps` (name -> function of
    one unused argument), timed `interleaved`, `count` steps in a row per
    round (a step's cost in training, where steps follow each other);
    ``before[name]()``, where given, runs untimed before each round."""
    def in_a_row(step):
        def run(_):
            for _ in range(count):
                step([])
        return run
    seconds = interleaved({name: in_a_row(step) for name, step in steps.items()}, rounds,
                          before)
    return {name: t / count for name, t in seconds.items()}


def interleaved(steps, rounds, before=None):
    """Median seconds of each of `steps` (name -> function of one unused
    argument), called round-robin `rounds` times; ``before[name]()``, where
    given, runs untimed before each call."""
    samples = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            if before:
                before[name]()
            start = time.perf_counter()
            step([])
            samples[name].append(time.perf_counter() - start)
    return {name: float(np.median(s)) for name, s in samples.items()}


def time_copy(n, rounds):
    source = np.random.RandomState(1).normal(size=n).astype('float32')
    target = np.empty_like(source)
    samples = []
    for _ in range(rounds + 3):
        start = time.perf_counter()
        np.copyto(target, source)
        samples.append(time.perf_counter() - start)
    return float(np.median(samples[3:]))


if __name__ == '__main__':
    main()
