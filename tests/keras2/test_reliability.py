"""Non-finite gradients, mini-batch misuse, long runs and state that does not
fit, on this backend."""
import os
import warnings

import keras
import numpy as np
import pytest
from keras import backend as K

from harness import GradientFeeder, tensorflow_graph
from support.streams import gradient_stream, loss_stream
from legacy_rprop import (VARIANTS, FullBatchCheck, MiniBatchError,
                          OptimizerStateError, RProp)
from models import N_SAMPLES, classifier, data, fit_full_batch, train_function
from support.reference import Reference, assert_bits_equal, state_per_tensor

SHAPES = [(6, 4), (4,)]
STEPS = 40
BAD_STEPS = (5, 6, 17, 30)  # steps with non-finite gradients (and losses)


def poisoned_stream(pattern, seed=0):
    """The usual gradient stream, with NaN / +-inf on BAD_STEPS: in a few
    elements ('few'), or in every element ('all-nan', 'all-inf')."""
    stream = gradient_stream(SHAPES, STEPS, seed=seed)
    losses = loss_stream(STEPS, seed=seed + 1)
    rng = np.random.RandomState(seed + 2)
    for t in BAD_STEPS:
        for g in stream[t]:
            if pattern == 'few':
                flat = g.reshape(-1)
                where = rng.choice(flat.size, size=3, replace=False)
                flat[where] = [np.nan, np.inf, -np.inf]
            elif pattern == 'all-nan':
                g[...] = np.nan
            else:
                g[...] = np.where(rng.uniform(size=g.shape) < 0.5, np.inf, -np.inf)
        losses[t] = np.nan if pattern != 'all-inf' else np.inf
    return stream, losses


def initial():
    rng = np.random.RandomState(5)
    return [rng.normal(size=s).astype('float32') for s in SHAPES]


@pytest.mark.parametrize('pattern', ['few', 'all-nan', 'all-inf'])
@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_skip_leaves_nonfinite_elements_exactly_as_they_were(variant, pattern):
    optimizer = RProp(variant=variant, init_alpha=0.05)
    assert optimizer.nonfinite == 'skip'  # the default
    feeder = GradientFeeder(optimizer, initial())
    references = [Reference(variant, w, init_alpha=0.05) for w in initial()]
    stream, losses = poisoned_stream(pattern)
    for t, (grads, loss) in enumerate(zip(stream, losses)):
        before = feeder.weights() + optimizer.get_weights()
        feeder.step(grads, loss)
        after = feeder.weights() + optimizer.get_weights()
        for ref, g in zip(references, grads):
            ref.update(g, loss)
        for got, ref in zip(feeder.weights(), references):
            assert_bits_equal(got, ref.w, err_msg='step %d' % (t + 1))
            assert np.all(np.isfinite(got))
        assert all(np.all(np.isfinite(a)) or a.shape == () for a in after)
        if pattern != 'few' and t in BAD_STEPS:  # nothing moved at all, not a bit
            for b, a in zip(before, after):
                assert_bits_equal(a, b, err_msg='step %d' % (t + 1))
    state, expected = optimizer.get_weights_per_tensor(), state_per_tensor(references)
    assert len(state) == len(expected)
    for got, want in zip(state, expected):
        assert_bits_equal(got, want)


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_propagate_poisons_exactly_the_nan_elements_like_keras_builtins(variant):
    feeder = GradientFeeder(RProp(variant=variant, init_alpha=0.05, nonfinite='propagate'),
                            initial())
    stream, losses = gradient_stream(SHAPES, STEPS, seed=0), loss_stream(STEPS, seed=1)
    clean = [Reference(variant, w, init_alpha=0.05) for w in initial()]
    poisoned_at = [np.zeros(s, bool) for s in SHAPES]
    for t, (grads, loss) in enumerate(zip(stream, losses)):
        if t == 5:
            grads = [g.copy() for g in grads]
            grads[0][1, 2] = grads[1][3] = np.nan
            poisoned_at[0][1, 2] = poisoned_at[1][3] = True
        # the graph's loss is NaN too once a gradient is (see harness), and
        # with 'propagate' iRprop+ keeps comparing against that NaN
        seen_loss = feeder.step(grads, loss)
        for ref, g in zip(clean, stream[t]):
            ref.update(g, seen_loss)
    for got, ref, bad in zip(feeder.weights(), clean, poisoned_at):
        assert np.all(np.isnan(got[bad]))
        assert_bits_equal(got[~bad], ref.w[~bad])


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_a_constraint_leaves_an_element_skipped_for_its_gradient_alone(variant):
    """MaxNorm rescales a whole column; an element whose gradient is NaN or
    infinite keeps its weight anyway, bit for bit, while its column's other
    elements step and are rescaled."""
    from keras.constraints import MaxNorm
    w0 = (3 * np.random.RandomState(9).normal(size=(6, 4))).astype('float32')
    feeder = GradientFeeder(RProp(variant=variant, init_alpha=0.05), [w0],
                            constraints=[MaxNorm(1.)])
    grads = gradient_stream([(6, 4)], 1, seed=10)[0]
    grads[0][1, 2], grads[0][4, 0] = np.nan, np.inf
    feeder.step(grads, 1.)
    got = feeder.weights()[0]
    assert_bits_equal(got[[1, 4], [2, 0]], w0[[1, 4], [2, 0]])
    norms = np.sqrt(np.sum(got ** 2, axis=0))
    assert np.all(norms[[1, 3]] <= 1. + 1e-6)  # the constraint acted (they were ~7)
    others = np.ones_like(got, bool)
    others[[1, 4], [2, 0]] = False
    assert np.all(got[others] != w0[others])  # stepped, and rescaled


