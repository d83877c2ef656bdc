"""Every rule of the Keras 3 flavour against the NumPy reference, step by
step, in every way this backend runs a training step (harness.MODES), bit
for bit: every weight and every state array, prev_loss included."""
import numpy as np
import pytest

from harness import BACKEND, MODES, GradientFeeder, cases
from legacy_rprop.keras3 import VARIANTS, RProp, Rprop
from legacy_rprop.keras3.backend import FLUSHES_SUBNORMALS
from support.reference import Reference, assert_bits_equal, state_per_tensor
from support.streams import (HYPER_SETS, SHAPES, STEPS, gradient_stream, initial_weights,
                             loss_stream, poisoned_stream)


def run_against_reference(optimizer, variant, hyper, mode, stream=None, nonfinite='skip',
                          dtype='float32', steps=STEPS):
    weights = [w.astype(dtype) for w in initial_weights()]
    feeder = GradientFeeder(optimizer, weights, mode)
    references = [Reference(variant, w, nonfinite=nonfinite,
                            flush_subnormals=FLUSHES_SUBNORMALS, **hyper) for w in weights]
    grads_per_step, losses = stream or (gradient_stream(SHAPES, steps, seed=1),
                                        loss_stream(steps, seed=2))
    for t, (grads, loss) in enumerate(zip(grads_per_step, losses)):
        grads, loss = [g.astype(dtype) for g in grads], np.dtype(dtype).type(loss)
        seen = feeder.step(grads, loss)
        if nonfinite == 'skip':  # with 'propagate' a NaN weight makes the loss NaN
            assert seen == loss or (np.isnan(seen) and np.isnan(loss)), (seen, loss)
        for reference, g in zip(references, grads):
            reference.update(g, np.dtype(dtype).type(seen))
        label = '%s, %s, step %d' % (variant, mode, t + 1)
        for got, reference in zip(feeder.weights(), references):
            assert_bits_equal(got, reference.w, err_msg=label)
        state, expected = optimizer.get_weights_per_tensor(), state_per_tensor(references)
        assert len(state) == len(expected), label
        for k, (got, want) in enumerate(zip(state, expected)):
            assert_bits_equal(got, want, err_msg='%s: state %d' % (label, k))
    return feeder


@pytest.mark.parametrize('variant, hyper_set, mode', cases(
    sorted(VARIANTS), sorted(HYPER_SETS), representative=lambda _, h: h == 'defaults'))
def test_every_step_matches_reference(variant, hyper_set, mode):
    hyper = HYPER_SETS[hyper_set]
    run_against_reference(RProp(variant=variant, **hyper), variant, hyper, mode)


@pytest.mark.parametrize('variant, mode', cases(sorted(VARIANTS),
                                               representative=lambda v: v == 'Rprop+'))
def test_float64_weights_match_the_reference_in_their_own_precision(variant, mode,
                                                                    not_applicable):
    import keras
    if BACKEND == 'jax':
        import jax
        if not jax.config.jax_enable_x64:
            return not_applicable('JAX computes in float64 only with jax_enable_x64 '
                                  '(JAX_ENABLE_X64=1); without it float64 is float32')
    keras.backend.set_floatx('float64')
    run_against_reference(RProp(variant=variant), variant, {}, mode, dtype='float64')


@pytest.mark.parametrize('variant, mode', cases(sorted(VARIANTS),
                                               representative=lambda v: v == 'iRprop-'))
def test_propagate_policy_is_the_same_rule(variant, mode):
    run_against_reference(RProp(variant=variant, nonfinite='propagate'), variant, {}, mode,
                          nonfinite='propagate')


@pytest.mark.parametrize('variant, nonfinite, mode', cases(
    sorted(VARIANTS), ['skip', 'propagate'], representative=lambda v, n: v == 'iRprop+'))
def test_nonfinite_gradients_and_losses_as_the_reference(variant, nonfinite, mode):
    hyper = dict(init_alpha=0.05)
    run_against_reference(RProp(variant=variant, nonfinite=nonfinite, **hyper), variant,
                          hyper, mode, stream=poisoned_stream(), nonfinite=nonfinite)


@pytest.mark.parametrize('mode', sorted(MODES))
def test_question_class_is_rprop_plus_under_its_own_names(mode):
    hyper = dict(init_alpha=0.01, scale_up=1.3, scale_down=0.4, min_alpha=1e-4, max_alpha=2.)
    optimizer = Rprop(init_step=0.01, posStep=1.3, negStep=0.4, minStep=1e-4, maxStep=2.)
    run_against_reference(optimizer, 'Rprop+', hyper, mode)


