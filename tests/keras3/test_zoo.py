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


# each model of the zoo once, in float32, with the variant `zoo.cases`
# pairs it with there
FLOAT32_CASE_OF_EACH_MODEL = list({name: (name, variant) for name, variant, dtype
                                   in reversed(zoo.cases(sorted(VARIANTS)))
                                   if dtype == 'float32'}.values())


@pytest.mark.parametrize('name, variant', FLOAT32_CASE_OF_EACH_MODEL)
def test_the_compiled_update_trains_the_model_as_the_eager_one(name, variant, monkeypatch,
                                                               tmp_path, not_applicable):
    """On PyTorch eager, the update torch.compile compiles (`run_update`)
    gives every layer family of the zoo the weights, optimizer state and
    losses of the eager update, bit for bit (float64: the conformance
    streams)."""
    if BACKEND != 'torch':
        return not_applicable('only PyTorch compiles the update apart from an eager step')
    import numpy as np

    from legacy_rprop.core import switches
    from legacy_rprop.keras3 import backend
    from support.reference import assert_bits_equal
    monkeypatch.setattr(backend, 'EAGER_SECONDS_BEFORE_COMPILING', 0.)
    monkeypatch.setattr(backend, 'COMPILED_FROM', 0)  # the zoo's models are small
    runs = []
    for fused in (False, True):
        monkeypatch.setattr(switches, 'FUSED', fused)
        keras.backend.clear_session()
        keras.utils.set_random_seed(0)
        model, compile_kwargs, x, y = zoo.build(keras, name, 'float32')
        optimizer = RProp(variant=variant, init_alpha=0.05)
        model.compile(optimizer=optimizer, **compile_kwargs)
        try:
            losses = model.fit(x, y, batch_size=zoo.SAMPLES, epochs=zoo.EPOCHS,
                               shuffle=False, verbose=0).history['loss']
        except Exception as error:  # noqa: BLE001 (not applicable only if Adam fails alike)
            return not_applicable(zoo.keras_cannot_train(FLAVOUR, name, 'float32', error,
                                                         tmp_path))
        assert (optimizer._run_update.compiled is not None) == fused, fused
        runs.append((losses, model.get_weights(), optimizer.get_weights()))
    (eager_losses, eager_weights, eager_state), (losses, weights, state) = runs
    np.testing.assert_array_equal(losses, eager_losses)
    for got, want in zip(weights + state, eager_weights + eager_state):
        assert_bits_equal(np.asarray(got), np.asarray(want))
    return None
