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
from legacy_rprop.core.state import (PerTensorState, check_saved_between_steps, check_state_fits,
                                     fitting, saved_layouts)
from legacy_rprop.core.update import (AccumulatingUpdate, ElementUpdate, counted_batch,
                                      loss_to_remember)
from legacy_rprop.keras3 import backend

KERAS3_DOC = """
    # Keras 3
        A ``keras.optimizers.Optimizer`` on TensorFlow, JAX and PyTorch:
        `name`, `clipnorm`, `clipvalue`, `global_clipnorm`, `use_ema` (with
        `ema_momentum`, `ema_overwrite_frequency`) and `loss_scale_factor`
        as for every Keras optimizer; Rprop has no learning rate, so
        `weight_decay` (which Keras scales by it) is refused, and
        `gradient_accumulation_steps` too (Keras averages the batches'
        means unweighted, and iRprop+ would compare one batch's loss): use
        `batches_per_step`, which weighs each batch by its size, with
        `tell_batch_sizes(model)` (Keras 3 does not tell an optimizer the
        size of a batch); with it, clipping, `use_ema` and weight
        constraints are refused (Keras would apply them on every batch,
        not on the step).  iRprop+ takes each step's loss from
        ``scale_loss``, which every Keras 3 trainer calls (`fit`,
        `train_on_batch`); ``apply`` without it raises, and so does a
        ``LossScaleOptimizer`` around it (``compile(auto_scale_loss=False)``).
        A sparse gradient (an embedding's) is applied as the dense gradient
        it stands for.  Keras applies a weight's constraint to the whole
        tensor after the update, so with nonfinite='skip' a constraint can
        still move a skipped element.
    """


