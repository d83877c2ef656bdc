"""Data parallel as Keras 3 users run it: on TensorFlow a MirroredStrategy
over two logical CPUs, on JAX keras.distribution.DataParallel over two host
devices (conftest.py); each replica on half of the full batch, the end is
the weights and state of one device on all of it."""
import keras
import numpy as np
import pytest

from harness import BACKEND
from legacy_rprop.keras3 import VARIANTS, RProp
from support.reference import assert_bits_equal
from test_keras_api import classifier, fit_steps, trained_loss

STEPS = 30


_STRATEGY = []


def mirrored_strategy():
    """One MirroredStrategy for the whole run, as a program has one
    (TensorFlow 2.21's collectives fail in a second one after a first)."""
    if not _STRATEGY:
        import tensorflow as tf
        _STRATEGY.append(tf.distribute.MirroredStrategy(['/cpu:0', '/cpu:1']))
    return _STRATEGY[0]


def distributed(make_model):
    """`make_model()` built and trained as this backend distributes data."""
    if BACKEND == 'tensorflow':
        strategy = mirrored_strategy()
        assert strategy.num_replicas_in_sync == 2
        with strategy.scope():
            model = make_model()
        return model, fit_steps(model, STEPS)
    import jax
    assert len(jax.devices()) == 2
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=jax.devices()))
    try:
        model = make_model()
        return model, fit_steps(model, STEPS)
    finally:
        keras.distribution.set_distribution(None)


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_data_parallel_training_gives_the_weights_of_one_device(variant, not_applicable):
    if BACKEND == 'torch':
        return not_applicable('Keras 3 has no data-parallel training of its own on PyTorch '
                              '(keras.distribution is for JAX; MirroredStrategy for TensorFlow)')
    check_data_parallel(variant)
    return None


@pytest.mark.parametrize('variant', ['Rprop+', 'iRprop+'])
def test_data_parallel_with_the_update_compiled_by_xla(variant, monkeypatch, not_applicable):
    """On TensorFlow a state group of XLA_FROM weights or more is updated
    by one XLA computation: here every group, in each replica."""
    if BACKEND != 'tensorflow':
        return not_applicable('only TensorFlow compiles the update apart from the step')
    from legacy_rprop.core import switches
    monkeypatch.setattr(switches, 'XLA_FROM', 0)
    model = check_data_parallel(variant)
    assert model.optimizer._run_update._functions, 'the update was not compiled'
    return None


def check_data_parallel(variant):
    """The data-parallel model trained with `variant` ends as one device's;
    returns it."""
    one = classifier(RProp(variant=variant, init_alpha=0.01))
    one_losses = fit_steps(one, STEPS)
    assert trained_loss(one) < 0.6 * one_losses[0]
    keras.backend.clear_session()
    model, losses = distributed(lambda: classifier(RProp(variant=variant, init_alpha=0.01)))
    np.testing.assert_allclose(losses, one_losses, rtol=1e-6)
    for got, want in zip(model.get_weights(), one.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    state, one_state = model.optimizer.get_weights_per_tensor(), \
        one.optimizer.get_weights_per_tensor()
    assert len(state) == len(one_state)
    n = len(one.get_weights())
    for got, want in zip(state[:n], one_state[:n]):  # the same signs: the same step sizes
        assert_bits_equal(got, want)
    for got, want in zip(state[n:], one_state[n:]):  # (iRprop+'s loss: the whole batch's)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    return model
