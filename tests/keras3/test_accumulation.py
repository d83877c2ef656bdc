"""batches_per_step=k on Keras 3: one step per k batches on the mean
gradient of all their samples, each batch weighted by its size (told by
`tell_batch_sizes`), as if the k batches were one (up to the order of float
sums); in every way this backend runs a step."""
import keras
import numpy as np
import pytest

from harness import BACKEND, MODES, cases
from legacy_rprop.keras3 import VARIANTS, OptimizerStateError, RProp, tell_batch_sizes
from support.accumulation import EpochRecord, assert_same_steps
from support.classifier_data import N_SAMPLES, data
from support.reference import assert_bits_equal
from support.streams import gradient_stream
from test_keras_api import classifier

EPOCHS = 15


def fit(optimizer, batch_size, mode='eager', epochs=EPOCHS, initial_epoch=0, model=None):
    if model is None:
        model = classifier(optimizer, **MODES[mode])
    if optimizer.batches_per_step > 1:
        tell_batch_sizes(model)
    record = EpochRecord(keras, model)
    x, y = data()
    losses = model.fit(x, y, batch_size=batch_size, epochs=epochs, initial_epoch=initial_epoch,
                       shuffle=False, verbose=0, callbacks=[record.callback]).history['loss']
    return model, record, losses


def counters(optimizer):
    return {v.name: float(keras.ops.convert_to_numpy(v.value)) for v in optimizer.variables
            if v.name in ('batches_seen', 'samples_seen', 'loss_sum')}


@pytest.mark.parametrize('variant, k_and_policy, mode', cases(
    sorted(VARIANTS), [(7, 'skip'), (2, 'propagate')],
    representative=lambda variant, k_and_policy: k_and_policy[0] == 7
    and variant in ('iRprop+', 'Rprop+')), ids=str)
