"""Keras 3: how long a step takes with `legacy_rprop.keras3`, against Keras'
own SGD and Adam, and against the backend's own Rprop (iRprop-:
``torch.optim.Rprop`` on PyTorch, ``optax.rprop`` on JAX), on the backend
Keras runs on (``KERAS_BACKEND``).

1. Whole training steps (``--models``, the nets of model_sweep.py): one
   ``train_on_batch`` full batch, compiled as Keras compiles by default on
   the backend (``jit_compile='auto'``: XLA on JAX, on TensorFlow only
   where it sees a GPU, eager on PyTorch), every optimizer timed
   interleaved in rounds from the same weights, median over rounds; each
   Rprop variant's step as a multiple of Adam's.  On PyTorch eager also
   the optimizer's ``apply`` inside those steps (the median of its calls,
   "apply, us"): the optimizer's share of a step, timed where the step's
   other work leaves it cold, and steadier than the whole step's ratio,
   which moves by a few percent from run to run.
2. The optimizer's step alone (``--tensors``): one update of the weights
   ``sizes`` (one tensor of N elements, or ``mlp``: the six tensors of
   64-256-256-10) per step, from a cycle of random gradients whose signs
   flip here and there as in training (``--gradients fixed``: one gradient,
   each select of the rule the same way at every step), as Keras' trainer runs it
   (``stateless_apply`` under ``jax.jit`` on JAX, the weights and the
   optimizer's state donated as Keras' trainer donates them, ``apply`` in a
   ``tf.function`` on TensorFlow, compiled by XLA only where TensorFlow
   sees a GPU, ``apply`` on PyTorch), against Adam and
   the backend's own Rprop run the way its users run it (``torch.optim``'s
   ``step()``; optax's ``update`` and ``apply_updates`` under ``jax.jit``).
   Then, from the same weights and gradients, in how many of 10 steps our
   iRprop-'s weights equal the backend's Rprop's bit for bit.  On JAX also
   each compiled step's memory traffic: the bytes XLA's cost analysis
   counts as read and written, per weight, in units of the weights' dtype
   ("passes": reading the weight and writing it back is 2).

On PyTorch eager the update of a state group of 2048 weights or more is
compiled by torch.compile at the first step, so that the rounds time it
(in training it is compiled once the eager update has taken 10 s); a
smaller group runs eagerly, as in training.

``--jit-compile true`` compiles every step: on TensorFlow with XLA also on
a machine without a GPU (where Keras' default does not), on PyTorch the
model's step through Keras (``compile(jit_compile=True)``, torch.compile),
the step alone of ours, Keras' and torch.optim's optimizers with
``torch.compile``.

    KERAS_BACKEND=jax python benchmarks/keras3_speed.py [--models ...] [--tensors ...]
        [--jit-compile true] [--json FILE]

``--json`` also writes the numbers, the whole steps as model_sweep.py does
(``ms_per_step``), so that sweep_figure.py plots them.
"""
import argparse
import json
import time

import keras
import numpy as np
from model_sweep import MODELS
from step_cost import seconds_per_step

from legacy_rprop.keras3 import RProp
from legacy_rprop.keras3 import backend as keras3_backend

BACKEND = keras.backend.backend()
try:  # the JAX runs compare with optax's Rprop where optax is installed
    import optax  # noqa: F401
    OPTAX = True
except ImportError:
    OPTAX = False
VARIANTS = ('keras-answer', 'Rprop-', 'iRprop-', 'Rprop+', 'iRprop+')
GRADIENT_SETS = 5
INIT_ALPHA = 1e-3


def keras_optimizer(name):
    if name == 'SGD':
        return keras.optimizers.SGD()
    if name == 'Adam':
        return keras.optimizers.Adam()
    return RProp(variant=name, init_alpha=INIT_ALPHA)


# -- 1. whole training steps

