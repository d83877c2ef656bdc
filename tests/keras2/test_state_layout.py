"""The optimizer state's layout (one vector per slot for the small tensors of
each dtype, one for each large tensor) against the per-tensor layout of
versions 0.1.0 to 0.4.0 and the by-dtype one of 0.5.x: both ways, every kind
of array (slots, scalars, sums, counters), weights of two dtypes."""
import numpy as np

from legacy_rprop.core.layout import ALONE_FROM, StateLayout

SHAPES = [(3, 2), (4,), (), (2, 1)]
DTYPES = ['float32', 'float64', 'float32', 'float64']


# two slots, a 0-d array, one more slot (as grad_sum), two 0-d counters
FLAT_SHAPES = [(7,), (6,), (7,), (6,), (), (7,), (6,), (), ()]


def layout():
    return StateLayout(SHAPES, DTYPES)


def per_tensor_state():
    rng = np.random.RandomState(0)
    tensors = [np.asarray(rng.normal(size=shape), dtype) for shape, dtype in zip(SHAPES, DTYPES)]
    slots = [np.asarray(t + 10 * k, t.dtype) for k in range(2) for t in tensors]
    sums = [np.asarray(t * 100, t.dtype) for t in tensors]
    return slots + [np.float32(5.)] + sums + [np.float32(0.), np.float32(0.)]


def test_the_flat_layout_is_one_vector_per_slot_and_dtype_in_weight_order():
    state = layout().from_per_tensor(per_tensor_state(), FLAT_SHAPES)
    assert [np.shape(a) for a in state] == FLAT_SHAPES == [
        (7,), (6,), (7,), (6,), (), (7,), (6,), (), ()]
    tensors = per_tensor_state()
    # float32 weights 0 and 2, then float64 weights 1 and 3, each flattened
    np.testing.assert_array_equal(state[0], np.concatenate([tensors[0].ravel(), [tensors[2]]]))
    np.testing.assert_array_equal(state[1], np.concatenate([tensors[1], tensors[3].ravel()]))
    assert state[0].dtype == np.float32 and state[1].dtype == np.float64
    np.testing.assert_array_equal(state[3], np.concatenate([tensors[5], tensors[7].ravel()]))


def test_per_tensor_and_back_gives_every_array_unchanged():
    original = per_tensor_state()
    back = layout().to_per_tensor(layout().from_per_tensor(original, FLAT_SHAPES))
    assert [np.shape(a) for a in back] == layout().per_tensor_shapes(FLAT_SHAPES)
    assert len(back) == len(original)
    for got, want in zip(back, original):
        assert np.asarray(got).dtype == np.asarray(want).dtype
        np.testing.assert_array_equal(got, want)


def test_a_large_tensor_has_vectors_of_its_own_and_0_5_state_converts():
    """Tensors of ALONE_FROM elements or more are groups of their own (no
    concatenation copies them); 0.5.x kept one vector per slot and dtype,
    which `converted` turns into this layout, and back, element for element."""
    shapes = [(3,), (ALONE_FROM,), (2, 2), (ALONE_FROM + 1,), (5,)]
    dtypes = ['float32', 'float32', 'float64', 'float32', 'float64']
    layout = StateLayout(shapes, dtypes)
    assert layout.groups == [('float32', [0]), ('float32', [1]), ('float64', [2, 4]),
                             ('float32', [3])]
    assert [layout.name('step_size', k) for k in range(4)] == [
        'step_size_float32', 'step_size_float32_1', 'step_size_float64', 'step_size_float32_3']
    kinds = ['slot', 'scalar', 'slot']
    flat_shapes = layout.flat_shapes(kinds)
    assert flat_shapes == [(3,), (ALONE_FROM,), (9,), (ALONE_FROM + 1,), (),
                           (3,), (ALONE_FROM,), (9,), (ALONE_FROM + 1,)]
    rng = np.random.RandomState(1)
    by_dtype = layout.by_dtype()
    assert by_dtype.groups == [('float32', [0, 1, 3]), ('float64', [2, 4])]
    old = [np.asarray(rng.normal(size=s), d) for s, d in zip(
        by_dtype.flat_shapes(kinds), ['float32', 'float64', 'float32', 'float32', 'float64'])]
    new = layout.converted(old, flat_shapes)
    assert [a.shape for a in new] == flat_shapes
    for got, want in zip(layout.to_per_tensor(new), by_dtype.to_per_tensor(old)):
        assert np.asarray(got).dtype == np.asarray(want).dtype
        np.testing.assert_array_equal(got, want)
    assert layout.converted(old[:-1], flat_shapes) is None  # another state: no layout fits
