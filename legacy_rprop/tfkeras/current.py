"""`RProp` and `Rprop` for tf.keras on the optimizer API of TensorFlow 2.11+
and tf_keras (``tf.keras.optimizers.Optimizer``), whose state Keras' own
format (``.keras``) keeps: the front half from `legacy_rprop.core.arguments`,
the rules from `legacy_rprop.core.rules`; here only the state (one vector
per slot for the model's small weights, one per large tensor,
`legacy_rprop.core.layout`) and the step that updates it, one rule per step
over all weights: compiled by XLA for a group of ``LEGACY_RPROP_XLA_FROM``
weights or more (`legacy_rprop.core.switches`), as the plain graph below."""
import numpy as np
import tensorflow as tf

from legacy_rprop.core import tensorflow_ops
from legacy_rprop.core.arguments import RPROP_DOC, question_class
from legacy_rprop.core.layout import StateLayout
from legacy_rprop.core.rules import VARIANTS
from legacy_rprop.core.state import (OptimizerStateError, PerTensorState, check_state_fits,
                                     fitting, saved_layouts, saved_layouts_per_weight,
                                     slot_major)
from legacy_rprop.core.update import ElementUpdate, hyper_in_dtype, loss_to_remember
from legacy_rprop.tfkeras import backend

CURRENT_API_DOC = """
    # tf.keras (TensorFlow 2.11+, tf_keras)
        A ``tf.keras.optimizers.Optimizer`` (the API of tf.keras' own Adam,
        whose state ``.keras`` and ``.h5`` files keep): `name`, `clipnorm`,
        `clipvalue`, `global_clipnorm` as for every tf.keras optimizer.
        iRprop+ needs the loss of each step: train with `fit` /
        `train_on_batch` or ``minimize(loss, var_list)``;
        ``apply_gradients`` alone raises.  A sparse gradient (an
        embedding's) is applied as the dense gradient it stands for.  State
        saved by the class of the legacy API (`legacy_rprop.tfkeras` on
        TensorFlow 2.10 and before, and 0.5.x) loads and converts.
    """


