"""A Keras 2.3.1 optimizer base class that also runs Keras 1 subclasses."""
import functools
import inspect
import warnings
from collections.abc import Mapping

from keras import optimizers
from keras.legacy import interfaces

from legacy_rprop._backend import assign_after_reads, symbolic

# what the backends say when a tensor is used as a Python truth value
_PYTHON_BOOL_ON_TENSOR = (
    'as a Python `bool`',                        # TensorFlow 1.15
    'Variables do not support boolean operations',  # Theano
)


class Optimizer(optimizers.Optimizer):
    """Base class for optimizers written against Keras 1 or Keras 2.

    A subclass may define either

    - ``get_updates(self, params, constraints, loss)`` (Keras 1): it gets
      ``constraints`` as a ``{param: constraint}`` dict built from the Keras 2
      per-variable constraints (``kernel_constraint=...``); or
    - ``get_updates(self, loss, params)`` (Keras 2).

    Either way Keras 2.3.1's ``model.fit`` can call it, and the updates it
    returns -- ``(variable, new_value)`` pairs from
    `legacy_rprop.compat.backend` -- are applied after every read of the
    step, on TensorFlow 1.15 as on Theano.

    ``self.lr`` can be assigned (Keras 2.3 made it read-only); it is the same
    object as ``self.learning_rate``, which Keras' learning-rate callbacks
    read and write.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        get_updates = cls.__dict__.get('get_updates')
        if get_updates is not None and not hasattr(get_updates, 'wrapped_get_updates'):
            cls.get_updates = _keras2_get_updates(get_updates)

    @property
    def lr(self):
        return self.learning_rate

    @lr.setter
    def lr(self, value):
        self.learning_rate = value


def _keras2_get_updates(get_updates):
    """Wrap a subclass's get_updates so that Keras 2.3.1 can call it."""
    keras1_signature = 'constraints' in inspect.signature(get_updates).parameters

    @interfaces.legacy_get_updates_support
    @symbolic
    @functools.wraps(get_updates)
    def keras2_get_updates(self, loss, params):
        try:
            if keras1_signature:
                constraints = ConstraintsByParam(params)
                updates = get_updates(self, params, constraints, loss)
            else:
                updates = get_updates(self, loss, params)
        except TypeError as error:
            if not any(text in str(error) for text in _PYTHON_BOOL_ON_TENSOR):
                raise
            raise TypeError(
                '%s.get_updates used a tensor as a Python truth value (an `if`, '
                '`and`, `or` or `not` on a tensor). Tensors are symbolic and hold '
                'one value per element, so Python cannot branch on them: choose '
                'element-wise with K.switch(condition, value_if_true, '
                'value_if_false) instead. Backend message: %s'
                % (type(self).__name__, error)) from error
        self.updates = _ordered_updates(type(self).__name__, updates)
        return self.updates

    keras2_get_updates.wrapped_get_updates = get_updates
    return keras2_get_updates


class ConstraintsByParam(Mapping):
    """Keras 1's ``constraints`` argument: ``{param: constraint}`` for the
    params that have one, looked up by identity.

    A plain dict needs hashable keys, and TensorFlow 2's variables are not
    hashable; ``p in constraints``, ``constraints[p]``, ``.get(p)`` and
    ``.items()`` work here for every backend's variables.
    """

    def __init__(self, params):
        self._pairs = {id(p): (p, p.constraint) for p in params
                       if getattr(p, 'constraint', None) is not None}

    def __getitem__(self, param):
        try:
            return self._pairs[id(param)][1]
        except KeyError:
            raise KeyError(param) from None

    def __iter__(self):
        return (p for p, _ in self._pairs.values())

    def __len__(self):
        return len(self._pairs)


def _ordered_updates(class_name, updates):
    """Turn ``(variable, new_value)`` pairs into writes after all reads."""
    pairs = [tuple(u) for u in updates if isinstance(u, (tuple, list))]
    ready_ops = [u for u in updates if not isinstance(u, (tuple, list))]
    if ready_ops:
        warnings.warn(
            '%s.get_updates returned %d update op(s) made by keras.backend; on '
            'TensorFlow they may run before other reads of the same variable in '
            'the step. Build updates with legacy_rprop.compat.backend (update, '
            'update_add, update_sub) so that they are ordered.'
            % (class_name, len(ready_ops)), stacklevel=4)
    return assign_after_reads(pairs) + ready_ops
