"""batches_per_step=k: one step per epoch on the gradient of all its
batches, as if the epoch were one batch (up to the order of float sums)."""
import warnings

import keras
import numpy as np
import pytest
from keras import backend as K

from harness import in_keras_graph
from legacy_rprop import VARIANTS, FullBatchCheck, MiniBatchError, OptimizerStateError, RProp
from models import N_SAMPLES, classifier, data
from support.accumulation import EpochRecord, assert_same_steps
from support.cases import pairwise
from support.reference import assert_bits_equal
from support.streams import gradient_stream

EPOCHS = 15
# a new graph for the next model (TensorFlow; Theano has no session)
clear_session = getattr(keras.backend, 'clear_session', lambda: None)


def fit(optimizer, batch_size, epochs=EPOCHS, x=None, y=None, callbacks=()):
    model = classifier(optimizer)
    record = EpochRecord(keras, model)
    if x is None:
        x, y = data()
    losses = model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0,
                       callbacks=[record.callback] + list(callbacks)).history['loss']
    return model, record, losses


@pytest.mark.parametrize('variant, k, nonfinite',
                         pairwise(sorted(VARIANTS), (1, 2, 7), ('skip', 'propagate')))
def test_k_batches_make_the_step_of_one_full_batch(variant, k, nonfinite):
    """k = 7: batches of 10 samples and a last one of 4, weighted by size."""
    full_model, full, full_losses = fit(
        RProp(variant=variant, init_alpha=0.01, nonfinite=nonfinite), N_SAMPLES)
    batch_size = -(-N_SAMPLES // k)
    model, accumulated, losses = fit(
        RProp(variant=variant, init_alpha=0.01, nonfinite=nonfinite, batches_per_step=k),
        batch_size)
    assert full_losses[-1] < 0.9 * full_losses[0]  # it trained
    assert_same_steps(full, accumulated, 4, '%s, k=%d' % (variant, k))
    names = [w.name for w in model.optimizer.weights]
    if k > 1:  # the counters are back at 0 after each epoch's step
        assert 'batches_seen' in names[-3 if variant == 'iRprop+' else -2]
        state = dict(zip(names, model.optimizer.get_weights()))
        assert all(float(v) == 0 for n, v in state.items()
                   if n.split('/')[-1].startswith(('batches_seen', 'samples_seen', 'loss_sum')))
    else:  # without accumulation nothing is added to the state
        assert len(names) == len(full_model.optimizer.weights)


def batch_gradient_step(optimizer, weights):
    """A training step whose batch is the rows of a placeholder: the loss's
    gradient is their mean (so each row is one sample's gradient)."""
    with in_keras_graph():
        p = K.variable(weights)
        rows = K.placeholder(shape=(None,) + weights.shape)
        read = K.identity(p)
        loss = K.sum((read - K.stop_gradient(read)) * K.mean(rows, axis=0))
        step = K.function([rows], [loss], updates=optimizer.get_updates(loss=loss, params=[p]))
    return p, step


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_a_nonfinite_gradient_in_one_batch_skips_only_its_elements(variant):
    """64 samples' gradients in 7 batches (the last of 4); sample 30's is NaN
    in element 2 and +inf in element 5: those elements keep their weight and
    state for the step, bit for bit, and every other element makes the step
    of one full batch (within the rounding of the sums)."""
    rng = np.random.RandomState(3)
    samples = gradient_stream([(N_SAMPLES, 8)], 4, seed=4)
    samples[2][0][30, 2], samples[2][0][30, 5] = np.nan, np.inf  # in step 3
    weights = rng.normal(size=8).astype('float32')
    full_optimizer = RProp(variant=variant, init_alpha=0.01)
    optimizer = RProp(variant=variant, init_alpha=0.01, batches_per_step=7)
    full_p, full_step = batch_gradient_step(full_optimizer, weights)
    p, step = batch_gradient_step(optimizer, weights)
    # (on TensorFlow 2, Keras 2.3.1's functions do not find variables made
    # before an optimizer is: both optimizers first, and no read before the
    # first step; the values before a step are those read after the one before)
    before, state_before = weights, None
    for t, (rows,) in enumerate(samples):
        full_step([rows])
        for start in range(0, N_SAMPLES, 10):
            step([rows[start:start + 10]])
        got, want = K.get_value(p), K.get_value(full_p)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7, err_msg='step %d' % t)
        if t == 2:
            for k in (2, 5):
                assert_bits_equal(got[k], before[k])
                for now, then in zip(optimizer.get_weights_per_tensor(), state_before):
                    if np.ndim(now):
                        assert_bits_equal(now[k], then[k])
            # the others made their step: each stored its new gradient (or 0)
            stepped = np.delete(np.arange(8), [2, 5])
            prev_grad = optimizer.get_weights_per_tensor()[1]
            assert (prev_grad[stepped] != state_before[1][stepped]).all()
        before, state_before = got, optimizer.get_weights_per_tensor()


def batches_from_disk(size=10):
    """The data in batches of 10 (the last one 4), in order, forever, as a
    generator reading from disk would yield them."""
    x, y = data()
    while True:
        for start in range(0, len(x), size):
            yield x[start:start + size], y[start:start + size]


