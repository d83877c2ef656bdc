"""Riedmiller & Braun (1993) on their own setup: the 10-5-10 and 12-2-12
encoders and the two spirals, with their success criterion, step-size
settings and run counts, every Rprop variant and plain gradient descent (BP).

Their setup (the paper, sections 4 and 5): learning by epoch (full batch),
eta+ 1.2, eta- 0.5, D_min 1e-6, D_max 50 (0.001 on the two spirals); their
rule is our 'Rprop+'; learning is complete when every output is < 0.4 where
its target is 0 and > 0.6 where it is 1 (the 40-20-40 criterion), counted
in epochs, mean and standard deviation over 10 runs (20 on the spirals).

What the paper leaves open, and what is done here:
  - units: logistic (encoders) and tanh (spirals), with a bias on every
    unit;
  - the error: Keras' mean squared error (Rprop uses only the gradient's
    sign, so the scale is immaterial; for BP the learning rate is scaled to
    the paper's half sum of squares, see `bp_learning_rate`);
  - the initial weights and biases: uniform in [-r, r], r = 1 for the
    encoders (0.25 on the spirals, as the paper says);
  - the "logistic clipped a little away from its asymptotes": with
    ``flat_spot=c`` the derivative the gradient uses is computed from the
    output clipped to [c, 1 - c] (the value itself is unchanged), so a
    saturated unit still passes a gradient; 0 turns it off.  This is what
    decides the 12-2-12 encoder (benchmarks/RESULTS.md): without it most runs
    stall with saturated outputs.  The default here is c = 0.01;
  - D_0 on the spirals: the paper gives D_max = 0.001 and "standard"
    eta+ and eta-, no D_0; the standard D_0 = 0.1 is taken and used as given
    (a step size stays above D_max until its first growth clips it to D_max
    or sign flips halve it below).  This decides the spirals
    (benchmarks/RESULTS.md): 19 of 20 runs learn, as in the paper; with
    D_0 = D_max = 0.001, 15.

Command line: ``legacy-rprop demo --paper`` (a small run) and
``python benchmarks/paper.py`` (the whole reproduction).
"""
import argparse
import json
import sys
import time

import numpy as np

from legacy_rprop.core.rules import VARIANTS

# the paper's numbers for its rule, our 'Rprop+': (mean epochs, sigma)
PAPER = {
    ('10-5-10', 2.0): (19, 3), ('10-5-10', 0.1): (30, None),
    ('12-2-12', 1.0): (322, 112), ('12-2-12', 0.1): (367, None),
    ('spirals', 0.1): (4987, None),
}
# BP at the paper's best learning rate: (epsilon, mean epochs, sigma)
PAPER_BP = {'10-5-10': (1.9, 121, 30), '12-2-12': (None, '> 15000', None)}
MAX_EPOCHS = {'10-5-10': 3000, '12-2-12': 3000, 'spirals': 15000}
RUNS = {'10-5-10': 10, '12-2-12': 10, 'spirals': 20}
# the spirals: the standard D0 = 0.1 with D_max = 0.001 (see the docstring)
D0 = {'10-5-10': (2.0, 0.1), '12-2-12': (1.0, 0.1), 'spirals': (0.1,)}
# every Rprop variant, the paper's rule first, and plain gradient descent
OPTIMIZERS = ('Rprop+',) + tuple(v for v in VARIANTS if v != 'Rprop+') + ('BP',)
FLAT_SPOT = 0.01
# the spirals' "tanh-like" units: 2 s(k x) - 1, k = 2: tanh (with k = 1, half
# as steep, fewer runs learn: benchmarks/RESULTS.md)
SPIRAL_STEEPNESS = 2.


def encoder_data(n):
    return np.eye(n, dtype='float32'), np.eye(n, dtype='float32')


def spirals_data():
    """Lang & Witbrock's 194 points; targets 1 and 0."""
    i = np.arange(97)
    angle, radius = i * np.pi / 16., 6.5 * (104 - i) / 104.
    spiral = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    x = np.concatenate([spiral, -spiral]).astype('float32')
    y = np.concatenate([np.ones(97), np.zeros(97)])[:, None].astype('float32')
    return x, y


def logistic(flat_spot, symmetric=False, steepness=1.):
    """The logistic s(steepness * x), or 2 s - 1 with `symmetric` (tanh for
    steepness 2); with flat_spot c > 0 the gradient uses s clipped to
    [c, 1 - c]."""
    from keras import backend as K
    scale = 2. if symmetric else 1.

    def activation(x):
        s = K.sigmoid(steepness * x)
        y = scale * s - (scale - 1.)
        if not flat_spot:
            return y
        clipped = K.clip(K.stop_gradient(s), flat_spot, 1. - flat_spot)
        slope = scale * steepness * clipped * (1. - clipped)
        return K.stop_gradient(y) + (x - K.stop_gradient(x)) * slope
    return activation


