"""The model zoo: one small model per layer family whose gradients reach an
optimizer in their own way, for every Keras flavour (the same layer API in
multi-backend Keras, tf.keras and Keras 3: pass the `keras` module).

- embedding-pooling: Embedding (a sparse gradient on TensorFlow) + pooling;
- embedding-lstm: Embedding with ``mask_zero`` + LSTM;
- embedding-gru: Embedding + GRU;
- conv-batchnorm: Conv2D + BatchNormalization (non-trainable moving
  statistics, updated beside the optimizer's updates);
- conv-batchnorm-dropout: the same with Dropout;
- two-in-two-out: a functional model, two inputs through one shared layer,
  two outputs with loss weights;
- time-distributed: TimeDistributed(Dense) over a sequence;
- frozen-layer: a non-trainable Dense before a trainable one.

Every model has fixed data and initial weights (NumPy's RandomState), so a
run is the same on every backend; `build` returns the model uncompiled
with ``compile`` arguments and ``fit`` data.
"""
import numpy as np
import pytest

from support.cases import pairwise
from support.reference import assert_bits_equal

MODELS = ('embedding-pooling', 'embedding-lstm', 'embedding-gru', 'conv-batchnorm',
          'conv-batchnorm-dropout', 'two-in-two-out', 'time-distributed', 'frozen-layer')
# models whose training draws random numbers (Dropout's masks): a model
# loaded from a file draws them anew, so its run cannot repeat the run it
# was saved from, whatever the optimizer
RANDOM_IN_TRAINING = ('conv-batchnorm-dropout',)
SAMPLES = 24
VOCABULARY, STEPS = 12, 5
DTYPES = ('float32', 'float64')


def cases(variants):
    """``(model, variant, dtype)``: every model with every variant, the
    dtypes alternating so that every model and every variant also runs in
    both (pairwise: a model's training step takes seconds to build)."""
    return pairwise(MODELS, variants, DTYPES)


def build(keras, name, dtype):
    """``(model, compile_kwargs, x, y)`` for the zoo model `name`, in `dtype`
    (Keras' floatx must be `dtype` while it is built)."""
    layers = keras.layers
    rng = np.random.RandomState(MODELS.index(name))
    if name.startswith('embedding'):
        x = rng.randint(1, VOCABULARY, size=(SAMPLES, STEPS)).astype('int32')
        x[::3, :2] = 0  # padding, which mask_zero leaves out
        tokens = layers.Input((STEPS,), dtype='int32')
        hidden = layers.Embedding(VOCABULARY, 4, mask_zero=name == 'embedding-lstm')(tokens)
        if name == 'embedding-pooling':
            hidden = layers.GlobalAveragePooling1D()(hidden)
        else:
            hidden = (layers.LSTM if name == 'embedding-lstm' else layers.GRU)(3)(hidden)
        inputs, outputs = tokens, layers.Dense(1)(hidden)
        y = rng.uniform(-1, 1, size=(SAMPLES, 1))
    elif name.startswith('conv'):
        x = rng.normal(size=(SAMPLES, 6, 6, 1))
        image = layers.Input((6, 6, 1))
        hidden = layers.Conv2D(3, (3, 3))(image)
        hidden = layers.Activation('relu')(layers.BatchNormalization()(hidden))
        if name.endswith('dropout'):
            hidden = layers.Dropout(0.1, seed=1)(hidden)
        inputs, outputs = image, layers.Dense(1)(layers.Flatten()(hidden))
        y = rng.uniform(-1, 1, size=(SAMPLES, 1))
    elif name == 'two-in-two-out':
        x = [rng.normal(size=(SAMPLES, 5)), rng.normal(size=(SAMPLES, 5))]
        first, second = layers.Input((5,)), layers.Input((5,))
        shared = layers.Dense(4, activation='tanh')
        joined = layers.concatenate([shared(first), shared(second)])
        inputs = [first, second]
        outputs = [layers.Dense(1, name='one')(joined), layers.Dense(2, name='two')(joined)]
        y = [rng.uniform(-1, 1, size=(SAMPLES, 1)), rng.uniform(-1, 1, size=(SAMPLES, 2))]
    elif name == 'time-distributed':
        x = rng.normal(size=(SAMPLES, STEPS, 3))
        sequence = layers.Input((STEPS, 3))
        hidden = layers.TimeDistributed(layers.Dense(2, activation='tanh'))(sequence)
        inputs, outputs = sequence, layers.Dense(1)(layers.Flatten()(hidden))
        y = rng.uniform(-1, 1, size=(SAMPLES, 1))
    elif name == 'frozen-layer':
        x = rng.normal(size=(SAMPLES, 4))
        features = layers.Input((4,))
        frozen = layers.Dense(6, activation='tanh')
        frozen.trainable = False
        inputs, outputs = features, layers.Dense(1)(frozen(features))
        y = rng.uniform(-1, 1, size=(SAMPLES, 1))
    else:
        raise ValueError('no zoo model %r; the models: %s' % (name, ', '.join(MODELS)))
    model = keras.models.Model(inputs, outputs)
    # kernels and biases drawn, batch normalization's as Keras starts them;
    # layer by layer, where each weight's name and value go together (a
    # model's `weights` and `get_weights()` are not in the same order in
    # multi-backend Keras: trainable ones first, and layer by layer)
    for layer in model.layers:
        names = [getattr(w, 'path', None) or w.name for w in layer.weights]
        layer.set_weights([value if 'batch_normalization' in name
                           else rng.uniform(-0.5, 0.5, size=value.shape).astype(dtype)
                           for name, value in zip(names, layer.get_weights())])
    compile_kwargs = {'loss': 'mse'}
    if name == 'two-in-two-out':
        compile_kwargs['loss_weights'] = [1., 0.5]
    return model, compile_kwargs, _in_dtype(x, dtype), _in_dtype(y, dtype)


