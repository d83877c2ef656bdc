"""Convergence of every Rprop variant and of Keras' SGD and Adam on the
classic full-batch problems, over many seeds (initial weights).

For each problem and optimizer: the success rate (runs that reach the
problem's target loss within its epoch budget) and the median number of
epochs of the successful runs.  Uses the demo's problems and training code
(legacy_rprop.demo.problems, legacy_rprop.demo.run.train).

    python benchmarks/convergence.py [--backend ...] [--seeds 20] [--problems ...]
"""
import argparse
import os
import sys
import time

import numpy as np

# problem name -> (problem factory arguments, epoch budget)
EPOCH_BUDGET = {'xor': 500, 'encoder': 500, 'encoder12': 3000, 'spirals': 3000,
                'cancer': 300}


def problem(name):
    from legacy_rprop.demo import problems
    if name == 'encoder12':
        # With two hidden units the runs settle at an MSE of 0.004 to 0.03
        # (seen over seeds 0-3), never at 1e-3; 0.02 is this benchmark's
        # proxy target, not the papers' criterion (40-20-40 per output).
        return problems.encoder(12, 2)._replace(name='encoder12', target_loss=0.02)
    return problems.get(name)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--backend', choices=('theano', 'tensorflow'))
    p.add_argument('--seeds', type=int, default=20)
    p.add_argument('--problems', nargs='+', default=list(EPOCH_BUDGET),
                   choices=list(EPOCH_BUDGET))
    args = p.parse_args()
    from keras import backend as K
    if args.backend and args.backend != K.backend():
        os.execve(sys.executable, [sys.executable] + sys.argv,
                  dict(os.environ, KERAS_BACKEND=args.backend))
    from legacy_rprop.demo import run as demo

    start = time.time()
    print('backend %s, %d seeds, Rprop init_alpha %g, SGD and Adam at Keras defaults'
          % (K.backend(), args.seeds, demo.DEMO_INIT_ALPHA))
    print('| problem (target, epochs) | ' + ' | '.join(demo.OPTIMIZERS) + ' |')
    print('|---' * (len(demo.OPTIMIZERS) + 1) + '|')
    for name in args.problems:
        prob = problem(name)
        cells = []
        for optimizer in demo.OPTIMIZERS:
            reached = [demo.train(prob, optimizer, EPOCH_BUDGET[name], seed).epochs_to_target
                       for seed in range(args.seeds)]
            hits = [e for e in reached if e is not None]
            cells.append('%d/%d, %s' % (len(hits), args.seeds,
                                        int(np.median(hits)) if hits else '-'))
        print('| %s (%g, %d) | %s |' % (prob.description, prob.target_loss,
                                          EPOCH_BUDGET[name], ' | '.join(cells)), flush=True)
    print('\ncells: successful runs / seeds, median epochs to the target of the '
          'successful runs; %.0f s' % (time.time() - start))


if __name__ == '__main__':
    main()