@pytest.mark.parametrize('variant, mode', cases(sorted(VARIANTS),
                                               representative=lambda v: v == 'Rprop-'))
def test_tiny_gradients_adapt_the_step_size_as_any_others(variant, mode):
    """Gradients whose products underflow keep or flip their sign; the
    answer's rule tests the product, as the reference says."""
    tiny = np.finfo('float32').tiny
    magnitudes = np.array([tiny ** 0.5 * 1e-2, tiny * 1e3, 1e-20, 1.], 'float32')
    signs = [1., 1., -1., -1., 1., 1.]
    optimizer = RProp(variant=variant, init_alpha=0.01)
    feeder = GradientFeeder(optimizer, [np.zeros(4, 'float32')], mode)
    reference = Reference(variant, np.zeros(4, 'float32'), init_alpha=0.01,
                          flush_subnormals=FLUSHES_SUBNORMALS)
    for t, sign in enumerate(signs):
        feeder.step([sign * magnitudes], loss=float(t % 2))
        reference.update(sign * magnitudes, np.float32(t % 2))
        assert_bits_equal(feeder.weights()[0], reference.w, err_msg='step %d' % (t + 1))
        for got, want in zip(optimizer.get_weights_per_tensor(), state_per_tensor([reference])):
            assert_bits_equal(got, want, err_msg='step %d' % (t + 1))


# a state group is updated by one computation compiled apart from the step:
# XLA's on TensorFlow from XLA_FROM weights on (also inside a step XLA
# compiles whole; with XLA_FROM = 0 every group is, the reference streams'
# too), torch.compile's in PyTorch's eager step from COMPILED_FROM weights
# on once a run has been long (with EAGER_SECONDS_BEFORE_COMPILING = 0 from
# the first step, with COMPILED_FROM = 0 the streams' groups too)
APART = {'tensorflow': 'function', 'torch': 'eager'}.get(BACKEND, 'jit')
FUSED_CASES = ([(variant, 'ordinary', 'skip', mode, 'float32') for variant in sorted(VARIANTS)
                for mode in (sorted(MODES) if BACKEND == 'tensorflow' else [APART])]
               + [(variant, 'poisoned', nonfinite, APART, 'float32')
                  for variant in sorted(VARIANTS) for nonfinite in ('skip', 'propagate')]
               + [(variant, 'ordinary', 'skip', APART, 'float64')
                  for variant in sorted(VARIANTS)])


def compiled_apart(optimizer, dtype):
    """Whether `optimizer` has updated its group with the update compiled
    apart from the step, for weights of `dtype`."""
    if BACKEND == 'tensorflow':
        return list(optimizer._run_update._functions) == [dtype]
    return optimizer._run_update.compiled is not None


@pytest.mark.parametrize('variant, stream, nonfinite, mode, dtype', FUSED_CASES)
def test_the_update_compiled_apart_from_the_step_matches_the_reference(
        variant, stream, nonfinite, mode, dtype, monkeypatch, not_applicable):
    """In every way TensorFlow runs a step, also inside a step XLA compiles
    whole, and in PyTorch's eager step; the ordinary and the poisoned
    streams (NaN and infinities); float32 and float64 weights."""
    if BACKEND == 'jax':
        return not_applicable('JAX compiles the whole step, the update in it')
    if BACKEND == 'torch' and mode != 'eager':
        return not_applicable('torch.compile compiles the update into the whole step')
    import keras

    from legacy_rprop.core import switches
    from legacy_rprop.keras3 import backend
    monkeypatch.setattr(switches, 'XLA_FROM', 0)
    if BACKEND == 'torch':  # compiled at the first step, the streams' few weights too
        monkeypatch.setattr(backend, 'EAGER_SECONDS_BEFORE_COMPILING', 0.)
        monkeypatch.setattr(backend, 'COMPILED_FROM', 0)
    keras.backend.set_floatx(dtype)
    hyper = dict(init_alpha=0.05)
    optimizer = RProp(variant=variant, nonfinite=nonfinite, **hyper)
    run_against_reference(optimizer, variant, hyper, mode, nonfinite=nonfinite, dtype=dtype,
                          stream=poisoned_stream() if stream == 'poisoned' else None)
    assert compiled_apart(optimizer, dtype), 'not compiled'
    return None


