"""The one place where TensorFlow versions differ for the tf.keras flavour,
each difference detected by looking for the feature:

- the optimizer base class: the current API (``tf.keras.optimizers.Optimizer``
  of TensorFlow 2.11+ and tf_keras, `CurrentOptimizerBase`) where it saves
  its own state into Keras' ``.keras`` files (``save_own_variables``), else
  the legacy API: ``tf.keras.optimizers.legacy.Optimizer`` where it exists
  (TensorFlow 2.9 and later), else ``tf.keras.optimizers.Optimizer``
  (``OptimizerV2`` in TensorFlow 1.15 to 2.8);
- ``get_custom_objects`` (``tf.keras.utils``), for registration;
- graph mode without automatic control dependencies (TensorFlow 1.x graphs):
  there a write to a variable and a read of it in one step are ordered only
  by an explicit dependency.

How XLA compiles the update, on every TensorFlow, is
`legacy_rprop.core.tensorflow_ops.FusedUpdate`'s.
"""
import threading
import warnings

import tensorflow as tf

from legacy_rprop.core.arguments import RpropArguments

OptimizerBase = (getattr(getattr(tf.keras.optimizers, 'legacy', None), 'Optimizer', None)
                 or tf.keras.optimizers.Optimizer)
CurrentOptimizerBase = (tf.keras.optimizers.Optimizer
                        if tf.keras.optimizers.Optimizer is not OptimizerBase
                        and hasattr(tf.keras.optimizers.Optimizer, 'save_own_variables')
                        else None)


def register(classes):
    """Make tf.keras find `classes` by name (``optimizers.get``, ``load_model``)."""
    tf.keras.utils.get_custom_objects().update({cls.__name__: cls for cls in classes})


class TfKerasArguments(RpropArguments):
    """The front half as both tf.keras classes take it: tf.keras' own
    keywords, and `batches_per_step` 1 only so far."""
    keras_keywords = ('name', 'clipnorm', 'clipvalue', 'global_clipnorm')

    @classmethod
    def checked_arguments(cls, hyper, variant, nonfinite, batches_per_step, keras_kwargs):
        arguments = super(TfKerasArguments, cls).checked_arguments(
            hyper, variant, nonfinite, batches_per_step, keras_kwargs)
        if arguments.batches_per_step != 1:
            raise ValueError('batches_per_step > 1 is implemented for multi-backend Keras '
                             '(legacy_rprop) and Keras 3 (legacy_rprop.keras3) only so far, '
                             'got %r' % (batches_per_step,))
        return arguments


class StepLoss(object):
    """For iRprop+, which compares each step's loss with the previous one's:
    the loss of the training step being built, caught where tf.keras hands
    it to the optimizer (`minimize`; a flavour's class adds its other
    entries, `loss_entries` names them all).  Per thread (`_building`, set
    by `init_step_loss`): a distribution strategy builds each replica's
    step in a thread of its own."""
    loss_entries = 'minimize(loss, var_list)'

    def init_step_loss(self):
        self._building = threading.local()

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
            return super(StepLoss, self).minimize(loss, var_list, *args, **kwargs)
        finally:
            self._building.loss = None

    def step_loss(self):
        """The step's loss summed over the replicas (each replica's is its
        share of the mean); ValueError naming why if there is none."""
        loss = getattr(self._building, 'loss', None)
        if loss is None:
            raise ValueError(
                "%s(variant='iRprop+') compares each step's loss with the previous "
                "one's, and apply_gradients has no loss: train with fit or "
                "train_on_batch, or call %s" % (type(self).__name__, self.loss_entries))
        return sum_over_replicas(loss)


def sum_over_replicas(value):
    """`value` summed over the replicas of a distribution strategy (it is
    the per-replica share of a mean), or `value` itself outside one."""
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return value
    # through merge_call, as the optimizer sums the gradients: a replica's own
    # all_reduce may be numbered apart from those (TF 2.15's collectives)
    return context.merge_call(
        lambda strategy, per_replica: strategy.reduce(
            tf.distribute.ReduceOp.SUM, per_replica, axis=None),
        args=(value,))


def assign_after(new_values, assignments):
    """``variable.assign(value)`` for each pair, each write after every value
    in `new_values` is computed: in a TensorFlow 1 graph nothing else orders
    a write after a read of the same variable (TensorFlow 2's functions and
    eager execution keep program order by themselves)."""
    with tf.control_dependencies(list(new_values)):
        return [variable.assign(value, read_value=False) for variable, value in assignments]


class SavedModelWarning(object):
    """For both tf.keras classes: saving a SavedModel directory warns that
    a model loaded from it restarts the optimizer's state, once a save."""

    def _trackable_children(self, save_type='checkpoint', **kwargs):
        warn_if_saved_model(self, save_type, kwargs.get('cache'))
        return super(SavedModelWarning, self)._trackable_children(save_type, **kwargs)

    def _list_extra_dependencies_for_serialization(self, serialization_cache):
        # what TensorFlow 1.15's SavedModel writer asks (later ones ask the
        # method above, and may ask this too)
        warn_if_saved_model(self, 'savedmodel', serialization_cache)
        return super(SavedModelWarning, self)._list_extra_dependencies_for_serialization(
            serialization_cache)


# the key in a save's cache (TensorFlow 1.15's matches keys by identity)
_WARNED_OF_SAVED_MODEL = 'legacy_rprop: warned that a SavedModel restarts the state'


def warn_if_saved_model(optimizer, save_type, cache=None):
    """Warn that a SavedModel directory (`save_type` 'savedmodel': TensorFlow
    asks the optimizer for what to save in one) does not resume its state;
    once per save where TensorFlow hands the save's `cache` (it asks each
    object several times a save)."""
    if getattr(save_type, 'value', save_type) != 'savedmodel':
        return
    if cache is not None:
        warned = cache.setdefault(_WARNED_OF_SAVED_MODEL, set())
        if id(optimizer) in warned:
            return
        warned.add(id(optimizer))
    warnings.warn(
        "%s: a SavedModel directory holds the optimizer's variables, but "
        "tf.keras.models.load_model does not put them back (for tf.keras' own "
        "optimizers neither): a model loaded from it starts Rprop's step sizes "
        "afresh. Save as .h5 (or, on TensorFlow 2.11+, .keras) to resume training "
        "exactly." % type(optimizer).__name__, stacklevel=3)


def assign_all(pairs, iterations, strategy):
    """``variable.assign(value)`` for each pair, then one more `iterations`,
    as tf.keras' current optimizers write: under a distribution `strategy`
    from the cross-replica context, every replica's copy from its replica's
    value."""
    def update(distribution, pairs):
        for variable, value in pairs:
            distribution.extended.update(variable, lambda v, x: v.assign(x), args=(value,),
                                         group=False)
        return iterations.assign_add(1)
    return tf.__internal__.distribute.interim.maybe_merge_call(update, strategy, list(pairs))
