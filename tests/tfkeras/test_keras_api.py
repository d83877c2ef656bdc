"""The tf.keras flavour as tf.keras sees it: configuration, registration,
errors, training, saving and resuming, sparse gradients."""
import inspect
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
import tensorflow as tf

from support.error_cases import BAD_ARGUMENTS, QUESTION_BAD_ARGUMENTS, assert_refused
from harness import CURRENT_API, EAGER, MODES, Feeder
from legacy_rprop.tfkeras import VARIANTS, OptimizerStateError, RProp, Rprop
from models import classifier, fit_full_batch
from support.classifier_data import data
from support.reference import Reference, assert_bits_equal, assert_each_bits_equal
from support.processes import same_imports
from support.saved_by_0_6 import (VARIANTS_WITH_PREV_MOVE, check_prev_move_is_derived,
                                  saved_by_0_6)

HERE = os.path.dirname(os.path.abspath(__file__))


def test_defaults_are_those_of_the_multi_backend_flavour():
    assert RProp().get_config() == dict(
        name='RProp', init_alpha=1e-3, scale_up=1.2, scale_down=0.5, min_alpha=1e-6,
        max_alpha=50., variant='keras-answer', nonfinite='skip', batches_per_step=1)
    assert Rprop().get_config() == dict(name='Rprop', init_step=0.01, posStep=1.2,
                                        negStep=0.5, minStep=1e-6, maxStep=50.,
                                        nonfinite='skip', batches_per_step=1)


@pytest.mark.parametrize('optimizer', [
    lambda: RProp(init_alpha=0.1, scale_up=1.5, scale_down=0.2, min_alpha=1e-3,
                  max_alpha=3., variant='iRprop+', nonfinite='propagate', clipnorm=2.),
    lambda: Rprop(init_step=0.3, posStep=1.1, minStep=1e-2, maxStep=1., clipvalue=0.5,
                  name='question'),
])
def test_config_round_trips(optimizer):
    optimizer = optimizer()
    config = optimizer.get_config()
    assert type(optimizer).from_config(config).get_config() == config
    by_name = tf.keras.optimizers.deserialize(tf.keras.optimizers.serialize(optimizer))
    assert type(by_name) is type(optimizer)
    assert by_name.get_config() == config


@pytest.mark.parametrize('name, cls', [('RProp', RProp), ('Rprop', Rprop)])
def test_tf_keras_finds_the_classes_by_name(name, cls):
    optimizer = tf.keras.optimizers.get(name)
    assert type(optimizer) is cls
    assert optimizer.get_config() == cls().get_config()
    assert type(tf.keras.optimizers.get(cls(variant='Rprop+') if cls is RProp else cls())) is cls


@pytest.mark.parametrize('kwargs, message', BAD_ARGUMENTS)
def test_bad_arguments_give_the_same_errors_as_the_multi_backend_flavour(kwargs, message):
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
        "clipnorm, clipvalue, global_clipnorm" % keyword)


def test_accumulating_batches_is_refused_until_tf_keras_has_it():
    with pytest.raises(ValueError) as error:
        RProp(batches_per_step=2)
    assert str(error.value) == ('batches_per_step > 1 is implemented for multi-backend '
                                'Keras (legacy_rprop) and Keras 3 (legacy_rprop.keras3) only '
                                'so far, got 2')


def test_irprop_plus_refuses_apply_gradients_without_a_loss():
    optimizer = RProp(variant='iRprop+')
    var = tf.Variable([1., 2.])
    with pytest.raises(ValueError) as error:
        optimizer.apply_gradients([(tf.constant([0.5, -0.5]), var)])
    assert "RProp(variant='iRprop+') compares each step's loss" in str(error.value)
    assert 'minimize(loss, var_list)' in str(error.value)


# Keras' own XLA switch for the whole training step, where it has one
COMPILE_OPTIONS = ([{}, {'jit_compile': True}]
                   if 'jit_compile' in inspect.signature(tf.keras.Model.compile).parameters
                   else [{}])


