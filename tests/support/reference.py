"""NumPy reference of the five Rprop rules, written from their definitions.

Each rule works on one array of weights, element by element, in the dtype of
its inputs, in the order the definitions state.  The four variants of the
literature compare the signs of g and g_prev:

    s = sign(g_prev) * sign(g)
    s > 0:  D = min(D * eta_plus,  D_max)
    s < 0:  D = max(D * eta_minus, D_min)
    s = 0:  D unchanged

Rprop-:   w -= sign(g) * D;  g_prev = g
iRprop-:  if s < 0: g = 0;  w -= sign(g) * D;  g_prev = g
Rprop+:   s < 0: dw = -dw_prev, g_prev = 0;  else dw = -sign(g) * D, g_prev = g;
          w += dw
iRprop+:  as Rprop+, but on s < 0 dw = -dw_prev only if E_t > E_(t-1), else 0

keras-answer (the Keras answer's class) tests the product p = g_prev * g
itself:  D = min(D*eta_plus, D_max) if p > 0 else max(D*eta_minus, D_min);
    w -= sign(g) * D;  g_prev = g.

With nonfinite='skip', an element whose gradient is NaN or +-inf keeps its
weight and state for that step, and a non-finite loss does not replace the
previous loss.

`flush_subnormals` models a backend that treats subnormal numbers as zero
(TensorFlow's CPU kernels, XLA): every computation sees a subnormal input as
a zero of its sign, and flushes a subnormal result (keras-answer's product)
to zero; a value only stored, not computed with (g as g_prev), keeps its
bits.
"""
import numpy as np


class Reference(object):
    """State and step of one rule for one weight array."""

    def __init__(self, variant, weights, init_alpha=1e-3, scale_up=1.2,
                 scale_down=0.5, min_alpha=1e-6, max_alpha=50., nonfinite='skip',
                 flush_subnormals=False):
        self.variant = variant
        self.skip_nonfinite = nonfinite == 'skip'
        self.seen = flushed if flush_subnormals else np.asarray
        self.dtype = weights.dtype
        cast = self.dtype.type
        self.eta_plus, self.eta_minus = cast(scale_up), cast(scale_down)
        self.step_min, self.step_max = cast(min_alpha), cast(max_alpha)
        self.w = weights.copy()
        self.step = np.full_like(weights, cast(init_alpha))
        self.g_prev = np.zeros_like(weights)
        self.dw_prev = np.zeros_like(weights)
        self.prev_loss = None

    def update(self, g, loss=None):
        """Apply one step with gradient `g` (and loss `loss` for iRprop+)."""
        stored = np.asarray(g, dtype=self.dtype)
        g, g_prev = self.seen(stored), self.seen(self.g_prev)
        w, step, dw_prev = self.w, self.step, self.dw_prev
        new_w, new_step = w.copy(), step.copy()
        new_g_prev, new_dw = stored.copy(), np.zeros_like(w)
        loss_rose = self.prev_loss is not None and loss > self.prev_loss
        zero = self.dtype.type(0)
        for i in np.ndindex(*w.shape):
            if self.skip_nonfinite and not np.isfinite(g[i]):
                new_g_prev[i], new_dw[i] = self.g_prev[i], dw_prev[i]
                continue
            if self.variant == 'keras-answer':
                s = self.seen(g_prev[i] * g[i])
            else:
                s = np.sign(g_prev[i]) * np.sign(g[i])
            if self.variant == 'keras-answer':
                if s > 0:
                    new_step[i] = min(step[i] * self.eta_plus, self.step_max)
                else:
                    new_step[i] = max(step[i] * self.eta_minus, self.step_min)
            elif s > 0:
                new_step[i] = min(step[i] * self.eta_plus, self.step_max)
            elif s < 0:
                new_step[i] = max(step[i] * self.eta_minus, self.step_min)

            if self.variant in ('keras-answer', 'Rprop-'):
                new_w[i] = w[i] - np.sign(g[i]) * new_step[i]
            elif self.variant == 'iRprop-':
                if s < 0:
                    new_g_prev[i] = zero
                new_w[i] = w[i] - np.sign(zero if s < 0 else g[i]) * new_step[i]
            elif s < 0:  # Rprop+, iRprop+
                undo = self.variant == 'Rprop+' or loss_rose
                new_dw[i] = -dw_prev[i] if undo else zero
                new_g_prev[i] = zero
                new_w[i] = w[i] + new_dw[i]
            else:
                new_dw[i] = -np.sign(g[i]) * new_step[i]
                new_w[i] = w[i] + new_dw[i]
        self.w, self.step, self.g_prev, self.dw_prev = (
            new_w, new_step, new_g_prev, new_dw)
        if not (self.skip_nonfinite and loss is not None and not np.isfinite(loss)):
            self.prev_loss = loss
        return new_w

    def state(self):
        """The state in the order of the optimizer's slots (which has no
        dw_prev: the optimizers derive it where a flip reads it; this
        reference keeps it, as the definitions do)."""
        return {'step_size': self.step, 'prev_grad': self.g_prev}

    def previous_loss(self):
        """iRprop+'s remembered loss, +inf before the first step."""
        return self.dtype.type(np.inf if self.prev_loss is None else self.prev_loss)


def state_per_tensor(references):
    """The state of the references of a model's weight arrays in the order
    of the multi-backend optimizer's ``get_weights_per_tensor``: each slot
    for every array, then (iRprop+) the previous loss."""
    slots = list(references[0].state())
    arrays = [ref.state()[slot] for slot in slots for ref in references]
    if references[0].variant == 'iRprop+':
        arrays.append(references[0].previous_loss())
    return arrays


def flushed(x):
    """`x` with subnormal numbers replaced by zeros of their sign."""
    x = np.asarray(x)
    if x.dtype.kind != 'f':
        return x
    subnormal = (x != 0) & (np.abs(x) < np.finfo(x.dtype).tiny)
    return np.where(subnormal, np.copysign(np.zeros_like(x), x), x)


def assert_bits_equal(got, want, err_msg=''):
    """`got` and `want` are the same numbers: equal values (NaN where NaN),
    and also the same sign of every zero and the same dtype, which
    ``assert_array_equal`` does not check.  (The sign bit of a NaN means
    nothing in IEEE arithmetic and is not compared.)"""
    got, want = np.asarray(got), np.asarray(want)
    np.testing.assert_array_equal(got, want, err_msg=err_msg)
    assert got.dtype == want.dtype, err_msg
    differ = (got == 0) & (np.signbit(got) != np.signbit(want))
    assert not differ.any(), '%s: zeros of another sign at %s' % (
        err_msg, np.argwhere(differ)[:5].tolist())


def assert_each_bits_equal(got, want, err_msg=''):
    """Two lists of arrays, as many in each, every pair `assert_bits_equal`."""
    assert len(got) == len(want), err_msg
    for got_array, want_array in zip(got, want):
        assert_bits_equal(got_array, want_array, err_msg)
