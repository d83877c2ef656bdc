"""`RProp` and `Rprop` for tf.keras (TensorFlow 1.15 and 2.x): the front half
from `legacy_rprop.core.arguments`, the rules from `legacy_rprop.core.rules`;
here only the state (an ``OptimizerV2``'s slots) and the update (dense and
sparse apply)."""
import numpy as np
import tensorflow as tf

from legacy_rprop.core import tensorflow_ops
from legacy_rprop.core.arguments import RPROP_DOC, question_class
from legacy_rprop.core.rules import VARIANTS
from legacy_rprop.core.state import (check_per_tensor_state_fits, check_state_fits, fitting,
                                     not_built_error, saved_layouts, saved_layouts_per_weight,
                                     slot_major, weight_major)
from legacy_rprop.core.update import ElementUpdate, hyper_in_dtype, loss_to_remember
from legacy_rprop.tfkeras import backend


class RProp(backend.TfKerasArguments, backend.StepLoss, backend.SavedModelWarning,
            backend.OptimizerBase):
    __doc__ = RPROP_DOC + """
    # tf.keras
        An ``OptimizerV2``: `name` as for every tf.keras optimizer
        (default: the class name); `global_clipnorm` where TensorFlow has it.
        iRprop+ needs the loss of each step: train with `fit` /
        `train_on_batch`, ``minimize(loss, var_list)`` or
        ``get_updates(loss, params)``; ``apply_gradients`` alone raises.
        A sparse gradient (an embedding's) is applied as the dense gradient
        it stands for: rows it leaves out have gradient 0.
    """
    loss_entries = 'minimize(loss, var_list) or get_updates(loss, params)'

    def _init_keras_optimizer(self, kwargs):
        backend.OptimizerBase.__init__(self, kwargs.pop('name', None) or type(self).__name__,
                                       **kwargs)
        self._fused = None  # the update, compiled by XLA where it can be
        self._prev_loss = None
        self.init_step_loss()
        # iRprop+'s loss summed over the replicas: the same tensor value in
        # every replica, read by the per-variable updates
        self._step_loss = None

    def get_config(self):
        config = super(RProp, self).get_config()
        config.update(self.rprop_config())
        return config

    # -- state

    def _create_slots(self, var_list):
        spec = VARIANTS[self.variant]
        if spec.uses_loss and self._prev_loss is None:
            self._create_prev_loss(var_list[0].dtype.base_dtype)
        for var in var_list:
            for slot in spec.slots:
                initial = self.hyper.init_alpha if slot == 'step_size' else 0.
                self.add_slot(var, slot, initializer=tf.keras.initializers.Constant(initial))

    def _create_prev_loss(self, dtype):
        """iRprop+'s previous loss (+inf before the first step), right after
        `iterations`, so that the order of `weights` is always the same."""
        _ = self.iterations
        self._prev_loss = self.add_weight(
            'prev_loss', shape=[], dtype=dtype,
            initializer=tf.keras.initializers.Constant(np.inf), trainable=False,
            aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
        if not any(w is self._prev_loss for w in self._weights):  # TF 1.15 leaves it out
            self._weights.append(self._prev_loss)

    def set_weights(self, weights):
        """Load state saved by `get_weights` (or by ``model.save``); for
        Rprop+ and iRprop+ also with the slot prev_move that versions up to
        0.6 kept (left out: the rule derives it).

        Raises `OptimizerStateError` if the arrays do not have the number and
        shapes this optimizer holds for this model; nothing is loaded then.
        """
        expected = [tuple(w.shape.as_list()) for w in self.weights]
        weights = fitting(saved_layouts_per_weight(
            self.variant, weights, self._state_head(), len(VARIANTS[self.variant].slots)),
            expected) or weights
        check_state_fits(type(self).__name__, self.variant, self.weights, expected, weights)
        super(RProp, self).set_weights(weights)

    def get_weights_per_tensor(self):
        """The state as one array per slot and weight tensor (``step_size``
        of every weight in the model's order, then ``prev_grad``, ...), then
        iRprop+'s prev_loss: as the other flavours give it (`weights` holds
        ``iter``, prev_loss, then each weight's slots).  Empty before the
        first step."""
        weights, head = self.get_weights(), self._state_head()
        return slot_major(weights[head:], len(VARIANTS[self.variant].slots)) + weights[1:head]

    def set_weights_per_tensor(self, arrays):
        """Load state given as one array per slot and weight tensor: what
        `get_weights_per_tensor` gives here and in every other flavour, so a
        run can go on from another Keras (the iteration count stays).
        Raises `OptimizerStateError` if the arrays do not fit this variant
        and model, ValueError before the first step made the state."""
        head, n_slots = self._state_head(), len(VARIANTS[self.variant].slots)
        slots = self.weights[head:]
        if not slots:
            raise not_built_error(type(self).__name__,
                                  "tf.keras makes it at the model's first training step")
        expected = ([tuple(slot.shape.as_list()) for slot in slot_major(slots, n_slots)]
                    + [()] * (head - 1))
        arrays = fitting(saved_layouts(self.variant, arrays, 0, [len(slots) // n_slots]),
                         expected) or list(arrays)
        check_per_tensor_state_fits(type(self).__name__, self.variant, expected, arrays)
        self.set_weights(self.get_weights()[:1] + arrays[len(slots):]
                         + weight_major(arrays[:len(slots)], n_slots))

    def _state_head(self):
        """How many of `weights` come before the slots: ``iter`` and
        iRprop+'s prev_loss."""
        return 1 + (self._prev_loss is not None)

    # -- the loss, for iRprop+

    def get_updates(self, loss, params):
        """TensorFlow 1's graph-mode Keras builds its training step here."""
        self._building.loss = loss
        try:
            return super(RProp, self).get_updates(loss, params)
        finally:
            self._building.loss = None

    def apply_gradients(self, grads_and_vars, *args, **kwargs):
        if not VARIANTS[self.variant].uses_loss:
            return super(RProp, self).apply_gradients(grads_and_vars, *args, **kwargs)
        self._step_loss = self.step_loss()
        applied = super(RProp, self).apply_gradients(grads_and_vars, *args, **kwargs)
        # after every update of the step has read the previous loss
        prev_loss = self._prev_loss
        loss = tf.cast(self._step_loss, prev_loss.dtype)
        eager = tf.executing_eagerly()
        with tf.control_dependencies([] if eager else [applied]):
            remembered = prev_loss.assign(
                loss_to_remember(tensorflow_ops.PLAIN, loss, prev_loss, self.nonfinite == 'skip'),
                read_value=False)
        return applied if eager else tf.group(applied, remembered)

    # -- the update

    def _resource_apply_dense(self, grad, var, apply_state=None):
        spec = VARIANTS[self.variant]
        if self._fused is None:
            self._fused = tensorflow_ops.FusedUpdate(
                ElementUpdate(tensorflow_ops.PLAIN, spec, skip=self.nonfinite == 'skip'))
        inputs = {'weight': tf.convert_to_tensor(var), 'grad': grad}
        inputs.update((slot, tf.convert_to_tensor(self.get_slot(var, slot)))
                      for slot in spec.slots)
        if spec.uses_loss:
            inputs['loss_rose'] = tf.greater(tf.cast(self._step_loss, self._prev_loss.dtype),
                                             self._prev_loss)
        new = self._fused(hyper_in_dtype(self.hyper, var.dtype.base_dtype.name), inputs)
        assignments = [(var, new['weight'])]
        assignments.extend((self.get_slot(var, slot), new[slot]) for slot in spec.slots)
        return tf.group(*backend.assign_after(new.values(), assignments))

    def _resource_apply_sparse(self, grad, var, indices, apply_state=None):
        dense = tensorflow_ops.dense(tf.IndexedSlices(grad, indices, tf.shape(var)))
        return self._resource_apply_dense(dense, var, apply_state)


Rprop = question_class(RProp)