def network(sizes, optimizer, jit_compile='auto'):
    layers = [keras.Input((sizes[0],))]
    layers += [keras.layers.Dense(n, activation='tanh') for n in sizes[1:-1]]
    layers.append(keras.layers.Dense(sizes[-1], activation='sigmoid'))
    model = keras.Sequential(layers)
    model.compile(optimizer=optimizer, loss='mse', jit_compile=jit_compile)
    return model


def time_model(sizes, samples, rounds, steps, jit_compile='auto'):
    """The step's ms by optimizer name, and on PyTorch eager also the
    microseconds of the optimizer's ``apply`` inside those steps (median
    of its calls; else None)."""
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, size=(samples, sizes[0])).astype('float32')
    y = (rng.uniform(size=(samples, sizes[-1])) > 0.5).astype('float32')
    names = ('SGD', 'Adam') + VARIANTS
    models = {name: network(sizes, keras_optimizer(name), jit_compile) for name in names}
    weights = models['SGD'].get_weights()
    restarts = {}
    for name, model in models.items():
        model.set_weights(weights)
        model.train_on_batch(x, y)  # builds and compiles the step
        state = [keras.ops.convert_to_numpy(v.value) for v in model.optimizer.variables]

        def restart(model=model, state=state):
            model.set_weights(weights)
            for variable, value in zip(model.optimizer.variables, state):
                variable.assign(value)
        restarts[name] = restart
    applies = None
    if times_apply(jit_compile):
        applies = {name: timed_apply(model.optimizer) for name, model in models.items()}
    seconds = seconds_per_step({name: (lambda _, m=m: m.train_on_batch(x, y))
                                for name, m in models.items()}, rounds, steps, before=restarts)
    apply_us = applies and {name: 1e6 * float(np.median(t)) for name, t in applies.items()}
    return {name: 1e3 * t for name, t in seconds.items()}, apply_us


def times_apply(jit_compile):
    """Whether the whole steps also time the optimizer's ``apply``: on
    PyTorch run eagerly (elsewhere it runs inside a compiled step)."""
    return BACKEND == 'torch' and jit_compile is not True


def timed_apply(optimizer):
    """Time every call of `optimizer`'s ``apply`` from now on, into the
    list returned (seconds): the optimizer's share of an eager step, which
    the step's other work leaves cold, as in training."""
    apply, seconds = optimizer.apply, []

    def timed(*args, **kwargs):
        start = time.perf_counter()
        result = apply(*args, **kwargs)
        seconds.append(time.perf_counter() - start)
        return result
    optimizer.apply = timed
    return seconds


# -- 2. the optimizer's step alone

def tensor_shapes(label):
    if label == 'mlp':
        sizes = MODELS['64-256-256-10'][0]
        return [shape for n_in, n_out in zip(sizes[:-1], sizes[1:])
                for shape in ((n_in, n_out), (n_out,))]
    return [(int(float(label)),)]


class GradientCycle(object):
    """A step run with the next of the gradient sets `grads` (a cycle),
    each set one gradient per weight tensor."""

    def __init__(self, grads):
        self.grads, self.step = grads, 0

    def next_grads(self):
        grads = self.grads[self.step % len(self.grads)]
        self.step += 1
        return grads


