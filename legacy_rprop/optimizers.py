"""Keras 2 optimizer classes for the Rprop family."""
import math
import numbers

import numpy as np
from keras import backend as K
from keras.legacy import interfaces
from keras.optimizers import Optimizer

from legacy_rprop._backend import (assign_after_reads, fused, is_finite, symbolic,
                                   updates_of_one_step, where)
from legacy_rprop.rules import DEFAULT_VARIANT, VARIANTS, Hyper

KERAS_KWARGS = ('clipnorm', 'clipvalue')

# what to do with an element whose gradient is NaN or +-inf
NONFINITE_POLICIES = ('skip', 'propagate')


class OptimizerStateError(Exception):
    """Saved optimizer state that does not fit the optimizer and model.

    Deliberately not a ValueError: Keras 2.3.1's ``load_model`` turns a
    ValueError from ``set_weights`` into a warning and trains on from fresh
    state, which for Rprop silently restarts every step size.
    """


class RProp(Optimizer):
    """Resilient backpropagation (Rprop) for full-batch training.

    Every weight w has its own step size D, which adapts to the sign of the
    gradient g and its previous value g_prev (s = g_prev * g):

        s > 0:  D = min(D * scale_up,   max_alpha)
        s < 0:  D = max(D * scale_down, min_alpha)
        s = 0:  D unchanged
        w = w - sign(g) * D          (see `variant` for the differences)

    # Arguments
        init_alpha: the initial step size D_0, in [min_alpha, max_alpha].
            Default 1e-3.
        scale_up: float > 1, eta+ (growth factor). Default 1.2.
        scale_down: float in (0, 1), eta- (shrink factor). Default 0.5.
        min_alpha: float > 0, D_min. Default 1e-6.
        max_alpha: float >= min_alpha, D_max. Default 50.
            Every step size stays within [min_alpha, max_alpha].
        variant: one of 'keras-answer' (default), 'Rprop-', 'Rprop+',
            'iRprop-', 'iRprop+'.  'keras-answer' is the rule of the widely
            copied Keras answer that introduced this class name: the step
            also shrinks when s == 0 (for instance on the first update).  The
            others follow Igel & Huesken (2000); see `legacy_rprop.rules`.
        nonfinite: 'skip' (default) or 'propagate'.  With 'skip', an element
            whose gradient is NaN or +-inf keeps its weight and all its state
            for that step, as if it had not been part of the step; the other
            elements update as usual (and with iRprop+, a non-finite loss
            does not replace the previous loss).  With 'propagate', as in
            Keras' built-in optimizers, sign(NaN) = NaN reaches the weight and
            its step size and stays there for good.  'skip' is the default
            because one bad batch in a long unattended full-batch run should
            not destroy the model; watch the loss (or use Keras'
            TerminateOnNaN) to notice that steps were skipped.
        clipnorm, clipvalue: as in every Keras optimizer.

    # State
        `self.weights` holds, for the parameters p_0..p_n-1 in the order Keras
        passes them: step_size_0..step_size_n-1, prev_grad_0..prev_grad_n-1, then for
        Rprop+ and iRprop+ prev_move_0..prev_move_n-1, then for iRprop+ the
        scalar prev_loss (+inf before the first step).

    # References
        - Riedmiller & Braun (1993), A direct adaptive method for faster
          backpropagation learning: the RPROP algorithm, IEEE ICNN, 586-591:
          Rprop+ and the defaults.
        - Igel & Huesken (2000), Improving the Rprop learning algorithm,
          NC 2000, 115-121, and (2003), Empirical evaluation of the improved
          Rprop learning algorithms, Neurocomputing 50, 105-123: Rprop-,
          iRprop-, iRprop+.
        - The Keras question and answer this project started from:
          'keras-answer' and the class names `RProp` and `Rprop`.
    """

    def __init__(self, init_alpha=1e-3, scale_up=1.2, scale_down=0.5,
                 min_alpha=1e-6, max_alpha=50., variant=DEFAULT_VARIANT,
                 nonfinite='skip', **kwargs):
        self._check_keras_kwargs(kwargs)
        self.hyper = _checked_hyperparameters(
            Hyper(init_alpha, scale_up, scale_down, min_alpha, max_alpha),
            names=self.hyper_names)
        if variant not in VARIANTS:
            raise ValueError(
                'variant must be one of %s, got %r'
                % (', '.join(repr(v) for v in VARIANTS), variant))
        self.variant = variant
        if nonfinite not in NONFINITE_POLICIES:
            raise ValueError('nonfinite must be one of %s, got %r' % (
                ', '.join(repr(v) for v in NONFINITE_POLICIES), nonfinite))
        self.nonfinite = nonfinite
        super(RProp, self).__init__(**kwargs)

    # the names of the five hyper-parameters, and of any further argument,
    # in this class's signature
    hyper_names = Hyper._fields
    other_names = ('variant', 'nonfinite')

    def _check_keras_kwargs(self, kwargs):
        for key in kwargs:
            if key not in KERAS_KWARGS:
                allowed = self.hyper_names + self.other_names + KERAS_KWARGS
                raise TypeError('%s got an unexpected keyword argument %r; allowed: %s'
                                % (type(self).__name__, key, ', '.join(allowed)))

    def get_config(self):
        config = dict(zip(self.hyper_names, self.hyper))
        config['variant'] = self.variant
        config['nonfinite'] = self.nonfinite
        config.update(super(RProp, self).get_config())
        return config

    @interfaces.legacy_get_updates_support
    @symbolic
    def get_updates(self, loss, params):
        with updates_of_one_step():
            return self._updates(loss, params)

    def _updates(self, loss, params):
        grads = self.get_gradients(loss, params)
        variant = VARIANTS[self.variant]
        state = {slot: [self._state_variable(slot, i, p) for i, p in enumerate(params)]
                 for slot in variant.slots}
        self.weights = [v for slot in variant.slots for v in state[slot]]

        skip = self.nonfinite == 'skip'
        assignments = []
        loss_rose = None
        if variant.uses_loss:
            prev_loss = K.variable(np.inf, dtype=K.dtype(loss), name='prev_loss')
            self.weights.append(prev_loss)
            loss_rose = K.greater(loss, prev_loss)
            assignments.append(
                (prev_loss, where(is_finite(loss), loss, prev_loss) if skip else loss))

        update = _ElementUpdate(variant, skip)
        every_inputs = []
        for i, (p, g) in enumerate(zip(params, grads)):
            inputs = {'weight': p, 'grad': g}
            inputs.update((slot, state[slot][i]) for slot in variant.slots)
            if loss_rose is not None:
                inputs['loss_rose'] = K.cast(loss_rose, K.dtype(p))
            every_inputs.append(inputs)
        # the element-wise updates of all tensors, fused as one computation
        # where the backend can (XLA), else one loop per tensor
        every_outputs = fused([update.computation(self._hyper_of(inputs['weight']), inputs)
                               for inputs in every_inputs])

        for inputs, values in zip(every_inputs, every_outputs):
            outputs = dict(zip(update.output_names, values))
            p, g, new_p = inputs['weight'], inputs['grad'], outputs['weight']
            constraint = getattr(p, 'constraint', None)
            if constraint is not None:
                constrained = constraint(new_p)
                # the constraint must not move a skipped element either
                new_p = where(is_finite(g), constrained, p) if skip else constrained
            assignments.append((p, new_p))
            assignments.extend((inputs[slot], outputs[slot]) for slot in variant.slots)

        self.updates = assign_after_reads(assignments)
        return self.updates

    def set_weights(self, weights):
        """Load state saved by `get_weights` (or by ``model.save``).

        Raises `OptimizerStateError` if the arrays do not have the number and
        shapes this optimizer holds for this model (state of another variant
        or of another model); nothing is loaded then.
        """
        expected = [tuple(K.int_shape(w)) for w in self.weights]
        got = [tuple(np.shape(w)) for w in weights]
        if got != expected:
            names = [w.name.rsplit('/', 1)[-1].split(':')[0] for w in self.weights]
            raise OptimizerStateError(
                '%s(variant=%r) cannot load this optimizer state: for this model '
                'it holds %d arrays %s with shapes %s, but got %d arrays with '
                'shapes %s. The state was saved by another Rprop variant or for '
                'another model. Nothing was loaded; to restart the optimizer on '
                'purpose, load the model with compile=False and compile it again.'
                % (type(self).__name__, self.variant, len(expected), names,
                   expected, len(got), got))
        super(RProp, self).set_weights(weights)

    def _hyper_of(self, param):
        """The hyper-parameters in the dtype of `param`."""
        return Hyper(*(np.dtype(K.dtype(param)).type(v) for v in self.hyper))

    def _state_variable(self, slot, index, param):
        initial = self.hyper.init_alpha if slot == 'step_size' else 0.
        value = np.full(K.int_shape(param), initial, dtype=K.dtype(param))
        return K.variable(value, dtype=K.dtype(param), name='%s_%d' % (slot, index))


