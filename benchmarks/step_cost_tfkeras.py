"""Step cost of every Rprop variant of the tf.keras flavour against tf.keras'
own SGD and Adam, on the TensorFlow this runs on (1.15 graph mode, or 2.x in a
``tf.function``, as ``fit`` runs a step).

The setup of benchmarks/step_cost.py: one parameter tensor of N float32
elements, loss = sum(p * c) with c a second (non-trainable) variable, one
full training step per call; all optimizers of one N timed interleaved in
the same run (round-robin, ``--steps`` steps back to back per round, median
over rounds).  On TensorFlow 2 the
`loops` column gives, for each Rprop variant, the element-wise loops of
its compiled update (XLA's optimized HLO) and in brackets the arrays of N
elements they read and write together; tf.keras' Adam is one kernel that
reads 4 and writes 3.

    python benchmarks/step_cost_tfkeras.py [--sizes ...] [--rounds 25] [--steps 20]
"""
import argparse

import numpy as np
import tensorflow as tf

from step_cost import SIZES, print_table, print_targets, seconds_per_step, time_copy


def parse():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--sizes', type=int, nargs='+', default=list(SIZES))
    p.add_argument('--rounds', type=int, default=25, help='timed rounds (default 25)')
    p.add_argument('--steps', type=int, default=20,
                   help='steps back to back per round (default 20)')
    return p.parse_args()


def main():
    args = parse()
    from legacy_rprop.tfkeras import VARIANTS, RProp
    optimizers = tf.keras.optimizers
    # TF 2.11+: the new optimizers are another class; compare with the
    # OptimizerV2 ones that RProp is one of, where both exist
    legacy = getattr(optimizers, 'legacy', optimizers)
    print('TensorFlow %s (%s), %d rounds of %d steps, median seconds per step' % (
        tf.__version__, 'tf.function' if tf.executing_eagerly() else 'graph', args.rounds,
        args.steps))
    for n in args.sizes:
        makers = [('SGD', lambda: legacy.SGD(0.01)), ('Adam', legacy.Adam)] + [
            (v, lambda v=v: RProp(variant=v)) for v in VARIANTS]
        steps = {name: training_step(make(), n) for name, make in makers}
        copy_seconds = time_copy(n, args.rounds)
        loops = {v: compiled_loops(VARIANTS[v], n) for v in VARIANTS}
        worst = print_table(n, seconds_per_step(steps, args.rounds, args.steps), copy_seconds,
                            loops)
    print_targets(worst, args.sizes[-1])


def compiled_loops(variant, n):
    """'loops (arrays)': the loop fusions of the update's XLA computation
    and the arrays of n elements they read and write, or '-' where
    TensorFlow cannot show the optimized HLO."""
    if not tf.executing_eagerly():
        return '-'  # TensorFlow 1: no compiler IR to show
    from legacy_rprop.core import tensorflow_ops
    from legacy_rprop.core.arguments import DEFAULTS
    from legacy_rprop.core.update import ElementUpdate, hyper_in_dtype
    update = ElementUpdate(tensorflow_ops.XLA, variant, skip=True)
    inputs = {name: tf.ones([n]) for name in ('weight', 'grad') + variant.slots}
    if variant.uses_loss:
        inputs['loss_rose'] = tf.constant(0.)
    function, values, _ = update.computation(hyper_in_dtype(DEFAULTS, 'float32'), inputs)
    compiled = tf.function(function, jit_compile=True)
    if not hasattr(compiled, 'experimental_get_compiler_ir'):
        return '-'
    hlo = compiled.experimental_get_compiler_ir(*values)(stage='optimized_hlo')
    array = 'f32[%d]' % n
    fusions = [line for line in hlo.splitlines()
               if ' fusion(' in line and '= ' + array in line and 'ENTRY' not in line]
    arrays = sum(line.split(' fusion(', 1)[1].split(')', 1)[0].count(array) + 1
                 for line in fusions)
    return '%d (%d)' % (len(fusions), arrays)


def training_step(optimizer, n):
    """A function that runs one training step (its argument is ignored)."""
    rng = np.random.RandomState(0)
    # resource variables, as tf.keras' layers make them (also on TensorFlow 1)
    variable = (tf.Variable if tf.executing_eagerly()
                else lambda *a, **k: tf.compat.v1.Variable(*a, use_resource=True, **k))
    p = variable(rng.normal(size=n).astype('float32'))
    c = variable(rng.choice([-1., 1.], size=n).astype('float32'), trainable=False)
    if tf.executing_eagerly():
        @tf.function
        def step():
            optimizer.minimize(lambda: tf.reduce_sum(p * c), [p])

        def run(_):
            step()
    else:
        loss = tf.reduce_sum(p * c)
        updates = optimizer.get_updates(loss, [p])
        session = tf.keras.backend.get_session()
        session.run(tf.compat.v1.variables_initializer([p, c] + optimizer.weights))

        def run(_):
            session.run([loss, updates])  # as Keras trains: the loss is fetched
    for _ in range(3):  # trace, compile and warm up
        run([])
    return run


if __name__ == '__main__':
    main()
