"""What the tests of `batches_per_step` share in every flavour: a record of
each epoch's end and the check that k batches made the steps of one."""
import numpy as np

from support.reference import assert_bits_equal


class EpochRecord(object):
    """The weights and optimizer state (per tensor) of `model` at the end
    of every epoch, kept by the Keras callback `callback`."""

    def __init__(self, keras, model):
        self.weights, self.state = [], []
        self.callback = keras.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: self.record(model))

    def record(self, model):
        self.weights.append(model.get_weights())
        self.state.append(model.optimizer.get_weights_per_tensor())


def assert_same_steps(full, accumulated, n_params, label):
    """Every epoch of two `EpochRecord`s: the same step sizes (bit for
    bit) and the same signs of the second slot (the stored gradient or
    move), the weights and (iRprop+) the compared loss, the mean over the
    epoch's samples, within float rounding."""
    for epoch, (w_full, w_acc) in enumerate(zip(full.weights, accumulated.weights)):
        where = '%s, epoch %d' % (label, epoch + 1)
        for a, b in zip(w_acc, w_full):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7, err_msg=where)
        s_full, s_acc = full.state[epoch], accumulated.state[epoch]
        for k in range(n_params):  # step_size of each weight tensor comes first
            assert_bits_equal(s_acc[k], s_full[k], err_msg='step sizes, ' + where)
            assert_bits_equal(np.sign(s_acc[n_params + k]), np.sign(s_full[n_params + k]),
                              err_msg='signs of the second slot, ' + where)
        if len(s_full) % n_params:  # iRprop+: prev_loss after the slots
            np.testing.assert_allclose(s_acc[len(s_full) - 1], s_full[-1], rtol=1e-6,
                                       err_msg='prev_loss, ' + where)
