"""Every layer family of the model zoo (tests/support/zoo.py) trains, saves
in Keras' format, loads without custom_objects and resumes bit for bit with
the Keras 3 flavour, with every variant, in float32 and float64
(`zoo.cases`)."""
import keras
import pytest

from harness import BACKEND
from legacy_rprop.keras3 import VARIANTS, RProp
from support import zoo

FLAVOUR = zoo.Flavour(keras, RProp, keras.backend.clear_session, suffix='.keras')


@pytest.mark.parametrize('name, variant, dtype', zoo.cases(sorted(VARIANTS)))
def test_the_model_trains_saves_loads_and_resumes_bit_for_bit(name, variant, dtype, tmp_path,
                                                              not_applicable):
    if dtype == 'float64' and BACKEND == 'jax':
        import jax
        if not jax.config.jax_enable_x64:
            return not_applicable('JAX computes in float64 only with jax_enable_x64 '
                                  '(JAX_ENABLE_X64=1); without it float64 is float32')
    return zoo.check_trains_saves_loads_and_resumes(FLAVOUR, name, variant, dtype, tmp_path,
                                                    not_applicable)