@pytest.mark.parametrize('options', COMPILE_OPTIONS, ids=str)
@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_every_variant_trains_the_classifier(variant, options):
    """With XLA the forward and backward pass may round differently (the
    update itself is exact under XLA: test_conformance's 'xla' mode), so the
    losses agree to 1e-5, not bit for bit."""
    losses = fit_full_batch(classifier(RProp(variant=variant, init_alpha=0.01)), 60)
    assert losses[-1] < 0.6 * losses[0]
    if options:
        tf.keras.backend.clear_session()
        compiled = fit_full_batch(
            classifier(RProp(variant=variant, init_alpha=0.01), **options), 60)
        np.testing.assert_allclose(compiled, losses, rtol=0, atol=1e-5)


def state_of(model):
    return [np.array(w) for w in model.optimizer.get_weights()]


# the files tf.keras writes that keep an optimizer's state: HDF5 everywhere,
# Keras' own format (.keras) for optimizers of the current API
STATEFUL_FORMATS = ['.h5'] + (['.keras'] if CURRENT_API else [])


@pytest.mark.parametrize('suffix', STATEFUL_FORMATS)
@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_saved_model_loads_without_custom_objects_and_resumes_bit_for_bit(variant, suffix,
                                                                          tmp_path):
    straight = classifier(RProp(variant=variant, init_alpha=0.01))
    fit_full_batch(straight, 25)
    expected_weights, expected_state = straight.get_weights(), state_of(straight)

    tf.keras.backend.clear_session()
    first = classifier(RProp(variant=variant, init_alpha=0.01))
    fit_full_batch(first, 10)
    path = str(tmp_path / ('model' + suffix))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        first.save(path)
    assert not [w for w in caught if 'RProp' in str(w.message)]
    tf.keras.backend.clear_session()
    resumed = tf.keras.models.load_model(path)
    assert type(resumed.optimizer) is RProp
    assert resumed.optimizer.get_config() == first.optimizer.get_config()
    assert len(state_of(resumed)) == len(expected_state)
    fit_full_batch(resumed, 15)
    for got, want in zip(resumed.get_weights(), expected_weights):
        assert_bits_equal(got, want)
    for got, want in zip(state_of(resumed), expected_state):
        assert_bits_equal(got, want)


def save_as_saved_model(model, path):
    """``model.save`` to a SavedModel directory (tf_keras wants it asked for)."""
    if 'save_format' in inspect.signature(model.save).parameters:
        model.save(path, save_format='tf')
    else:
        model.save(path)


def test_a_saved_model_directory_warns_that_it_does_not_resume_the_state(tmp_path):
    """tf.keras' load_model restores no optimizer state from a SavedModel
    directory (for its own optimizers neither): saving one says so, and a
    model loaded from it indeed starts afresh."""
    first = classifier(RProp(variant='iRprop-', init_alpha=0.01))
    fit_full_batch(first, 10)
    path = str(tmp_path / 'saved_model')
    with pytest.warns(UserWarning) as caught:
        save_as_saved_model(first, path)
    (warning,) = [w for w in caught if 'RProp' in str(w.message)]  # one a save
    assert "tf.keras.models.load_model does not put them back" in str(warning.message)
    assert 'Save as .h5' in str(warning.message)
    if not EAGER:  # TensorFlow 1.15: the loaded model's optimizer has no state at all
        tf.keras.backend.clear_session()
        resumed = tf.keras.models.load_model(path)
        assert resumed.optimizer is None or not resumed.optimizer.weights
        return None
    resumed = tf.keras.models.load_model(path)
    fit_full_batch(resumed, 1)
    assert int(resumed.optimizer.iterations.numpy()) == 1  # started afresh, as it said
    return None


