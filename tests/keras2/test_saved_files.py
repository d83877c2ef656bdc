"""Models saved by legacy_rprop 0.1.0 (Keras 2.3.1, TF 1.15; data/) load
and train on with this version: the optimizer, its variant and its state
are those of the file, bit for bit; and the state 0.6.0 kept for Rprop+ and
iRprop+ (with prev_move) loads without the slot this version derives."""
import glob
import json
import os

import h5py
import keras
import numpy as np
import pytest

from legacy_rprop import RProp, Rprop
from models import classifier, data, fit_full_batch
from support.reference import assert_bits_equal, assert_each_bits_equal
from support.saved_by_0_6 import (VARIANTS_WITH_PREV_MOVE, check_prev_move_is_derived,
                                  saved_by_0_6)

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data')
FILES = sorted(glob.glob(os.path.join(DATA, 'v0.1.0-*.h5')))


def saved_optimizer_state(path):
    with h5py.File(path, 'r') as f:
        group = f['optimizer_weights']
        names = [n.decode('utf8') if isinstance(n, bytes) else n
                 for n in group.attrs['weight_names']]
        return [np.array(group[n]) for n in names]


def test_every_variant_has_a_file():
    assert len(FILES) == 6


def architecture_error(path):
    """The error Keras itself raises reading the file's model architecture
    (Keras 2.0 cannot read that of Keras 2.3.1), or None."""
    with h5py.File(path, 'r') as f:
        config = f.attrs['model_config']
    try:
        keras.models.model_from_json(config.decode('utf8') if isinstance(config, bytes)
                                     else config)
    except Exception as error:
        return error
    return None


def rebuilt(path):
    """The file's model as this Keras can have it when it cannot read the
    architecture (Keras 2.0 and 2.3.1's): the test classifier, built in
    code, with the file's weights, its optimizer from the file's config (by
    the name Keras finds it under) and the optimizer's saved state."""
    with h5py.File(path, 'r') as f:
        config = f.attrs['training_config']
    config = json.loads(config.decode('utf8') if isinstance(config, bytes) else config)
    model = classifier(keras.optimizers.deserialize(config['optimizer_config']))
    model.load_weights(path)
    weights = model.get_weights()
    fit_full_batch(model, 1)  # builds the optimizer's state ...
    model.set_weights(weights)  # ... and back to the file's weights
    model.optimizer.set_weights(saved_optimizer_state(path))
    return model


@pytest.mark.parametrize('path', FILES, ids=os.path.basename)
def test_a_model_saved_by_0_1_0_loads_and_trains_on(path):
    error = architecture_error(path)
    if error is None:
        model = keras.models.load_model(path)  # no custom_objects
    else:
        # this Keras cannot read the architecture: load_model fails as Keras
        # does, not on anything of legacy_rprop's; the rest of the file loads
        with pytest.raises(type(error)):
            keras.models.load_model(path)
        model = rebuilt(path)
    name = os.path.basename(path)[len('v0.1.0-'):-len('.h5')]
    if name == 'Rprop':
        assert type(model.optimizer) is Rprop
    else:
        assert type(model.optimizer) is RProp
        assert model.optimizer.variant == name.split('-', 1)[1]
    # 0.1.0 kept one array per slot and weight tensor; the state is
    # converted to one vector per slot at load
    state = model.optimizer.get_weights_per_tensor()
    saved = saved_optimizer_state(path)
    assert len(model.optimizer.get_weights()) < len(saved)
    n = len(model.trainable_weights)
    if model.optimizer.variant in ('Rprop+', 'iRprop+'):
        # the last moves (third slot) are left out: wherever the rule reads
        # one, it is -sign(prev_grad) * step_size, which it derives
        step_size, prev_grad, prev_move = saved[:n], saved[n:2 * n], saved[2 * n:3 * n]
        for d, g, move in zip(step_size, prev_grad, prev_move):
            assert np.any(g != 0)
            assert_bits_equal(move[g != 0], -(np.sign(g[g != 0]) * d[g != 0]))
        saved = saved[:2 * n] + saved[3 * n:]
    assert len(state) == len(saved) > 0
    for got, want in zip(state, saved):
        assert_bits_equal(got, want)
    x, y = data()
    losses = model.fit(x, y, batch_size=len(x), epochs=20, shuffle=False,
                       verbose=0).history['loss']
    assert losses[-1] < losses[0]


@pytest.mark.parametrize('variant', VARIANTS_WITH_PREV_MOVE)
def test_state_saved_by_0_6_loads_without_prev_move(variant):
    weights, saved = saved_by_0_6('keras2', variant)
    model = classifier(RProp(variant=variant, init_alpha=0.01))
    fit_full_batch(model, 1)  # builds the optimizer's state
    model.set_weights(weights)
    model.optimizer.set_weights(saved)
    # one vector per slot (the classifier's weights are one group):
    # step_size, prev_grad, prev_move, then iRprop+'s prev_loss
    check_prev_move_is_derived(saved[0:1], saved[1:2], saved[2:3])
    assert_each_bits_equal(model.optimizer.get_weights(), saved[:2] + saved[3:])
    losses = fit_full_batch(model, 5)
    assert losses[-1] < losses[0]
