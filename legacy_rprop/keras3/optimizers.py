"""`RProp` and `Rprop` for Keras 3 (TensorFlow, JAX, PyTorch): the front half
from `legacy_rprop.core.arguments`, the rules from `legacy_rprop.core.rules`;
here only the state (one vector per slot for the model's small weights, one
per large tensor, `legacy_rprop.core.layout`) and the step that updates it,
one rule per step over all weights."""
import warnings

import keras
import numpy as np

from legacy_rprop.core.arguments import RPROP_DOC, RpropArguments, question_class
from legacy_rprop.core.layout import StateLayout
from legacy_rprop.core.rules import VARIANTS
from legacy_rprop.core.state import check_state_fits
from legacy_rprop.core.update import ElementUpdate, loss_to_remember
from legacy_rprop.keras3 import backend

KERAS3_DOC = """
    # Keras 3
        A ``keras.optimizers.Optimizer`` on TensorFlow, JAX and PyTorch:
        `name`, `clipnorm`, `clipvalue`, `global_clipnorm`, `use_ema` (with
        `ema_momentum`, `ema_overwrite_frequency`) and `loss_scale_factor`
        as for every Keras optimizer; Rprop has no learning rate, so
        `weight_decay` (which Keras scales by it) is refused, and
        `gradient_accumulation_steps` too (Keras averages the batches'
        means unweighted, and iRprop+ would compare one batch's loss):
        train full batch.  iRprop+ takes each step's loss from
        ``scale_loss``, which every Keras 3 trainer calls (`fit`,
        `train_on_batch`); ``apply`` without it raises, and so does a
        ``LossScaleOptimizer`` around it (``compile(auto_scale_loss=False)``).
        A sparse gradient (an embedding's) is applied as the dense gradient
        it stands for.  Keras applies a weight's constraint to the whole
        tensor after the update, so with nonfinite='skip' a constraint can
        still move a skipped element.
    """


