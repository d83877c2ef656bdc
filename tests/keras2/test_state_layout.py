"""The optimizer state's layout (one vector per slot and dtype) against the
per-tensor layout of versions 0.1.0 to 0.4.0: both ways, every kind of
array (slots, scalars, sums, counters), weights of two dtypes."""
import numpy as np

from legacy_rprop.core.layout import StateLayout

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
