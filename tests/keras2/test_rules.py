"""The rules themselves, on NumPy's element-wise operations: what a zero
gradient leaves as it was (the 'skip' policy relies on it)."""
import numpy as np
import pytest

from legacy_rprop.core.ops import NUMPY_OPS
from legacy_rprop.core.rules import VARIANTS, Hyper
from support.reference import assert_bits_equal
HYPER = Hyper(*(np.float32(v) for v in (1e-3, 1.2, 0.5, 1e-6, 50.)))


def random_state(slots, size=600):
    """Weights and slots with signed zeros, tiny and large values; previous
    gradients of both signs and zero."""
    rng = np.random.RandomState(3)

    def values():
        v = rng.choice([-0., 0., -2.5, 1e-30, 3., -1e6], size=size)
        return np.where(rng.uniform(size=size) < 0.5, v, rng.normal(size=size)).astype('float32')

    state = {slot: values() for slot in slots}
    state['step_size'] = rng.uniform(1e-6, 50., size=size).astype('float32')
    return values(), state


@pytest.mark.parametrize('loss_rose', [False, True])
@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_a_zero_gradient_leaves_the_weight_and_the_kept_slots_bit_for_bit(variant, loss_rose):
    rule, slots = VARIANTS[variant].rule, VARIANTS[variant].slots
    weight, state = random_state(slots)
    zero = np.zeros_like(weight)
    new_weight, new_state = rule(NUMPY_OPS, weight, zero, dict(state), HYPER,
                                 np.bool_(loss_rose))
    assert_bits_equal(new_weight, weight, err_msg='weight')
    for slot in VARIANTS[variant].zero_grad_keeps:
        assert_bits_equal(new_state[slot], state[slot], err_msg=slot)
    # and the slots not declared kept do change somewhere (else they would
    # be declared, and the skip policy would spend a select on nothing)
    for slot in set(slots) - set(VARIANTS[variant].zero_grad_keeps):
        assert new_state[slot].tobytes() != state[slot].tobytes(), slot
