"""Resuming a long full-batch run from Keras' ModelCheckpoint files."""
import glob
import os
import re
import warnings

from keras.callbacks import ModelCheckpoint
from keras.models import load_model


class CheckpointError(Exception):
    """Checkpoint files matched, but none of them could be read."""


def load_latest_checkpoint(pattern, custom_objects=None):
    """Load the newest whole-model checkpoint that loads; ``(model, epoch)``.

    `pattern` is a glob matching the files a ``ModelCheckpoint`` wrote with
    the epoch in their name: for ``ModelCheckpoint('run/ckpt-{epoch:04d}.h5')``
    pass ``'run/ckpt-*.h5'``.  The epoch is the last number in the file name
    (without its extension), counted as the installed Keras counts it (Keras
    before 2.1 numbers the first epoch's file 0, later ones 1).

    A file that cannot be read (a run killed while writing it) is skipped
    with a warning and the one before it is tried.  Any other error is
    raised: a checkpoint that reads but does not load (a custom layer not
    passed in `custom_objects`, or `OptimizerStateError` for optimizer state
    that does not fit) is a problem to fix, not a file to skip.  If files
    match but none can be read, `CheckpointError` lists each with its reason.
    Returns ``(None, 0)`` if no file matches.

    Continue with ``model.fit(..., initial_epoch=epoch, epochs=total)``: the
    weights and the optimizer state are those of the end of that epoch, so
    the run ends as it would have without the interruption.
    """
    candidates = []
    for path in glob.glob(pattern):
        numbers = re.findall(r'\d+', os.path.splitext(os.path.basename(path))[0])
        if numbers:
            candidates.append((int(numbers[-1]), path))
    if not candidates:
        return None, 0
    epochs_before_first_file = 1 - _first_file_number()
    torn = []
    for number, path in sorted(candidates, reverse=True):
        try:
            return (load_model(path, custom_objects=custom_objects),
                    number + epochs_before_first_file)
        except Exception:
            reason = _why_unreadable(path)
            if reason is None:
                raise  # the file is whole: this error is not a torn file's
            warnings.warn('skipping checkpoint %s, which cannot be read (%s)' % (path, reason),
                          stacklevel=2)
            torn.append('%s (%s)' % (path, reason))
    raise CheckpointError('none of the %d checkpoint files matching %r can be read: %s'
                          % (len(torn), pattern, '; '.join(torn)))


def _why_unreadable(path):
    """Why the HDF5 file at `path` cannot be read in full, or None if it can."""
    import h5py

    def read(name, item):
        if isinstance(item, h5py.Dataset):
            item[()]

    try:
        with h5py.File(path, 'r') as f:
            if 'model_config' not in f.attrs:
                return 'no model_config in the file'
            f.visititems(read)
    except Exception as error:  # h5py raises OSError, KeyError, RuntimeError, ...
        return '%s: %s' % (type(error).__name__, error)
    return None


def _first_file_number():
    """The number ModelCheckpoint puts in the name of the first epoch's file."""
    names = []

    class Recorder(object):
        def save(self, filepath, **kwargs):
            names.append(filepath)

    probe = ModelCheckpoint('{epoch}')
    probe.set_model(Recorder())
    probe.on_epoch_end(0, {})
    return int(names[0])
