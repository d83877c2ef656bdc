"""Rprop optimizers for multi-backend Keras 2 (2.0.8 to 2.3.1; Theano and TensorFlow).

Importing the package registers `RProp` and `Rprop` with Keras, so
``keras.optimizers.get('RProp')`` and ``keras.models.load_model(path)`` find
them without ``custom_objects``.
"""
from keras.utils import get_custom_objects

from legacy_rprop.callbacks import FullBatchCheck, MiniBatchError
from legacy_rprop.checkpoints import CheckpointError, load_latest_checkpoint
from legacy_rprop.optimizers import OptimizerStateError, RProp, Rprop
from legacy_rprop.rules import DEFAULT_VARIANT, VARIANTS

__version__ = '0.2.0'
__all__ = ['RProp', 'Rprop', 'OptimizerStateError', 'FullBatchCheck', 'MiniBatchError',
           'load_latest_checkpoint', 'CheckpointError',
           'DEFAULT_VARIANT', 'VARIANTS']

get_custom_objects().update({'RProp': RProp, 'Rprop': Rprop})