@keras.saving.register_keras_serializable(package='legacy_rprop')
class RProp(RpropArguments, keras.optimizers.Optimizer):
    __doc__ = RPROP_DOC + KERAS3_DOC
    keras_keywords = ('name', 'clipnorm', 'clipvalue', 'global_clipnorm', 'use_ema',
                      'ema_momentum', 'ema_overwrite_frequency', 'loss_scale_factor',
                      'weight_decay', 'gradient_accumulation_steps')

    @classmethod
    def checked_arguments(cls, hyper, variant, nonfinite, batches_per_step, keras_kwargs):
        arguments = super(RProp, cls).checked_arguments(hyper, variant, nonfinite,
                                                        batches_per_step, keras_kwargs)
        if arguments.batches_per_step != 1:
            raise ValueError(
                'batches_per_step must be 1 with Keras 3, got %r: Keras 3 does not tell an '
                'optimizer the size of each batch, which an exact mean over batches of '
                'unequal size needs; train full batch' % (batches_per_step,))
        if keras_kwargs.get('weight_decay') is not None:
            raise ValueError(
                'weight_decay must be None, got %r: Keras scales weight decay by the '
                'learning rate, which Rprop does not have' % (keras_kwargs['weight_decay'],))
        if keras_kwargs.get('gradient_accumulation_steps') is not None:
            raise ValueError(
                'gradient_accumulation_steps must be None, got %r: Keras averages the '
                "batches' mean gradients unweighted (not the full batch's gradient when the "
                "last batch is smaller) and iRprop+ would compare the last batch's loss; "
                'train full batch' % (keras_kwargs['gradient_accumulation_steps'],))
        return arguments

    def _init_keras_optimizer(self, kwargs):
        # Rprop has no learning rate; Keras' base class wants one
        keras.optimizers.Optimizer.__init__(self, learning_rate=1.0, **kwargs)
        self._losses = backend.LossCatcher()
        self.layout = None

    def get_config(self):
        config = super(RProp, self).get_config()
        del config['learning_rate']
        config.update(self.rprop_config())
        return config

    # -- state

    def build(self, variables):
        # not for no weights: Keras 3's HDF5 loader builds the optimizer so,
        # and it could then not train the model's weights
        if self.built or not variables:
            return
        super(RProp, self).build(variables)
        spec = VARIANTS[self.variant]
        self.layout = StateLayout([tuple(v.shape) for v in variables],
                                  [keras.backend.standardize_dtype(v.dtype) for v in variables])
        self._state = {slot: [self._state_variable(slot, k)
                              for k in range(len(self.layout.groups))]
                       for slot in spec.slots}
        self._prev_loss = None
        if spec.uses_loss:
            self._prev_loss = self.add_variable(
                shape=(), dtype=self.layout.dtypes[0] if variables else None,
                initializer=_filled(np.inf), name='prev_loss')

    def _state_variable(self, slot, k):
        dtype, members = self.layout.groups[k]
        initial = self.hyper.init_alpha if slot == 'step_size' else 0.
        return self.add_variable(shape=(self.layout.group_size(members),), dtype=dtype,
                                 initializer=_filled(initial), name=self.layout.name(slot, k))

    @property
    def state_variables(self):
        """The Rprop state among `variables`, in their order: each slot's
        vectors (`layout`), then iRprop+'s prev_loss."""
        if self.layout is None:
            return []
        state = [vector for vectors in self._state.values() for vector in vectors]
        return state + ([self._prev_loss] if self._prev_loss is not None else [])

    def get_weights(self):
        """The values of `variables` as arrays, in their order: what
        `set_weights` takes back (Keras 3's optimizers have no such method)."""
        return [keras.ops.convert_to_numpy(v.value) for v in self.variables]

    def get_weights_per_tensor(self):
        """The state as one array per slot and weight tensor (``step_size``
        of every weight in the model's order, then ``prev_grad``, ...), then
        iRprop+'s prev_loss: as the other flavours give it.  Empty before
        the optimizer is built."""
        if self.layout is None:
            return []
        return self.layout.to_per_tensor([keras.ops.convert_to_numpy(v.value)
                                          for v in self.state_variables])

    def set_weights(self, weights):
        """Load state saved by `get_weights` (or with the model).  Raises
        `OptimizerStateError` if the arrays do not have the number and shapes
        this optimizer holds for this model; nothing is loaded then."""
        variables = self.variables
        if not self.built:  # Keras 3's HDF5 loader builds no optimizer for the model
            warnings.warn(
                '%s cannot restore its state from this file: Keras gives it no weights '
                "to build its state for (Keras 3's HDF5 format, for every optimizer), so "
                'the step sizes start afresh. Save in Keras\' own format (.keras) to resume '
                'exactly.' % type(self).__name__, stacklevel=2)
            raise ValueError('%s is not built' % type(self).__name__)
        check_state_fits(type(self).__name__, self.variant, variables,
                         [tuple(v.shape) for v in variables], weights)
        super(RProp, self).set_weights(weights)

    def load_own_variables(self, store):
        """State from a ``.keras`` file; as `set_weights`, state that does
        not fit raises `OptimizerStateError` (Keras would only warn and go
        on with fresh state)."""
        variables = self.variables
        check_state_fits(type(self).__name__, self.variant, variables,
                         [tuple(v.shape) for v in variables],
                         [store[str(i)] for i in range(len(store.keys()))])
        super(RProp, self).load_own_variables(store)

    # -- the loss, for iRprop+

    def scale_loss(self, loss):
        """Keras' trainers call this with the step's loss before the
        gradients: iRprop+ keeps it to compare."""
        if VARIANTS[self.variant].uses_loss:
            loss = self._losses.caught(loss)
        return super(RProp, self).scale_loss(loss)

    def _step_loss(self):
        loss = self._losses.take()
        if loss is None:
            raise ValueError(
                "%s(variant='iRprop+') compares each step's loss with the previous one's, "
                'and this step has none: train with fit or train_on_batch (Keras hands the '
                'loss over in optimizer.scale_loss), or call scale_loss(loss) before apply. '
                'A LossScaleOptimizer (mixed precision) does not pass it on: compile with '
                'auto_scale_loss=False.' % type(self).__name__)
        return loss

    # -- the update

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        with backend.no_autograd():
            self._update(grads, trainable_variables)

    def _update(self, grads, trainable_variables):
        spec = VARIANTS[self.variant]
        index = {id(v): i for i, v in enumerate(self._trainable_variables)}
        given = {index[id(v)]: g for g, v in zip(grads, trainable_variables)}
        missing = [v.path for i, v in enumerate(self._trainable_variables) if i not in given]
        if missing:
            raise ValueError(
                '%s has no gradient for the trainable weights %s: the loss does not depend '
                'on them. Rprop needs the gradient of every weight it trains: make them '
                'non-trainable or make the loss depend on them.'
                % (type(self).__name__, ', '.join(missing)))
        grads = [backend.dense(given[i]) for i in range(len(self._trainable_variables))]
        if spec.uses_loss:
            *grads, step_loss = backend.summed_over_replicas(grads + [self._step_loss()])
        else:
            grads = backend.summed_over_replicas(grads)
        skip = self.nonfinite == 'skip'
        update = ElementUpdate(backend.OPS, spec, skip=skip)
        assignments = []
        loss_rose = None
        if spec.uses_loss:
            step_loss = backend.cast(step_loss, self.layout.dtypes[0])
            prev_loss = self._prev_loss.value
            loss_rose = step_loss > prev_loss
            assignments.append((self._prev_loss,
                                loss_to_remember(backend.OPS, step_loss, prev_loss, skip)))
        variables = self._trainable_variables
        for k, (dtype, members) in enumerate(self.layout.groups):
            inputs = {'weight': backend.concatenated([variables[i].value for i in members]),
                      'grad': backend.concatenated([backend.cast(grads[i], dtype)
                                                    for i in members])}
            inputs.update((slot, vectors[k].value) for slot, vectors in self._state.items())
            if loss_rose is not None:
                inputs['loss_rose'] = loss_rose
            new = update(backend.hyper_tensors(self.hyper, dtype), inputs)
            weights = backend.pieces(new['weight'], [self.layout.shapes[i] for i in members])
            assignments.extend((variables[i], w) for i, w in zip(members, weights))
            assignments.extend((vectors[k], new[slot]) for slot, vectors in self._state.items())
        backend.assign_all(assignments, getattr(self, '_distribution_strategy', None))


def _filled(value):
    """An initializer of `value` in the variable's own dtype (Keras'
    Constant computes float64 in float32: D_0 = 1e-3 would be 1e-3 rounded
    to float32)."""
    return lambda shape, dtype=None: np.full(shape, value, dtype=dtype)


Rprop = keras.saving.register_keras_serializable(package='legacy_rprop')(question_class(RProp))