def test_step_sizes_stay_within_their_bounds_over_a_long_run():
    hyper = dict(init_alpha=0.01, scale_up=1.5, scale_down=0.4, min_alpha=1e-3,
                 max_alpha=0.2)
    for variant in sorted(VARIANTS):
        optimizer = RProp(variant=variant, **hyper)
        feeder = GradientFeeder(optimizer, [np.zeros(64, 'float32')])
        stream = gradient_stream([(64,)], 3000, seed=11, flip_fraction=0.2)
        losses = loss_stream(3000, seed=12)
        seen_min, seen_max = np.inf, -np.inf
        for grads, loss in zip(stream, losses):
            feeder.step(grads, loss)
            step = optimizer.get_weights_per_tensor()[0]
            seen_min, seen_max = min(seen_min, step.min()), max(seen_max, step.max())
            assert np.all(step >= np.float32(1e-3)) and np.all(step <= np.float32(0.2))
        # both bounds were reached, so the check was not vacuous
        assert seen_min == np.float32(1e-3) and seen_max == np.float32(0.2), variant


def test_repeated_fit_and_evaluate_reuse_one_graph_and_do_not_grow_memory():
    model = classifier(RProp(variant='iRprop+', init_alpha=0.01))
    x, y = data()
    fit_full_batch(model, 2)
    model.evaluate(x, y, batch_size=N_SAMPLES, verbose=0)
    compiled = train_function(model)
    ops_before = _graph_ops()
    rss_before = _rss_bytes()
    for _ in range(30):
        fit_full_batch(model, 100)
        model.evaluate(x, y, batch_size=N_SAMPLES, verbose=0)
    assert train_function(model) is compiled
    assert _graph_ops() == ops_before
    growth = _rss_bytes() - rss_before
    assert growth < 20 * 2 ** 20, 'resident memory grew by %d bytes over 3000 steps' % growth


def _graph_ops():
    """The number of ops in TensorFlow's graph (Theano has no growing graph:
    the compiled function object is the same, which is checked above)."""
    if K.backend() != 'tensorflow':
        return None
    return len(tensorflow_graph().get_operations())


def _rss_bytes():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


def test_full_batch_check_warns_once_for_mini_batches_and_names_the_fix():
    model = classifier(RProp())
    x, y = data()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        model.fit(x, y, batch_size=16, epochs=3, verbose=0, callbacks=[FullBatchCheck()])
    messages = [str(w.message) for w in caught if 'full-batch' in str(w.message)]
    assert len(messages) == 1
    assert 'runs 4 batches per epoch (batch_size=16 for 64 samples)' in messages[0]
    assert 'batch_size=len(x)' in messages[0]


def test_full_batch_check_is_silent_for_full_batches_and_strict_raises():
    model = classifier(RProp())
    x, y = data()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        fit_full_batch(model, 2, callbacks=[FullBatchCheck(strict=True)])
    assert not [w for w in caught if 'full-batch' in str(w.message)]
    with pytest.raises(MiniBatchError) as error:
        model.fit(x, y, batch_size=32, epochs=1, verbose=0,
                  callbacks=[FullBatchCheck(strict=True)])
    assert 'runs 2 batches per epoch' in str(error.value)
    for wrong in ('yes', 1, 0, 1.0, None):
        with pytest.raises(ValueError) as error:
            FullBatchCheck(strict=wrong)
        assert str(error.value) == 'strict must be True or False, got %r' % (wrong,)


def test_state_of_another_variant_is_refused_not_silently_dropped(tmp_path):
    source = classifier(RProp(variant='iRprop+', init_alpha=0.01))
    fit_full_batch(source, 3)
    target = classifier(RProp(variant='Rprop-', init_alpha=0.01))
    fit_full_batch(target, 1)
    state = target.optimizer.get_weights()
    with pytest.raises(OptimizerStateError) as error:
        target.optimizer.set_weights(source.optimizer.get_weights())
    message = str(error.value)
    assert "RProp(variant='Rprop-') cannot load this optimizer state" in message
    assert 'holds 2 arrays' in message and 'got 3 arrays' in message
    # nor in the per-tensor layout of versions 0.1.0 to 0.4.0
    with pytest.raises(OptimizerStateError):
        target.optimizer.set_weights(source.optimizer.get_weights_per_tensor())
    for kept, now in zip(state, target.optimizer.get_weights()):
        np.testing.assert_array_equal(kept, now)  # nothing was loaded

    # through load_model: the saved state no longer fits the optimizer that
    # the file is loaded with
    path = str(tmp_path / 'rprop_plus.h5')
    source.save(path)
    with pytest.raises(OptimizerStateError):
        keras.models.load_model(
            path, custom_objects={'RProp': lambda **config: RProp(
                **dict(config, variant='iRprop-'))})


def test_state_of_another_model_is_refused():
    small = classifier(RProp())
    fit_full_batch(small, 1)
    other = keras.models.Sequential([keras.layers.Dense(3, input_shape=(4,))])
    other.compile(optimizer=RProp(), loss='mse')
    other.fit(np.zeros((2, 4)), np.zeros((2, 3)), verbose=0)
    with pytest.raises(OptimizerStateError) as error:
        small.optimizer.set_weights(other.optimizer.get_weights())
    assert 'with shapes [(49,), (49,)]' in str(error.value)
    with pytest.raises(OptimizerStateError):
        small.optimizer.set_weights(other.optimizer.get_weights_per_tensor())
