"""The tf.keras flavour (TensorFlow 1.15 and 2.x): the same classes,
arguments, variants and numbers as the multi-backend flavour, as tf.keras
optimizers.  Imports no multi-backend Keras.

Importing the package registers `RProp` and `Rprop` with tf.keras, so
``tf.keras.optimizers.get('RProp')`` and ``tf.keras.models.load_model(path)``
find them without ``custom_objects``.
"""
from legacy_rprop.core.rules import DEFAULT_VARIANT, VARIANTS
from legacy_rprop.core.state import OptimizerStateError
from legacy_rprop.tfkeras import backend
from legacy_rprop.tfkeras.optimizers import RProp, Rprop

__all__ = ['RProp', 'Rprop', 'OptimizerStateError', 'DEFAULT_VARIANT', 'VARIANTS']

backend.register([RProp, Rprop])
