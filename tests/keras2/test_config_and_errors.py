"""Configuration, registration with Keras, Keras' own kwargs, bad arguments."""
import keras
import numpy as np
import pytest

import legacy_rprop
from harness import GradientFeeder
from support.error_cases import BAD_ARGUMENTS, QUESTION_BAD_ARGUMENTS, assert_refused
from legacy_rprop import DEFAULT_VARIANT, VARIANTS, RProp, Rprop

RPROP_DEFAULTS = dict(init_alpha=1e-3, scale_up=1.2, scale_down=0.5,
                      min_alpha=1e-6, max_alpha=50., variant='keras-answer',
                      nonfinite='skip', batches_per_step=1)


def test_defaults_are_those_of_the_keras_answer():
    assert DEFAULT_VARIANT == 'keras-answer'
    assert RProp().get_config() == RPROP_DEFAULTS
    assert Rprop().get_config() == dict(init_step=0.01, posStep=1.2, negStep=0.5,
                                        minStep=1e-6, maxStep=50., nonfinite='skip',
                                        batches_per_step=1)


@pytest.mark.parametrize('optimizer', [
    RProp(init_alpha=0.1, scale_up=1.5, scale_down=0.2, min_alpha=1e-3,
          max_alpha=3., variant='iRprop+', nonfinite='propagate', batches_per_step=3,
          clipnorm=2.),
    Rprop(init_step=0.3, posStep=1.1, minStep=1e-2, maxStep=1., clipvalue=0.5),
])
def test_config_round_trips(optimizer):
    config = optimizer.get_config()
    clone = type(optimizer).from_config(config)
    assert clone.get_config() == config
    by_name = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert type(by_name) is type(optimizer)
    assert by_name.get_config() == config


@pytest.mark.parametrize('name, cls', [('RProp', RProp), ('Rprop', Rprop)])
def test_keras_finds_the_classes_by_name(name, cls):
    optimizer = keras.optimizers.get(name)
    assert type(optimizer) is cls
    assert optimizer.get_config() == cls().get_config()


@pytest.mark.parametrize('variant', ['keras-answer', 'Rprop-'])
@pytest.mark.parametrize('clip', [dict(clipvalue=0.5), dict(clipnorm=1.)])
def test_clipping_acts_on_the_gradient_as_in_keras(variant, clip):
    """Clipping keeps signs, so the weights move exactly as without it, but
    the stored previous gradient is the clipped one."""
    g = np.float32([[3., -0.25], [0., 2.]])
    clipped = RProp(variant=variant, **clip)
    plain = RProp(variant=variant)
    feeders = [GradientFeeder(opt, [np.zeros((2, 2), 'float32')], check_delivered=False)
               for opt in (clipped, plain)]
    for feeder in feeders:
        feeder.step([g])
    np.testing.assert_array_equal(feeders[0].weights()[0], feeders[1].weights()[0])
    if 'clipvalue' in clip:
        expected = np.clip(g, -0.5, 0.5)
    else:
        expected = g / np.sqrt(np.sum(g ** 2))
    prev_grad = clipped.get_weights_per_tensor()[1]
    np.testing.assert_allclose(prev_grad, expected, rtol=1e-6)
    np.testing.assert_array_equal(plain.get_weights_per_tensor()[1], g)


@pytest.mark.parametrize('kwargs, message', BAD_ARGUMENTS)
def test_bad_arguments_name_the_argument_and_what_is_allowed(kwargs, message):
    assert_refused(RProp, kwargs, message)


@pytest.mark.parametrize('kwargs, message', QUESTION_BAD_ARGUMENTS)
def test_question_class_errors_use_its_own_names(kwargs, message):
    assert_refused(Rprop, kwargs, message)


def test_unknown_keyword_is_a_type_error_listing_the_allowed_ones():
    with pytest.raises(TypeError) as error:
        RProp(lr=0.1)
    assert str(error.value) == (
        "RProp got an unexpected keyword argument 'lr'; allowed: init_alpha, "
        "scale_up, scale_down, min_alpha, max_alpha, variant, nonfinite, "
        "batches_per_step, clipnorm, clipvalue")
    with pytest.raises(TypeError) as error:
        Rprop(init_alpha=0.1)
    assert "Rprop got an unexpected keyword argument 'init_alpha'" in str(error.value)


def test_variants_table_is_the_documented_one():
    assert list(VARIANTS) == ['keras-answer', 'Rprop-', 'iRprop-', 'Rprop+', 'iRprop+']
    assert legacy_rprop.__version__