def test_state_saved_by_the_legacy_api_class_loads_and_resumes_bit_for_bit(tmp_path,
                                                                         not_applicable):
    """A .h5 file saved by the class of tf.keras' legacy optimizer API
    (this flavour on TensorFlow 2.10 and before, and 0.5.x: each weight's
    slots) loads into the current API's class, converted, and trains on to
    the numbers of the legacy class trained straight through."""
    if not CURRENT_API:
        return not_applicable("tf.keras' current optimizer API is TensorFlow 2.11+'s")
    from legacy_rprop.tfkeras import optimizers as legacy
    for variant in sorted(VARIANTS):
        tf.keras.backend.clear_session()
        straight = classifier(legacy.RProp(variant=variant, init_alpha=0.01))
        fit_full_batch(straight, 25)
        tf.keras.backend.clear_session()
        first = classifier(legacy.RProp(variant=variant, init_alpha=0.01))
        fit_full_batch(first, 10)
        path = str(tmp_path / ('legacy-%s.h5' % variant))
        first.save(path)
        tf.keras.backend.clear_session()
        resumed = tf.keras.models.load_model(path)
        assert type(resumed.optimizer) is RProp
        per_tensor = resumed.optimizer.get_weights_per_tensor()
        legacy_state = [np.array(w) for w in first.optimizer.get_weights()]
        scalars = 2 if variant == 'iRprop+' else 1
        n_slots = len(VARIANTS[variant].slots)
        as_saved = [legacy_state[scalars + i * n_slots + s]  # weight-major there
                    for s in range(n_slots) for i in range(len(first.get_weights()))]
        for got, want in zip(per_tensor, as_saved + legacy_state[1:scalars]):
            assert_bits_equal(got, want, err_msg=variant)
        fit_full_batch(resumed, 15)
        for got, want in zip(resumed.get_weights(), straight.get_weights()):
            assert_bits_equal(got, want, err_msg=variant)
    return None


# files of both APIs load into the current one's class, the legacy API's
# own into its class
SAVED_BY_0_6 = ['tf2.8'] + (['tf2.15'] if CURRENT_API else [])


@pytest.mark.parametrize('saved_on', SAVED_BY_0_6)
@pytest.mark.parametrize('variant', VARIANTS_WITH_PREV_MOVE)
def test_state_saved_by_0_6_loads_without_prev_move(variant, saved_on):
    """The .h5 / .keras state of 0.6.0's class on TensorFlow 2.8 (legacy
    API: iter, iRprop+'s prev_loss, then each weight's step_size,
    prev_grad, prev_move) and 2.15 (current API: iteration, one vector per
    slot, prev_loss)."""
    weights, saved = saved_by_0_6('tfkeras-' + saved_on, variant)
    model = classifier(RProp(variant=variant, init_alpha=0.01))
    if CURRENT_API:
        model.optimizer.build(model.trainable_variables)
    else:
        model.train_on_batch(*data())  # the legacy API makes its state here
    model.set_weights(weights)
    model.optimizer.set_weights(saved)
    if saved_on == 'tf2.8':
        head = 2 if variant == 'iRprop+' else 1
        slots = [saved[head + s::3] for s in range(3)]
        check_prev_move_is_derived(*slots)
        per_tensor = slots[0] + slots[1] + saved[1:head]
    else:  # the classifier's weights are one group: a vector per slot
        check_prev_move_is_derived(saved[1:2], saved[2:3], saved[3:4])
        per_tensor = model.optimizer.layout.to_per_tensor(saved[1:3] + saved[4:])
    assert_each_bits_equal(model.optimizer.get_weights_per_tensor(), per_tensor)
    losses = fit_full_batch(model, 5)
    assert losses[-1] < losses[0]


def test_state_of_another_variant_is_refused_and_nothing_is_loaded():
    source = classifier(RProp(variant='iRprop+', init_alpha=0.01))
    fit_full_batch(source, 3)
    target = classifier(RProp(variant='iRprop-', init_alpha=0.01))
    fit_full_batch(target, 3)
    before = state_of(target)
    with pytest.raises(OptimizerStateError) as error:
        target.optimizer.set_weights(source.optimizer.get_weights())
    assert "RProp(variant='iRprop-') cannot load this optimizer state" in str(error.value)
    for got, want in zip(state_of(target), before):
        np.testing.assert_array_equal(got, want)


