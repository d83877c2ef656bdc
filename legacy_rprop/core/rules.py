"""The Rprop update rules, one function per variant, and one record per
variant of everything else the optimizers need to know about it.

Notation (Riedmiller & Braun 1993; Igel & Huesken 2000), per weight w with
gradient g at step t and step size D (the Keras answer's "alpha"): the
gradient kept its sign where g_prev * g > 0 and flipped it where
g_prev * g < 0, and then

    same sign:  D = min(D * eta_plus,  D_max)     (grow)
    flipped:    D = max(D * eta_minus, D_min)     (shrink)
    otherwise:  D unchanged                       (g or g_prev is 0)

The four variants of the literature compare the signs of g and g_prev, not
their product, which is exact at every magnitude: the product of two tiny
gradients underflows to 0 (or is flushed to 0 below the smallest normal
number, as TensorFlow and XLA do), and Rprop is meant to ignore magnitudes.
'keras-answer' keeps the Keras answer's product, quirks included.

Every rule takes the element-wise operations of a backend (`ops`, the
contract of `legacy_rprop.core.ops`), the current weight, its gradient, its
state (a dict of the variant's slots) and the hyper-parameters, and returns
``(new_weight, new_state)``; a rule takes ``ops.sign`` of the gradient only
(under the policy 'skip' it is 0 where the gradient is not finite, as for a
zero gradient).  ``new_weight`` is before any Keras constraint;
the optimizer applies constraints afterwards.  All inputs are pre-step
values; the rules never touch variables, so the same rule is exact on every
backend and serves every Keras flavour.

References:
    Riedmiller, M. and Braun, H. (1993). A direct adaptive method for faster
    backpropagation learning: the RPROP algorithm. IEEE International
    Conference on Neural Networks, 586-591.
    Igel, C. and Huesken, M. (2000). Improving the Rprop learning algorithm.
    Second International Symposium on Neural Computation, 115-121.
    Igel, C. and Huesken, M. (2003). Empirical evaluation of the improved
    Rprop learning algorithms. Neurocomputing 50, 105-123.
"""
import collections

Hyper = collections.namedtuple('Hyper', 'init_alpha scale_up scale_down min_alpha max_alpha')
Hyper.__doc__ = """The hyper-parameters under the Keras answer's names: D_0,
eta+, eta-, D_min, D_max."""

Variant = collections.namedtuple('Variant', 'rule slots uses_loss zero_grad_keeps')
Variant.__doc__ = """A variant's spec (`VARIANTS` maps each variant's name to
it; code that holds one calls it `spec`): its `rule`, the per-weight state `slots` it
keeps (in the order of the optimizer's weights), whether it `uses_loss`
(compares this step's loss with the previous one's) and the slots a zero
gradient leaves as they are (`zero_grad_keeps`; the weight stays in every
variant, as sign(0) = 0 and no move is undone without a sign flip)."""


def adapt_step_size(ops, step_size, same_sign, flipped, hyper):
    """Grow the step size where the gradient kept its sign, shrink it where
    it flipped, keep it where either gradient is 0."""
    grown = ops.minimum(step_size * hyper.scale_up, hyper.max_alpha)
    shrunk = ops.maximum(step_size * hyper.scale_down, hyper.min_alpha)
    return ops.where(same_sign, grown, ops.where(flipped, shrunk, step_size))


def compare_signs(ops, sign_g, sign_prev):
    """``(same_sign, flipped)``: g_prev * g > 0 and < 0, from ``sign_g`` =
    sign(g) and ``sign_prev`` = sign(g_prev) (``ops.sign_to_compare``; a
    product of two signs is exact)."""
    product = sign_g * sign_prev
    return ops.is_positive(product), ops.is_negative(product)


def keras_answer(ops, w, g, state, hyper, loss_rose=None):
    """The rule of the widely copied Keras answer, quirks included.

        D = min(D * eta_plus, D_max)  if g * g_prev > 0
            max(D * eta_minus, D_min) otherwise (also when either is 0)
        w = w - sign(g) * D
        g_prev = g

    The product g * g_prev is the answer's: where it underflows (to 0 below
    the smallest float, and on TensorFlow below the smallest normal float,
    which TensorFlow flushes to 0) the step size shrinks.
    """
    step_size = state['step_size']
    step_size = ops.where(g * state['prev_grad'] > 0,
                          ops.minimum(step_size * hyper.scale_up, hyper.max_alpha),
                          ops.maximum(step_size * hyper.scale_down, hyper.min_alpha))
    return w - ops.sign(g) * step_size, {'step_size': step_size, 'prev_grad': g}


