"""Rprop optimizers for tf.keras (TensorFlow 1.15 and 2.x): the same classes,
arguments, variants and numbers as `legacy_rprop` has for multi-backend
Keras, as tf.keras optimizers.  Imports no multi-backend Keras.

Importing the package registers `RProp` and `Rprop` with tf.keras, so
``tf.keras.optimizers.get('RProp')`` and ``tf.keras.models.load_model(path)``
find them without ``custom_objects``.
"""
from legacy_rprop_core import __version__  # noqa: F401 -- the package's version
from legacy_rprop_core.rules import DEFAULT_VARIANT, VARIANTS
from legacy_rprop_core.settings import OptimizerStateError
from legacy_rprop_tfkeras import _tf
from legacy_rprop_tfkeras.optimizers import RProp, Rprop

__all__ = ['RProp', 'Rprop', 'OptimizerStateError', 'DEFAULT_VARIANT', 'VARIANTS']

_tf.register([RProp, Rprop])
