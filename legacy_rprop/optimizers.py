"""Keras 2 optimizer classes for the Rprop family: the multi-backend Keras
adapter over `legacy_rprop_core`."""
import numpy as np
from keras import backend as K
from keras.legacy import interfaces
from keras.optimizers import Optimizer

from legacy_rprop._backend import (assign_after_reads, fused, is_finite, ops, symbolic,
                                   updates_of_one_step)
from legacy_rprop_core import settings
from legacy_rprop_core.rules import VARIANTS, Hyper
from legacy_rprop_core.settings import DEFAULTS, QUESTION_DEFAULTS, OptimizerStateError
from legacy_rprop_core.update import ElementUpdate, hyper_in_dtype, loss_to_remember

KERAS_KWARGS = ('clipnorm', 'clipvalue')

__all__ = ['RProp', 'Rprop', 'OptimizerStateError']


class RProp(Optimizer):
    __doc__ = settings.RPROP_DOC

    def __init__(self, init_alpha=DEFAULTS.init_alpha, scale_up=DEFAULTS.scale_up,
                 scale_down=DEFAULTS.scale_down, min_alpha=DEFAULTS.min_alpha,
                 max_alpha=DEFAULTS.max_alpha, variant=settings.DEFAULT_VARIANT,
                 nonfinite='skip', **kwargs):
        self._check_keras_kwargs(kwargs)
        self.hyper = settings.checked_hyperparameters(
            Hyper(init_alpha, scale_up, scale_down, min_alpha, max_alpha),
            names=self.hyper_names)
        self.variant = settings.checked_variant(variant)
        self.nonfinite = settings.checked_nonfinite(nonfinite)
        super(RProp, self).__init__(**kwargs)

    # the names of the five hyper-parameters, and of any further argument,
    # in this class's signature
    hyper_names = Hyper._fields
    other_names = ('variant', 'nonfinite')

    def _check_keras_kwargs(self, kwargs):
        settings.check_keyword_arguments(
            type(self).__name__, kwargs, self.hyper_names + self.other_names + KERAS_KWARGS)

    def get_config(self):
        config = dict(zip(self.hyper_names, self.hyper))
        config['variant'] = self.variant
        config['nonfinite'] = self.nonfinite
        config.update(super(RProp, self).get_config())
        return config

    @interfaces.legacy_get_updates_support
    @symbolic
    def get_updates(self, loss, params):
        with updates_of_one_step():
            return self._updates(loss, params)

    def _updates(self, loss, params):
        grads = self.get_gradients(loss, params)
        variant = VARIANTS[self.variant]
        state = {slot: [self._state_variable(slot, i, p) for i, p in enumerate(params)]
                 for slot in variant.slots}
        self.weights = [v for slot in variant.slots for v in state[slot]]

        skip = self.nonfinite == 'skip'
        assignments = []
        loss_rose = None
        if variant.uses_loss:
            prev_loss = K.variable(np.inf, dtype=K.dtype(loss), name='prev_loss')
            self.weights.append(prev_loss)
            loss_rose = K.greater(loss, prev_loss)
            assignments.append((prev_loss, loss_to_remember(ops, loss, prev_loss, skip)))

        update = ElementUpdate(ops, variant, skip)
        every_inputs = []
        for i, (p, g) in enumerate(zip(params, grads)):
            inputs = {'weight': p, 'grad': g}
            inputs.update((slot, state[slot][i]) for slot in variant.slots)
            if loss_rose is not None:
                inputs['loss_rose'] = K.cast(loss_rose, K.dtype(p))
            every_inputs.append(inputs)
        # the element-wise updates of all tensors, fused as one computation
        # where the backend can (XLA), else one loop per tensor
        every_outputs = fused([update.computation(self._hyper_of(inputs['weight']), inputs)
                               for inputs in every_inputs])

        for inputs, values in zip(every_inputs, every_outputs):
            outputs = dict(zip(update.output_names, values))
            p, g, new_p = inputs['weight'], inputs['grad'], outputs['weight']
            constraint = getattr(p, 'constraint', None)
            if constraint is not None:
                constrained = constraint(new_p)
                # the constraint must not move a skipped element either
                new_p = ops.where(is_finite(g), constrained, p) if skip else constrained
            assignments.append((p, new_p))
            assignments.extend((inputs[slot], outputs[slot]) for slot in variant.slots)

        self.updates = assign_after_reads(assignments)
        return self.updates

    def set_weights(self, weights):
        """Load state saved by `get_weights` (or by ``model.save``).

        Raises `OptimizerStateError` if the arrays do not have the number and
        shapes this optimizer holds for this model (state of another variant
        or of another model); nothing is loaded then.
        """
        settings.check_state_fits(type(self).__name__, self.variant, self.weights,
                                  [tuple(K.int_shape(w)) for w in self.weights], weights)
        super(RProp, self).set_weights(weights)

    def _hyper_of(self, param):
        """The hyper-parameters in the dtype of `param`."""
        return hyper_in_dtype(self.hyper, K.dtype(param))

    def _state_variable(self, slot, index, param):
        initial = self.hyper.init_alpha if slot == 'step_size' else 0.
        value = np.full(K.int_shape(param), initial, dtype=K.dtype(param))
        return K.variable(value, dtype=K.dtype(param), name='%s_%d' % (slot, index))


class Rprop(RProp):
    __doc__ = settings.QUESTION_RPROP_DOC

    def __init__(self, init_step=QUESTION_DEFAULTS.init_alpha,
                 posStep=QUESTION_DEFAULTS.scale_up, negStep=QUESTION_DEFAULTS.scale_down,
                 minStep=QUESTION_DEFAULTS.min_alpha, maxStep=QUESTION_DEFAULTS.max_alpha,
                 nonfinite='skip', **kwargs):
        settings.checked_question_variant(kwargs.pop('variant', 'Rprop+'))
        self._check_keras_kwargs(kwargs)
        super(Rprop, self).__init__(init_step, posStep, negStep, minStep,
                                    maxStep, variant='Rprop+', nonfinite=nonfinite,
                                    **kwargs)

    hyper_names = settings.QUESTION_NAMES
    other_names = ('nonfinite',)

    def get_config(self):
        config = super(Rprop, self).get_config()
        del config['variant']
        return config