def rprop_minus(ops, w, g, state, hyper, loss_rose=None):
    """Rprop- : sign-based step, no backtracking.

        D = adapt(D);  w = w - sign(g) * D;  g_prev = g
    """
    sign_g = ops.sign(g)
    same_sign, flipped = compare_signs(ops, sign_g, ops.sign_to_compare(state['prev_grad']))
    step_size = adapt_step_size(ops, state['step_size'], same_sign, flipped, hyper)
    return w - sign_g * step_size, {'step_size': step_size, 'prev_grad': g}


def irprop_minus(ops, w, g, state, hyper, loss_rose=None):
    """iRprop- : after a sign flip, forget the gradient (no move this step).

        D = adapt(D);  if flipped: g = 0;  w = w - sign(g) * D;  g_prev = g
    """
    sign_g = ops.sign(g)
    same_sign, flipped = compare_signs(ops, sign_g, ops.sign_to_compare(state['prev_grad']))
    step_size = adapt_step_size(ops, state['step_size'], same_sign, flipped, hyper)
    zero = ops.zeros_like(g)
    move = ops.where(flipped, zero, sign_g) * step_size
    return w - move, {'step_size': step_size, 'prev_grad': ops.where(flipped, zero, g)}


def rprop_plus(ops, w, g, state, hyper, loss_rose=None):
    """Rprop+ : weight-backtracking after a sign flip.

        D = adapt(D)
        not flipped:  dw = -sign(g) * D;   g_prev = g
        flipped:      dw = -dw_prev;       g_prev = 0    (undo the last move)
        w = w + dw;  dw_prev = dw

    dw_prev is not kept: wherever a flip reads it, the last step moved by
    -sign(g_prev) * D_prev, both still in the state (a move undone leaves
    g_prev = 0, so no flip reads it at the next step).
    """
    return _backtracking(ops, w, g, state, hyper, undo=None)


def irprop_plus(ops, w, g, state, hyper, loss_rose=None):
    """iRprop+ : as Rprop+, but undo the last move only if the loss rose.

        flipped:  dw = -dw_prev if E_t > E_(t-1) else 0;  g_prev = 0
    ``loss_rose`` is a boolean (0-d): E_t > E_(t-1).
    """
    return _backtracking(ops, w, g, state, hyper, undo=loss_rose)


def _backtracking(ops, w, g, state, hyper, undo):
    """`undo` is None (always undo) or a boolean per step (undo or not)."""
    sign_g = ops.sign(g)
    sign_prev = ops.sign_to_compare(state['prev_grad'])
    same_sign, flipped = compare_signs(ops, sign_g, sign_prev)
    step_size = adapt_step_size(ops, state['step_size'], same_sign, flipped, hyper)
    zero = ops.zeros_like(g)
    undone = sign_prev * state['step_size']  # -dw_prev wherever flipped
    if undo is not None:  # the move after a flip without a rise of the loss is 0 (+0.0)
        undone = ops.where(undo, undone, zero)
    # ops.negative, not unary minus: it flips the sign of a zero on every backend
    move = ops.where(flipped, undone, ops.negative(sign_g * step_size))
    prev_grad = ops.where(flipped, zero, g)
    return w + move, {'step_size': step_size, 'prev_grad': prev_grad}


DEFAULT_VARIANT = 'keras-answer'

VARIANTS = {
    # the answer's step size shrinks where s == 0, the others' stays
    'keras-answer': Variant(keras_answer, ('step_size', 'prev_grad'), uses_loss=False,
                            zero_grad_keeps=()),
    'Rprop-': Variant(rprop_minus, ('step_size', 'prev_grad'), uses_loss=False,
                      zero_grad_keeps=('step_size',)),
    'iRprop-': Variant(irprop_minus, ('step_size', 'prev_grad'), uses_loss=False,
                       zero_grad_keeps=('step_size',)),
    'Rprop+': Variant(rprop_plus, ('step_size', 'prev_grad'), uses_loss=False,
                      zero_grad_keeps=('step_size',)),
    'iRprop+': Variant(irprop_plus, ('step_size', 'prev_grad'), uses_loss=True,
                       zero_grad_keeps=('step_size',)),
}
