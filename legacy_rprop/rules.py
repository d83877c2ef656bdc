"""The Rprop update rules, one function per variant.

Notation (Riedmiller & Braun 1993; Igel & Huesken 2000), per weight w with
gradient g at step t, step size D (the "alpha" of the Keras answer):

    s = g_prev * g
    s > 0:  D = min(D * eta_plus,  D_max)
    s < 0:  D = max(D * eta_minus, D_min)
    s = 0:  D unchanged

Every function takes the current weight, its gradient and its state, and
returns ``(new_weight, new_state)``.
``new_weight`` is before any Keras constraint; the optimizer applies
constraints afterwards.  All inputs are pre-step values; the functions never
touch variables, so the same rule is exact on every backend.
"""
from keras import backend as K

from legacy_rprop._backend import sign, where, zeros_like


def adapt_step(step, s, h):
    """Grow the step where the gradient kept its sign, shrink it where it flipped."""
    grown = K.minimum(step * h.scale_up, h.max_alpha)
    shrunk = K.maximum(step * h.scale_down, h.min_alpha)
    return where(s > 0, grown, where(s < 0, shrunk, step))


def keras_answer(w, g, state, h, loss_rose=None):
    """The rule of the widely copied Keras answer, quirks included.

        D = min(D * eta_plus, D_max)  if s > 0
            max(D * eta_minus, D_min) otherwise (also when s == 0)
        w = w - sign(g) * D
        g_prev = g
    """
    step = state['step']
    s = g * state['prev_grad']
    step = where(s > 0,
                 K.minimum(step * h.scale_up, h.max_alpha),
                 K.maximum(step * h.scale_down, h.min_alpha))
    return w - sign(g) * step, {'step': step, 'prev_grad': g}


def rprop_minus(w, g, state, h, loss_rose=None):
    """Rprop- : sign-based step, no backtracking.

        D = adapt(D, s);  w = w - sign(g) * D;  g_prev = g
    """
    step = adapt_step(state['step'], g * state['prev_grad'], h)
    return w - sign(g) * step, {'step': step, 'prev_grad': g}


def irprop_minus(w, g, state, h, loss_rose=None):
    """iRprop- : after a sign flip, forget the gradient (no move this step).

        D = adapt(D, s);  if s < 0: g = 0;  w = w - sign(g) * D;  g_prev = g
    """
    s = g * state['prev_grad']
    step = adapt_step(state['step'], s, h)
    g = where(s < 0, zeros_like(g), g)
    return w - sign(g) * step, {'step': step, 'prev_grad': g}


def rprop_plus(w, g, state, h, loss_rose=None):
    """Rprop+ : weight-backtracking after a sign flip.

        D = adapt(D, s)
        s >= 0:  dw = -sign(g) * D;   g_prev = g
        s <  0:  dw = -dw_prev;       g_prev = 0    (undo the last move)
        w = w + dw;  dw_prev = dw
    """
    return _backtracking(w, g, state, h, undo=None)


def irprop_plus(w, g, state, h, loss_rose=None):
    """iRprop+ : as Rprop+, but undo the last move only if the loss rose.

        s < 0:  dw = -dw_prev if E_t > E_(t-1) else 0;  g_prev = 0
    ``loss_rose`` is 1.0 where E_t > E_(t-1) and 0.0 otherwise.
    """
    return _backtracking(w, g, state, h, undo=loss_rose)


def _backtracking(w, g, state, h, undo):
    """`undo` is None (always undo) or 1.0 / 0.0 per step (undo or not)."""
    s = g * state['prev_grad']
    step = adapt_step(state['step'], s, h)
    flipped = s < 0
    back = -state['prev_move'] if undo is None else -state['prev_move'] * undo
    move = where(flipped, back, -sign(g) * step)
    prev_grad = where(flipped, zeros_like(g), g)
    return w + move, {'step': step, 'prev_grad': prev_grad, 'prev_move': move}


DEFAULT_VARIANT = 'keras-answer'

# variant name -> (rule, per-weight state slots in the order of optimizer.weights)
VARIANTS = {
    'keras-answer': (keras_answer, ('step', 'prev_grad')),
    'Rprop-': (rprop_minus, ('step', 'prev_grad')),
    'iRprop-': (irprop_minus, ('step', 'prev_grad')),
    'Rprop+': (rprop_plus, ('step', 'prev_grad', 'prev_move')),
    'iRprop+': (irprop_plus, ('step', 'prev_grad', 'prev_move')),
}

# variants whose rule compares this step's loss with the previous step's
USES_LOSS = ('iRprop+',)
