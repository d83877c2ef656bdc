"""The `ops` contract (`legacy_rprop.core.ops`), checked element by element
against NumPy's on the numbers where backends differ: NaN, +-inf, +-0,
subnormal, the smallest normal and the largest numbers, and ordinary ones,
every pair of them for the two-argument ops.

A backend that treats subnormal numbers as zero (TensorFlow's CPU kernels,
XLA) may compute an op on a subnormal input as on the zero of its sign, and
give a subnormal result for a zero one.
"""
import numpy as np

from legacy_rprop.core.ops import NUMPY_OPS
from support.reference import flushed


def special_values(dtype):
    info = np.finfo(dtype)
    subnormal = info.tiny / 4
    values = [np.nan, -np.inf, np.inf, -0., 0., subnormal, -subnormal, info.tiny, -info.tiny,
              -2.5, 3., 1e-30, info.max, -info.max]
    return np.array(values, dtype=dtype)


# ops that give a condition, which a backend may hold in another form than
# booleans: each is checked as `where` selects with it (`call`)
CONDITIONS = ('is_finite', 'is_positive', 'is_negative')

# `where` with zeros_like's zero on either side, as the rules select a zero
ZERO_SELECTS = {
    'where_zero_if_false': lambda ops, condition, x: ops.where(condition, x, ops.zeros_like(x)),
    'where_zero_if_true': lambda ops, condition, x: ops.where(condition, ops.zeros_like(x), x),
}


def cases(dtype, repeat=1):
    """``(op name, arguments)`` of every op on the special values (and every
    pair of them), as NumPy arrays; each array `repeat` times over (a backend
    may compute a large tensor another way).  A condition's arguments are
    its input and the two arrays `where` selects from with it."""
    special = special_values(dtype)
    values = np.tile(special, repeat)
    x, y = np.repeat(values, len(special)), np.tile(values, len(special))
    bounds = [np.asarray(b, dtype) for b in (np.finfo(dtype).tiny, 1e-6, 3., np.finfo(dtype).max)]
    finite = x[~np.isnan(x)]
    # what is_positive and is_negative are for: products of two signs
    products = np.resize(np.array([-1., -0., 0., 1., np.nan, -np.nan], dtype), x.shape)
    return ([('where', (x > y, x, y)), ('where_zero_if_false', (x > y, x)),
             ('where_zero_if_true', (x > y, x)), ('sign', (x,)), ('sign_of_finite', (finite,)),
             ('sign_to_compare', (finite,)), ('zeros_like', (x,)), ('negative', (x,)),
             ('is_finite', (x, x, y)), ('is_positive', (products, x, y)),
             ('is_negative', (products, x, y))]
            + [(name, (values, bound)) for name in ('minimum', 'maximum') for bound in bounds])


def call(ops, name, tensors):
    """The op `name` of `ops` on `tensors`; a condition's (`CONDITIONS`) as
    ``ops.where(condition(tensors[0]), tensors[1], tensors[2])``, a
    `ZERO_SELECTS` one as it says."""
    if name in ZERO_SELECTS:
        return ZERO_SELECTS[name](ops, *tensors)
    if name in CONDITIONS:
        return ops.where(getattr(ops, name)(tensors[0]), tensors[1], tensors[2])
    return getattr(ops, name)(*tensors)


# ops whose zeros may have either sign
ZERO_OF_EITHER_SIGN = ('sign_to_compare',)


def same_numbers(got, want, zero_sign=True):
    """Element by element: equal values (NaN where NaN), and with
    `zero_sign` the same sign of every zero."""
    got, want = np.asarray(got), np.broadcast_to(want, np.shape(got))
    equal = (got == want) | (np.isnan(got) & np.isnan(want))
    if got.dtype.kind == 'f' and zero_sign:
        equal &= (got != 0) | (np.signbit(got) == np.signbit(want))
    return equal


def check(compute, dtype, flushes_subnormals, repeat=1):
    """Raise AssertionError naming every op and input where
    ``compute(op name, *arrays)`` (the backend's op, on arrays, back as an
    array) differs from NumPy's (on the `cases`, `repeat` times over)."""
    failures = []
    for name, arguments in cases(dtype, repeat):
        got = np.asarray(compute(name, *arguments))
        if name == 'zeros_like':  # of the input's shape, or 0-d to broadcast
            got = np.broadcast_to(got, np.shape(arguments[0]))
        want = call(NUMPY_OPS, name, arguments)
        zero_sign = name not in ZERO_OF_EITHER_SIGN
        ok = same_numbers(got, want, zero_sign)
        if flushes_subnormals:
            ok |= same_numbers(flushed(got), call(NUMPY_OPS, name, list(map(flushed, arguments))),
                               zero_sign)
        if got.shape != np.shape(want) or got.dtype != np.asarray(want).dtype:
            failures.append('%s: got %s %s, want %s %s' % (name, got.dtype, got.shape,
                                                            np.asarray(want).dtype,
                                                            np.shape(want)))
        elif not ok.all():
            bad = np.flatnonzero(~ok)[:6]
            failures.append('%s%s: got %s, want %s' % (
                name, [tuple(float(a[i]) for a in arguments) for i in bad],
                [float(got[i]) for i in bad], [float(want[i]) for i in bad]))
    assert not failures, '\n'.join(failures)
