"""Keras 2 optimizer classes for the Rprop family: the multi-backend Keras
adapter over `legacy_rprop_core`."""
import numpy as np
from keras import backend as K
from keras.legacy import interfaces
from keras.optimizers import Optimizer

from legacy_rprop._backend import (assign_after_reads, batch_size, fused, is_finite, ops,
                                   symbolic, updates_of_one_step)
from legacy_rprop_core import settings
from legacy_rprop_core.rules import VARIANTS, Hyper
from legacy_rprop_core.settings import DEFAULTS, QUESTION_DEFAULTS, OptimizerStateError
from legacy_rprop_core.update import (AccumulatingUpdate, ElementUpdate, hyper_in_dtype,
                                     loss_to_remember)

KERAS_KWARGS = ('clipnorm', 'clipvalue')

__all__ = ['RProp', 'Rprop', 'OptimizerStateError']


class RProp(Optimizer):
    __doc__ = settings.RPROP_DOC

    def __init__(self, init_alpha=DEFAULTS.init_alpha, scale_up=DEFAULTS.scale_up,
                 scale_down=DEFAULTS.scale_down, min_alpha=DEFAULTS.min_alpha,
                 max_alpha=DEFAULTS.max_alpha, variant=settings.DEFAULT_VARIANT,
                 nonfinite='skip', batches_per_step=1, **kwargs):
        self._check_keras_kwargs(kwargs)
        self.hyper = settings.checked_hyperparameters(
            Hyper(init_alpha, scale_up, scale_down, min_alpha, max_alpha),
            names=self.hyper_names)
        self.variant = settings.checked_variant(variant)
        self.nonfinite = settings.checked_nonfinite(nonfinite)
        self.batches_per_step = settings.checked_batches_per_step(batches_per_step)
        super(RProp, self).__init__(**kwargs)

    # the names of the five hyper-parameters, and of any further argument,
    # in this class's signature
    hyper_names = Hyper._fields
    other_names = ('variant', 'nonfinite', 'batches_per_step')

    def _check_keras_kwargs(self, kwargs):
        settings.check_keyword_arguments(
            type(self).__name__, kwargs, self.hyper_names + self.other_names + KERAS_KWARGS)

    def get_config(self):
        config = dict(zip(self.hyper_names, self.hyper))
        config['variant'] = self.variant
        config['nonfinite'] = self.nonfinite
        config['batches_per_step'] = self.batches_per_step
        config.update(super(RProp, self).get_config())
        return config

    @interfaces.legacy_get_updates_support
    @symbolic
    def get_updates(self, loss, params):
        with updates_of_one_step():
            return self._updates(loss, params)

    @staticmethod
    def comparison_loss(loss):
        """The loss that iRprop+ compares: this process's (see
        `legacy_rprop.horovod` for the loss of all workers)."""
        return loss

    def _updates(self, loss, params):
        grads = self.get_gradients(loss, params)
        loss = self.comparison_loss(loss)
        variant = VARIANTS[self.variant]
        state = {slot: [self._state_variable(slot, i, p) for i, p in enumerate(params)]
                 for slot in variant.slots}
        self.weights = [v for slot in variant.slots for v in state[slot]]
        accumulation_weights = []

        skip = self.nonfinite == 'skip'
        assignments = []
        update = ElementUpdate(ops, variant, skip)
        step_inputs = {}  # inputs every tensor's update shares (0-d)
        step_loss = loss
        if self.batches_per_step > 1:
            update = AccumulatingUpdate(update)
            step_inputs, step_loss, counters = self._accumulation(loss, assignments)
        loss_rose = None
        if variant.uses_loss:
            prev_loss = K.variable(np.inf, dtype=K.dtype(loss), name='prev_loss')
            self.weights.append(prev_loss)
            loss_rose = K.greater(step_loss, prev_loss)
            remembered = loss_to_remember(ops, step_loss, prev_loss, skip)
            if self.batches_per_step > 1:
                remembered = ops.where(step_inputs['is_step'] > 0, remembered, prev_loss)
            assignments.append((prev_loss, remembered))

        every_inputs = []
        for i, (p, g) in enumerate(zip(params, grads)):
            inputs = {'weight': p, 'grad': g}
            inputs.update((slot, state[slot][i]) for slot in variant.slots)
            if loss_rose is not None:
                inputs['loss_rose'] = K.cast(loss_rose, K.dtype(p))
            if self.batches_per_step > 1:
                inputs['grad_sum'] = self._state_variable('grad_sum', i, p)
                accumulation_weights.append(inputs['grad_sum'])
                inputs.update((name, K.cast(value, K.dtype(p)))
                              for name, value in step_inputs.items())
            every_inputs.append(inputs)
        # the element-wise updates of all tensors, fused as one computation
        # where the backend can (XLA), else one loop per tensor
        every_outputs = fused([update.computation(self._hyper_of(inputs['weight']), inputs)
                               for inputs in every_inputs])

        for inputs, values in zip(every_inputs, every_outputs):
            outputs = dict(zip(update.output_names, values))
            p, new_p = inputs['weight'], outputs['weight']
            constraint = getattr(p, 'constraint', None)
            if constraint is not None:
                new_p = self._constrained(constraint, inputs, new_p, skip)
            assignments.append((p, new_p))
            assignments.extend((inputs[name], outputs[name])
                               for name in update.output_names if name != 'weight')

        if self.batches_per_step > 1:
            self.weights.extend(accumulation_weights + counters)
        self.updates = assign_after_reads(assignments)
        return self.updates

    def _accumulation(self, loss, assignments):
        """The step's shared inputs when it adds up `batches_per_step`
        batches (this batch's size, the step's samples so far, whether this
        batch is its last) and the loss to compare (the mean over the
        step's samples) and the counters' variables; appends the counters'
        writes to `assignments`."""
        dtype = K.dtype(loss)
        size = K.cast(batch_size(loss), dtype)
        batches_seen = K.variable(0., dtype=dtype, name='batches_seen')
        samples_seen = K.variable(0., dtype=dtype, name='samples_seen')
        batches, samples = batches_seen + 1., samples_seen + size
        is_step = K.cast(K.greater_equal(batches, float(self.batches_per_step)), dtype)
        counters = [(batches_seen, batches), (samples_seen, samples)]
        step_loss = loss
        if VARIANTS[self.variant].uses_loss:
            loss_sum = K.variable(0., dtype=dtype, name='loss_sum')
            total = loss_sum + size * loss
            step_loss = total / samples
            counters.append((loss_sum, total))
        # after the step's last batch every counter starts again from 0
        assignments.extend((variable, ops.where(is_step > 0, ops.zeros_like(value), value))
                           for variable, value in counters)
        inputs = {'batch_size': size, 'samples': samples, 'is_step': is_step}
        return inputs, step_loss, [variable for variable, _ in counters]

    @staticmethod
    def _constrained(constraint, inputs, new_weight, skip):
        """The constraint on the new weight, on a step's elements only: not
        on an element the policy skipped (nor, accumulating, before the
        step's last batch)."""
        p, g = inputs['weight'], inputs['grad']
        constrained = constraint(new_weight)
        if 'grad_sum' in inputs:  # the step's mean gradient decides
            g = AccumulatingUpdate.gradient_sum(inputs) / inputs['samples']
            constrained = ops.where(inputs['is_step'] > 0, constrained, p)
        return ops.where(is_finite(g), constrained, p) if skip else constrained

    def set_weights(self, weights):
        """Load state saved by `get_weights` (or by ``model.save``).

        Raises `OptimizerStateError` if the arrays do not have the number and
        shapes this optimizer holds for this model (state of another variant
        or of another model); nothing is loaded then.
        """
        settings.check_state_fits(type(self).__name__, self.variant, self.weights,
                                  [tuple(K.int_shape(w)) for w in self.weights], weights)
        seen = [float(np.asarray(value))
                for name, value in zip(settings.state_names(self.weights), weights)
                if name.startswith('batches_seen')]
        if seen and seen[0] != 0:
            raise OptimizerStateError(
                '%s(batches_per_step=%d) cannot resume from this state: it was saved '
                'after %d of the %d batches of a step, and Keras resumes at the start '
                'of an epoch. Save at the end of an epoch (ModelCheckpoint does). '
                'Nothing was loaded.' % (type(self).__name__, self.batches_per_step,
                                         seen[0], self.batches_per_step))
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
                 nonfinite='skip', batches_per_step=1, **kwargs):
        settings.checked_question_variant(kwargs.pop('variant', 'Rprop+'))
        self._check_keras_kwargs(kwargs)
        super(Rprop, self).__init__(init_step, posStep, negStep, minStep,
                                    maxStep, variant='Rprop+', nonfinite=nonfinite,
                                    batches_per_step=batches_per_step, **kwargs)

    hyper_names = settings.QUESTION_NAMES
    other_names = ('nonfinite', 'batches_per_step')

    def get_config(self):
        config = super(Rprop, self).get_config()
        del config['variant']
        return config