class KerasStep(GradientCycle):
    """Keras 3's optimizer `name` updating `weights`, one step per call
    with the next of the gradient sets `grads` (a cycle), as the trainer
    runs it."""

    def __init__(self, name, weights, grads, compiled=False):
        self.optimizer = keras_optimizer(name)
        self.variables = [keras.Variable(w) for w in weights]
        self.optimizer.build(self.variables)
        if name == 'iRprop+':
            raise ValueError('the step alone has no loss for iRprop+')
        if BACKEND == 'jax':
            import jax
            super(KerasStep, self).__init__([[jax.numpy.asarray(g) for g in gs] for gs in grads])
            self.values = [v.value for v in self.variables]
            self.state = [v.value for v in self.optimizer.variables]
            optimizer = self.optimizer

            def step(state, grads):
                values, optimizer_state = state
                values, optimizer_state = optimizer.stateless_apply(optimizer_state, grads,
                                                                    values)
                return values, optimizer_state
            # the weights and the state donated and given back in the order
            # they came in, as Keras' trainer jits its step; jitting
            # stateless_apply itself with its arguments donated (the state
            # first, the weights given back first), XLA copied buffers
            # first: Keras Adam's step read and wrote 18 floats per weight
            # instead of 10
            self._apply = jax.jit(step, donate_argnums=0)
        elif BACKEND == 'tensorflow':
            import tensorflow as tf
            super(KerasStep, self).__init__([[tf.constant(g) for g in gs] for gs in grads])
            # XLA where Keras' trainer compiles with it: by default only
            # where TensorFlow sees a GPU
            xla = compiled or bool(tf.config.list_physical_devices('GPU'))
            self._apply = tf.function(lambda g: self.optimizer.apply(g, self.variables),
                                      jit_compile=xla)
        else:
            super(KerasStep, self).__init__([[keras.ops.convert_to_tensor(g) for g in gs]
                                             for gs in grads])
            self._apply = lambda g: self.optimizer.apply(g, self.variables)
            if compiled:  # as Keras' trainer with jit_compile=True
                import torch
                self._apply = torch.compile(self._apply)

    def __call__(self, _):
        grads = self.next_grads()
        if BACKEND == 'jax':
            self.values, self.state = self._apply((self.values, self.state), grads)
            self.values[0].block_until_ready()
        elif BACKEND == 'tensorflow':
            self._apply(grads)
        else:  # as Keras' trainer, outside autograd
            import torch
            with torch.no_grad():
                self._apply(grads)

    def weights(self):
        if BACKEND == 'jax':
            return [np.asarray(v) for v in self.values]
        return [keras.ops.convert_to_numpy(v.value) for v in self.variables]

    def passes(self):
        """JAX: the compiled step's memory traffic per weight (`xla_passes`)."""
        return xla_passes(self._apply, ((self.values, self.state), self.grads[0]), self.values)


class TorchStep(GradientCycle):
    """torch.optim's `name` ('Rprop': iRprop- with our defaults, or 'Adam')."""

    def __init__(self, name, weights, grads, compiled=False):
        import torch
        self.params = [torch.nn.Parameter(torch.from_numpy(w.copy())) for w in weights]
        super(TorchStep, self).__init__([[torch.from_numpy(g.copy()) for g in gs]
                                         for gs in grads])
        if name == 'Rprop':
            self.optimizer = torch.optim.Rprop(self.params, lr=INIT_ALPHA, etas=(0.5, 1.2),
                                               step_sizes=(1e-6, 50.))
        else:
            self.optimizer = torch.optim.Adam(self.params)
        # compiled as PyTorch's optimizer tutorial compiles a step
        self._step = torch.compile(self.optimizer.step) if compiled else self.optimizer.step

    def __call__(self, _):
        for p, g in zip(self.params, self.next_grads()):
            p.grad = g
        self._step()

    def weights(self):
        return [p.detach().numpy() for p in self.params]


class OptaxStep(GradientCycle):
    """optax's rprop (iRprop-, our defaults) under jax.jit."""

    def __init__(self, weights, grads):
        import jax
        import optax
        transform = optax.rprop(learning_rate=INIT_ALPHA, eta_minus=0.5, eta_plus=1.2,
                                min_step_size=1e-6, max_step_size=50.)
        self.params = [jax.numpy.asarray(w) for w in weights]
        super(OptaxStep, self).__init__([[jax.numpy.asarray(g) for g in gs] for gs in grads])
        self.state = transform.init(self.params)

        def step(params, state, grads):
            updates, state = transform.update(grads, state, params)
            return optax.apply_updates(params, updates), state
        self._step = jax.jit(step, donate_argnums=(0, 1))  # as ours

    def __call__(self, _):
        self.params, self.state = self._step(self.params, self.state, self.next_grads())
        self.params[0].block_until_ready()

    def weights(self):
        return [np.asarray(p) for p in self.params]

    def passes(self):
        return xla_passes(self._step, (self.params, self.state, self.grads[0]), self.params)


