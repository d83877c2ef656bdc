"""An experiment for small models on TensorFlow, not a feature: the update
of all tensors of a step as one rule over one flat vector, against the
shipped optimizer (one rule per tensor) and Keras' SGD and Adam.

Two layouts of the state are tried:

- gathered: the shipped state (one variable per slot and tensor), read
  into one flat vector per slot and written back tensor by tensor;
- flat: one variable per slot for all tensors of the model (a different
  saved-state layout; what the ops saved here would cost).

Whole ``train_on_batch`` steps, every optimizer timed interleaved
(``--rounds`` rounds of 100 steps, median); ratios to Adam's step.
``LEGACY_RPROP_FUSED=0`` runs every rule as the plain graph.  Keras with
TensorFlow 1.x only.

    python benchmarks/flat_state_prototype.py [--models 2-4-1 2-20-20-1]
"""
import argparse
import os

import numpy as np

from model_sweep import MODELS, data, network, time_steps

SMALL_MODELS = ('2-4-1', '10-5-10', '2-20-20-1', '30-10-1')


def optimizers(variants):
    """The prototype classes, built on the shipped optimizer's parts."""
    import tensorflow as tf
    from keras import backend as K

    from legacy_rprop import RProp
    from legacy_rprop._backend import assign_after_reads, fused, ops
    from legacy_rprop_core.rules import VARIANTS
    from legacy_rprop_core.update import ElementUpdate, hyper_in_dtype, loss_to_remember

    def flat(tensors):
        return tf.concat([tf.reshape(t, [-1]) for t in tensors], 0)

    class OneRulePerStep(RProp):
        flat_state = False

        def _updates(self, loss, params):
            grads = self.get_gradients(loss, params)
            variant = VARIANTS[self.variant]
            sizes = [int(np.prod(K.int_shape(p))) for p in params]
            if self.flat_state:
                state = {slot: [K.variable(np.full(sum(sizes), self.hyper.init_alpha
                                                   if slot == 'step_size' else 0., 'float32'))]
                         for slot in variant.slots}
            else:
                state = {slot: [self._state_variable(slot, i, p) for i, p in enumerate(params)]
                         for slot in variant.slots}
            self.weights = [v for slot in variant.slots for v in state[slot]]
            update = ElementUpdate(ops, variant, skip=True)
            inputs = {'weight': flat(params), 'grad': flat(grads)}
            inputs.update((slot, flat(state[slot])) for slot in variant.slots)
            assignments = []
            if variant.uses_loss:
                prev_loss = K.variable(np.inf, name='prev_loss')
                self.weights.append(prev_loss)
                inputs['loss_rose'] = K.cast(K.greater(loss, prev_loss), 'float32')
                assignments.append((prev_loss, loss_to_remember(ops, loss, prev_loss, True)))
            (values,) = fused([update.computation(hyper_in_dtype(self.hyper, 'float32'),
                                                  inputs)])
            new = dict(zip(update.output_names, values))
            targets = dict(state, weight=params)
            for name in update.output_names:
                pieces = [new[name]] if len(targets[name]) == 1 else tf.split(new[name], sizes)
                assignments.extend((variable, tf.reshape(value, K.int_shape(variable)))
                                   for variable, value in zip(targets[name], pieces))
            self.updates = assign_after_reads(assignments)
            return self.updates

    class Flat(OneRulePerStep):
        flat_state = True

    made = {}
    for variant in variants:
        made[variant] = lambda v=variant: RProp(variant=v)
        made['gathered ' + variant] = lambda v=variant: OneRulePerStep(variant=v)
        made['flat ' + variant] = lambda v=variant: Flat(variant=v)
    return made


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--models', nargs='+', default=list(SMALL_MODELS), choices=list(MODELS))
    p.add_argument('--variants', nargs='+', default=['iRprop-', 'iRprop+'])
    p.add_argument('--rounds', type=int, default=15)
    args = p.parse_args()
    os.environ.setdefault('KERAS_BACKEND', 'tensorflow')
    from keras.optimizers import SGD, Adam
    makers = dict({'SGD': SGD, 'Adam': Adam}, **optimizers(args.variants))
    print('LEGACY_RPROP_FUSED=%s; ms per step, and x Adam'
          % os.environ.get('LEGACY_RPROP_FUSED', '1'))
    for model_name in args.models:
        sizes, samples = MODELS[model_name]
        x, y = data(sizes, samples)
        models = {name: network(sizes, make()) for name, make in makers.items()}
        ms = time_steps(models, x, y, args.rounds, steps=100)
        print('\n' + model_name)
        for name, value in ms.items():
            print('  %-18s %7.4f  %5.2f' % (name, value, value / ms['Adam']))


if __name__ == '__main__':
    main()
