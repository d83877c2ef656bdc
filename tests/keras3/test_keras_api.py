"""The Keras 3 flavour as a Keras 3 optimizer: config, registration, errors,
Keras' own arguments (each works or is refused), iRprop+'s loss, saving in
Keras' format and resuming bit for bit, sparse gradients, imports."""
import json
import subprocess
import sys
import warnings

import keras
import numpy as np
import pytest

from harness import BACKEND, MODES, cases
from legacy_rprop.keras3 import VARIANTS, OptimizerStateError, RProp, Rprop
from support.classifier_data import N_SAMPLES, data, initial_weights
from support.error_cases import BAD_ARGUMENTS, QUESTION_BAD_ARGUMENTS, assert_refused
from support.processes import same_imports
from support.reference import Reference, assert_bits_equal, assert_each_bits_equal
from support.saved_by_0_6 import (VARIANTS_WITH_PREV_MOVE, check_prev_move_is_derived,
                                  saved_by_0_6)

RPROP_DEFAULTS = dict(init_alpha=1e-3, scale_up=1.2, scale_down=0.5, min_alpha=1e-6,
                      max_alpha=50., variant='keras-answer', nonfinite='skip',
                      batches_per_step=1)


def classifier(optimizer, **compile_kwargs):
    """The test classifier of every flavour: same data, weights, layers."""
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation='tanh'),
                              keras.layers.Dense(1, activation='sigmoid')])
    model.set_weights(initial_weights())
    model.compile(optimizer=optimizer, loss='binary_crossentropy', **compile_kwargs)
    return model


def fit_full_batch(model, epochs, initial_epoch=0):
    x, y = data()
    return model.fit(x, y, batch_size=N_SAMPLES, epochs=epochs, initial_epoch=initial_epoch,
                     shuffle=False, verbose=0).history['loss']


def fit_steps(model, steps):
    """`steps` full-batch steps by `fit`, as one epoch over `steps` copies of
    the data (not `steps` epochs: on TensorFlow Keras 3 spends some 50 ms on
    each epoch besides its steps, a MirroredStrategy some 250 ms); returns
    the mean loss of the steps so far after each step, as Keras logs it."""
    x, y = data()
    means = []
    record = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: means.append(float(logs['loss'])))
    model.fit(np.concatenate([x] * steps), np.concatenate([y] * steps), batch_size=N_SAMPLES,
              epochs=1, shuffle=False, verbose=0, callbacks=[record])
    assert len(means) == steps
    return means


def full_batch_losses(model, steps):
    """The loss of each of `steps` full-batch steps, by `train_on_batch`
    (the training step `fit` runs, without its cost per epoch)."""
    x, y = data()
    losses = []
    for _ in range(steps):
        model.reset_metrics()  # (Keras before 3.4 reports the mean of the calls so far)
        losses.append(float(model.train_on_batch(x, y)))
    return losses


def trained_loss(model):
    """The model's loss on the full batch, now."""
    x, y = data()
    return model.evaluate(x, y, batch_size=N_SAMPLES, verbose=0)


def state_of(optimizer):
    return [keras.ops.convert_to_numpy(v.value) for v in optimizer.variables]


def test_defaults_and_config_round_trips():
    config = RProp().get_config()
    assert {k: config[k] for k in RPROP_DEFAULTS} == RPROP_DEFAULTS
    assert 'learning_rate' not in config  # Rprop has none
    for optimizer in (RProp(init_alpha=0.1, scale_up=1.5, scale_down=0.2, min_alpha=1e-3,
                            max_alpha=3., variant='iRprop+', nonfinite='propagate',
                            clipnorm=2., name='mine'),
                      Rprop(init_step=0.3, posStep=1.1, minStep=1e-2, maxStep=1.,
                            clipvalue=0.5)):
        config = optimizer.get_config()
        assert type(optimizer).from_config(config).get_config() == config
        again = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
        assert type(again) is type(optimizer) and again.get_config() == config


@pytest.mark.parametrize('name, cls', [('RProp', RProp), ('Rprop', Rprop)])
def test_keras_finds_the_classes_by_name(name, cls):
    assert type(keras.optimizers.get(name)) is cls
    assert keras.saving.get_registered_name(cls) == 'legacy_rprop>%s' % name


