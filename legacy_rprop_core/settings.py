"""The optimizers' arguments, their defaults and checks, and the errors:
the same for every Keras flavour."""
import math
import numbers
import os

import numpy as np

from legacy_rprop_core.rules import DEFAULT_VARIANT, VARIANTS, Hyper

# `RProp`'s defaults: D_0, eta+, eta-, D_min, D_max (Riedmiller & Braun 1993,
# except D_0, which the Keras answer set to 1e-3)
DEFAULTS = Hyper(init_alpha=1e-3, scale_up=1.2, scale_down=0.5, min_alpha=1e-6, max_alpha=50.)
# `Rprop`'s, under the Keras question's names
QUESTION_NAMES = ('init_step', 'posStep', 'negStep', 'minStep', 'maxStep')
QUESTION_DEFAULTS = DEFAULTS._replace(init_alpha=0.01)

# LEGACY_RPROP_FUSED=0 turns the fused update (XLA, or Theano's C loop) off
# on every backend and flavour; the update then runs as the plain graph of
# the rule, with the same numbers.  LEGACY_RPROP_XLA is its old name.
FUSED = os.environ.get('LEGACY_RPROP_FUSED', os.environ.get('LEGACY_RPROP_XLA', '1')) != '0'


def _xla_from(text):
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise ValueError('LEGACY_RPROP_XLA_FROM must be a whole number of weights >= 0, '
                         'got %r' % (text,))
    return value


# On TensorFlow the multi-backend optimizer compiles its update with XLA
# from this many weights of a model on (LEGACY_RPROP_XLA_FROM); below, the
# plain graph of the rule runs (same numbers).
XLA_FROM = _xla_from(os.environ.get('LEGACY_RPROP_XLA_FROM', '2000'))

# what to do with an element whose gradient is NaN or +-inf
NONFINITE_POLICIES = ('skip', 'propagate')

RPROP_DOC = """Resilient backpropagation (Rprop) for full-batch training.

    Every weight w has its own step size D, which adapts to the sign of the
    gradient g and its previous value g_prev (s = g_prev * g):

        s > 0:  D = min(D * scale_up,   max_alpha)
        s < 0:  D = max(D * scale_down, min_alpha)
        s = 0:  D unchanged
        w = w - sign(g) * D          (see `variant` for the differences)

    # Arguments
        init_alpha: float > 0, the initial step size D_0. Default 1e-3.
        scale_up: float > 1, eta+ (growth factor). Default 1.2.
        scale_down: float in (0, 1), eta- (shrink factor). Default 0.5.
        min_alpha: float > 0, D_min. Default 1e-6.
        max_alpha: float >= min_alpha, D_max. Default 50.
            The bounds apply where the step size adapts, as in the paper:
            with D_0 in [min_alpha, max_alpha] every step size stays within
            them; a D_0 outside is used as given until the rule grows or
            shrinks it (Riedmiller & Braun's two spirals take the standard
            D_0 = 0.1 with D_max = 0.001).
        variant: one of 'keras-answer' (default), 'Rprop-', 'Rprop+',
            'iRprop-', 'iRprop+'.  'keras-answer' is the rule of the widely
            copied Keras answer that introduced this class name: the step
            also shrinks when s == 0 (for instance on the first update).  The
            others follow Igel & Huesken (2000); see `legacy_rprop_core.rules`.
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
        batches_per_step: k, an integer >= 1 (default 1).  With k > 1 the
            optimizer adds up the gradients of k consecutive batches, each
            weighted by its number of samples, and makes one step on their
            mean: with k batches per epoch, one step per epoch on the gradient
            of the whole epoch's data (the last batch may be smaller), for
            data that does not fit one batch.  iRprop+ then compares the
            epochs' mean losses.  Multi-backend Keras only so far.
        clipnorm, clipvalue: as in every Keras optimizer.

    # State
        Per parameter p_0..p_n-1 (in the order Keras passes them): step_size,
        prev_grad, and for Rprop+ and iRprop+ prev_move; for iRprop+ also the
        scalar prev_loss (+inf before the first step).  With batches_per_step
        > 1 also grad_sum per parameter (the weighted sum of this step's
        gradients so far) and the scalars batches_seen, samples_seen and, for
        iRprop+, loss_sum.

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

QUESTION_RPROP_DOC = """Rprop+ under the class and argument names of the Keras question.

    That question's code never ran, but it meant Rprop with
    weight-backtracking; this class is that, working.

    # Arguments
        init_step: D_0. Default 0.01.
        posStep: eta+. Default 1.2.
        negStep: eta-. Default 0.5.
        minStep: D_min. Default 1e-6.
        maxStep: D_max. Default 50.
        nonfinite: 'skip' (default) or 'propagate', as for `RProp`.
        batches_per_step: 1 (default) or more, as for `RProp`.
        clipnorm, clipvalue: as in every Keras optimizer.
    """


class OptimizerStateError(Exception):
    """Saved optimizer state that does not fit the optimizer and model.

    Deliberately not a ValueError: Keras 2.3.1's ``load_model`` turns a
    ValueError from ``set_weights`` into a warning and trains on from fresh
    state, which for Rprop silently restarts every step size.
    """


def check_state_fits(class_name, variant, variables, expected, weights):
    """Raise `OptimizerStateError` unless the arrays `weights` have the
    number and shapes `expected` of the optimizer's state `variables`."""
    got = [tuple(np.shape(w)) for w in weights]
    if got != list(expected):
        raise _state_mismatch(class_name, variant, state_names(variables), list(expected),
                              got)


