"""Every layer family of the model zoo (tests/support/zoo.py) trains, saves,
loads without custom_objects and resumes bit for bit with the tf.keras
flavour, with every variant, in float32 and float64 (`zoo.cases`)."""
import pytest
import tensorflow as tf

from legacy_rprop.tfkeras import VARIANTS, RProp
from support import zoo

FLAVOUR = zoo.Flavour(tf.keras, RProp, tf.keras.backend.clear_session)


@pytest.mark.parametrize('name, variant, dtype', zoo.cases(sorted(VARIANTS)))
def test_the_model_trains_saves_loads_and_resumes_bit_for_bit(name, variant, dtype, tmp_path,
                                                              not_applicable):
    zoo.check_trains_saves_loads_and_resumes(FLAVOUR, name, variant, dtype, tmp_path,
                                             not_applicable)