@pytest.mark.parametrize('kwargs, message', BAD_ARGUMENTS + [
    (dict(weight_decay=1e-4), 'weight_decay must be None, got 0.0001: Keras scales weight '
     'decay by the learning rate, which Rprop does not have'),
    (dict(gradient_accumulation_steps=4), "gradient_accumulation_steps must be None, got 4: "
     "Keras averages the batches' mean gradients unweighted (not the full batch's gradient "
     "when the last batch is smaller) and iRprop+ would compare the last batch's loss; "
     "train full batch")])
def test_bad_arguments_name_the_argument_and_what_is_allowed(kwargs, message):
    assert_refused(RProp, kwargs, message)


@pytest.mark.parametrize('kwargs, message', QUESTION_BAD_ARGUMENTS)
def test_question_class_errors_use_its_own_names(kwargs, message):
    assert_refused(Rprop, kwargs, message)


@pytest.mark.parametrize('keyword', ['lr', 'learning_rate', 'decay'])
def test_keywords_of_other_optimizers_are_refused(keyword):
    with pytest.raises(TypeError) as error:
        RProp(**{keyword: 0.1})
    assert str(error.value) == (
        "RProp got an unexpected keyword argument %r; allowed: init_alpha, scale_up, "
        "scale_down, min_alpha, max_alpha, variant, nonfinite, batches_per_step, name, "
        "clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum, "
        "ema_overwrite_frequency, loss_scale_factor, weight_decay, "
        "gradient_accumulation_steps" % keyword)


def test_irprop_plus_refuses_apply_without_a_loss():
    optimizer = RProp(variant='iRprop+')
    variable = keras.Variable(np.float32([1., 2.]))
    with pytest.raises(ValueError) as error:
        optimizer.apply([keras.ops.convert_to_tensor(np.float32([0.5, -0.5]))], [variable])
    assert "RProp(variant='iRprop+') compares each step's loss" in str(error.value)
    assert 'scale_loss(loss) before apply' in str(error.value)


@pytest.mark.parametrize('variant, mode', cases(sorted(VARIANTS),
                                               representative=lambda v: v == 'iRprop+'))
def test_every_variant_trains_the_classifier(variant, mode):
    model = classifier(RProp(variant=variant, init_alpha=0.01), **MODES[mode])
    first_loss = fit_steps(model, 60)[0]
    assert trained_loss(model) < 0.6 * first_loss


@pytest.mark.parametrize('suffix', ['.keras', '.h5'])
@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_saved_model_loads_without_custom_objects_and_resumes_bit_for_bit(variant, suffix,
                                                                          tmp_path):
    """Keras' own format keeps the optimizer's state; Keras 3's legacy HDF5
    loader builds an optimizer without the model's weights and so restores
    no optimizer's state (Adam's neither): the optimizer starts afresh, and
    says so."""
    straight = classifier(RProp(variant=variant, init_alpha=0.01))
    fit_steps(straight, 25)
    expected_weights, expected_state = straight.get_weights(), state_of(straight.optimizer)
    keras.backend.clear_session()
    first = classifier(RProp(variant=variant, init_alpha=0.01))
    fit_steps(first, 10)
    path = str(tmp_path / ('model' + suffix))
    first.save(path)
    keras.backend.clear_session()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        resumed = keras.models.load_model(path)
    restarted = [w for w in caught if 'cannot restore its state' in str(w.message)]
    assert len(restarted) == (suffix == '.h5')
    assert type(resumed.optimizer) is RProp
    assert resumed.optimizer.get_config() == first.optimizer.get_config()
    fit_steps(resumed, 15)
    if suffix == '.h5':  # no state in the file: a restart, so other numbers
        assert not np.array_equal(resumed.get_weights()[0], expected_weights[0])
        return
    for got, want in zip(resumed.get_weights(), expected_weights):
        assert_bits_equal(got, want)
    for got, want in zip(state_of(resumed.optimizer), expected_state):
        assert_bits_equal(got, want)


@pytest.mark.parametrize('load', ['load_own_variables', 'set_weights'])
@pytest.mark.parametrize('variant', VARIANTS_WITH_PREV_MOVE)
def test_state_saved_by_0_6_loads_without_prev_move(variant, load):
    """The optimizer's variables as 0.6.0 saved them (in .keras: iteration,
    learning_rate, a vector per slot, iRprop+'s prev_loss), given as Keras'
    loader gives them (`load_own_variables`) and to `set_weights`."""
    weights, saved = saved_by_0_6('keras3', variant)
    model = classifier(RProp(variant=variant, init_alpha=0.01))
    model.set_weights(weights)
    model.optimizer.build(model.trainable_variables)
    if load == 'load_own_variables':
        model.optimizer.load_own_variables({str(i): a for i, a in enumerate(saved)})
    else:
        model.optimizer.set_weights(saved)
    # the classifier's weights are one group: one vector per slot
    check_prev_move_is_derived(saved[2:3], saved[3:4], saved[4:5])
    loaded = state_of(model.optimizer)
    assert int(loaded[0]) == int(saved[0]) == 10  # the iteration, in the backend's integer type
    assert_each_bits_equal(loaded[1:], saved[1:4] + saved[5:])
    losses = full_batch_losses(model, 5)
    assert losses[-1] < losses[0]