class _ElementUpdate(object):
    """One element's update, ``weight`` and state slots in, the same names
    out (`output_names`), with the non-finite policy, for `fused`."""

    def __init__(self, variant, skip):
        self.variant, self.skip = variant, skip
        # what each output is written to: its own input's variable
        self.output_names = ('weight',) + variant.slots

    def computation(self, hyper, inputs):
        """``(function, inputs, overwrite)`` for `fused`: `inputs` is
        ``{name: tensor}``; the function returns the new values in the order
        of `output_names`, and each may overwrite its own input's memory."""
        input_names = list(inputs)
        overwrite = {k: input_names.index(name) for k, name in enumerate(self.output_names)}

        def function(*values):
            old = dict(zip(input_names, values))
            state = {slot: old[slot] for slot in self.variant.slots}
            new_weight, new_state = self.variant.rule(
                old['weight'], old['grad'], state, hyper, old.get('loss_rose'))
            new = dict(new_state, weight=new_weight)
            if self.skip:  # a non-finite gradient: the element keeps weight and state
                finite = is_finite(old['grad'])
                new = {name: where(finite, new[name], old[name]) for name in new}
            return [new[name] for name in self.output_names]

        return function, [inputs[name] for name in input_names], overwrite


class Rprop(RProp):
    """Rprop+ under the class and argument names of the Keras question.

    That question's code never ran, but it meant Rprop with
    weight-backtracking; this class is that, working.

    # Arguments
        init_step: D_0. Default 0.01.
        posStep: eta+. Default 1.2.
        negStep: eta-. Default 0.5.
        minStep: D_min. Default 1e-6.
        maxStep: D_max. Default 50.
        nonfinite: 'skip' (default) or 'propagate', as for `RProp`.
        clipnorm, clipvalue: as in every Keras optimizer.
    """

    def __init__(self, init_step=0.01, posStep=1.2, negStep=0.5,
                 minStep=1e-6, maxStep=50., nonfinite='skip', **kwargs):
        variant = kwargs.pop('variant', 'Rprop+')
        self._check_keras_kwargs(kwargs)
        if variant != 'Rprop+':
            raise ValueError(
                "Rprop implements the variant 'Rprop+' only, got variant=%r; "
                "use RProp(variant=%r) for the others" % (variant, variant))
        super(Rprop, self).__init__(init_step, posStep, negStep, minStep,
                                    maxStep, variant='Rprop+', nonfinite=nonfinite,
                                    **kwargs)

    hyper_names = ('init_step', 'posStep', 'negStep', 'minStep', 'maxStep')
    other_names = ('nonfinite',)

    def get_config(self):
        config = super(Rprop, self).get_config()
        del config['variant']
        return config


