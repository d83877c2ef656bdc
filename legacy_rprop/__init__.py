"""Rprop optimizers for multi-backend Keras 2 (2.0.8 to 2.3.1; Theano and TensorFlow).

Importing the package registers `RProp` and `Rprop` with Keras, so
``keras.optimizers.get('RProp')`` and ``keras.models.load_model(path)`` find
them without ``custom_objects``.  For tf.keras (TensorFlow 1.15 and 2.x),
use `legacy_rprop_tfkeras`, which has the same classes and imports no
multi-backend Keras.
"""
try:
    from keras.legacy import interfaces  # noqa: F401 -- only multi-backend Keras has it
except ImportError as error:
    raise ImportError(
        'legacy_rprop needs multi-backend Keras 2.0.8 to 2.3.1 (pip install '
        '"keras>=2.0.8,<2.4"), and could not import it: %s. For tf.keras '
        '(TensorFlow 1.15 and 2.x), use legacy_rprop_tfkeras instead.' % (error,)) from error

from keras.utils import get_custom_objects

from legacy_rprop.callbacks import FullBatchCheck, MiniBatchError
from legacy_rprop.checkpoints import CheckpointError, load_latest_checkpoint
from legacy_rprop.optimizers import OptimizerStateError, RProp, Rprop
from legacy_rprop_core.rules import DEFAULT_VARIANT, VARIANTS

from legacy_rprop_core import __version__  # noqa: F401 -- the package's version
__all__ = ['RProp', 'Rprop', 'OptimizerStateError', 'FullBatchCheck', 'MiniBatchError',
           'load_latest_checkpoint', 'CheckpointError',
           'DEFAULT_VARIANT', 'VARIANTS']

get_custom_objects().update({'RProp': RProp, 'Rprop': Rprop})