def _in_dtype(data, dtype):
    if isinstance(data, list):
        return [_in_dtype(d, dtype) for d in data]
    return data if data.dtype.kind == 'i' else data.astype(dtype)


EPOCHS, SAVED_AFTER = 4, 2


class Flavour(object):
    """What the zoo's check needs of a Keras flavour: its `keras` module,
    its `clear_session`, the optimizer class, and how the model is saved
    (`suffix` of the file) and loaded (`load`, None: ``keras.models.load_model``)."""

    def __init__(self, keras, rprop_class, clear_session, suffix='.h5', load=None):
        self.keras, self.rprop_class, self.clear_session = keras, rprop_class, clear_session
        self.suffix, self.load = suffix, load or keras.models.load_model


def _fit(model, x, y, epochs, initial_epoch=0):
    history = model.fit(x, y, batch_size=SAMPLES, epochs=epochs,
                        initial_epoch=initial_epoch, shuffle=False, verbose=0)
    return history.history['loss']


def _train_and_save(flavour, name, dtype, optimizer, path):
    model, compile_kwargs, x, y = build(flavour.keras, name, dtype)
    model.compile(optimizer=optimizer, **compile_kwargs)
    losses = _fit(model, x, y, SAVED_AFTER)
    model.save(path)
    saved_state = [np.array(w) for w in model.optimizer.get_weights()]
    losses += _fit(model, x, y, EPOCHS, SAVED_AFTER)
    return (losses, saved_state, model.get_weights(),
            [np.array(w) for w in model.optimizer.get_weights()], x, y)


def check_trains_saves_loads_and_resumes(flavour, name, variant, dtype, directory,
                                         not_applicable):
    """The zoo model `name` in `dtype` trains with `variant` (its loss falls
    in EPOCHS epochs), is saved after SAVED_AFTER, loads without
    custom_objects with the optimizer's state bit for bit, and trains on to
    the weights, state and losses of the run that went straight on, bit for
    bit.  Where it fails, Keras' own Adam must fail on the same case too
    (training, or resuming bit for bit): then the case is not applicable,
    for the reason Adam gives."""
    keras = flavour.keras
    keras.backend.set_floatx(dtype)
    path = str(directory / ('model' + flavour.suffix))
    try:
        losses, saved_state, weights, state, x, y = _train_and_save(
            flavour, name, dtype, flavour.rprop_class(variant=variant, init_alpha=0.05), path)
    except Exception as error:
        return not_applicable(keras_cannot_train(flavour, name, dtype, error, directory))
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0], losses

    flavour.clear_session()
    resumed = flavour.load(path)  # no custom_objects
    assert type(resumed.optimizer) is flavour.rprop_class
    assert resumed.optimizer.variant == variant
    loaded_state = [np.array(w) for w in resumed.optimizer.get_weights()]
    assert len(loaded_state) == len(saved_state) > 0
    for got, want in zip(loaded_state, saved_state):
        assert_bits_equal(got, want)
    resumed_losses = _fit(resumed, x, y, EPOCHS, SAVED_AFTER)
    if name in RANDOM_IN_TRAINING:  # Dropout draws new masks after the load
        assert np.all(np.isfinite(resumed_losses))
        return None
    try:
        np.testing.assert_array_equal(resumed_losses, losses[SAVED_AFTER:])
        for got, want in zip(resumed.get_weights(), weights):
            assert_bits_equal(got, want)
    except AssertionError:
        flavour.clear_session()
        if _adam_resumes_exactly(flavour, name, dtype, directory):
            raise
        return not_applicable('%s in %s: Keras itself does not resume it bit for bit here '
                              "(Adam's resumed run differs from its straight run too)"
                              % (name, dtype))
    for got, want in zip(resumed.optimizer.get_weights(), state):
        assert_bits_equal(np.array(got), want)
    return None


def keras_cannot_train(flavour, name, dtype, error, directory):
    """Why the zoo model `name` in `dtype` is not applicable, after training
    it with Rprop raised `error`: Keras' own Adam raises the same error,
    word for word (then it is Keras', not the optimizer's); else the test
    fails."""
    flavour.clear_session()
    flavour.keras.backend.set_floatx(dtype)
    path = str(directory / ('adam' + flavour.suffix))
    with pytest.raises(type(error)) as adam_error:
        _train_and_save(flavour, name, dtype, flavour.keras.optimizers.Adam(), path)
    assert _first_line(adam_error.value) == _first_line(error), (
        'Adam fails otherwise: %s' % _first_line(adam_error.value))
    return ('%s in %s: Keras itself cannot train it here (Adam fails too: %s)'
            % (name, dtype, _first_line(error)[:120]))


def _first_line(error):
    return (str(error).splitlines() or [''])[0]


def _adam_resumes_exactly(flavour, name, dtype, directory):
    """Whether Keras' own Adam, saved after SAVED_AFTER epochs and loaded,
    trains on to the losses and weights of its straight run, bit for bit."""
    keras = flavour.keras
    path = str(directory / ('adam' + flavour.suffix))
    model, compile_kwargs, x, y = build(keras, name, dtype)
    model.compile(optimizer=keras.optimizers.Adam(), **compile_kwargs)
    _fit(model, x, y, SAVED_AFTER)
    model.save(path)
    losses = _fit(model, x, y, EPOCHS, SAVED_AFTER)
    weights = model.get_weights()
    flavour.clear_session()
    resumed = keras.models.load_model(path)
    resumed_losses = _fit(resumed, x, y, EPOCHS, SAVED_AFTER)
    return (np.array_equal(resumed_losses, losses)
            and all(np.array_equal(a, b) for a, b in zip(resumed.get_weights(), weights)))