def xla_passes(jitted, arguments, weights):
    """The bytes XLA's cost analysis counts as read and written by the
    compiled `jitted` on `arguments`, per element of `weights` and in units
    of their dtype's size."""
    cost = jitted.lower(*arguments).compile().cost_analysis()
    cost = cost[0] if isinstance(cost, list) else cost  # a list in older JAX
    return cost['bytes accessed'] / sum(w.size * w.dtype.itemsize for w in weights)


def time_tensors(label, rounds, steps, compiled=False, gradients='mixed'):
    shapes = tensor_shapes(label)
    rng = np.random.RandomState(0)
    weights = [rng.normal(size=s).astype('float32') for s in shapes]
    # 'mixed': a cycle of random gradients, whose signs flip here and there
    # at every step as in training; 'fixed': one gradient, every sign the
    # same at every step (each of the rule's selects goes one way)
    grads = [[rng.normal(size=s).astype('float32') for s in shapes]
             for _ in range(GRADIENT_SETS if gradients == 'mixed' else 1)]
    runs = {name: KerasStep(name, weights, grads, compiled)
            for name in ('SGD', 'Adam') + tuple(v for v in VARIANTS if v != 'iRprop+')}
    if BACKEND == 'torch':
        runs['torch Adam'] = TorchStep('Adam', weights, grads, compiled)
        runs['torch Rprop'] = TorchStep('Rprop', weights, grads, compiled)
    if BACKEND == 'jax' and OPTAX:
        runs['optax rprop'] = OptaxStep(weights, grads)
    for run in runs.values():  # compile
        run(None)
    passes = ({name: run.passes() for name, run in runs.items()} if BACKEND == 'jax'
              else None)
    seconds = seconds_per_step(runs, rounds, steps)
    return ({name: 1e3 * t for name, t in seconds.items()},
            agreement(weights, grads, compiled), passes)