def state_names(variables):
    """The optimizer state's names without scope (``step_size``)."""
    return [v.name.rsplit('/', 1)[-1].split(':')[0] for v in variables]


def _state_mismatch(class_name, variant, names, expected, got):
    return OptimizerStateError(
        '%s(variant=%r) cannot load this optimizer state: for this model '
        'it holds %d arrays %s with shapes %s, but got %d arrays with '
        'shapes %s. The state was saved by another Rprop variant or for '
        'another model. Nothing was loaded; to restart the optimizer on '
        'purpose, load the model with compile=False and compile it again.'
        % (class_name, variant, len(expected), names, expected, len(got), got))


def check_keyword_arguments(class_name, kwargs, allowed):
    """Raise TypeError naming the first keyword not in `allowed`."""
    for key in kwargs:
        if key not in allowed:
            raise TypeError('%s got an unexpected keyword argument %r; allowed: %s'
                            % (class_name, key, ', '.join(allowed)))


def checked_choice(name, value, allowed):
    """`value`, or ValueError naming `name` and the allowed values."""
    if not isinstance(value, str) or value not in allowed:
        raise ValueError('%s must be one of %s, got %r'
                         % (name, ', '.join(repr(v) for v in allowed), value))
    return value


def checked_variant(variant):
    return checked_choice('variant', variant, tuple(VARIANTS))


def checked_nonfinite(nonfinite):
    return checked_choice('nonfinite', nonfinite, NONFINITE_POLICIES)


def checked_hyperparameters(hyper, names):
    """Return `hyper` as floats, or raise ValueError naming the bad argument
    by its name in the caller's signature (`names`, in Hyper's order)."""
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
    ]
    for failed, field, allowed in problems:
        if failed:
            raise ValueError('%s %s, got %r'
                             % (name[field], allowed, getattr(hyper, field)))
    return hyper


def checked_batches_per_step(batches_per_step):
    """`batches_per_step`, or ValueError naming it and the allowed values."""
    if (isinstance(batches_per_step, bool) or not isinstance(batches_per_step, numbers.Integral)
            or batches_per_step < 1):
        raise ValueError('batches_per_step must be an integer >= 1, got %r' % (batches_per_step,))
    return int(batches_per_step)


def checked_question_variant(variant):
    """`Rprop` accepts variant='Rprop+' only (it is that rule)."""
    if variant != 'Rprop+':
        raise ValueError(
            "Rprop implements the variant 'Rprop+' only, got variant=%r; "
            "use RProp(variant=%r) for the others" % (variant, variant))
    return variant


__all__ = ['DEFAULT_VARIANT', 'VARIANTS', 'DEFAULTS', 'QUESTION_NAMES', 'QUESTION_DEFAULTS',
           'NONFINITE_POLICIES', 'OptimizerStateError']
