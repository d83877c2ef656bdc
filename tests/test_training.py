"""Training through Keras' fit, saving, loading and resuming, on this backend."""
import keras
import numpy as np
import pytest
from keras.constraints import MaxNorm

from legacy_rprop import VARIANTS, RProp, Rprop
from models import classifier, fit_full_batch

# every variant must bring the loss below initial / LOSS_FACTOR in EPOCHS epochs
EPOCHS = 100
LOSS_FACTOR = 5.


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_full_batch_training_lowers_the_loss(variant):
    losses = fit_full_batch(classifier(RProp(variant=variant, init_alpha=0.01)),
                            EPOCHS)
    assert np.all(np.isfinite(losses))
    assert losses[-1] < losses[0] / LOSS_FACTOR, losses[::10]


def test_question_class_trains():
    losses = fit_full_batch(classifier(Rprop()), EPOCHS)
    assert losses[-1] < losses[0] / LOSS_FACTOR, losses[::10]


def test_kernel_constraint_holds_after_every_epoch():
    model = classifier(RProp(init_alpha=0.05), kernel_constraint=MaxNorm(0.5))
    for _ in range(5):
        fit_full_batch(model, 3)
        column_norms = np.sqrt(np.sum(model.get_weights()[0] ** 2, axis=0))
        assert np.all(column_norms <= 0.5 + 1e-6), column_norms
    # the constraint was active: unconstrained training goes past it
    free = classifier(RProp(init_alpha=0.05))
    fit_full_batch(free, 15)
    assert np.max(np.sqrt(np.sum(free.get_weights()[0] ** 2, axis=0))) > 0.5


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_save_load_resume_is_bit_exact(variant, tmp_path):
    straight = classifier(RProp(variant=variant, init_alpha=0.01))
    fit_full_batch(straight, 20)

    first = classifier(RProp(variant=variant, init_alpha=0.01))
    fit_full_batch(first, 10)
    path = str(tmp_path / 'model.h5')
    first.save(path)
    resumed = keras.models.load_model(path)  # no custom_objects needed
    assert isinstance(resumed.optimizer, RProp)
    assert resumed.optimizer.get_config() == first.optimizer.get_config()
    for saved, loaded in zip(first.optimizer.get_weights(),
                             resumed.optimizer.get_weights()):
        np.testing.assert_array_equal(saved, loaded)
    fit_full_batch(resumed, 10)

    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(straight.optimizer.get_weights(),
                    resumed.optimizer.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_optimizer_weights_have_the_documented_order():
    model = classifier(RProp(variant='iRprop+'))
    fit_full_batch(model, 1)
    params = model.trainable_weights
    names = [w.name.rsplit('/', 1)[-1] for w in model.optimizer.weights]
    n = len(params)
    assert len(names) == 3 * n + 1
    for slot_index, slot in enumerate(('step_size', 'prev_grad', 'prev_move')):
        for i in range(n):
            assert names[slot_index * n + i].startswith('%s_%d' % (slot, i)), names
    assert names[-1].startswith('prev_loss')
    shapes = [w.shape for w in model.optimizer.get_weights()]
    assert shapes == [tuple(keras.backend.int_shape(p)) for p in params] * 3 + [()]
