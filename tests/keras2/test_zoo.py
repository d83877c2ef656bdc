"""Every layer family of the model zoo (tests/support/zoo.py) trains, saves,
loads without custom_objects and resumes bit for bit, with every variant, in
float32 and float64 (`zoo.cases`), on this stack."""
import itertools

import keras
import pytest
from keras import backend as K

from legacy_rprop import VARIANTS, RProp
from support import zoo

FLAVOUR = zoo.Flavour(keras, RProp, getattr(K, 'clear_session', lambda: None))


@pytest.mark.parametrize('name, variant, dtype', zoo.cases(sorted(VARIANTS)))
def test_the_model_trains_saves_loads_and_resumes_bit_for_bit(name, variant, dtype, tmp_path,
                                                              not_applicable):
    zoo.check_trains_saves_loads_and_resumes(FLAVOUR, name, variant, dtype, tmp_path,
                                             not_applicable)


def test_the_cases_run_every_pair_of_model_variant_and_dtype():
    """`zoo.cases` leaves out two thirds of the product, but no pair."""
    cases = zoo.cases(sorted(VARIANTS))
    assert len(cases) == len(zoo.MODELS) * len(VARIANTS)
    values = (zoo.MODELS, sorted(VARIANTS), zoo.DTYPES)
    for a, b in itertools.combinations(range(3), 2):
        assert {(case[a], case[b]) for case in cases} == \
            set(itertools.product(values[a], values[b])), (a, b)