def test_k_batches_make_the_step_of_one_full_batch(variant, k_and_policy, mode):
    """k = 7: batches of 10 samples and a last one of 4, weighted by size;
    k = 2: two of 32."""
    k, nonfinite = k_and_policy
    full_model, full, full_losses = fit(
        RProp(variant=variant, init_alpha=0.01, nonfinite=nonfinite), N_SAMPLES, mode)
    keras.backend.clear_session()
    model, accumulated, _ = fit(
        RProp(variant=variant, init_alpha=0.01, nonfinite=nonfinite, batches_per_step=k),
        -(-N_SAMPLES // k), mode)
    assert full_losses[-1] < 0.9 * full_losses[0]  # it trained
    assert_same_steps(full, accumulated, 4, '%s, k=%d, %s' % (variant, k, mode))
    seen = counters(model.optimizer)  # back at 0 after each step
    assert len(seen) == (3 if variant == 'iRprop+' else 2) and set(seen.values()) == {0.}
    assert len(model.optimizer.variables) == (len(full_model.optimizer.variables)
                                              + 1 + len(seen))  # one grad_sum vector


class SampleGradients(keras.layers.Layer):
    """A weight vector whose loss is fed per sample: for a batch of rows
    G_i, sample i's loss is ``sum((w - stop_gradient(w)) * G_i)`` (0), so
    the gradient of the batch's mean loss is the mean row."""

    def __init__(self, initial, **kwargs):
        super(SampleGradients, self).__init__(**kwargs)
        self.w = self.add_weight(shape=initial.shape, initializer='zeros', name='w')
        self.w.assign(initial)

    def call(self, rows):
        w = keras.ops.convert_to_tensor(self.w)
        return keras.ops.sum((w - keras.ops.stop_gradient(w)) * rows, axis=1, keepdims=True)


def feeder(optimizer, weights, mode):
    """The weights `weights` (a vector), trained by a step per batch of
    per-sample gradients (`SampleGradients`)."""
    layer = SampleGradients(weights)
    inputs = keras.Input(weights.shape)
    model = keras.Model(inputs, layer(inputs))
    model.compile(optimizer=optimizer, loss=lambda y_true, y_pred: y_pred[:, 0], **MODES[mode])
    tell_batch_sizes(model)

    def step(rows):
        model.train_on_batch(rows, np.zeros((len(rows), 1), 'float32'))
    return layer, step


@pytest.mark.parametrize('variant, mode', cases(sorted(VARIANTS),
                                                representative=lambda v: v == 'iRprop-'))
def test_a_nonfinite_gradient_in_one_batch_skips_only_its_elements(variant, mode):
    """64 samples' gradients in 7 batches (the last of 4); sample 30's is NaN
    in element 2 and +inf in element 5: those elements keep their weight and
    state for the step, bit for bit, and every other element makes the step
    of one full batch (within the rounding of the sums)."""
    samples = gradient_stream([(N_SAMPLES, 8)], 4, seed=4)
    samples[2][0][30, 2], samples[2][0][30, 5] = np.nan, np.inf  # in step 3
    weights = np.random.RandomState(3).normal(size=8).astype('float32')
    full_optimizer = RProp(variant=variant, init_alpha=0.01)
    optimizer = RProp(variant=variant, init_alpha=0.01, batches_per_step=7)
    full_layer, full_step = feeder(full_optimizer, weights, mode)
    layer, step = feeder(optimizer, weights, mode)
    before, state_before = weights, None
    for t, (rows,) in enumerate(samples):
        full_step(rows)
        for start in range(0, N_SAMPLES, 10):
            step(rows[start:start + 10])
        got = keras.ops.convert_to_numpy(layer.w.value)
        want = keras.ops.convert_to_numpy(full_layer.w.value)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7, err_msg='step %d' % t)
        state = optimizer.get_weights_per_tensor()
        if t == 2:
            for k in (2, 5):
                assert_bits_equal(got[k], before[k])
                for now, then in zip(state, state_before):
                    if np.ndim(now):
                        assert_bits_equal(now[k], then[k])
            stepped = np.delete(np.arange(8), [2, 5])  # the others stored a new gradient
            assert (state[1][stepped] != state_before[1][stepped]).all()
        before, state_before = got, state


@pytest.mark.parametrize('variant', ['Rprop+', 'iRprop+'])
def test_saved_at_an_epoch_end_and_loaded_it_resumes_bit_for_bit(variant, tmp_path):
    """5 epochs, save (.keras), load (no custom_objects), tell the batch
    sizes again, 5 more = 10 straight."""
    arguments = dict(variant=variant, init_alpha=0.01, batches_per_step=7)
    straight, _, _ = fit(RProp(**arguments), 10, epochs=10)
    expected = straight.get_weights() + straight.optimizer.get_weights()
    keras.backend.clear_session()
    first, _, _ = fit(RProp(**arguments), 10, epochs=5)
    path = str(tmp_path / 'model.keras')
    first.save(path)
    keras.backend.clear_session()
    resumed = keras.models.load_model(path)
    assert resumed.optimizer.get_config()['batches_per_step'] == 7
    fit(resumed.optimizer, 10, epochs=10, initial_epoch=5, model=resumed)
    for got, want in zip(resumed.get_weights() + resumed.optimizer.get_weights(), expected):
        assert_bits_equal(got, want)


def test_state_saved_in_the_middle_of_a_step_is_refused(tmp_path):
    x, y = data()
    model = tell_batch_sizes(classifier(RProp(variant='iRprop+', batches_per_step=7)))
    for start in (0, 10, 20):
        model.train_on_batch(x[start:start + 10], y[start:start + 10])
    assert counters(model.optimizer)['batches_seen'] == 3
    assert counters(model.optimizer)['samples_seen'] == 30
    saved = model.optimizer.get_weights()
    path = str(tmp_path / 'model.keras')
    model.save(path)
    other = tell_batch_sizes(classifier(RProp(variant='iRprop+', batches_per_step=7)))
    for start in range(0, N_SAMPLES, 10):  # builds its state and ends a step
        other.train_on_batch(x[start:start + 10], y[start:start + 10])
    before = other.optimizer.get_weights()
    with pytest.raises(OptimizerStateError) as error:
        other.optimizer.set_weights(saved)
    assert 'saved after 3 of the 7 batches of a step' in str(error.value)
    for got, want in zip(other.optimizer.get_weights(), before):
        assert_bits_equal(got, want)
    with pytest.raises(ValueError) as error:  # Keras' loader names the error it met
        keras.models.load_model(path)
    assert 'saved after 3 of the 7 batches of a step' in str(error.value)


def test_without_the_batch_sizes_the_step_says_how_to_tell_them():
    x, y = data()
    model = classifier(RProp(batches_per_step=7))
    with pytest.raises(ValueError) as error:
        model.train_on_batch(x[:10], y[:10])
    assert str(error.value) == (
        "RProp(batches_per_step=7) weighs each batch's gradient by the batch's size, and "
        'this step was told none: call legacy_rprop.keras3.tell_batch_sizes(model) after '
        "compiling or loading the model, so that its training step tells the optimizer each "
        "batch's size")


def test_tell_batch_sizes_wants_this_optimizer():
    x, y = data()
    model = tell_batch_sizes(classifier('adam'))
    with pytest.raises(ValueError) as error:
        model.train_on_batch(x[:10], y[:10])
    assert 'this model trains with Adam: compile it with RProp or Rprop' in str(error.value)


@pytest.mark.parametrize('keyword, value', [('clipnorm', 1.), ('clipvalue', 1.),
                                            ('global_clipnorm', 1.), ('use_ema', True)])
def test_what_keras_would_apply_to_every_batch_is_refused(keyword, value):
    with pytest.raises(ValueError) as error:
        RProp(batches_per_step=2, **{keyword: value})
    assert str(error.value) == (
        "%s must be None with batches_per_step > 1, got %r: Keras would apply it to every "
        "batch, not to the step's gradient of all its batches" % (keyword, value))
    RProp(**{keyword: value})  # alone it is fine


def test_a_weight_constraint_is_refused():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(
        1, kernel_constraint=keras.constraints.MaxNorm(1.))])
    model.compile(optimizer=RProp(batches_per_step=2), loss='mse')
    tell_batch_sizes(model)
    x, y = data()
    with pytest.raises(ValueError) as error:
        model.train_on_batch(x[:10], y[:10])
    assert 'RProp(batches_per_step=2) cannot train weights with a constraint' in str(error.value)
    assert 'Keras 3 applies constraints after every batch' in str(error.value)


def test_data_parallel_adds_up_the_global_batches_or_is_refused(not_applicable):
    """On JAX (DataParallel over two devices) a step sees the global batch:
    the same steps as one device.  On TensorFlow each replica sees its
    share only: refused, naming why."""
    if BACKEND == 'torch':
        return not_applicable('Keras 3 has no data-parallel training of its own on PyTorch')
    from test_distribute import mirrored_strategy
    make = lambda: RProp(variant='iRprop+', init_alpha=0.01, batches_per_step=7)  # noqa: E731
    if BACKEND == 'tensorflow':
        with mirrored_strategy().scope():
            model = tell_batch_sizes(classifier(make()))
        x, y = data()
        with pytest.raises(ValueError) as error:
            model.fit(x, y, batch_size=10, epochs=1, verbose=0)
        assert 'is for one device: under a distribution strategy' in str(error.value)
        return None
    import jax
    _, one, _ = fit(make(), 10)
    keras.backend.clear_session()
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=jax.devices()))
    try:
        _, parallel, _ = fit(make(), 10)
    finally:
        keras.distribution.set_distribution(None)
    assert_same_steps(one, parallel, 4, 'DataParallel')
    return None
