"""tf.keras optimizer classes for the Rprop family: the tf.keras adapter over
`legacy_rprop_core` (an ``OptimizerV2``: slots, dense and sparse apply)."""
import threading

import numpy as np
import tensorflow as tf

from legacy_rprop_core import settings
from legacy_rprop_core import tensorflow_ops as ops
from legacy_rprop_core.rules import VARIANTS, Hyper
from legacy_rprop_core.settings import DEFAULTS, QUESTION_DEFAULTS
from legacy_rprop_core.update import ElementUpdate, hyper_in_dtype, loss_to_remember
from legacy_rprop_tfkeras import _tf

KERAS_KWARGS = ('clipnorm', 'clipvalue', 'global_clipnorm')


class RProp(_tf.OptimizerBase):
    __doc__ = settings.RPROP_DOC + """
    # tf.keras
        An ``OptimizerV2``: `name` as for every tf.keras optimizer
        (default: the class name); `global_clipnorm` where TensorFlow has it.
        iRprop+ needs the loss of each step: train with `fit` /
        `train_on_batch`, ``minimize(loss, var_list)`` or
        ``get_updates(loss, params)``; ``apply_gradients`` alone raises.
        A sparse gradient (an embedding's) is applied as the dense gradient
        it stands for: rows it leaves out have gradient 0.
    """

    def __init__(self, init_alpha=DEFAULTS.init_alpha, scale_up=DEFAULTS.scale_up,
                 scale_down=DEFAULTS.scale_down, min_alpha=DEFAULTS.min_alpha,
                 max_alpha=DEFAULTS.max_alpha, variant=settings.DEFAULT_VARIANT,
                 nonfinite='skip', batches_per_step=1, name=None, **kwargs):
        self._check_keras_kwargs(kwargs)
        if settings.checked_batches_per_step(batches_per_step) != 1:
            raise ValueError('batches_per_step > 1 is implemented for multi-backend Keras '
                             '(legacy_rprop) only so far, got %r' % (batches_per_step,))
        hyper = settings.checked_hyperparameters(
            Hyper(init_alpha, scale_up, scale_down, min_alpha, max_alpha),
            names=self.hyper_names)
        variant = settings.checked_variant(variant)
        nonfinite = settings.checked_nonfinite(nonfinite)
        super(RProp, self).__init__(name or type(self).__name__, **kwargs)
        self.hyper, self.variant, self.nonfinite = hyper, variant, nonfinite
        self._rule = VARIANTS[variant]
        self._update = ElementUpdate(ops, self._rule, skip=nonfinite == 'skip')
        self._fused = {}  # dtype name -> the update, compiled by XLA where it can be
        self._prev_loss = None
        # the loss of the step being built, per thread: a distribution
        # strategy builds each replica's step in a thread of its own
        self._building = threading.local()
        # that loss summed over the replicas: the same tensor value in every
        # replica, read by the per-variable updates
        self._step_loss = None

    hyper_names = Hyper._fields
    other_names = ('variant', 'nonfinite', 'batches_per_step', 'name')

    def _check_keras_kwargs(self, kwargs):
        settings.check_keyword_arguments(
            type(self).__name__, kwargs, self.hyper_names + self.other_names + KERAS_KWARGS)

    def get_config(self):
        config = super(RProp, self).get_config()
        config.update(zip(self.hyper_names, self.hyper))
        config['variant'] = self.variant
        config['nonfinite'] = self.nonfinite
        config['batches_per_step'] = 1
        return config

    # -- state

    def _create_slots(self, var_list):
        if self._rule.uses_loss and self._prev_loss is None:
            self._create_prev_loss(var_list[0].dtype.base_dtype)
        for var in var_list:
            for slot in self._rule.slots:
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
        """Load state saved by `get_weights` (or by ``model.save``).

        Raises `OptimizerStateError` if the arrays do not have the number and
        shapes this optimizer holds for this model; nothing is loaded then.
        """
        settings.check_state_fits(type(self).__name__, self.variant, self.weights,
                                  [tuple(w.shape.as_list()) for w in self.weights], weights)
        super(RProp, self).set_weights(weights)

    # -- the loss, for iRprop+

    def get_updates(self, loss, params):
        """TensorFlow 1's graph-mode Keras builds its training step here."""
        self._building.loss = loss
        try:
            return super(RProp, self).get_updates(loss, params)
        finally:
            self._building.loss = None

    def minimize(self, loss, var_list, *args, **kwargs):
        """TensorFlow 2's Keras ``fit`` trains through here; `loss` is a
        tensor or a function that returns one, as for every optimizer."""
        if callable(loss):
            compute_loss = loss

            def loss():
                self._building.loss = compute_loss()
                return self._building.loss
        else:
            self._building.loss = loss
        try:
            return super(RProp, self).minimize(loss, var_list, *args, **kwargs)
        finally:
            self._building.loss = None

    def apply_gradients(self, grads_and_vars, *args, **kwargs):
        if not self._rule.uses_loss:
            return super(RProp, self).apply_gradients(grads_and_vars, *args, **kwargs)
        loss = getattr(self._building, 'loss', None)
        if loss is None:
            raise ValueError(
                "%s(variant='iRprop+') compares each step's loss with the previous "
                "one's, and apply_gradients has no loss: train with fit or "
                "train_on_batch, or call minimize(loss, var_list) or "
                "get_updates(loss, params)" % type(self).__name__)
        self._step_loss = _tf.sum_over_replicas(loss)
        applied = super(RProp, self).apply_gradients(grads_and_vars, *args, **kwargs)
        # after every update of the step has read the previous loss
        prev_loss = self._prev_loss
        loss = tf.cast(self._step_loss, prev_loss.dtype)
        eager = tf.executing_eagerly()
        with tf.control_dependencies([] if eager else [applied]):
            remembered = prev_loss.assign(
                loss_to_remember(ops, loss, prev_loss, self._update.skip), read_value=False)
        return applied if eager else tf.group(applied, remembered)

    # -- the update

    def _resource_apply_dense(self, grad, var, apply_state=None):
        dtype = var.dtype.base_dtype
        inputs = {'weight': tf.convert_to_tensor(var), 'grad': grad}
        inputs.update((slot, tf.convert_to_tensor(self.get_slot(var, slot)))
                      for slot in self._rule.slots)
        if self._rule.uses_loss:
            inputs['loss_rose'] = tf.greater(tf.cast(self._step_loss, self._prev_loss.dtype),
                                             self._prev_loss)
        function, values, _ = self._update.computation(
            hyper_in_dtype(self.hyper, dtype.name), inputs)
        # one compiled function per dtype: the inputs always come in this order
        if dtype.name not in self._fused:
            self._fused[dtype.name] = _tf.fused(function)
        new = dict(zip(self._update.output_names, self._fused[dtype.name](*values)))
        assignments = [(var, new['weight'])]
        assignments.extend((self.get_slot(var, slot), new[slot]) for slot in self._rule.slots)
        return tf.group(*_tf.assign_after(new.values(), assignments))

    def _resource_apply_sparse(self, grad, var, indices, apply_state=None):
        dense = tf.math.unsorted_segment_sum(grad, indices, tf.shape(var)[0])
        return self._resource_apply_dense(dense, var, apply_state)


class Rprop(RProp):
    __doc__ = settings.QUESTION_RPROP_DOC

    def __init__(self, init_step=QUESTION_DEFAULTS.init_alpha,
                 posStep=QUESTION_DEFAULTS.scale_up, negStep=QUESTION_DEFAULTS.scale_down,
                 minStep=QUESTION_DEFAULTS.min_alpha, maxStep=QUESTION_DEFAULTS.max_alpha,
                 nonfinite='skip', batches_per_step=1, name=None, **kwargs):
        settings.checked_question_variant(kwargs.pop('variant', 'Rprop+'))
        self._check_keras_kwargs(kwargs)
        super(Rprop, self).__init__(init_step, posStep, negStep, minStep, maxStep,
                                    variant='Rprop+', nonfinite=nonfinite,
                                    batches_per_step=batches_per_step, name=name, **kwargs)

    hyper_names = settings.QUESTION_NAMES
    other_names = ('nonfinite', 'batches_per_step', 'name')

    def get_config(self):
        config = super(Rprop, self).get_config()
        del config['variant']
        return config
