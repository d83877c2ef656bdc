"""Keras 2 optimizer classes for the Rprop family: the multi-backend Keras
adapter over `legacy_rprop_core`."""
import numpy as np
from keras import backend as K
from keras.legacy import interfaces
from keras.optimizers import Optimizer

from legacy_rprop._backend import (assign_after_reads, batch_size, concatenated, fused,
                                   is_finite, ops, outside_the_fused_update, pieces,
                                   symbolic, updates_of_one_step)
from legacy_rprop_core import settings
from legacy_rprop_core.layout import StateLayout
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
        with outside_the_fused_update():
            grads = self.get_gradients(loss, params)
        loss = self.comparison_loss(loss)
        variant = VARIANTS[self.variant]
        accumulating = self.batches_per_step > 1
        self.layout = StateLayout([K.int_shape(p) for p in params], [K.dtype(p) for p in params])
        groups = self.layout.groups
        state = {slot: [self._state_variable(slot, dtype, members)
                        for dtype, members in groups] for slot in variant.slots}
        self.weights = [v for slot in variant.slots for v in state[slot]]

        skip = self.nonfinite == 'skip'
        assignments = []
        update = ElementUpdate(ops, variant, skip)
        step_inputs = {}  # inputs every element's update shares (0-d)
        step_loss = loss
        if accumulating:
            update = AccumulatingUpdate(update)
            step_inputs, step_loss, counters = self._accumulation(loss, assignments)
        loss_rose = None
        if variant.uses_loss:
            prev_loss = K.variable(np.inf, dtype=K.dtype(loss), name='prev_loss')
            self.weights.append(prev_loss)
            loss_rose = K.greater(step_loss, prev_loss)
            remembered = loss_to_remember(ops, step_loss, prev_loss, skip)
            if accumulating:
                remembered = ops.where(step_inputs['is_step'] > 0, remembered, prev_loss)
            assignments.append((prev_loss, remembered))

        # one update per group over the concatenated weights of the group
        every_inputs = []
        for k, (dtype, members) in enumerate(groups):
            with outside_the_fused_update():
                inputs = {'weight': concatenated([params[i] for i in members]),
                          'grad': concatenated([grads[i] for i in members])}
            inputs.update((slot, state[slot][k]) for slot in variant.slots)
            if loss_rose is not None:
                inputs['loss_rose'] = loss_rose
            if accumulating:
                inputs['grad_sum'] = self._state_variable('grad_sum', dtype, members)
                inputs.update((name, K.cast(value, dtype)) for name, value in step_inputs.items())
            every_inputs.append(inputs)
        # the new weights come back cut into the group's weight tensors
        every_shapes = [[self.layout.shapes[i] for i in members] for _, members in groups]
        every_outputs = fused([update.computation(hyper_in_dtype(self.hyper, dtype), inputs)
                               for (dtype, _), inputs in zip(groups, every_inputs)],
                              every_shapes)

        for (_, members), shapes, inputs, values in zip(groups, every_shapes, every_inputs,
                                                        every_outputs):
            outputs = dict(zip(update.output_names, values))
            new_weights = dict(zip(members, outputs['weight']))
            constrained = [i for i in members if getattr(params[i], 'constraint', None)]
            if constrained:
                step_grads = dict(zip(members, pieces(
                    AccumulatingUpdate.gradient_sum(inputs) / inputs['samples'], shapes)
                    if accumulating else [grads[i] for i in members]))
                for i in constrained:
                    new_weights[i] = self._constrained(
                        params[i].constraint, params[i], step_grads[i], new_weights[i], skip,
                        inputs.get('is_step'))
            assignments.extend((params[i], new_weights[i]) for i in members)
            assignments.extend((inputs[name], outputs[name])
                               for name in update.output_names if name != 'weight')

        if accumulating:
            self.weights.extend([inputs['grad_sum'] for inputs in every_inputs] + counters)
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
    def _constrained(constraint, weight, grad, new_weight, skip, is_step=None):
        """The constraint on the new weight, on a step's elements only: not
        on an element the policy skipped for its gradient `grad` (the step's
        mean gradient when accumulating), nor, accumulating, before the
        step's last batch (`is_step` 0)."""
        constrained = constraint(new_weight)
        if is_step is not None:
            constrained = ops.where(is_step > 0, constrained, weight)
        return ops.where(is_finite(grad), constrained, weight) if skip else constrained

    def set_weights(self, weights):
        """Load state saved by `get_weights` (or by ``model.save``).

        Also takes the state as versions 0.1.0 to 0.4.0 saved it, one array
        per slot and weight tensor (`get_weights_per_tensor`), and converts
        it.  Raises `OptimizerStateError` if the arrays do not have the
        number and shapes this optimizer holds for this model (state of
        another variant or of another model); nothing is loaded then.
        """
        layout = getattr(self, 'layout', None)
        flat_shapes = [tuple(K.int_shape(w)) for w in self.weights]
        if layout is not None and [tuple(np.shape(w)) for w in weights] == \
                layout.per_tensor_shapes(flat_shapes) != flat_shapes:
            weights = layout.from_per_tensor(weights, flat_shapes)
        settings.check_state_fits(type(self).__name__, self.variant, self.weights,
                                  flat_shapes, weights)
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

    def get_weights_per_tensor(self):
        """The state as one array per slot and weight tensor, in the order
        of `get_weights` (``step_size`` of every weight tensor in Keras'
        order, then ``prev_grad``, ...): the layout of versions 0.1.0 to
        0.4.0, which `set_weights` also takes.  Empty before the training
        step is built, as `get_weights` is."""
        layout = getattr(self, 'layout', None)
        return [] if layout is None else layout.to_per_tensor(self.get_weights())

    def _state_variable(self, slot, dtype, members):
        """One slot's state for the weights `members` (of one `dtype`), as
        one vector; named by the slot alone where the model has one dtype."""
        initial = self.hyper.init_alpha if slot == 'step_size' else 0.
        value = np.full(self.layout.group_size(members), initial, dtype=dtype)
        name = slot if len(self.layout.groups) == 1 else '%s_%s' % (slot, dtype)
        return K.variable(value, dtype=dtype, name=name)


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
