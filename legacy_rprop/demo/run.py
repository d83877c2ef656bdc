"""Train the classic Rprop problems with every variant, and Keras' SGD and
Adam at their defaults, full-batch on the active Keras backend; print a
table and plot the loss curves.  Run it with ``python -m legacy_rprop demo``
(``--help`` lists the options)."""
import collections
import json
import os
import time

import numpy as np
from keras import backend as K
from keras import optimizers as keras_optimizers

from legacy_rprop.core.rules import VARIANTS
from legacy_rprop.demo import DEMO_INIT_ALPHA, OPTIMIZERS, problems
from legacy_rprop.keras2.backend import training_model
from legacy_rprop.keras2.optimizers import RProp

# exact zeros cannot be drawn on a log scale
PLOT_FLOOR = 1e-12

Result = collections.namedtuple(
    'Result', 'problem optimizer losses epochs_to_target seconds_per_epoch')


def make_optimizer(name, init_alpha=DEMO_INIT_ALPHA):
    if name in VARIANTS:
        return RProp(variant=name, init_alpha=init_alpha)
    if name == 'SGD':
        return keras_optimizers.SGD()
    if name == 'Adam':
        return keras_optimizers.Adam()
    raise ValueError('optimizer must be one of %s, got %r'
                     % (', '.join(OPTIMIZERS), name))


def train(problem, optimizer_name, epochs=None, seed=0,
          init_alpha=DEMO_INIT_ALPHA):
    """Full-batch training of one problem with one optimizer."""
    if hasattr(K, 'clear_session'):
        K.clear_session()
    epochs = epochs or problem.epochs
    model = problems.build_model(problem, make_optimizer(optimizer_name, init_alpha), seed)
    _compile(model, problem)
    start = time.time()
    history = model.fit(problem.x, problem.y, batch_size=len(problem.x),
                        epochs=epochs, shuffle=False, verbose=0)
    seconds = time.time() - start
    losses = [float(v) for v in history.history['loss']]
    reached = [i + 1 for i, v in enumerate(losses) if v <= problem.target_loss]
    return Result(problem.name, optimizer_name, losses,
                  reached[0] if reached else None, seconds / epochs)


def _compile(model, problem):
    """Build and compile the training step before the clock starts: one step
    (XLA compiles at its first run), then weights and optimizer state back
    as they were, so the run is the same as without it."""
    training_model(model)._make_train_function()
    weights, state = model.get_weights(), model.optimizer.get_weights()
    model.train_on_batch(problem.x, problem.y)
    model.set_weights(weights)
    model.optimizer.set_weights(state)


def run(problem_names, optimizer_names=OPTIMIZERS, epochs=None, seed=0,
        init_alpha=DEMO_INIT_ALPHA, progress=print):
    """Every optimizer on every problem, reporting each run as it ends."""
    chosen = [problems.get(name) for name in problem_names]  # fails early on a bad name
    for name in optimizer_names:
        make_optimizer(name)  # unknown names fail before any training
    results, total = [], len(chosen) * len(optimizer_names)
    for problem in chosen:
        for name in optimizer_names:
            result = train(problem, name, epochs, seed, init_alpha)
            results.append(result)
            progress('[%2d/%d] %-8s %-12s %s' % (len(results), total, problem.name,
                                                 name, _summary(result, problem)))
    return results


def _summary(result, problem):
    reached = ('reached %g at epoch %d' % (problem.target_loss, result.epochs_to_target)
               if result.epochs_to_target else 'did not reach %g' % problem.target_loss)
    return '%s; final loss %.3g; %.2f ms/epoch' % (
        reached, result.losses[-1], 1000 * result.seconds_per_epoch)


def table(results):
    """A Markdown table: per optimizer and problem, the epochs to reach the
    target loss ('-' if never), the final loss and milliseconds per epoch."""
    problem_names = list(collections.OrderedDict.fromkeys(r.problem for r in results))
    optimizer_names = list(collections.OrderedDict.fromkeys(r.optimizer for r in results))
    by_key = {(r.problem, r.optimizer): r for r in results}
    targets = {name: problems.get(name).target_loss for name in problem_names}
    header = ['optimizer'] + ['%s (target %g): epochs / final / ms' % (p, targets[p])
                              for p in problem_names]
    rows = [header, ['---'] * len(header)]
    for opt in optimizer_names:
        row = [opt]
        for p in problem_names:
            r = by_key[(p, opt)]
            row.append('%s / %.2e / %.2f' % (r.epochs_to_target or '-', r.losses[-1],
                                             1000 * r.seconds_per_epoch))
        rows.append(row)
    return '\n'.join('| ' + ' | '.join(row) + ' |' for row in rows)


def plot(results, path, title=''):
    """Loss curves, one panel per problem, log scale; written as PNG."""
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib import pyplot

    problem_names = list(collections.OrderedDict.fromkeys(r.problem for r in results))
    columns = min(2, len(problem_names))
    rows = (len(problem_names) + columns - 1) // columns
    figure, axes = pyplot.subplots(rows, columns, figsize=(6.5 * columns, 4.2 * rows),
                                   squeeze=False)
    for ax, name in zip(axes.flat, problem_names):
        problem = problems.get(name)
        for r in (r for r in results if r.problem == name):
            dashed = r.optimizer in ('SGD', 'Adam')
            ax.plot(np.arange(1, len(r.losses) + 1), np.maximum(r.losses, PLOT_FLOOR),
                    '--' if dashed else '-', label=r.optimizer, linewidth=1.4)
        ax.axhline(problem.target_loss, color='grey', linewidth=0.8, linestyle=':')
        ax.set_yscale('log')
        ax.set_title(problem.description)
        ax.set_xlabel('epoch (full batch)')
        ax.set_ylabel('mean squared error')
        ax.grid(True, which='major', alpha=0.3)
    for ax in list(axes.flat)[len(problem_names):]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize='small')
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    pyplot.close(figure)


def write_outputs(results, out_dir, title):
    """demo.md (the table), demo.json (all losses) and demo.png in out_dir."""
    if not os.path.isdir(out_dir):
        os.makedirs(out_dir)
    paths = {ext: os.path.join(out_dir, 'demo.' + ext) for ext in ('md', 'json', 'png')}
    with open(paths['md'], 'w') as f:
        f.write('%s\n\n%s\n' % (title, table(results)))
    with open(paths['json'], 'w') as f:
        json.dump({'title': title, 'results': [r._asdict() for r in results]}, f)
    plot(results, paths['png'], title)
    return paths