def test_streamed_batches_make_the_full_batch_steps():
    _, full, _ = fit(RProp(variant='iRprop+', init_alpha=0.01), N_SAMPLES)
    model = classifier(RProp(variant='iRprop+', init_alpha=0.01, batches_per_step=7))
    record = EpochRecord(keras, model)
    model.fit_generator(batches_from_disk(), steps_per_epoch=7, epochs=EPOCHS, verbose=0,
                        callbacks=[record.callback], workers=1)
    assert_same_steps(full, record, 4, 'fit_generator')


def test_full_batch_check_accepts_batches_that_add_up_to_one_step():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        fit(RProp(batches_per_step=7), 10, epochs=1, callbacks=[FullBatchCheck()])
    assert not [w for w in caught if 'batches' in str(w.message)]


def test_full_batch_check_names_the_option_for_mini_batches():
    with pytest.raises(MiniBatchError) as error:
        fit(RProp(), 10, epochs=1, callbacks=[FullBatchCheck(strict=True)])
    assert 'batches_per_step=7 in the optimizer' in str(error.value)


def test_full_batch_check_refuses_steps_that_do_not_line_up_with_epochs():
    with pytest.raises(MiniBatchError) as error:
        fit(RProp(batches_per_step=2), 10, epochs=1, callbacks=[FullBatchCheck(strict=True)])
    assert str(error.value).startswith(
        'The optimizer adds up batches_per_step=2 batches into one step, but this fit '
        'runs 7 batches per epoch')


def test_state_saved_in_the_middle_of_a_step_is_refused():
    x, y = data()
    model = classifier(RProp(variant='Rprop+', batches_per_step=7))
    for start in (0, 10, 20):
        model.train_on_batch(x[start:start + 10], y[start:start + 10])
    saved = model.optimizer.get_weights()
    other = classifier(RProp(variant='Rprop+', batches_per_step=7))
    other.train_on_batch(x[:10], y[:10])  # builds its state
    for _ in range(6):
        other.train_on_batch(x[:10], y[:10])  # ... and ends a step: counters at 0
    before = other.optimizer.get_weights()
    with pytest.raises(OptimizerStateError) as error:
        other.optimizer.set_weights(saved)
    assert 'saved after 3 of the 7 batches of a step' in str(error.value)
    for got, want in zip(other.optimizer.get_weights(), before):
        np.testing.assert_array_equal(got, want)


def test_the_batch_size_must_come_from_the_inputs():
    from keras import backend as K

    from harness import GradientFeeder
    with pytest.raises(ValueError) as error:
        GradientFeeder(RProp(batches_per_step=2), [np.zeros(3, 'float32')])
    assert 'found no batch dimension the loss depends on' in str(error.value)
    assert K.backend()  # (the feeder's loss has fixed-shape placeholders only)


@pytest.mark.parametrize('variant', ['Rprop+', 'iRprop+'])
def test_saved_at_an_epoch_end_and_loaded_it_resumes_bit_for_bit(variant, tmp_path):
    """5 epochs, save, load (no custom_objects), 5 more = 10 straight."""
    optimizer = dict(variant=variant, init_alpha=0.01, batches_per_step=7)
    straight, _, _ = fit(RProp(**optimizer), 10, epochs=10)
    expected_weights = straight.get_weights()
    expected_state = straight.optimizer.get_weights()
    clear_session()
    first, _, _ = fit(RProp(**optimizer), 10, epochs=5)
    path = str(tmp_path / 'model.h5')
    first.save(path)
    clear_session()
    resumed = keras.models.load_model(path)
    assert resumed.optimizer.get_config()['batches_per_step'] == 7
    x, y = data()
    resumed.fit(x, y, batch_size=10, epochs=10, initial_epoch=5, shuffle=False, verbose=0)
    for got, want in zip(resumed.get_weights(), expected_weights):
        assert_bits_equal(got, want)
    for got, want in zip(resumed.optimizer.get_weights(), expected_state):
        assert_bits_equal(got, want)


@pytest.mark.parametrize('variant', ['Rprop-', 'iRprop+'])
def test_a_constraint_acts_on_the_step_not_on_every_batch(variant):
    """MaxNorm on the first layer's kernel: accumulated over 7 batches it
    acts once per step, on the step's new weights, as in one full batch
    (MaxNorm also moves a weight within its bound by a rounding, so acting
    on every batch would show)."""
    from keras.constraints import MaxNorm

    def run(k, batch_size):
        model = classifier(RProp(variant=variant, init_alpha=0.05, batches_per_step=k),
                           kernel_constraint=MaxNorm(0.8))
        record = EpochRecord(keras, model)
        x, y = data()
        model.fit(x, y, batch_size=batch_size, epochs=EPOCHS, shuffle=False, verbose=0,
                  callbacks=[record.callback])
        return model, record

    full_model, full = run(1, N_SAMPLES)
    _, accumulated = run(7, 10)
    assert_same_steps(full, accumulated, 4, variant)
    norms = np.sqrt(np.sum(full_model.get_weights()[0] ** 2, axis=0))
    assert np.all(norms <= 0.8 + 1e-6) and np.max(norms) > 0.8 - 1e-4  # it bound