def test_state_of_another_variant_is_refused_and_nothing_is_loaded():
    source = classifier(RProp(variant='iRprop+', init_alpha=0.01))
    fit_full_batch(source, 3)
    target = classifier(RProp(variant='iRprop-', init_alpha=0.01))
    fit_full_batch(target, 3)
    before = state_of(target.optimizer)
    with pytest.raises(OptimizerStateError) as error:
        target.optimizer.set_weights(state_of(source.optimizer))
    assert "RProp(variant='iRprop-') cannot load this optimizer state" in str(error.value)
    for got, want in zip(state_of(target.optimizer), before):
        assert_bits_equal(got, want)
    # as Keras loads it from a .keras file: its own optimizers would warn and
    # go on with fresh state
    with pytest.raises(OptimizerStateError):
        target.optimizer.load_own_variables(
            {str(k): value for k, value in enumerate(state_of(source.optimizer))})
    for got, want in zip(state_of(target.optimizer), before):
        assert_bits_equal(got, want)


def clipped_run(**clip):
    optimizer = RProp(variant='Rprop-', init_alpha=0.01, **clip)
    model = classifier(optimizer)
    fit_full_batch(model, 5)
    return model.get_weights(), optimizer.get_weights_per_tensor()


@pytest.mark.parametrize('clip', [dict(clipnorm=0.01), dict(clipvalue=1e-3),
                                  dict(global_clipnorm=0.01)], ids=str)
def test_clipping_changes_the_stored_gradient_only(clip):
    """Clipping keeps signs: the weights move as without it; the stored
    previous gradient is the clipped one (here: smaller)."""
    weights, state = clipped_run(**clip)
    plain_weights, plain_state = clipped_run()
    for got, want in zip(weights, plain_weights):
        assert_bits_equal(got, want)
    prev_grad, plain_prev_grad = state[len(weights):], plain_state[len(weights):]
    assert all(np.all(np.abs(a) <= np.abs(b)) for a, b in zip(prev_grad, plain_prev_grad))
    assert any(np.any(np.abs(a) < np.abs(b)) for a, b in zip(prev_grad, plain_prev_grad))


def test_a_power_of_two_loss_scale_factor_gives_the_same_numbers():
    """Keras multiplies the loss by it and divides the gradients: exact for
    a power of two; iRprop+ compares the unscaled loss."""
    runs = []
    for factor in (None, 1024.):
        keras.backend.clear_session()
        model = classifier(RProp(variant='iRprop+', init_alpha=0.01, loss_scale_factor=factor))
        losses = fit_full_batch(model, 30)
        runs.append((losses, model.get_weights(), model.optimizer.get_weights_per_tensor()))
    assert runs[0][0] == runs[1][0]
    for got, want in zip(runs[1][1] + runs[1][2], runs[0][1] + runs[0][2]):
        assert_bits_equal(got, want)


def test_use_ema_trains_and_ends_with_the_moving_average():
    optimizer = RProp(variant='iRprop-', init_alpha=0.01, use_ema=True, ema_momentum=0.9)
    model = classifier(optimizer)
    losses = fit_full_batch(model, 40)
    assert losses[-1] < 0.6 * losses[0]
    averages = [keras.ops.convert_to_numpy(v.value)
                for v in optimizer._model_variables_moving_average]
    for got, want in zip(model.get_weights(), averages):  # fit ends by finalize
        assert_bits_equal(got, want)