class RProp(PerTensorState, backend.TfKerasArguments, backend.StepLoss,
            backend.SavedModelWarning, backend.CurrentOptimizerBase):
    __doc__ = RPROP_DOC + CURRENT_API_DOC

    def _init_keras_optimizer(self, kwargs):
        # the update is compiled by XLA where XLA computes it exactly
        # (tensorflow_ops.FusedUpdate), not by Keras' per-variable jit_compile
        backend.CurrentOptimizerBase.__init__(
            self, name=kwargs.pop('name', None) or type(self).__name__, weight_decay=None,
            jit_compile=False,
            **kwargs)
        self._learning_rate = None  # Rprop has none; the base class looks for it
        self.init_step_loss()
        self._fused = None
        self.layout = None

    def get_config(self):
        config = {'name': self.name}
        config.update((key, getattr(self, key)) for key in ('clipnorm', 'clipvalue',
                                                            'global_clipnorm')
                      if getattr(self, key) is not None)
        config.update(self.rprop_config())
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config.pop('is_legacy_optimizer', None)  # what tf.keras' serialize adds
        return cls(**config)

    # -- state

    def build(self, var_list):
        super(RProp, self).build(var_list)
        if getattr(self, '_built', False) or not var_list:
            return
        self._built = True
        spec = VARIANTS[self.variant]
        self.layout = self._no_dependency(StateLayout(
            [tuple(v.shape.as_list()) for v in var_list],
            [v.dtype.base_dtype.name for v in var_list]))
        strategy = tf.distribute.get_strategy()
        state = {}
        for slot in spec.slots:
            initial = self.hyper.init_alpha if slot == 'step_size' else 0.
            state[slot] = []
            for k, (dtype, members) in enumerate(self.layout.groups):
                with strategy.extended.colocate_vars_with(var_list[members[0]]):
                    state[slot].append(self.add_variable(
                        (self.layout.group_size(members),), dtype, _filled(initial),
                        self.layout.name(slot, k)))
        self._state = self._no_dependency(state)
        self._prev_loss = None
        if spec.uses_loss:
            self._prev_loss = self.add_variable((), self.layout.dtypes[0], _filled(np.inf),
                                                'prev_loss')

    def get_weights(self):
        """The values of `variables`: ``iteration``, each slot's vectors
        (`layout`), then iRprop+'s prev_loss."""
        return [v.numpy() for v in self.variables]

    def arrays_before_state(self):
        return 1  # the iteration count

    def set_weights(self, weights):
        """Load state saved by `get_weights` (or with the model, ``.h5``),
        or by the class of the legacy API (``iter``, iRprop+'s prev_loss,
        then each weight's slots), which is converted; for Rprop+ and
        iRprop+ also with the slot prev_move that versions up to 0.6 kept
        (left out: the rule derives it).

        Raises `OptimizerStateError` if the arrays do not fit this optimizer
        and model in either layout; nothing is loaded then.
        """
        variables = self.variables
        expected = [tuple(v.shape.as_list()) for v in variables]
        weights = self._from_legacy_layout(weights, expected)
        check_state_fits(type(self).__name__, self.variant, variables, expected, weights)
        for variable, value in zip(variables, weights):
            variable.assign(value)

    def load_own_variables(self, store):
        """State from a ``.keras`` file; as `set_weights`, state that does
        not fit raises `OptimizerStateError` (Keras would only log a warning
        and go on with fresh state)."""
        self.set_weights([store[str(i)] for i in range(len(store.keys()))])

    def _from_legacy_layout(self, weights, expected):
        """`weights` in this class's layout: as they are, or converted from
        the legacy API's (``iter``, prev_loss, each weight's slots); for
        Rprop+ and iRprop+ either also with the prev_move of versions up
        to 0.6, left out."""
        if self.layout is None:
            return weights
        own = fitting(saved_layouts(self.variant, weights, self.arrays_before_state(),
                                    [len(self.layout.groups)]), expected)
        if own is not None:
            return own
        slots = VARIANTS[self.variant].slots
        scalars = 1 + (self._prev_loss is not None)
        per_tensor_shapes = [()] * scalars + [shape for shape in self.layout.shapes
                                              for _ in slots]
        legacy = fitting(saved_layouts_per_weight(self.variant, weights, scalars, len(slots)),
                         per_tensor_shapes)
        if legacy is None:
            return weights  # check_state_fits names what does not fit
        flat = self.layout.from_per_tensor(slot_major(legacy[scalars:], len(slots)),
                                           expected[1:1 + len(slots) * len(self.layout.groups)])
        return legacy[:1] + flat + legacy[1:scalars]

    # -- the update

    def _internal_apply_gradients(self, grads_and_vars):
        """One rule over all weights: new values in each replica, from its
        copy of the weights and state and the gradients summed over the
        replicas, written to every copy (`backend.assign_all`)."""
        spec = VARIANTS[self.variant]
        given = {self._index_dict[self._var_key(v)]: g for g, v in grads_and_vars}
        variables = [None] * len(self.layout.shapes)
        for _, v in grads_and_vars:
            variables[self._index_dict[self._var_key(v)]] = v
        missing = [i for i in range(len(variables)) if i not in given]
        if missing:
            raise ValueError(
                '%s has no gradient for %d of the trainable weights it was built for '
                '(numbers %s in the model\'s order): the loss does not depend on them. '
                'Rprop needs the gradient of every weight it trains: make them '
                'non-trainable or make the loss depend on them.'
                % (type(self).__name__, len(missing), missing))
        if self._fused is None:
            self._fused = tensorflow_ops.FusedUpdate(
                ElementUpdate(tensorflow_ops.XLA, spec, skip=self.nonfinite == 'skip'))
        assignments, loss_rose = [], None
        if spec.uses_loss:
            step_loss = tf.cast(self.step_loss(), self._prev_loss.dtype)
            prev_loss = tf.convert_to_tensor(self._prev_loss)
            loss_rose = tf.greater(step_loss, prev_loss)
            assignments.append((self._prev_loss, loss_to_remember(
                tensorflow_ops.PLAIN, step_loss, prev_loss, self.nonfinite == 'skip')))
        for k, (dtype, members) in enumerate(self.layout.groups):
            inputs = {'weight': _concatenated([variables[i] for i in members]),
                      'grad': _concatenated([tensorflow_ops.dense(given[i]) for i in members])}
            inputs.update((slot, tf.convert_to_tensor(vectors[k]))
                          for slot, vectors in self._state.items())
            if loss_rose is not None:
                inputs['loss_rose'] = loss_rose
            shapes = [self.layout.shapes[i] for i in members]
            new = self._fused(hyper_in_dtype(self.hyper, dtype), inputs, shapes)
            weights = _pieces(new['weight'], shapes)
            assignments.extend((variables[i], w) for i, w in zip(members, weights))
            assignments.extend((vectors[k], new[slot]) for slot, vectors in self._state.items())
        return backend.assign_all(assignments, self.iterations, self._distribution_strategy)


def _concatenated(tensors):
    """The elements of `tensors` as one vector (one tensor is only reshaped)."""
    vectors = [tf.reshape(tf.convert_to_tensor(t), [-1]) for t in tensors]
    return vectors[0] if len(vectors) == 1 else tf.concat(vectors, 0)


def _pieces(vector, shapes):
    """`vector` cut into tensors of `shapes`: the inverse of `_concatenated`."""
    parts = [vector] if len(shapes) == 1 else tf.split(
        vector, [int(np.prod(shape)) for shape in shapes])
    return [tf.reshape(part, shape) for part, shape in zip(parts, shapes)]


def _filled(value):
    """An initializer of `value` in the variable's own dtype (tf.keras'
    Constant computes float64 in float32: D_0 = 1e-3 would be 1e-3 rounded
    to float32)."""
    return lambda shape, dtype=None: np.full(shape, value, dtype=tf.as_dtype(dtype).as_numpy_dtype)


Rprop = question_class(RProp)

__all__ = ['RProp', 'Rprop', 'OptimizerStateError']