def agreement(weights, grads, compiled=False, steps=10):
    """How our iRprop-'s weights compare with the backend's own Rprop's
    over `steps` steps from the same weights and gradients (None where the
    backend has none).  optax's rprop moves each step by the move it
    computed at the previous step (its first step does not move), so there
    ours after step t is compared with its after step t + 1: equal with one
    fixed gradient (``--gradients fixed``); where signs flip, optax zeroes
    that move where the new gradient flipped its sign, another rule."""
    if BACKEND not in ('torch', 'jax') or (BACKEND == 'jax' and not OPTAX):
        return None
    ours = KerasStep('iRprop-', weights, grads, compiled)
    native = (TorchStep('Rprop', weights, grads, compiled) if BACKEND == 'torch'
              else OptaxStep(weights, grads))
    lag = 1 if BACKEND == 'jax' else 0
    for _ in range(lag):
        native(None)
    equal = 0
    for _ in range(steps):
        ours(None)
        native(None)
        equal += all(np.array_equal(a, b) for a, b in zip(ours.weights(), native.weights()))
    return '%s: %d of %d steps bit for bit%s' % (
        'torch.optim.Rprop' if BACKEND == 'torch' else 'optax.rprop', equal, steps,
        ' (one step behind)' if lag else '')


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--models', nargs='*', default=['2-4-1', '10-5-10', '2-20-20-1',
                                                   '30-10-1', '64-256-256-10'],
                   choices=list(MODELS))
    p.add_argument('--tensors', nargs='*', default=['1e3', '1e5', '1e6', 'mlp'])
    p.add_argument('--rounds', type=int, default=9)
    p.add_argument('--steps', type=int, default=20)
    p.add_argument('--gradients', choices=('mixed', 'fixed'), default='mixed',
                   help="the step alone's gradients: 'mixed', a cycle of %d random ones whose "
                        "signs flip here and there (as in training); 'fixed', one gradient "
                        "(every select of the rule goes the same way at every step)"
                        % GRADIENT_SETS)
    p.add_argument('--jit-compile', choices=('auto', 'true'), default='auto',
                   help="'true': compile every step, also on TensorFlow without a GPU (XLA) and "
                        "on PyTorch (torch.compile: the model's step through Keras' "
                        "jit_compile, the optimizers' step alone, torch.optim's too); "
                        "'auto': as Keras compiles by default")
    p.add_argument('--json', help='also write the results to this file')
    args = p.parse_args()
    jit_compile = True if args.jit_compile == 'true' else 'auto'
    if BACKEND == 'torch':  # time the compiled update, not the steps before it is ready
        keras3_backend.EAGER_SECONDS_BEFORE_COMPILING = 0.
    if jit_compile is True and BACKEND == 'torch':
        import torch
        # each model (and step alone) of this run recompiles Keras' trainer
        # code; past PyTorch's default limit of 8 it would run eagerly
        torch._dynamo.config.cache_size_limit = 256
    results = {'keras': keras.__version__, 'backend': BACKEND, 'jit_compile': args.jit_compile,
               'gradients': args.gradients,
               'ms_per_step': {}, 'optimizer_step_ms': {}}
    backend_module = __import__(BACKEND)
    results['backend_version'] = backend_module.__version__
    print('Keras %s on %s %s, jit_compile=%s; median of %d rounds of %d steps'
          % (keras.__version__, BACKEND, backend_module.__version__, jit_compile, args.rounds,
             args.steps))
    if args.models:
        print('\nwhole training step (train_on_batch), ms and x Adam%s' % (
            "; on PyTorch eager the optimizer's apply inside it, us and x Adam"
            if times_apply(jit_compile) else ''))
        print('%-15s %8s %8s  %s' % ('model', 'SGD', 'Adam',
                                     '  '.join('%12s' % v for v in VARIANTS)))
        for label in args.models:
            keras.backend.clear_session()
            sizes, samples = MODELS[label]
            ms, apply_us = time_model(sizes, samples, args.rounds, args.steps, jit_compile)
            results['ms_per_step'][label] = ms
            print('%-15s %8.3f %8.3f  %s' % (label, ms['SGD'], ms['Adam'], '  '.join(
                '%12.2f' % (ms[v] / ms['Adam']) for v in VARIANTS)), flush=True)
            if apply_us:
                results.setdefault('apply_in_step_us', {})[label] = apply_us
                ratios = '  '.join('%12.2f' % (apply_us[v] / apply_us['Adam']) for v in VARIANTS)
                print('%-15s %8.0f %8.0f  %s' % ('  apply, us', apply_us['SGD'], apply_us['Adam'],
                                                 ratios), flush=True)
    if args.tensors:
        print("\nthe optimizer's step alone (%s gradients), ms (x Keras Adam)" % args.gradients)
        for label in args.tensors:
            keras.backend.clear_session()
            ms, agreed, passes = time_tensors(label, args.rounds, args.steps,
                                             jit_compile is True, args.gradients)
            results['optimizer_step_ms'][label] = dict(ms, agreement=agreed)
            cells = ['%s %.3f (%.2f%s)' % (name, t, t / ms['Adam'], '' if passes is None
                                          else '; %.1f passes' % passes[name])
                     for name, t in ms.items()]
            if passes is not None:
                results.setdefault('xla_passes', {})[label] = passes
            print('%-6s %s%s' % (label, '; '.join(cells), '' if agreed is None
                                 else '; iRprop- against %s' % agreed), flush=True)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=1)


if __name__ == '__main__':
    main()
