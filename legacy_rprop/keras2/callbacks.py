"""A Keras callback that catches Rprop used with mini-batches."""
import warnings

from keras.callbacks import Callback


class MiniBatchError(ValueError):
    """Raised by `FullBatchCheck(strict=True)` when an epoch has several batches."""


class FullBatchCheck(Callback):
    """Warn (or, with ``strict=True``, stop) when ``fit`` uses mini-batches.

    Rprop adapts each step size to whether the sign of the gradient changed
    since the last step.  With mini-batches it changes because the batches
    differ, the steps shrink to ``min_alpha`` and training stalls.  Pass this
    callback to ``fit`` / ``fit_generator``; it checks once, when training
    begins, that every epoch is one step: one batch (``batch_size >=
    len(x)``, or one step per epoch for generators and tensors), or as many
    batches as the optimizer's ``batches_per_step`` adds up into one step:

        model.fit(x, y, batch_size=len(x), callbacks=[FullBatchCheck()])
    """

    def __init__(self, strict=False):
        super(FullBatchCheck, self).__init__()
        if not isinstance(strict, bool):  # 1 == True, but 1 is not a bool
            raise ValueError('strict must be True or False, got %r' % (strict,))
        self.strict = strict

    def on_train_begin(self, logs=None):
        batches = _batches_per_epoch(self.params)
        per_step = getattr(getattr(self.model, 'optimizer', None), 'batches_per_step', 1)
        if batches is None or batches == per_step or (batches <= 1 and per_step == 1):
            return
        if per_step == 1:
            message = (
                'Rprop is meant for full-batch training, but this fit runs %s batches per '
                'epoch (%s). The sign of a mini-batch gradient flips from batch to batch, '
                'so the step sizes shrink to min_alpha and training stalls. Fix: '
                'batch_size=len(x) (for generators, steps_per_epoch=1 with the whole data '
                'in one batch), or, if the data does not fit one batch, '
                'batches_per_step=%s in the optimizer: one step per epoch on the gradient '
                'of all its batches.' % (batches, _describe(self.params), batches))
        else:
            message = (
                'The optimizer adds up batches_per_step=%d batches into one step, but this '
                'fit runs %s batches per epoch (%s), so its steps do not line up with '
                'epochs. Fix: batches_per_step=%s, or a batch size that makes %d batches '
                'per epoch.' % (per_step, batches, _describe(self.params), batches,
                                per_step))
        if self.strict:
            raise MiniBatchError(message)
        warnings.warn(message, stacklevel=2)


def _batches_per_epoch(params):
    steps = params.get('steps')
    if steps:
        return steps
    samples, batch_size = params.get('samples'), params.get('batch_size')
    if samples and batch_size:
        return -(-samples // batch_size)  # ceiling division
    return None


def _describe(params):
    if params.get('steps'):
        return 'steps_per_epoch=%d' % params['steps']
    return 'batch_size=%d for %d samples' % (params['batch_size'], params['samples'])
