"""Plot model_sweep.py results: each Rprop variant's whole training step as
a multiple of Adam's, against the model's number of weights (log x).

    python benchmarks/sweep_figure.py OUT.png LABEL=RESULT.json [LABEL=RESULT.json ...]
"""
import json
import sys

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

from model_sweep import MODELS, RPROP  # noqa: E402


def weights(sizes):
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))


def main(target, sources):
    fig, ax = plt.subplots(figsize=(7, 4.2))
    styles = ['-', '--', ':', '-.']
    for style, source in zip(styles, sources):
        label, path = source.split('=', 1)
        with open(path) as f:
            times = json.load(f)['ms_per_step']
        models = sorted(times, key=lambda m: weights(MODELS[m][0]))
        xs = [weights(MODELS[m][0]) for m in models]
        worst = [max(times[m][v] / times[m]['Adam'] for v in RPROP) for m in models]
        best = [min(times[m][v] / times[m]['Adam'] for v in RPROP) for m in models]
        line, = ax.plot(xs, worst, style, marker='o', label='%s: slowest variant' % label)
        ax.fill_between(xs, best, worst, color=line.get_color(), alpha=0.15)
    ax.axhline(1.0, color='black', linewidth=0.8)
    ax.set_xscale('log')
    ax.set_xlabel('weights in the model (log scale)')
    ax.set_ylabel("Rprop step / Keras Adam step")
    ax.set_title('Whole full-batch training step, every Rprop variant (band: fastest '
                 'to slowest)', fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(target, dpi=110)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2:])