def criterion(problem):
    """A Keras metric: 1.0 when every output meets 40-20-40 (on the spirals'
    (-1, 1) scale: < -0.2 and > 0.2), else 0.0."""
    from keras import backend as K
    low, high = (-0.2, 0.2) if problem == 'spirals' else (0.4, 0.6)

    def complete(y_true, y_pred):
        one = K.cast(K.greater(y_true, 0.5 * (low + high)), 'float32')
        ok = (one * K.cast(K.greater(y_pred, high), 'float32')
              + (1. - one) * K.cast(K.less(y_pred, low), 'float32'))
        return K.min(ok) * K.ones_like(y_true[:, 0])
    return complete


def build(problem, optimizer, seed, init, flat_spot):
    """The problem's network with weights and biases uniform in [-init, init]
    (from NumPy's RandomState(seed): the same numbers on every backend)."""
    from keras.layers import Concatenate, Dense, Input
    from keras.models import Model
    if problem == 'spirals':
        act = logistic(flat_spot, symmetric=True, steepness=SPIRAL_STEEPNESS)
        x = Input((2,))
        layers = [x]
        for _ in range(3):  # short-cut connections from every earlier layer
            inputs = layers[0] if len(layers) == 1 else Concatenate()(layers)
            layers.append(Dense(5, activation=act)(inputs))
        out = Dense(1, activation=act)(Concatenate()(layers))
    else:
        n, hidden = (10, 5) if problem == '10-5-10' else (12, 2)
        act = logistic(flat_spot)
        x = Input((n,))
        out = Dense(n, activation=act)(Dense(hidden, activation=act)(x))
    model = Model(x, out)
    rng = np.random.RandomState(seed)
    model.set_weights([rng.uniform(-init, init, size=w.shape).astype('float32')
                       for w in model.get_weights()])
    model.compile(optimizer=optimizer, loss='mse', metrics=[criterion(problem)])
    return model


def data(problem):
    """Inputs and targets (on the spirals' (-1, 1) scale there)."""
    if problem == 'spirals':
        x, y = spirals_data()
        return x, 2. * y - 1.
    return encoder_data(10 if problem == '10-5-10' else 12)


def bp_learning_rate(epsilon, x, y):
    """Keras' MSE is the mean over patterns and outputs of the squared
    error; the paper's error is half their sum.  The same steps need a
    learning rate N * outputs / 2 times larger."""
    return epsilon * x.shape[0] * y.shape[1] / 2.


def run(problem, name, d0, seed, init=1.0, flat_spot=FLAT_SPOT, max_epochs=3000):
    """Epochs until learning is complete (the updates made before the
    criterion held), or None if it did not within `max_epochs`."""
    from keras import backend as K
    from keras.callbacks import Callback
    from keras.optimizers import SGD

    from legacy_rprop import RProp
    if hasattr(K, 'clear_session'):
        K.clear_session()
    x, y = data(problem)
    if name == 'BP':
        optimizer = SGD(bp_learning_rate(d0, x, y))
    else:
        optimizer = RProp(variant=name, init_alpha=d0, min_alpha=1e-6,
                          max_alpha=0.001 if problem == 'spirals' else 50.)
    model = build(problem, optimizer, seed, init, flat_spot)
    done = []

    class StopWhenComplete(Callback):
        def on_epoch_end(self, epoch, logs=None):
            # the metric is computed on the weights before this epoch's step
            if logs['complete'] >= 1.:
                done.append(epoch)
                self.model.stop_training = True

    model.fit(x, y, batch_size=len(x), epochs=max_epochs, shuffle=False, verbose=0,
              callbacks=[StopWhenComplete()])
    return done[0] if done else None


def summary(epochs):
    """('solved/runs', mean, sigma) of the solved runs."""
    solved = [e for e in epochs if e is not None]
    if not solved:
        return '0/%d' % len(epochs), None, None
    return '%d/%d' % (len(solved), len(epochs)), float(np.mean(solved)), float(np.std(solved))


