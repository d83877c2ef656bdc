"""The optimizer under a distribution strategy (TensorFlow 2): two replicas
on two logical CPUs (conftest.py), each with half of the full batch, end
with the weights and state of one process on the whole batch."""
import numpy as np
import pytest
import tensorflow as tf

from legacy_rprop.tfkeras import VARIANTS, RProp
from models import classifier, fit_full_batch

pytestmark = pytest.mark.distribute
EPOCHS = 30


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_mirrored_strategy_gives_the_weights_of_one_replica(variant):
    plain = classifier(RProp(variant=variant, init_alpha=0.01))
    plain_losses = fit_full_batch(plain, EPOCHS)

    strategy = tf.distribute.MirroredStrategy(['/cpu:0', '/cpu:1'])
    assert strategy.num_replicas_in_sync == 2
    with strategy.scope():
        mirrored = classifier(RProp(variant=variant, init_alpha=0.01))
    mirrored_losses = fit_full_batch(mirrored, EPOCHS)

    assert plain_losses[-1] < 0.6 * plain_losses[0]
    np.testing.assert_allclose(mirrored_losses, plain_losses, rtol=1e-6)
    for got, want in zip(mirrored.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    state, plain_state = mirrored.optimizer.get_weights(), plain.optimizer.get_weights()
    assert len(state) == len(plain_state)
    assert state[0] == plain_state[0] == EPOCHS  # iterations
    for name, got, want in zip([w.name for w in plain.optimizer.variables()], state, plain_state):
        if 'step_size' in name:  # the same signs all the way: the same step sizes
            np.testing.assert_array_equal(got, want, err_msg=name)
        else:  # (iRprop+'s prev_loss is the loss of the whole batch)
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7, err_msg=name)
