"""Command line: ``python -m legacy_rprop demo [options]`` (or ``legacy-rprop demo``).

The options are read before Keras is imported: ``--help`` and a bad option
answer at once, and ``--backend`` picks the backend Keras then imports."""
import argparse
import json
import os
import sys

from legacy_rprop import __version__
from legacy_rprop.core.arguments import DEFAULTS, checked_hyperparameters
from legacy_rprop.demo import DEMO_INIT_ALPHA, OPTIMIZERS, problems


def parser():
    p = argparse.ArgumentParser(
        prog='legacy-rprop',
        description='legacy_rprop %s: Rprop optimizers for Keras 2.' % __version__)
    commands = p.add_subparsers(dest='command', metavar='COMMAND')
    commands.required = True
    d = commands.add_parser(
        'demo', help='train the classic Rprop problems with every optimizer',
        description=(
            'Train the classic Rprop benchmark problems full-batch with every '
            'Rprop variant and, for comparison, Keras\' SGD and Adam at their '
            'defaults. Prints a line per run while it goes, then a table '
            '(per optimizer and problem: epochs to reach the target loss, final '
            'loss, milliseconds per epoch), and writes demo.md, demo.json and '
            'demo.png (loss curves, log scale) to the output folder. The same '
            'seed gives the same epochs and losses; the timings are measured.'))
    d.add_argument('--backend', choices=('theano', 'tensorflow'),
                   help='Keras backend (default: the active one, from '
                        'KERAS_BACKEND or ~/.keras/keras.json)')
    d.add_argument('--problems', nargs='+', choices=list(problems.PROBLEMS),
                   default=list(problems.PROBLEMS), metavar='PROBLEM',
                   help='problems to train (default: all of %s)' % ', '.join(problems.PROBLEMS))
    d.add_argument('--optimizers', nargs='+', choices=list(OPTIMIZERS),
                   default=list(OPTIMIZERS), metavar='OPTIMIZER',
                   help='optimizers to compare (default: all of %s)' % ', '.join(OPTIMIZERS))
    d.add_argument('--epochs', type=_positive_int,
                   help="epochs per run (default: each problem's own: xor and "
                        "encoder 200, spirals 3000, cancer 300)")
    d.add_argument('--seed', type=int, default=0,
                   help='seed of the initial weights (default: 0)')
    d.add_argument('--init-alpha', type=_init_alpha, default=DEMO_INIT_ALPHA,
                   help='initial step size of the Rprop variants (default: %g, '
                        'as in Riedmiller & Braun 1993)' % DEMO_INIT_ALPHA)
    d.add_argument('--paper', action='store_true',
                   help='instead, reproduce Riedmiller & Braun (1993) on their setup, '
                        'small (a few minutes): the 10-5-10 and 12-2-12 encoders, '
                        'Rprop+, iRprop+ and BP, %d runs each, beside the paper\'s '
                        'numbers; writes paper.json (the whole reproduction: '
                        'python benchmarks/paper.py)' % PAPER_DEMO_RUNS)
    d.add_argument('--out', default='demo-output',
                   help='folder for demo.md, demo.json, demo.png (default: demo-output)')
    return p


PAPER_DEMO_RUNS = 5


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError('must be >= 1, got %d' % value)
    return value


def _init_alpha(text):
    value = float(text)
    try:  # RProp's own check, without building an optimizer
        checked_hyperparameters(DEFAULTS._replace(init_alpha=value), DEFAULTS._fields)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return value


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    if args.backend:
        if 'keras' not in sys.modules:
            os.environ['KERAS_BACKEND'] = args.backend
        elif args.backend != sys.modules['keras'].backend.backend():
            # Keras picks its backend once, at import: start again on the other one
            env = dict(os.environ, KERAS_BACKEND=args.backend)
            os.execve(sys.executable, [sys.executable, '-m', 'legacy_rprop'] + argv, env)
    if args.paper:
        return _paper(args.out)
    from keras import backend as K

    from legacy_rprop.demo import run as demo
    _check_demo_dependencies()
    title = 'legacy_rprop demo: Keras %s on %s, seed %d, Rprop init_alpha %g' % (
        _keras_version(), K.backend(), args.seed, args.init_alpha)
    print(title, flush=True)
    results = demo.run(args.problems, args.optimizers, args.epochs, args.seed,
                       args.init_alpha,
                       progress=lambda line: print(line, flush=True))
    print('\n' + demo.table(results))
    paths = demo.write_outputs(results, args.out, title)
    print('\nwrote %s' % ', '.join(paths[ext] for ext in ('md', 'json', 'png')))
    return 0


def _paper(out):
    from keras import backend as K

    from legacy_rprop.demo import paper
    print('Riedmiller & Braun (1993) on their setup (legacy_rprop/demo/paper.py), Keras %s '
          'on %s, %d runs per setting' % (_keras_version(), K.backend(), PAPER_DEMO_RUNS),
          flush=True)
    results = paper.reproduce(('10-5-10', '12-2-12'), ('Rprop+', 'iRprop+', 'BP'),
                              runs=PAPER_DEMO_RUNS,
                              progress=lambda line: print(line, flush=True))
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, 'paper.json')
    with open(path, 'w') as f:
        json.dump(results, f, indent=1)
    print('\nwrote %s' % path)
    return 0


def _check_demo_dependencies():
    missing = []
    for module, package in (('matplotlib', 'matplotlib'), ('sklearn', 'scikit-learn')):
        try:
            __import__(module)
        except ImportError:
            missing.append(package)
    if missing:
        sys.exit('legacy-rprop demo needs %s: pip install %s (or the "demo" extra: '
                 'pip install legacy_rprop[demo])' % (' and '.join(missing), ' '.join(missing)))


def _keras_version():
    import keras
    return keras.__version__


if __name__ == '__main__':
    sys.exit(main())