class RecordingRProp(RProp):
    """RProp that counts the sparse gradients it is given."""
    sparse_updates = 0

    # the legacy API applies a sparse gradient in _resource_apply_sparse, the
    # current one hands every gradient of a step to _internal_apply_gradients
    if CURRENT_API:
        def _internal_apply_gradients(self, grads_and_vars):
            grads_and_vars = list(grads_and_vars)
            self.sparse_updates += sum(isinstance(g, tf.IndexedSlices) for g, _ in grads_and_vars)
            return super(RecordingRProp, self)._internal_apply_gradients(grads_and_vars)
    else:
        def _resource_apply_sparse(self, *args, **kwargs):
            self.sparse_updates += 1
            return super(RecordingRProp, self)._resource_apply_sparse(*args, **kwargs)


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_sparse_gradient_is_the_dense_gradient_it_stands_for(variant, mode):
    """An embedding lookup of rows 3, 1, 3 of a 5-row table: its gradient is
    sparse (row 3 gets two contributions, summed), and the other rows have
    gradient 0.  Checked against the reference on the dense gradient."""
    table = np.random.RandomState(0).normal(size=(5, 3)).astype('float32')
    indices = np.array([3, 1, 3], 'int32')

    def lookup_loss(params, inputs):
        values, loss_value = inputs
        linear = tf.reduce_sum(tf.gather(params[0], indices) * values)
        return linear - tf.stop_gradient(linear) + loss_value

    optimizer = RecordingRProp(variant=variant, init_alpha=0.05)
    feeder = Feeder(optimizer, [table], mode, lookup_loss,
                    [((3, 3), np.float32), ((), np.float32)])
    reference = Reference(variant, table, init_alpha=0.05)
    rng = np.random.RandomState(1)
    for t in range(20):
        # small integers: the two contributions to row 3 add up exactly
        values = rng.randint(-3, 4, size=(3, 3)).astype('float32')
        loss = np.float32(10. - t % 3)
        feeder.step(values, loss)
        dense = np.zeros_like(table)
        np.add.at(dense, indices, values)
        reference.update(dense, loss)
        assert_bits_equal(feeder.weights()[0], reference.w, err_msg='step %d' % t)
    assert optimizer.sparse_updates >= 1


@pytest.mark.parametrize('module', ['legacy_rprop.tfkeras', 'legacy_rprop_tfkeras'])
def test_importing_the_flavour_imports_no_multi_backend_keras(module):
    """Not the multi-backend flavour, and no multi-backend Keras even where
    one is installed (the TensorFlow 1.15 environment has Keras 2.3.1 too;
    on TensorFlow 2.6+, ``keras`` is tf.keras itself); also under the old
    name, which warns that it is deprecated."""
    code = '\n'.join([
        'import importlib.util, json, os, sys, warnings',
        'import tensorflow as tf',
        'with warnings.catch_warnings(record=True) as caught:',
        '    warnings.simplefilter("always")',
        '    flavour = __import__("%s", fromlist=["RProp"])' % module,
        'deprecated = [str(w.message) for w in caught if w.category is DeprecationWarning',
        '              and "legacy_rprop_tfkeras" in str(w.message)]',
        'other_flavours = sorted(m for m in sys.modules',
        '                        if m.startswith(("legacy_rprop.keras2", "legacy_rprop.keras3")))',
        'keras_imported = "keras" in sys.modules',
        'tf_keras_is_keras = tf.keras.Model.__module__.startswith("keras.")',
        'spec = importlib.util.find_spec("keras")',
        'multi_backend = spec is not None and any(',
        '    os.path.isdir(os.path.join(p, "legacy")) for p in spec.submodule_search_locations)',
        'print(json.dumps([flavour.RProp.__module__, deprecated, other_flavours, keras_imported,',
        '                  tf_keras_is_keras, multi_backend]))'])
    out = subprocess.check_output([sys.executable, '-c', code], env=same_imports(), cwd=HERE)
    rprop_module, deprecated, other_flavours, keras_imported, tf_keras_is_keras, \
        multi_backend = json.loads(out.decode('utf-8').strip().splitlines()[-1])
    assert rprop_module == ('legacy_rprop.tfkeras.current' if CURRENT_API
                            else 'legacy_rprop.tfkeras.optimizers')
    assert len(deprecated) == (module == 'legacy_rprop_tfkeras')
    assert other_flavours == []
    if multi_backend:  # installed, so it must have been left alone
        assert not keras_imported
    else:
        assert keras_imported == tf_keras_is_keras