@keras.saving.register_keras_serializable(package='legacy_rprop')
class RProp(PerTensorState, RpropArguments, keras.optimizers.Optimizer):
    __doc__ = RPROP_DOC + KERAS3_DOC
    keras_keywords = ('name', 'clipnorm', 'clipvalue', 'global_clipnorm', 'use_ema',
                      'ema_momentum', 'ema_overwrite_frequency', 'loss_scale_factor',
                      'weight_decay', 'gradient_accumulation_steps')

    @classmethod
    def checked_arguments(cls, hyper, variant, nonfinite, batches_per_step, keras_kwargs):
        arguments = super(RProp, cls).checked_arguments(hyper, variant, nonfinite,
                                                        batches_per_step, keras_kwargs)
        if arguments.batches_per_step > 1:
            for keyword in ('clipnorm', 'clipvalue', 'global_clipnorm', 'use_ema'):
                if keras_kwargs.get(keyword):
                    raise ValueError(
                        '%s must be None with batches_per_step > 1, got %r: Keras would '
                        "apply it to every batch, not to the step's gradient of all its "
                        'batches' % (keyword, keras_kwargs[keyword]))
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
        self._batch_sizes = backend.StepValue()
        self._run_update = None
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
        update = ElementUpdate(backend.OPS, spec, skip=self.nonfinite == 'skip')
        if self.batches_per_step > 1:
            update = AccumulatingUpdate(update)
        # made here, outside the step: a distribution strategy builds each
        # replica's step in a thread of its own
        self._run_update = backend.update_runner(update)
        self._hyper_in = {dtype: backend.hyper_tensors(self.hyper, dtype)
                          for dtype in set(self.layout.dtypes)}
        self._prev_loss = None
        if spec.uses_loss:
            self._prev_loss = self._scalar_variable('prev_loss', np.inf)
        self._grad_sums, self._counters = [], []
        if self.batches_per_step > 1:
            constrained = [v.path for v in variables if v.constraint is not None]
            if constrained:
                raise ValueError(
                    '%s(batches_per_step=%d) cannot train weights with a constraint (%s): '
                    'Keras 3 applies constraints after every batch, not after the step of '
                    'all its batches' % (type(self).__name__, self.batches_per_step,
                                        ', '.join(constrained)))
            self._grad_sums = [self._state_variable('grad_sum', k)
                               for k in range(len(self.layout.groups))]
            counters = ('batches_seen', 'samples_seen') + (('loss_sum',) if spec.uses_loss else ())
            self._counters = [self._scalar_variable(name, 0.) for name in counters]

    def _scalar_variable(self, name, initial):
        return self.add_variable(shape=(), dtype=self.layout.dtypes[0],
                                 initializer=_filled(initial), name=name)

    def _state_variable(self, slot, k):
        dtype, members = self.layout.groups[k]
        initial = self.hyper.init_alpha if slot == 'step_size' else 0.
        return self.add_variable(shape=(self.layout.group_size(members),), dtype=dtype,
                                 initializer=_filled(initial), name=self.layout.name(slot, k))

    @property
    def state_variables(self):
        """The Rprop state among `variables`, in their order: each slot's
        vectors (`layout`), then iRprop+'s prev_loss, then with
        `batches_per_step` > 1 the gradient sums (one vector per group as a
        slot's) and the counters batches_seen, samples_seen and (iRprop+)
        loss_sum: the order of the other flavours."""
        if self.layout is None:
            return []
        state = [vector for vectors in self._state.values() for vector in vectors]
        state += [self._prev_loss] if self._prev_loss is not None else []
        return state + self._grad_sums + self._counters

    def get_weights(self):
        """The values of `variables` as arrays, in their order: what
        `set_weights` takes back (Keras 3's optimizers have no such method);
        the state (`state_variables`) is last."""
        return [keras.ops.convert_to_numpy(v.value) for v in self.variables]

    def arrays_before_state(self):
        return len(self.variables) - len(self.state_variables)

    def set_weights(self, weights):
        """Load state saved by `get_weights` (or with the model); for Rprop+
        and iRprop+ also with the slot prev_move that versions up to 0.6
        kept (left out: the rule derives it).  Raises
        `OptimizerStateError` if the arrays do not have the number and shapes
        this optimizer holds for this model, or were saved in the middle of
        a step of several batches; nothing is loaded then."""
        variables = self.variables
        if not self.built:  # Keras 3's HDF5 loader builds no optimizer for the model
            warnings.warn(
                '%s cannot restore its state from this file: Keras gives it no weights '
                "to build its state for (Keras 3's HDF5 format, for every optimizer), so "
                'the step sizes start afresh. Save in Keras\' own format (.keras) to resume '
                'exactly.' % type(self).__name__, stacklevel=2)
            raise ValueError('%s is not built' % type(self).__name__)
        weights = self._as_saved(variables, weights)
        self._check_state_fits(variables, weights)
        super(RProp, self).set_weights(weights)

    def load_own_variables(self, store):
        """State from a ``.keras`` file; as `set_weights`, state that does
        not fit raises `OptimizerStateError` (Keras would only warn and go
        on with fresh state)."""
        variables = self.variables
        weights = self._as_saved(variables, [store[str(i)] for i in range(len(store.keys()))])
        self._check_state_fits(variables, weights)
        for variable, value in zip(variables, weights):
            variable.assign(value)

    def _as_saved(self, variables, weights):
        """`weights` in the layout of `variables`: as they are, or without
        the prev_move of versions up to 0.6."""
        if self.layout is None:
            return weights
        return fitting(saved_layouts(self.variant, weights, self.arrays_before_state(),
                                     [len(self.layout.groups)]),
                       [tuple(v.shape) for v in variables]) or weights

    def _check_state_fits(self, variables, weights):
        name = type(self).__name__
        check_state_fits(name, self.variant, variables, [tuple(v.shape) for v in variables],
                         weights)
        check_saved_between_steps(name, self.batches_per_step, variables, weights)

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
        assignments = []
        shared = {}
        if self.batches_per_step > 1:
            shared, step_loss = self._accumulation(step_loss if spec.uses_loss else None,
                                                   assignments)
        if spec.uses_loss:
            step_loss = backend.cast(step_loss, self.layout.dtypes[0])
            prev_loss = self._prev_loss.value
            shared['loss_rose'] = step_loss > prev_loss
            assignments.append((self._prev_loss, loss_to_remember(
                backend.OPS, step_loss, prev_loss, skip, shared.get('is_step'))))
        variables = self._trainable_variables
        for k, (dtype, members) in enumerate(self.layout.groups):
            inputs = {'weight': backend.concatenated([variables[i].value for i in members]),
                      'grad': backend.concatenated([backend.cast(grads[i], dtype)
                                                    for i in members])}
            inputs.update((slot, vectors[k].value) for slot, vectors in self._state.items())
            inputs.update((name, value if name == 'loss_rose' else backend.cast(value, dtype))
                          for name, value in shared.items())
            if self._grad_sums:
                inputs['grad_sum'] = self._grad_sums[k].value
            shapes = [self.layout.shapes[i] for i in members]
            new = self._run_update(self._hyper_in[dtype], inputs, shapes)
            weights = backend.pieces(new['weight'], shapes)
            assignments.extend((variables[i], w) for i, w in zip(members, weights))
            assignments.extend((vectors[k], new[slot]) for slot, vectors in self._state.items())
            if self._grad_sums:
                assignments.append((self._grad_sums[k], new['grad_sum']))
        backend.assign_all(assignments, getattr(self, '_distribution_strategy', None))

    def _accumulation(self, batch_loss, assignments):
        """The inputs every element's update shares with `batches_per_step`
        > 1 (this batch's size, the step's samples so far with this batch's,
        whether this batch is the step's last) and the loss to compare (the
        mean of `batch_loss` over the step's samples); the counters' writes
        go to `assignments`."""
        size = self._batch_sizes.take()
        if size is None:
            raise ValueError(
                "%s(batches_per_step=%d) weighs each batch's gradient by the batch's size, "
                'and this step was told none: call legacy_rprop.keras3.tell_batch_sizes(model) '
                'after compiling or loading the model, so that its training step tells the '
                'optimizer each batch\'s size' % (type(self).__name__, self.batches_per_step))
        if backend.replicas_in_sync() > 1:
            raise ValueError(
                '%s(batches_per_step=%d) is for one device: under a distribution strategy '
                'each replica sees its share of a batch only. Distribute the full batch '
                'instead (batches_per_step=1)' % (type(self).__name__, self.batches_per_step))
        dtype = self.layout.dtypes[0]
        shared, step_loss, values = counted_batch(
            backend.OPS, lambda condition: backend.cast(condition, dtype), self.batches_per_step,
            backend.cast(size, dtype), [counter.value for counter in self._counters],
            None if batch_loss is None else backend.cast(batch_loss, dtype))
        assignments.extend(zip(self._counters, values))
        return shared, step_loss