def test_mixed_precision_needs_the_loss_kept_for_irprop_plus():
    """Keras wraps the optimizer in a LossScaleOptimizer for mixed_float16,
    which does not pass the loss on: iRprop+ says so; the other variants,
    and iRprop+ with compile(auto_scale_loss=False), train."""
    keras.mixed_precision.set_global_policy('mixed_float16')
    try:
        x, y = data()
        losses = fit_full_batch(classifier(RProp(variant='iRprop-', init_alpha=0.01)), 30)
        assert losses[-1] < 0.8 * losses[0]
        with pytest.raises(ValueError) as error:
            classifier(RProp(variant='iRprop+')).fit(x, y, batch_size=N_SAMPLES, verbose=0)
        assert 'compile with auto_scale_loss=False' in str(error.value)
        model = classifier(RProp(variant='iRprop+', init_alpha=0.01), auto_scale_loss=False)
        losses = fit_full_batch(model, 30)
        assert losses[-1] < 0.8 * losses[0]
    finally:
        keras.mixed_precision.set_global_policy('float32')


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_a_sparse_gradient_is_the_dense_gradient_it_stands_for(variant):
    """An embedding table whose rows 3, 1, 3 are looked up: row 3 gets two
    contributions (summed), the others gradient 0; every step against the
    reference on the dense gradient."""
    table = np.random.RandomState(0).normal(size=(5, 3)).astype('float32')
    tokens = keras.Input((3,), dtype='int32')
    values = keras.Input((3, 3))
    embedding = keras.layers.Embedding(5, 3)
    looked_up = embedding(tokens)
    output = keras.layers.Lambda(
        lambda t: keras.ops.sum(t[0] * t[1], axis=(1, 2))[:, None])([looked_up, values])
    model = keras.Model([tokens, values], output)
    embedding.set_weights([table])
    model.compile(optimizer=RProp(variant=variant, init_alpha=0.05),
                  loss=lambda y_true, y_pred: y_pred[:, 0])
    reference = Reference(variant, table, init_alpha=0.05)
    indices = np.array([[3, 1, 3]], 'int32')
    rng = np.random.RandomState(1)
    for t in range(15):
        # small integers: the two contributions to row 3 add up exactly
        step_values = rng.randint(-3, 4, size=(1, 3, 3)).astype('float32')
        model.reset_metrics()  # (Keras before 3.4 reports the mean of the calls so far)
        loss = model.train_on_batch([indices, step_values], np.zeros((1, 1), 'float32'))
        dense = np.zeros_like(table)
        np.add.at(dense, indices[0], step_values[0])
        reference.update(dense, np.float32(loss))
        assert_bits_equal(embedding.get_weights()[0], reference.w, err_msg='step %d' % t)


def test_importing_the_flavour_imports_no_other_flavour_and_no_multi_backend_keras():
    code = ('import json, sys, legacy_rprop.keras3; print(json.dumps(sorted('
            'm for m in sys.modules if m.startswith(("legacy_rprop.keras2", '
            '"legacy_rprop.tfkeras")))))')
    out = subprocess.check_output([sys.executable, '-c', code], env=same_imports())
    assert json.loads(out.decode('utf-8').strip().splitlines()[-1]) == []


def test_the_tf_keras_flavour_on_a_keras_3_tensorflow_is_this_one(not_applicable):
    """Where tf.keras is Keras 3, `legacy_rprop.tfkeras` (and its old name)
    gives these classes, not Keras' error about legacy optimizers."""
    if BACKEND != 'tensorflow':
        return not_applicable('tf.keras is a TensorFlow name: this is Keras 3 on %s' % BACKEND)
    import legacy_rprop.tfkeras
    import tensorflow as tf
    assert tf.keras.optimizers.Optimizer is keras.optimizers.Optimizer  # tf.keras is Keras 3
    assert legacy_rprop.tfkeras.RProp is RProp and legacy_rprop.tfkeras.Rprop is Rprop
    return None


