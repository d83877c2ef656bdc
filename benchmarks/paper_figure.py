"""The paper's Figure 1 for our runs: mean epochs to learn the 12-2-12
encoder against the initial step size D0 (Rprop+) and against the learning
rate (BP, on the paper's error scale), from the JSON that

    python benchmarks/paper.py --problems 12-2-12 --variants Rprop+ BP \\
        --d0 1e-4 1e-3 1e-2 0.1 0.5 1 2 5 --bp-eps 0.1 0.5 1 2 5 --json sweep.json

writes; unsolved runs are left out of the mean and counted in the label.

    python benchmarks/paper_figure.py sweep.json docs/paper-figure1.png
"""
import json
import sys

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def main(source, target):
    with open(source) as f:
        results = json.load(f)
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for name, marker in (('Rprop+', 'o'), ('BP', 's')):
        rows = sorted((r for r in results if r['optimizer'] == name), key=lambda r: r['d0'])
        if not rows:
            continue
        xs, means, labels = [], [], []
        for r in rows:
            solved = [e for e in r['epochs'] if e is not None]
            xs.append(r['d0'])
            means.append(np.mean(solved) if solved else np.nan)
            labels.append('%d/%d' % (len(solved), len(r['epochs'])))
        ax.plot(xs, means, marker=marker, label='%s (%s)' % (
            name, 'initial step size D0' if name != 'BP' else 'learning rate'))
        for x, y, label in zip(xs, means, labels):
            if np.isfinite(y):
                ax.annotate(label, (x, y), textcoords='offset points', xytext=(0, 6),
                            ha='center', fontsize=7)
    ax.axhspan(330, 420, color='grey', alpha=0.15, label="paper's Rprop curve (~330-420)")
    ax.set_xscale('log')
    ax.set_yscale('log')
    ax.set_xlabel('D0 (Rprop+) / learning rate (BP)')
    ax.set_ylabel('mean epochs to learn (solved runs)')
    ax.set_title('12-2-12 encoder, 40-20-40 criterion (cf. Riedmiller & Braun 1993, Fig. 1)',
                 fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(target, dpi=110)


if __name__ == '__main__':
    main(*sys.argv[1:3])