def tell_batch_sizes(model):
    """Make `model`'s training step tell its optimizer the size of each
    batch, which `RProp(batches_per_step=k)` with k > 1 needs to weigh each
    batch's mean gradient by it (Keras 3 tells an optimizer only the
    gradients and the loss).  Call it after ``compile`` and after loading;
    it wraps the model's ``train_step`` (the size is the first dimension of
    the batch's first input, as Keras' own loss metric takes it).  Returns
    `model`."""
    train_step = model.train_step

    def train_step_telling_batch_size(*args):
        inputs, _, _ = keras.utils.unpack_x_y_sample_weight(args[-1])
        optimizer = model.optimizer
        if not isinstance(optimizer, RProp):
            raise ValueError(
                'tell_batch_sizes(model) tells the batch sizes to a legacy_rprop optimizer, '
                'and this model trains with %s: compile it with RProp or Rprop (under '
                'mixed precision with auto_scale_loss=False: a LossScaleOptimizer around '
                'one would not pass the sizes on)'
                % type(optimizer).__name__)
        optimizer._batch_sizes.put(keras.ops.shape(keras.tree.flatten(inputs)[0])[0])
        return train_step(*args)

    model.train_step = train_step_telling_batch_size
    model.train_function = None  # a step made before would not tell them
    return model


def _filled(value):
    """An initializer of `value` in the variable's own dtype (Keras'
    Constant computes float64 in float32: D_0 = 1e-3 would be 1e-3 rounded
    to float32)."""
    return lambda shape, dtype=None: np.full(shape, value, dtype=dtype)


Rprop = keras.saving.register_keras_serializable(package='legacy_rprop')(question_class(RProp))
