"""The Rprop update rules, one function per variant, and one record per
variant of everything else the optimizers need to know about it.

Notation (Riedmiller & Braun 1993; Igel & Huesken 2000), per weight w with
gradient g at step t, step size D (the "alpha" of the Keras answer) and
the product of this and the previous gradient, s = g_prev * g:

    s > 0:  D = min(D * eta_plus,  D_max)     (same sign: grow)
    s < 0:  D = max(D * eta_minus, D_min)     (sign flipped: shrink)
    s = 0:  D unchanged

Every rule takes the element-wise operations of a backend (`ops`: where,
sign, minimum, maximum, zeros_like, negative; see
`legacy_rprop_core.tensorflow_ops`),
the current weight, its gradient, its state (a dict of the variant's slots)
and the hyper-parameters, and returns ``(new_weight, new_state)``.
``new_weight`` is before any Keras constraint; the optimizer applies
constraints afterwards.  All inputs are pre-step values; the rules never
touch variables, so the same rule is exact on every backend and serves every
Keras flavour.

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
Hyper.__doc__ = """The hyper-parameters: D_0, eta+, eta-, D_min, D_max."""

Variant = collections.namedtuple('Variant', 'rule slots uses_loss zero_grad_keeps')
Variant.__doc__ = """A variant: its `rule`, the per-weight state `slots` it
keeps (in the order of the optimizer's weights), whether it `uses_loss`
(compares this step's loss with the previous one's) and the slots a zero
gradient leaves as they are (`zero_grad_keeps`; the weight stays in every
variant, as sign(0) = 0 and no move is undone without a sign flip)."""


def adapt_step_size(ops, step_size, same_sign, flipped, hyper):
    """Grow the step size where the gradient kept its sign (``same_sign``:
    s > 0), shrink it where it flipped (``flipped``: s < 0), keep it where
    either gradient is 0."""
    grown = ops.minimum(step_size * hyper.scale_up, hyper.max_alpha)
    shrunk = ops.maximum(step_size * hyper.scale_down, hyper.min_alpha)
    return ops.where(same_sign, grown, ops.where(flipped, shrunk, step_size))


def _signs_compared(g, prev_grad):
    """``(s > 0, s < 0)`` for s = g_prev * g."""
    grad_product = g * prev_grad
    return grad_product > 0, grad_product < 0


def keras_answer(ops, w, g, state, hyper, loss_rose=None):
    """The rule of the widely copied Keras answer, quirks included.

        D = min(D * eta_plus, D_max)  if s > 0
            max(D * eta_minus, D_min) otherwise (also when s == 0)
        w = w - sign(g) * D
        g_prev = g
    """
    step_size = state['step_size']
    step_size = ops.where(g * state['prev_grad'] > 0,
                          ops.minimum(step_size * hyper.scale_up, hyper.max_alpha),
                          ops.maximum(step_size * hyper.scale_down, hyper.min_alpha))
    return w - ops.sign(g) * step_size, {'step_size': step_size, 'prev_grad': g}


def rprop_minus(ops, w, g, state, hyper, loss_rose=None):
    """Rprop- : sign-based step, no backtracking.

        D = adapt(D, s);  w = w - sign(g) * D;  g_prev = g
    """
    same_sign, flipped = _signs_compared(g, state['prev_grad'])
    step_size = adapt_step_size(ops, state['step_size'], same_sign, flipped, hyper)
    return w - ops.sign(g) * step_size, {'step_size': step_size, 'prev_grad': g}


def irprop_minus(ops, w, g, state, hyper, loss_rose=None):
    """iRprop- : after a sign flip, forget the gradient (no move this step).

        D = adapt(D, s);  if s < 0: g = 0;  w = w - sign(g) * D;  g_prev = g
    """
    same_sign, flipped = _signs_compared(g, state['prev_grad'])
    step_size = adapt_step_size(ops, state['step_size'], same_sign, flipped, hyper)
    g = ops.where(flipped, ops.zeros_like(g), g)
    return w - ops.sign(g) * step_size, {'step_size': step_size, 'prev_grad': g}


def rprop_plus(ops, w, g, state, hyper, loss_rose=None):
    """Rprop+ : weight-backtracking after a sign flip.

        D = adapt(D, s)
        s >= 0:  dw = -sign(g) * D;   g_prev = g
        s <  0:  dw = -dw_prev;       g_prev = 0    (undo the last move)
        w = w + dw;  dw_prev = dw
    """
    return _backtracking(ops, w, g, state, hyper, undo=None)


def irprop_plus(ops, w, g, state, hyper, loss_rose=None):
    """iRprop+ : as Rprop+, but undo the last move only if the loss rose.

        s < 0:  dw = -dw_prev if E_t > E_(t-1) else 0;  g_prev = 0
    ``loss_rose`` is a boolean (0-d): E_t > E_(t-1).
    """
    return _backtracking(ops, w, g, state, hyper, undo=loss_rose)


def _backtracking(ops, w, g, state, hyper, undo):
    """`undo` is None (always undo) or a boolean per step (undo or not)."""
    same_sign, flipped = _signs_compared(g, state['prev_grad'])
    step_size = adapt_step_size(ops, state['step_size'], same_sign, flipped, hyper)
    # ops.negative, not unary minus: it flips the sign of a zero on every backend
    if undo is None:  # -where(c, a, b) is where(c, -a, -b) exactly: one negation
        move = ops.negative(ops.where(flipped, state['prev_move'], ops.sign(g) * step_size))
    else:  # the move after a flip without a rise of the loss is 0 (+0.0)
        backtrack = ops.where(undo, ops.negative(state['prev_move']), ops.zeros_like(g))
        move = ops.where(flipped, backtrack, ops.negative(ops.sign(g) * step_size))
    prev_grad = ops.where(flipped, ops.zeros_like(g), g)
    return w + move, {'step_size': step_size, 'prev_grad': prev_grad, 'prev_move': move}


DEFAULT_VARIANT = 'keras-answer'

VARIANTS = {
    # the answer's step size shrinks where s == 0, the others' stays
    'keras-answer': Variant(keras_answer, ('step_size', 'prev_grad'), uses_loss=False,
                            zero_grad_keeps=()),
    'Rprop-': Variant(rprop_minus, ('step_size', 'prev_grad'), uses_loss=False,
                      zero_grad_keeps=('step_size',)),
    'iRprop-': Variant(irprop_minus, ('step_size', 'prev_grad'), uses_loss=False,
                       zero_grad_keeps=('step_size',)),
    'Rprop+': Variant(rprop_plus, ('step_size', 'prev_grad', 'prev_move'), uses_loss=False,
                      zero_grad_keeps=('step_size',)),
    'iRprop+': Variant(irprop_plus, ('step_size', 'prev_grad', 'prev_move'), uses_loss=True,
                       zero_grad_keeps=('step_size',)),
}