def test_which_state_groups_are_compiled_apart_from_the_step(monkeypatch, not_applicable):
    """A model of XLA_FROM (TensorFlow) or COMPILED_FROM (PyTorch) weights
    or more: its group compiled, a smaller model's not at all."""
    if BACKEND == 'jax':
        return not_applicable('JAX compiles the whole step, the update in it')
    from legacy_rprop.core.switches import XLA_FROM
    from legacy_rprop.keras3 import backend
    threshold = XLA_FROM
    if BACKEND == 'torch':  # compiled at the first step
        monkeypatch.setattr(backend, 'EAGER_SECONDS_BEFORE_COMPILING', 0.)
        threshold = backend.COMPILED_FROM
    sizes = ((threshold, True), (threshold - 1, False))
    for size, compiled in sizes:
        optimizer = RProp(variant='iRprop-')
        feeder = GradientFeeder(optimizer, [np.zeros(size, 'float32')], APART)
        for t in range(2):
            feeder.step([np.full(size, 1. - 2 * t, 'float32')], loss=1.)
        assert compiled_apart(optimizer, 'float32') == compiled, size
    return None


def test_the_update_is_compiled_once_the_eager_one_has_taken_long_enough(
        monkeypatch, not_applicable):
    """PyTorch compiles the update once its eager runs have taken
    EAGER_SECONDS_BEFORE_COMPILING (here 30 s, and a clock that counts 1 s
    per reading: 1 s per eager update): every step as the reference, those
    before and those after."""
    if BACKEND != 'torch':
        return not_applicable('only PyTorch compiles the update once a run has been long')
    import itertools

    from legacy_rprop.keras3 import backend
    monkeypatch.setattr(backend, '_compiled', {})  # compiled anew, not taken from other tests
    monkeypatch.setattr(backend, '_eager_seconds', backend.collections.Counter())
    monkeypatch.setattr(backend, '_clock', itertools.count().__next__)
    monkeypatch.setattr(backend, 'EAGER_SECONDS_BEFORE_COMPILING', 30.)
    monkeypatch.setattr(backend, 'COMPILED_FROM', 0)  # the stream's few weights too
    optimizer = RProp(variant='Rprop+')

    def gradients_checking_the_path():
        for t, grads in enumerate(gradient_stream(SHAPES, STEPS, seed=1)):
            if t in (30, 31):  # after 30 eager steps and after the 31st, compiled
                assert (optimizer._run_update.compiled is not None) == (t == 31), t
            yield grads

    run_against_reference(optimizer, 'Rprop+', {}, 'eager', stream=(
        gradients_checking_the_path(), loss_stream(STEPS, seed=2)))
    assert optimizer._run_update.compiled is not None
    return None


@pytest.mark.parametrize('failure', ['no compiler', 'other numbers', 'turned off'])
def test_the_eager_update_runs_where_the_compiled_one_cannot(failure, monkeypatch,
                                                             not_applicable):
    """Where torch.compile fails (no C++ compiler), where its update would
    give other numbers than the eager one (found on the probe of NaN,
    infinities, zeros and subnormals, not on the stream), and with
    LEGACY_RPROP_FUSED=0: the eager update, the reference's numbers, and a
    warning that says why where the compiled update was wanted."""
    if BACKEND != 'torch':
        return not_applicable('only PyTorch compiles the update once a run has been long')
    import warnings

    import torch

    from legacy_rprop.core import switches
    from legacy_rprop.keras3 import backend
    monkeypatch.setattr(backend, 'EAGER_SECONDS_BEFORE_COMPILING', 0.)
    monkeypatch.setattr(backend, 'COMPILED_FROM', 0)
    monkeypatch.setattr(backend, '_compiled', {})
    if failure == 'no compiler':
        def compile_fails(*_, **__):
            raise RuntimeError('InvalidCxxCompiler: No working C++ compiler found')
        monkeypatch.setattr(torch, 'compile', compile_fails)
    elif failure == 'other numbers':
        in_place = backend._in_place

        def nan_to_zero(update):
            def other(hyper, inputs):
                new = update(hyper, inputs)
                return {name: torch.nan_to_num(value, nan=0.) for name, value in new.items()}
            return in_place(other)
        monkeypatch.setattr(backend, '_in_place', nan_to_zero)
    else:
        monkeypatch.setattr(switches, 'FUSED', False)
    optimizer = RProp(variant='iRprop-')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        run_against_reference(optimizer, 'iRprop-', {}, 'eager', steps=10)
    assert optimizer._run_update.compiled is None
    said = [str(w.message) for w in caught if 'torch.compile cannot' in str(w.message)]
    if failure == 'turned off':
        assert said == [] and backend._compiled == {}
    else:
        assert len(said) == 1, said
        assert ('No working C++ compiler' if failure == 'no compiler'
                else "numbers differ from the eager update's") in said[0]
        assert 'LEGACY_RPROP_FUSED=0' in said[0]
    return None
