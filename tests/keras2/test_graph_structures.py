"""What a model's graph can hand the optimizer besides plain float tensors:
weights the loss does not reach, integer weights, a weight listed twice,
zero-size and very large tensors, sparse gradients; on this backend."""
import keras
import numpy as np
import pytest
from keras import backend as K

from harness import GradientFeeder, in_keras_graph
from legacy_rprop import VARIANTS, RProp
from support.reference import Reference, assert_bits_equal
from support.streams import gradient_stream, loss_stream


def updates_for(optimizer, params, loss):
    with in_keras_graph():
        return optimizer.get_updates(loss=loss, params=params)


def test_a_weight_the_loss_does_not_reach_is_named(not_applicable):
    with in_keras_graph():
        used = K.variable(np.ones(3, 'float32'), name='used')
        unused = K.variable(np.ones(2, 'float32'), name='unused')
        loss = K.sum(used * used)
    with pytest.raises(ValueError) as error:
        updates_for(RProp(), [used, unused], loss)
    named = str(error.value).split('trainable weights ', 1)[1].split(': the loss', 1)[0]
    assert 'unused (float32)' in named and 'used' not in named.replace('unused', '')
    # Keras' own optimizers refuse it too (with a TypeError on a None
    # gradient on Keras 2.0.8 and TensorFlow, without naming the weight)
    with pytest.raises((ValueError, TypeError)):
        with in_keras_graph():
            keras.optimizers.Adam().get_updates(loss=loss, params=[used, unused])


def test_an_integer_weight_is_named_and_a_non_trainable_one_is_left_alone():
    with in_keras_graph():
        weight = K.variable(np.ones(3, 'float32'), name='weight')
        counter = K.variable(np.int32(7), dtype='int32', name='counter')
        loss = K.sum(weight * weight) * K.cast(counter, 'float32')
    # (optimizers made outside Keras' graph: on TensorFlow 2 Keras 2.3.1's
    # functions do not find variables made while that graph is the default)
    refusing, optimizer = RProp(), RProp(variant='Rprop-', init_alpha=0.25)
    with pytest.raises(ValueError) as error:
        updates_for(refusing, [weight, counter], loss)
    assert str(error.value).startswith('RProp trains float weights only, and got ')
    assert 'counter (int32) among the trainable weights' in str(error.value)
    # as a non-trainable weight the counter is not the optimizer's business
    with in_keras_graph():
        step = K.function([], [loss], updates=updates_for(optimizer, [weight], loss))
    step([])
    np.testing.assert_array_equal(K.get_value(weight), np.full(3, 0.75, 'float32'))
    assert K.get_value(counter) == 7


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_a_weight_listed_twice_is_updated_once(variant):
    rng = np.random.RandomState(1)
    initial = [rng.normal(size=(3, 2)).astype('float32'), rng.normal(size=4).astype('float32')]
    once = GradientFeeder(RProp(variant=variant), initial)
    twice = GradientFeeder(RProp(variant=variant), initial, listed=lambda p: p + p[:1])
    for grads, loss in zip(gradient_stream([(3, 2), (4,)], 20, seed=2), loss_stream(20, seed=3)):
        once.step(grads, loss)
        twice.step(grads, loss)
    for got, want in zip(twice.weights(), once.weights()):
        assert_bits_equal(got, want)
    for got, want in zip(twice.optimizer.get_weights(), once.optimizer.get_weights()):
        assert_bits_equal(got, want)


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_zero_size_tensors_are_carried_along(variant):
    shapes = [(0,), (3, 2), (2, 0), ()]
    rng = np.random.RandomState(4)
    initial = [rng.normal(size=s).astype('float32') for s in shapes]
    feeder = GradientFeeder(RProp(variant=variant, init_alpha=0.01), initial)
    references = [Reference(variant, w, init_alpha=0.01) for w in initial]
    for grads, loss in zip(gradient_stream(shapes, 15, seed=5), loss_stream(15, seed=6)):
        feeder.step(grads, loss)
        for reference, g in zip(references, grads):
            reference.update(g, loss)
        for got, reference in zip(feeder.weights(), references):
            assert_bits_equal(got, reference.w)
    state = feeder.optimizer.get_weights_per_tensor()
    assert [np.shape(s) for s in state[:4]] == shapes


def test_a_model_of_zero_size_tensors_only_steps_without_error():
    feeder = GradientFeeder(RProp(variant='iRprop+'), [np.zeros((0, 3), 'float32')])
    feeder.step([np.zeros((0, 3), 'float32')], 1.)
    assert feeder.weights()[0].shape == (0, 3)
    assert [np.shape(a) for a in feeder.optimizer.get_weights()] == [(0,)] * 2 + [()]


def test_a_tensor_of_more_elements_than_float32_counts_exactly(variant='iRprop+'):
    """2**24 + 3 weights (float32 cannot hold every index, nor count them):
    every element does what the reference does, which is checked on a
    pattern that repeats every 7 elements, each element's stream its own."""
    size, period = 2 ** 24 + 3, 7
    rng = np.random.RandomState(7)
    pattern = rng.normal(size=period).astype('float32')
    w0 = np.resize(pattern, size)
    feeder = GradientFeeder(RProp(variant=variant, init_alpha=0.01), [w0])
    reference = Reference(variant, pattern, init_alpha=0.01)
    for grads, loss in zip(gradient_stream([(period,)], 3, seed=8), loss_stream(3, seed=9)):
        feeder.step([np.resize(grads[0], size)], loss)
        reference.update(grads[0], loss)
    assert_bits_equal(feeder.weights()[0], np.resize(reference.w, size))
