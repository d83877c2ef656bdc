"""The `ops` contract: the element-wise operations the update rules are
written against, and NumPy's implementation of them, the one every backend's
is tested against.

A rule never calls a backend: it gets an `Ops` and tensors that support
``+ - * /`` and the comparisons ``> <`` as NumPy arrays do (IEEE arithmetic
element by element, a 0-d operand broadcast).  A backend joins by
subclassing `Ops` and implementing each method as its docstring says; the
tests compare every implementation with `NumpyOps` element by element on
NaN, +-inf, +-0, subnormal and ordinary numbers (`tests/support/ops_check.py`).

A condition (what `is_finite`, `is_positive` and `is_negative` give) is
only ever handed to `where`, so a backend may hold it in another form than
booleans (PyTorch: a mask of bits).
"""
import abc

import numpy as np


class Ops(abc.ABC):
    """What a backend provides to the rules.  Every method is element-wise;
    those that give numbers keep their input's dtype."""

    @abc.abstractmethod
    def where(self, condition, if_true, if_false):
        """`if_true` where `condition` (booleans, or a condition of these
        ops) holds, else `if_false`; `condition` has the values' shape or
        is 0-d (one choice for all)."""

    @abc.abstractmethod
    def sign(self, x):
        """-1 or 1 by the sign of a nonzero `x` (+-inf included), +0 for +0
        and -0, NaN for NaN.  (A zero gradient must move no weight, not
        even a -0.0 one, so the sign of zero is always +0.)"""

    @abc.abstractmethod
    def sign_of_finite(self, x):
        """As `sign` for every number but NaN, for which it may give 0 or NaN:
        a cheaper sign where the backend's own gives 0 for NaN, for inputs
        that are never NaN or whose NaN is decided elsewhere."""

    def sign_to_compare(self, x):
        """As `sign_of_finite`, but a zero may keep its sign (-0 for -0):
        for a sign that is only multiplied by another and compared with 0
        (`compare_signs`), where a zero of either sign is neither > 0 nor
        < 0.  Where the backend's own sign keeps it (XLA), one select
        fewer than `sign_of_finite`."""
        return self.sign_of_finite(x)

    @abc.abstractmethod
    def minimum(self, x, bound):
        """The smaller of `x` and `bound`, a positive finite 0-d number (a
        step-size bound); NaN where `x` is NaN."""

    @abc.abstractmethod
    def maximum(self, x, bound):
        """The larger of `x` and `bound`, as `minimum`."""

    @abc.abstractmethod
    def zeros_like(self, x):
        """+0 in `x`'s dtype, to select with `where`: of `x`'s shape, or 0-d
        where the backend's `where` broadcasts it."""

    @abc.abstractmethod
    def negative(self, x):
        """-x, with the sign of a zero flipped too (IEEE negation)."""

    @abc.abstractmethod
    def is_finite(self, x):
        """True where `x` is neither NaN nor +-inf: a condition."""

    def is_positive(self, x):
        """True where `x`, a product of two signs (-1, +-0, 1 or NaN), is
        1: a condition."""
        return x > 0

    def is_negative(self, x):
        """True where `x`, a product of two signs, is -1: a condition."""
        return x < 0


class NumpyOps(Ops):
    """The contract on NumPy arrays: the reference for every backend."""

    def where(self, condition, if_true, if_false):
        return np.where(condition, if_true, if_false)

    def sign(self, x):
        return np.sign(x)

    def sign_of_finite(self, x):
        return np.sign(x)

    def minimum(self, x, bound):
        return np.minimum(x, bound)

    def maximum(self, x, bound):
        return np.maximum(x, bound)

    def zeros_like(self, x):
        return np.zeros_like(x)

    def negative(self, x):
        return np.negative(x)

    def is_finite(self, x):
        return np.isfinite(x)


NUMPY_OPS = NumpyOps()
