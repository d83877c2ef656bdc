"""The optimizer state that legacy_rprop 0.6.0 kept for Rprop+ and iRprop+
after 10 epochs of the test classifier, with its slot prev_move
(tests/data/v0.6.0-*.npz, written by save_v0_6_state.py), and the check that
what this version leaves out of it is what its rule derives."""
import os

import numpy as np

from support.reference import assert_bits_equal

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'data')
VARIANTS_WITH_PREV_MOVE = ('Rprop+', 'iRprop+')


def saved_by_0_6(name, variant):
    """``(model weights, optimizer state)`` of `variant` from the file of
    `name` (keras2, tfkeras-tf2.8, tfkeras-tf2.15, keras3), the state as the
    flavour's files keep it."""
    saved = np.load(os.path.join(DATA, 'v0.6.0-%s.npz' % name))

    def arrays(kind):
        prefix = '%s/%s/' % (variant, kind)
        count = sum(1 for key in saved.files if key.startswith(prefix))
        return [saved[prefix + str(i)] for i in range(count)]
    return arrays('weights'), arrays('state')


def check_prev_move_is_derived(step_sizes, prev_grads, prev_moves):
    """Each saved last move is -sign(prev_grad) * step_size wherever
    prev_grad is not 0, the only elements where the rule reads it (after a
    flip prev_grad is 0 and the move is not read at the next step)."""
    assert len(step_sizes) == len(prev_grads) == len(prev_moves) > 0
    for step_size, prev_grad, prev_move in zip(step_sizes, prev_grads, prev_moves):
        read = prev_grad != 0
        assert np.any(read) and np.any(prev_move != 0)
        assert_bits_equal(prev_move[read], -(np.sign(prev_grad[read]) * step_size[read]))
