"""`RProp` and `Rprop` for multi-backend Keras 2: the front half from
`legacy_rprop.core.arguments`, the rules from `legacy_rprop.core.rules`; here
only the state (one vector per slot for all weights of a model,
`legacy_rprop.core.layout`) and the step that updates it."""
import numpy as np
from keras import backend as K
from keras.legacy import interfaces
from keras.optimizers import Optimizer, clip_norm

from legacy_rprop.core.arguments import RPROP_DOC, RpropArguments, question_class
from legacy_rprop.core.layout import StateLayout
from legacy_rprop.core.rules import VARIANTS
from legacy_rprop.core.state import (OptimizerStateError, PerTensorState,
                                     check_saved_between_steps, check_state_fits, saved_layouts)
from legacy_rprop.core.update import (AccumulatingUpdate, ElementUpdate, counted_batch,
                                      hyper_in_dtype, loss_to_remember)
from legacy_rprop.keras2 import backend
from legacy_rprop.keras2.fusion import concatenated, fused, outside_the_fused_update, pieces
from legacy_rprop.keras2.ordering import assign_after_reads, updates_of_one_step

__all__ = ['RProp', 'Rprop', 'OptimizerStateError']


class RProp(PerTensorState, RpropArguments, Optimizer):
    __doc__ = RPROP_DOC
    keras_keywords = ('clipnorm', 'clipvalue')
    state_made_by = ("Keras makes it with the model's training function (the first fit or "
                     'train_on_batch)')

    def get_config(self):
        config = self.rprop_config()
        config.update(super(RProp, self).get_config())
        return config

    @interfaces.legacy_get_updates_support
    @backend.symbolic
    def get_updates(self, loss, params):
        with updates_of_one_step():
            self.updates = self._updates(loss, _distinct(params))
        return self.updates

    def get_gradients(self, loss, params):
        """The gradient of `loss` for each of `params`, dense (an embedding's
        too: the rows it does not reach have gradient 0) and clipped as Keras
        clips; a ValueError names the weights the loss has no gradient for."""
        not_float = ['%s (%s)' % (_name(p), K.dtype(p)) for p in params
                     if not K.dtype(p).startswith('float')]
        if not_float:
            raise ValueError('%s trains float weights only, and got %s among the trainable '
                             'weights: make them non-trainable.'
                             % (type(self).__name__, ', '.join(not_float)))
        grads = backend.gradients(loss, params)
        missing = ['%s (%s)' % (_name(p), K.dtype(p)) for p, g in zip(params, grads) if g is None]
        if missing:
            raise ValueError(
                '%s has no gradient of the loss for the trainable weights %s: the loss '
                'does not depend on them. Rprop needs the gradient of every weight it '
                'trains: make them non-trainable (layer.trainable = False) or make the '
                'loss depend on them.'
                % (type(self).__name__, ', '.join(missing)))
        grads = [backend.dense(g) for g in grads]
        if getattr(self, 'clipnorm', 0) > 0:
            norm = K.sqrt(sum(K.sum(K.square(g)) for g in grads))
            grads = [clip_norm(g, self.clipnorm, norm) for g in grads]
        if getattr(self, 'clipvalue', 0) > 0:
            grads = [K.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    @staticmethod
    def comparison_loss(loss):
        """The loss that iRprop+ compares: this process's (see
        `legacy_rprop.horovod` for the loss of all workers)."""
        return loss

    def _updates(self, loss, params):
        """The assignments of one training step, ordered after its reads."""
        with outside_the_fused_update():
            grads = self.get_gradients(loss, params)
        spec = VARIANTS[self.variant]
        self.layout = StateLayout([K.int_shape(p) for p in params], [K.dtype(p) for p in params])
        state = self._create_state(spec.slots)
        assignments = []
        shared, step_loss = self._accumulation(loss, assignments)
        if spec.uses_loss:
            shared['loss_rose'] = self._compare_loss(step_loss, shared, assignments)
        update = ElementUpdate(backend.OPS, spec, skip=self.nonfinite == 'skip')
        if self.batches_per_step > 1:
            update = AccumulatingUpdate(update)
        groups = [self._group_inputs(k, members, params, grads, state, shared)
                  for k, (_, members) in enumerate(self.layout.groups)]
        shapes = [[self.layout.shapes[i] for i in members] for _, members in self.layout.groups]
        outputs = fused(update, [(hyper_in_dtype(self.hyper, dtype), inputs)
                                 for (dtype, _), inputs in zip(self.layout.groups, groups)],
                        shapes)
        for (_, members), inputs, values in zip(self.layout.groups, groups, outputs):
            new = dict(zip(update.output_names, values))
            new_weights = self._constrained(params, members, grads, inputs, new['weight'])
            assignments.extend(zip([params[i] for i in members], new_weights))
            assignments.extend((inputs[name], new[name])
                               for name in update.output_names if name != 'weight')
        if self.batches_per_step > 1:
            self.weights.extend([inputs['grad_sum'] for inputs in groups] + self._counters)
        return assign_after_reads(assignments)

    def _create_state(self, slots):
        """``{slot: [vector of each group]}``, and `weights` in the saved order."""
        state = {slot: [self._state_variable(slot, k) for k in range(len(self.layout.groups))]
                 for slot in slots}
        self.weights = [vector for slot in slots for vector in state[slot]]
        return state

    def _accumulation(self, loss, assignments):
        """The inputs every element's update shares (0-d) and the loss to
        compare.  With `batches_per_step` > 1: this batch's size, the step's
        samples so far, whether this batch is its last, the mean loss over
        the step's samples; the counters' writes go to `assignments`."""
        self._counters = []
        if self.batches_per_step == 1:
            return {}, loss
        dtype = K.dtype(loss)
        size = K.cast(backend.batch_size(loss), dtype)
        names = ('batches_seen', 'samples_seen') + (
            ('loss_sum',) if VARIANTS[self.variant].uses_loss else ())
        self._counters = [K.variable(0., dtype=dtype, name=name) for name in names]
        shared, step_loss, values = counted_batch(
            backend.OPS, lambda condition: K.cast(condition, dtype), self.batches_per_step,
            size, self._counters, loss)
        assignments.extend(zip(self._counters, values))
        return shared, step_loss

    def _compare_loss(self, step_loss, shared, assignments):
        """iRprop+'s E_t > E_(t-1), and the write of the loss to remember."""
        step_loss = self.comparison_loss(step_loss)
        prev_loss = K.variable(np.inf, dtype=K.dtype(step_loss), name='prev_loss')
        self.weights.append(prev_loss)
        assignments.append((prev_loss, loss_to_remember(
            backend.OPS, step_loss, prev_loss, self.nonfinite == 'skip', shared.get('is_step'))))
        return K.greater(step_loss, prev_loss)

    def _group_inputs(self, k, members, params, grads, state, shared):
        """The inputs of the update of group k (the weights `members`):
        their weights and gradients as one vector each, the group's state
        and the shared inputs in the group's dtype."""
        dtype = self.layout.groups[k][0]
        with outside_the_fused_update():
            inputs = {'weight': concatenated([params[i] for i in members]),
                      'grad': concatenated([grads[i] for i in members])}
        inputs.update((slot, vectors[k]) for slot, vectors in state.items())
        for name, value in shared.items():
            inputs[name] = value if name == 'loss_rose' else K.cast(value, dtype)
        if self.batches_per_step > 1:
            inputs['grad_sum'] = self._state_variable('grad_sum', k)
        return inputs

    def _constrained(self, params, members, grads, inputs, new_weights):
        """The new weights of a group, each with its Keras constraint applied,
        on the step's elements only: not on an element the policy skipped for
        its gradient (the step's mean gradient when accumulating), nor,
        accumulating, before the step's last batch."""
        new_weights = list(new_weights)
        constrained = [n for n, i in enumerate(members) if getattr(params[i], 'constraint', None)]
        if not constrained:
            return new_weights
        ops, shapes = backend.OPS, [self.layout.shapes[i] for i in members]
        accumulating = self.batches_per_step > 1
        step_grads = (pieces(AccumulatingUpdate.gradient_sum(inputs) / inputs['samples'], shapes)
                      if accumulating else [grads[i] for i in members])
        for n in constrained:
            weight = params[members[n]]
            value = weight.constraint(new_weights[n])
            if accumulating:
                value = ops.where(inputs['is_step'] > 0, value, weight)
            if self.nonfinite == 'skip':
                value = ops.where(ops.is_finite(step_grads[n]), value, weight)
            new_weights[n] = value
        return new_weights

    def set_weights(self, weights):
        """Load state saved by `get_weights` (or by ``model.save``).

        Also takes the state as versions 0.1.0 to 0.4.0 saved it, one array
        per slot and weight tensor (`get_weights_per_tensor`), and as
        versions 0.5.x did, one vector per slot and dtype, and converts it;
        for Rprop+ and iRprop+ also with the slot prev_move that versions up
        to 0.6 kept (left out: the rule derives it).  Raises
        `OptimizerStateError` if the arrays do not have the number and
        shapes this optimizer holds for this model in any of these layouts
        (state of another variant or of another model); nothing is loaded
        then.
        """
        layout = getattr(self, 'layout', None)
        flat_shapes = [tuple(K.int_shape(w)) for w in self.weights]
        if layout is not None:
            blocks = (len(layout.groups), len(layout.shapes), len(layout.by_dtype().groups))
            for saved in saved_layouts(self.variant, weights, self.arrays_before_state(), blocks):
                converted = layout.converted(saved, flat_shapes)
                if converted is not None:
                    weights = converted
                    break
        check_state_fits(type(self).__name__, self.variant, self.weights, flat_shapes, weights)
        check_saved_between_steps(type(self).__name__, self.batches_per_step, self.weights,
                                  weights)
        super(RProp, self).set_weights(weights)

    def arrays_before_state(self):
        return 0

    def _state_variable(self, slot, k):
        """One slot's state for the weights of group k, as one vector."""
        dtype, members = self.layout.groups[k]
        initial = self.hyper.init_alpha if slot == 'step_size' else 0.
        value = np.full(self.layout.group_size(members), initial, dtype=dtype)
        return K.variable(value, dtype=dtype, name=self.layout.name(slot, k))


Rprop = question_class(RProp)


def _name(variable):
    """A variable's name, without TensorFlow's output index (``:0``)."""
    return variable.name.split(':')[0]


def _distinct(params):
    """`params` without repeats (a weight listed twice is updated once)."""
    seen = set()
    return [p for p in params if not (id(p) in seen or seen.add(id(p)))]
