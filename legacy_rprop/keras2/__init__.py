"""The multi-backend Keras 2 flavour (Keras 2.0.8 to 2.3.1; Theano and
TensorFlow): `RProp` and `Rprop`, the callbacks and checkpoints for long
full-batch runs.  ``from legacy_rprop import RProp`` is this flavour's
`RProp`; importing this package registers both classes with Keras, so
``keras.optimizers.get('RProp')`` and ``keras.models.load_model(path)`` find
them without ``custom_objects``.
"""
try:
    from keras.legacy import interfaces  # noqa: F401 -- only multi-backend Keras has it
except ImportError as error:
    raise ImportError(
        'legacy_rprop needs multi-backend Keras 2.0.8 to 2.3.1 (pip install '
        '"keras>=2.0.8,<2.4"), and could not import it: %s. For tf.keras, use '
        'legacy_rprop.tfkeras; for Keras 3, legacy_rprop.keras3.' % (error,)) from error

from keras.utils import get_custom_objects

from legacy_rprop.core.rules import DEFAULT_VARIANT, VARIANTS
from legacy_rprop.core.state import OptimizerStateError
from legacy_rprop.keras2.callbacks import FullBatchCheck, MiniBatchError
from legacy_rprop.keras2.checkpoints import CheckpointError, load_latest_checkpoint
from legacy_rprop.keras2.optimizers import RProp, Rprop

__all__ = ['RProp', 'Rprop', 'OptimizerStateError', 'FullBatchCheck', 'MiniBatchError',
           'load_latest_checkpoint', 'CheckpointError', 'DEFAULT_VARIANT', 'VARIANTS']

get_custom_objects().update({'RProp': RProp, 'Rprop': Rprop})
