"""The optimizers' front half, the same for every Keras flavour: the
arguments, their defaults, checks and error messages, the docstrings, the
config, and `Rprop`, the Keras question's class, made from a flavour's
`RProp`."""
import collections
import math
import numbers

from legacy_rprop.core.rules import DEFAULT_VARIANT, VARIANTS, Hyper

# `RProp`'s defaults: D_0, eta+, eta-, D_min, D_max (Riedmiller & Braun 1993,
# except D_0, which the Keras answer set to 1e-3)
DEFAULTS = Hyper(init_alpha=1e-3, scale_up=1.2, scale_down=0.5, min_alpha=1e-6, max_alpha=50.)
# `Rprop`'s, under the Keras question's names
QUESTION_NAMES = ('init_step', 'posStep', 'negStep', 'minStep', 'maxStep')
QUESTION_DEFAULTS = DEFAULTS._replace(init_alpha=0.01)

# what to do with an element whose gradient is NaN or +-inf
NONFINITE_POLICIES = ('skip', 'propagate')

Arguments = collections.namedtuple('Arguments', 'hyper variant nonfinite batches_per_step')
Arguments.__doc__ = """An optimizer's checked arguments: `Hyper` as floats,
the variant's name, the non-finite policy, batches per step."""

RPROP_DOC = """Resilient backpropagation (Rprop) for full-batch training.

    Every weight w has its own step size D, which adapts to whether the
    gradient g kept the sign of its previous value g_prev:

        same sign:  D = min(D * scale_up,   max_alpha)
        flipped:    D = max(D * scale_down, min_alpha)
        otherwise:  D unchanged (g or g_prev is 0)
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
            also shrinks where g * g_prev is 0 (for instance on the first
            update), and it tests the product itself, which underflows for
            tiny gradients.  The others follow Igel & Huesken (2000) and
            compare signs; see `legacy_rprop.core.rules`.
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
            epochs' mean losses.
        Keras' own keywords (clipnorm, clipvalue, ...): as in every Keras
            optimizer of the flavour; they change only the stored g_prev,
            as Rprop moves by the sign.

    # State
        Per weight: step_size and prev_grad (Rprop+ and iRprop+ derive the
        last move where they undo it; up to 0.6 they kept it, prev_move,
        and state saved so loads without it); for iRprop+ also prev_loss
        (+inf before the first step);
        with batches_per_step > 1 also the step's gradient sum and counters.
        It is saved with the model; its layout in each flavour:
        docs/optimizer-state.md.

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
        Keras' own keywords: as for `RProp`.
    """


class RpropArguments(object):
    """The front half of every flavour's `RProp`: its signature, the checks,
    and the config.

    A flavour's class derives from this and from its Keras' optimizer base
    class (in that order), names the keywords it passes on to that base
    (`keras_keywords`) and, where the base wants more than those keywords,
    overrides `_init_keras_optimizer`.  After ``__init__`` the optimizer has
    `hyper` (`Hyper`, floats), `variant` (a name of `VARIANTS`), `nonfinite`
    and `batches_per_step`.  (Each flavour's class takes `RPROP_DOC` as its
    docstring.)
    """
    # the names of the five hyper-parameters, and of the other Rprop
    # arguments, in this class's signature and config
    hyper_names = Hyper._fields
    rprop_names = ('variant', 'nonfinite', 'batches_per_step')
    # the keyword arguments the flavour's Keras optimizer base class takes
    keras_keywords = ()

    def __init__(self, init_alpha=DEFAULTS.init_alpha, scale_up=DEFAULTS.scale_up,
                 scale_down=DEFAULTS.scale_down, min_alpha=DEFAULTS.min_alpha,
                 max_alpha=DEFAULTS.max_alpha, variant=DEFAULT_VARIANT, nonfinite='skip',
                 batches_per_step=1, **kwargs):
        arguments = self.checked_arguments(
            Hyper(init_alpha, scale_up, scale_down, min_alpha, max_alpha), variant, nonfinite,
            batches_per_step, kwargs)
        self._init_keras_optimizer(kwargs)
        self.hyper, self.variant, self.nonfinite, self.batches_per_step = arguments

    @classmethod
    def checked_arguments(cls, hyper, variant, nonfinite, batches_per_step, keras_kwargs):
        """`Arguments`, or the error that names the first bad one."""
        check_keyword_arguments(cls.__name__, keras_kwargs,
                                cls.hyper_names + cls.rprop_names + cls.keras_keywords)
        return Arguments(checked_hyperparameters(hyper, cls.hyper_names),
                         checked_choice('variant', variant, tuple(VARIANTS)),
                         checked_choice('nonfinite', nonfinite, NONFINITE_POLICIES),
                         checked_batches_per_step(batches_per_step))

    def _init_keras_optimizer(self, kwargs):
        """Initialise the Keras optimizer base class with the `keras_keywords`
        given."""
        super(RpropArguments, self).__init__(**kwargs)

    def rprop_config(self):
        """The Rprop arguments of the config, under this class's names."""
        config = dict(zip(self.hyper_names, self.hyper))
        config.update((name, getattr(self, name)) for name in self.rprop_names)
        return config


def question_class(rprop_class):
    """`Rprop`, the Keras question's class, for a flavour: Rprop+ under the
    question's names, as a subclass of the flavour's `RProp`."""

    class Rprop(rprop_class):
        __doc__ = QUESTION_RPROP_DOC
        hyper_names = QUESTION_NAMES
        rprop_names = ('nonfinite', 'batches_per_step')

        def __init__(self, init_step=QUESTION_DEFAULTS.init_alpha,
                     posStep=QUESTION_DEFAULTS.scale_up, negStep=QUESTION_DEFAULTS.scale_down,
                     minStep=QUESTION_DEFAULTS.min_alpha, maxStep=QUESTION_DEFAULTS.max_alpha,
                     nonfinite='skip', batches_per_step=1, **kwargs):
            variant = kwargs.pop('variant', 'Rprop+')
            if variant != 'Rprop+':
                raise ValueError(
                    "Rprop implements the variant 'Rprop+' only, got variant=%r; "
                    "use RProp(variant=%r) for the others" % (variant, variant))
            # before RProp's signature sees them (init_alpha=... would clash)
            check_keyword_arguments(type(self).__name__, kwargs,
                                    self.hyper_names + self.rprop_names + self.keras_keywords)
            super(Rprop, self).__init__(init_step, posStep, negStep, minStep, maxStep,
                                        variant='Rprop+', nonfinite=nonfinite,
                                        batches_per_step=batches_per_step, **kwargs)

    Rprop.__module__ = rprop_class.__module__
    Rprop.__qualname__ = 'Rprop'
    return Rprop


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