def _steps_alone(variant, compiled, steps=3):
    """The weights after `steps` updates from fixed gradients and rising
    and falling losses, of a model with tensors in both layouts (small ones
    concatenated, a large one alone), each step run eagerly or `compiled`
    (torch.compile with fullgraph=True: any graph break fails; XLA on
    TensorFlow; jax.jit of `stateless_apply` on JAX, the loss caught
    inside the differentiation, as Keras' trainer does)."""
    rng = np.random.RandomState(3)
    shapes = [(300, 250), (250,), (3, 4), (4,)]  # 75000 elements: alone
    initial = [rng.uniform(-1, 1, size=s).astype('float32') for s in shapes]
    grads = [[rng.normal(size=s).astype('float32') for s in shapes] for _ in range(steps)]
    losses = [1., 2., 1.5][:steps]
    optimizer = RProp(variant=variant)
    variables = [keras.Variable(w) for w in initial]
    optimizer.build(variables)
    if BACKEND == 'jax':
        import jax

        def jax_step(state, values, grad, loss):
            def objective(values):  # its value is `loss`, its gradient `grad`
                total = loss
                for v, g in zip(values, grad):
                    total = total + jax.numpy.sum((v - jax.lax.stop_gradient(v)) * g)
                return optimizer.scale_loss(total)
            return optimizer.stateless_apply(state, jax.grad(objective)(values), values)
        step = jax.jit(jax_step) if compiled else jax_step
        state, values = [v.value for v in optimizer.variables], [v.value for v in variables]
        for grad, loss in zip(grads, losses):
            values, state = step(state, values, grad, np.float32(loss))
        return [np.asarray(v) for v in values]

    def step(grad, loss):
        optimizer.scale_loss(loss)
        optimizer.apply(grad, variables)
    if BACKEND == 'tensorflow':
        import tensorflow as tf
        run = tf.function(step, jit_compile=True) if compiled else step
    else:
        import torch
        step_here = torch.compile(step, fullgraph=True) if compiled else step

        def run(grad, loss):
            with torch.no_grad():
                step_here(grad, loss)
    for grad, loss in zip(grads, losses):
        run([keras.ops.convert_to_tensor(g) for g in grad],
            keras.ops.convert_to_tensor(np.float32(loss)))
    return [keras.ops.convert_to_numpy(v.value) for v in variables]


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_xla_updates_the_donated_state_in_place_reading_each_input_once_per_output(
        variant, not_applicable):
    """On JAX, in a step compiled as Keras' trainer compiles it (weights and
    state donated), XLA copies no array and reads and writes 12 floats per
    weight (each of the three outputs' loops reads what it needs once);
    the small tensors' gradients concatenated are a few more.  The update
    as the rule is written, on concatenated vectors, took 14 (iRprop-) to
    20 (Rprop+) on a tensor alone, 20-27 on small ones."""
    if BACKEND != 'jax':
        return not_applicable('only JAX compiles the whole step with XLA by default')
    import jax
    shapes = [(300, 250), (250,), (3, 4), (4,)]  # 75000 elements: alone
    optimizer = RProp(variant=variant)
    variables = [keras.Variable(np.ones(s, 'float32')) for s in shapes]
    optimizer.build(variables)
    state, values = [v.value for v in optimizer.variables], [v.value for v in variables]
    grads = [np.ones(s, 'float32') for s in shapes]

    def step(state, values, grads, loss):  # the loss caught as Keras' trainer catches it
        jax.grad(lambda zero: optimizer.scale_loss(loss + zero))(np.float32(0.))
        return optimizer.stateless_apply(state, grads, values)
    compiled = jax.jit(step, donate_argnums=(0, 1)).lower(
        state, values, grads, np.float32(1.)).compile()
    copies = [line for line in compiled.as_text().splitlines()
              if ' copy(' in line and '[] copy(' not in line]  # iRprop+'s prev_loss is 0-d
    assert not copies, copies
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, list) else cost  # a list in older JAX
    passes = cost['bytes accessed'] / (4. * sum(int(np.prod(s)) for s in shapes))
    assert 11.9 < passes < 12.1, passes
    return None


def test_the_compiled_step_is_not_compiled_again_for_the_optimizer(not_applicable):
    """torch.compile compiles a step again where a guard of what it compiled
    fails at a later call: no guard may come from the optimizer (a cache
    of hyper-parameter tensors filled inside the step did: each new
    setting's first model compiled its step twice)."""
    if BACKEND != 'torch':
        return not_applicable('only torch.compile guards what it compiled by Python state')
    from torch._dynamo.utils import guard_failures
    before = {code: len(reasons) for code, reasons in guard_failures.items()}
    # hyper-parameters no other test uses: nothing made for them yet
    model = classifier(RProp(variant='iRprop+', init_alpha=0.0123, max_alpha=7.),
                       **MODES['compiled'])
    fit_full_batch(model, 3)
    failed = [reason for code, reasons in guard_failures.items()
              for reason in reasons[before.get(code, 0):]]
    # Keras' own step has one (its first zero_grad sees no gradients yet):
    # the record is kept
    assert any('zero_grad' in reason for reason in failed), failed
    assert not [reason for reason in failed if 'legacy_rprop' in reason]
    return None


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_the_step_alone_compiles_whole_with_the_eager_numbers(variant):
    eager = _steps_alone(variant, compiled=False)
    compiled = _steps_alone(variant, compiled=True)
    assert not np.array_equal(eager[0], _steps_alone(variant, compiled=False, steps=2)[0])
    for e, c in zip(eager, compiled):
        assert_bits_equal(c, e)
