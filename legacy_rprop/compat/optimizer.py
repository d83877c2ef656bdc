"""A Keras 2.3.1 optimizer base class that also runs Keras 1 subclasses."""
import functools
import inspect
import warnings
from collections.abc import Mapping

from keras import backend as K
from keras import optimizers

from legacy_rprop.keras2.backend import symbolic
from legacy_rprop.keras2.ordering import assign_after_reads, updates_of_one_step

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
    - ``get_updates(self, loss, params)`` (Keras 2, in any argument order).

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

    def get_state(self):
        """Keras 1: the values of the variables this optimizer's updates
        write, in the order of its updates (a list of arrays)."""
        return K.batch_get_value(self._updated_variables())

    def set_state(self, values):
        """Keras 1: set the variables `get_state` reads, from a list of arrays."""
        variables = self._updated_variables()
        if len(values) != len(variables):
            raise ValueError('set_state needs %d values, one per variable that %s '
                             'updates, got %d' % (len(variables), type(self).__name__,
                                                  len(values)))
        K.batch_set_value(list(zip(variables, values)))

    def _updated_variables(self):
        variables = getattr(self, 'updated_variables', None)
        if variables is None:
            raise ValueError('%s has no state yet: get_state and set_state work after '
                             'get_updates (the first fit or compile of a training '
                             'step)' % type(self).__name__)
        return variables


def _keras2_get_updates(get_updates):
    """Wrap a subclass's get_updates so that Keras 2 can call it."""
    arguments = _argument_binder(get_updates)

    @symbolic
    @functools.wraps(get_updates)
    def keras2_get_updates(self, *args, **kwargs):
        loss, params = _loss_and_params(args, kwargs)
        args, kwargs = arguments(loss, params)
        try:
            with updates_of_one_step():
                updates = get_updates(self, *args, **kwargs)
                self.updated_variables = [u[0] for u in updates
                                          if isinstance(u, (tuple, list))]
                self.updates = _ordered_updates(type(self).__name__, updates)
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
        return self.updates

    keras2_get_updates.wrapped_get_updates = get_updates
    return keras2_get_updates


def _loss_and_params(args, kwargs):
    """The loss and params of a call of ``get_updates`` made as Keras 2 makes
    it (``loss=, params=``) or as an optimizer of either era that wraps
    another makes it: ``(params, constraints, loss)``, ``(params,
    constraints, loss=)``, ``(loss, params)``, by position or name.  A
    ``constraints`` argument is left out: the params carry their own."""
    kwargs = dict(kwargs)
    kwargs.pop('constraints', None)
    if len(args) == 3:
        args = (args[2], args[0])
    elif len(args) == 2 and 'loss' in kwargs:
        args, kwargs['params'] = (), args[0]

    def keras2(loss, params):
        return loss, params
    return keras2(*args, **kwargs)


def _argument_binder(get_updates):
    """How to call `get_updates` with a step's loss and params, as its era did.

    Every argument goes by name where the signature has that name (or takes
    ``**kwargs``): Keras 1's ``(params, constraints, loss)``, Keras 2's
    ``(loss, params)`` and the early Keras 2 ``(params, loss)`` all work.
    Parameters with other names get the arguments by position, in Keras 1's
    order if the signature has a ``constraints`` parameter, else in Keras 2's.
    Returns ``arguments(loss, params) -> (args, kwargs)``.
    """
    signature = list(inspect.signature(get_updates).parameters.values())[1:]  # no self
    named = {p.name for p in signature
             if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    any_name = any(p.kind == p.VAR_KEYWORD for p in signature)
    keras1 = 'constraints' in named
    wanted = ('params', 'constraints', 'loss') if keras1 else ('loss', 'params')

    def arguments(loss, params):
        values = {'loss': loss, 'params': params}
        if keras1:
            values['constraints'] = ConstraintsByParam(params)
        if any_name or named.issuperset(wanted):
            return (), values
        return tuple(values[name] for name in wanted), {}
    return arguments


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