def reproduce(problems=('10-5-10', '12-2-12', 'spirals'), variants=OPTIMIZERS, runs=None,
              max_epochs=None, init=None, flat_spot=FLAT_SPOT, d0s=None, bp_eps=None,
              progress=print):
    """Run the paper's experiments; report a line per setting through
    `progress` (beside the paper's figure) and return the results."""
    results = []
    progress('%-9s %-13s %6s %7s %12s %10s   %s' % (
        'problem', 'optimizer', 'D0/eps', 'solved', 'mean epochs', 'sigma', 'paper'))
    for problem in problems:
        problem_init = init or (0.25 if problem == 'spirals' else 1.0)
        problem_runs = runs or RUNS[problem]
        problem_max = max_epochs or MAX_EPOCHS[problem]
        for name in variants:
            settings = ((bp_eps or [PAPER_BP.get(problem, (None,))[0]]) if name == 'BP'
                        else d0s or D0[problem])
            for d0 in settings:
                if d0 is None:
                    continue
                start = time.time()
                epochs = [run(problem, name, d0, seed, problem_init, flat_spot, problem_max)
                          for seed in range(problem_runs)]
                solved, mean, sigma = summary(epochs)
                paper = (PAPER.get((problem, d0)) if name == 'Rprop+' else
                         PAPER_BP[problem][1:] if name == 'BP' else None)
                progress('%-9s %-13s %6g %7s %12s %10s   %s   (%.0f s)' % (
                    problem, name, d0, solved, '-' if mean is None else '%.1f' % mean,
                    '-' if sigma is None else '%.1f' % sigma,
                    '' if paper is None else '%s%s' % (
                        paper[0], '' if paper[1] is None else ' +- %s' % paper[1]),
                    time.time() - start))
                results.append({'problem': problem, 'optimizer': name, 'd0': d0,
                                'init': problem_init, 'flat_spot': flat_spot,
                                'max_epochs': problem_max, 'epochs': epochs})
    return results


def paired_comparison(results, problem, d0, a, b, max_epochs):
    """Runs of variants `a` and `b` from the same initial weights (seed by
    seed): the mean of a - b in epochs with a 95% bootstrap interval, and
    the two-sided p-value of the Wilcoxon signed-rank test.  A run that did
    not learn counts as `max_epochs` (a bound, which only makes its
    variant look better)."""
    from scipy.stats import wilcoxon

    def epochs(name):
        (row,) = [r for r in results if (r['problem'], r['optimizer'], r['d0']) ==
                  (problem, name, d0)]
        return np.array([max_epochs if e is None else e for e in row['epochs']], float)
    diff = epochs(a) - epochs(b)
    rng = np.random.RandomState(0)
    means = [rng.choice(diff, size=len(diff)).mean() for _ in range(10000)]
    low, high = np.percentile(means, [2.5, 97.5])
    return float(diff.mean()), (float(low), float(high)), float(wilcoxon(diff).pvalue)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--problems', nargs='+', default=list(MAX_EPOCHS), choices=list(MAX_EPOCHS))
    p.add_argument('--variants', nargs='+', default=list(OPTIMIZERS), choices=list(OPTIMIZERS))
    p.add_argument('--runs', type=int, help="runs per setting (default: the paper's)")
    p.add_argument('--max-epochs', type=int, help='(default: 3000, 15000 on the spirals)')
    p.add_argument('--init', type=float,
                   help='initial weights in [-init, init] (default 1; 0.25 on the spirals)')
    p.add_argument('--flat-spot', type=float, default=FLAT_SPOT,
                   help='clip the units\' derivative at c (default %g; 0: off)' % FLAT_SPOT)
    p.add_argument('--d0', type=float, nargs='+', help="D0 values (default: the paper's)")
    p.add_argument('--bp-eps', type=float, nargs='+',
                   help="BP learning rates, on the paper's error scale (default: its best)")
    p.add_argument('--json', help='also write the results to this file')
    args = p.parse_args(argv)
    results = reproduce(args.problems, args.variants, args.runs, args.max_epochs, args.init,
                        args.flat_spot, args.d0, args.bp_eps,
                        progress=lambda line: print(line, flush=True))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=1)
    ranked = [v for v in ('Rprop+', 'iRprop+', 'iRprop-', 'Rprop-') if v in args.variants]
    if (args.runs or 0) >= 20 and len(ranked) > 1:
        print('\npaired by initial weights: mean difference in epochs [95% interval], '
              'Wilcoxon p')
        for r in results:
            if r['optimizer'] != ranked[0]:
                continue
            for other in ranked[1:]:
                mean, (low, high), p = paired_comparison(
                    results, r['problem'], r['d0'], other, ranked[0], r['max_epochs'])
                print('%-9s D0 %-5g %s - %s: %+.1f [%+.1f, %+.1f], p = %.2g' % (
                    r['problem'], r['d0'], other, ranked[0], mean, low, high, p))
    return 0


if __name__ == '__main__':
    sys.exit(main())