def _checked_hyperparameters(hyper, names):
    """Return `hyper` as floats, or raise ValueError naming the bad argument."""
    name = dict(zip(Hyper._fields, names))
    for field, value in hyper._asdict().items():
        if (isinstance(value, bool) or not isinstance(value, numbers.Real)
                or not math.isfinite(value)):
            raise ValueError('%s must be a finite number, got %r'
                             % (name[field], value))
    hyper = Hyper(*(float(v) for v in hyper))
    problems = [
        (hyper.init_alpha <= 0, 'init_alpha', 'must be > 0'),
        (hyper.scale_up <= 1, 'scale_up', 'must be > 1'),
        (not 0 < hyper.scale_down < 1, 'scale_down', 'must be in (0, 1)'),
        (hyper.min_alpha <= 0, 'min_alpha', 'must be > 0'),
        (hyper.max_alpha < hyper.min_alpha, 'max_alpha',
         'must be >= %s (%r)' % (name['min_alpha'], hyper.min_alpha)),
        (not hyper.min_alpha <= hyper.init_alpha <= hyper.max_alpha, 'init_alpha',
         'must be between %s (%r) and %s (%r)' % (
             name['min_alpha'], hyper.min_alpha, name['max_alpha'], hyper.max_alpha)),
    ]
    for failed, field, allowed in problems:
        if failed:
            raise ValueError('%s %s, got %r'
                             % (name[field], allowed, getattr(hyper, field)))
    return hyper
