"""legacy_rprop's iRprop- against torch.optim.Rprop (Python 3.11, torch CPU).

1. Trajectory: feeds the gradient stream written by
   benchmarks/export_irprop_trajectory.py to torch.optim.Rprop (same initial
   weights, lr = init_alpha, etas (0.5, 1.2), step sizes (1e-6, 50)) and
   compares the weights after every step with legacy_rprop's.
2. Problems: trains the same networks (tanh hidden layers, sigmoid output,
   mean squared error) on the same data from the same initial weights,
   full batch, with torch.optim.Rprop at the demo's step size, and compares
   the loss of every epoch with legacy_rprop's.
3. Step time per parameter of torch's Rprop and Adam for one tensor of N
   elements, loss = sum(p * c), threads as given (default 2, the machine's
   cores), median of interleaved repeats; compare with the ms/step that
   benchmarks/step_cost.py prints for Keras on the same machine.

    python benchmarks/torch_compare.py TRAJECTORY.npz [--threads 2]
"""
import argparse
import time

import numpy as np
import torch


def trajectory(path):
    data = np.load(path)
    p = torch.nn.Parameter(torch.from_numpy(data['w0'].copy()))
    optimizer = torch.optim.Rprop([p], lr=float(data['init_alpha']), etas=(0.5, 1.2),
                                  step_sizes=(1e-6, 50.))
    worst, exact = 0., 0
    for g, ours in zip(data['grads'], data['trajectory']):
        p.grad = torch.from_numpy(g.copy())
        optimizer.step()
        diff = np.abs(p.detach().numpy() - ours)
        worst = max(worst, float(diff.max()))
        exact += int(np.array_equal(p.detach().numpy(), ours))
    steps = len(data['grads'])
    print('trajectory: %d steps x %d weights, legacy_rprop iRprop- on %s vs torch %s '
          'Rprop: max |difference| %.3g, %d/%d steps bit-identical'
          % (steps, data['w0'].size, data['backend'], torch.__version__, worst, exact, steps))
    return worst


def problem_runs(data):
    """Every exported problem, trained by torch's Rprop; the largest loss
    difference per problem."""
    worst = {}
    activations = {'tanh': torch.tanh, 'sigmoid': torch.sigmoid}
    for name in data['problems']:
        x = torch.from_numpy(data[name + '/x'])
        y = torch.from_numpy(data[name + '/y'])
        ours = data[name + '/losses']
        acts = [activations[a] for a in data[name + '/activations']]
        # Keras keeps a kernel as (inputs, units) and computes x @ kernel + bias
        params = [torch.nn.Parameter(torch.from_numpy(data['%s/w%d' % (name, k)].copy()))
                  for k in range(2 * len(acts))]
        optimizer = torch.optim.Rprop(params, lr=float(data['problem_init_alpha']),
                                      etas=(0.5, 1.2), step_sizes=(1e-6, 50.))
        losses = []
        for _ in range(len(ours)):
            optimizer.zero_grad()
            h = x
            for act, kernel, bias in zip(acts, params[0::2], params[1::2]):
                h = act(h @ kernel + bias)
            loss = ((h - y) ** 2).mean()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        losses = np.array(losses)
        diff = np.abs(losses - ours)
        first = int(np.argmax(diff > 1e-6)) + 1 if (diff > 1e-6).any() else None
        worst[name] = float(diff.max())
        target = float(data[name + '/target'])
        print('%s: %d epochs from the same initial weights: loss %.3g -> %.3g (ours %.3g -> '
              '%.3g); max |difference| %.3g, first above 1e-6 at epoch %s; epochs to %g: '
              'torch %s, ours %s'
              % (name, len(ours), losses[0], losses[-1], ours[0], ours[-1], diff.max(), first,
                 target, _first_below(losses, target), _first_below(ours, target)))
    return worst


def _first_below(losses, target):
    below = np.flatnonzero(np.asarray(losses) <= target)
    return int(below[0]) + 1 if below.size else None


def step_times(n, rounds):
    c = torch.from_numpy(np.random.RandomState(1).choice([-1., 1.], size=n).astype('float32'))
    steps = {}
    for name, make in (('torch SGD', lambda ps: torch.optim.SGD(ps, lr=0.01)),
                       ('torch Adam', lambda ps: torch.optim.Adam(ps)),
                       ('torch Rprop', lambda ps: torch.optim.Rprop(ps))):
        p = torch.nn.Parameter(torch.from_numpy(
            np.random.RandomState(0).normal(size=n).astype('float32')))
        optimizer = make([p])

        def step(p=p, optimizer=optimizer):
            optimizer.zero_grad()
            loss = (p * c).sum()
            loss.backward()
            optimizer.step()
        for _ in range(3):
            step()
        steps[name] = step
    samples = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            samples[name].append(time.perf_counter() - start)
    return {name: float(np.median(s)) for name, s in samples.items()}


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('trajectory')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--sizes', type=int, nargs='+', default=[10 ** 6, 4 * 10 ** 6])
    p.add_argument('--rounds', type=int, default=25)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    worst = trajectory(args.trajectory)
    problem_runs(np.load(args.trajectory))
    for n in args.sizes:
        times = step_times(n, args.rounds)
        print('\nN = %d, %d threads: ms/step (ns per parameter)' % (n, args.threads))
        for name, t in times.items():
            print('  %-12s %8.3f ms  (%.2f ns/param)  %.2f x torch Adam'
                  % (name, 1e3 * t, 1e9 * t / n, t / times['torch Adam']))
    if worst > 1e-6:
        raise SystemExit('trajectories differ by %.3g' % worst)


if __name__ == '__main__':
    main()
