"""Resuming a long full-batch run from Keras' ModelCheckpoint files."""
import glob
import os
import re
import warnings

from keras.models import load_model

from legacy_rprop.optimizers import OptimizerStateError


def load_latest_checkpoint(pattern, custom_objects=None):
    """Load the newest whole-model checkpoint that loads; ``(model, epoch)``.

    `pattern` is a glob matching the files a ``ModelCheckpoint`` wrote with
    the epoch in their name: for ``ModelCheckpoint('run/ckpt-{epoch:04d}.h5')``
    pass ``'run/ckpt-*.h5'``.  The epoch is the last number in the file name (without its extension).
    A file that cannot be read (a run killed while writing it) is skipped
    with a warning and the one before it is tried.  A file whose optimizer
    state does not fit raises `OptimizerStateError`: that is a wrong file,
    not a torn one.  Returns ``(None, 0)`` if no file matches.

    Continue with ``model.fit(..., initial_epoch=epoch, epochs=total)``: the
    weights and the optimizer state are those of the end of that epoch, so
    the run ends as it would have without the interruption.
    """
    candidates = []
    for path in glob.glob(pattern):
        numbers = re.findall(r'\d+', os.path.splitext(os.path.basename(path))[0])
        if numbers:
            candidates.append((int(numbers[-1]), path))
    for epoch, path in sorted(candidates, reverse=True):
        try:
            return load_model(path, custom_objects=custom_objects), epoch
        except OptimizerStateError:
            raise
        except (OSError, IOError, KeyError, ValueError) as error:
            warnings.warn('skipping checkpoint %s, which does not load (%s: %s)'
                          % (path, type(error).__name__, error))
    return None, 0
