"""The tf.keras flavour (TensorFlow 1.15 and 2.x, and tf_keras): the same
classes, arguments, variants and numbers as the multi-backend flavour, as
tf.keras optimizers.  Imports no multi-backend Keras.

Where ``tf.keras`` is Keras 3 (TensorFlow 2.16 and later, unless
``TF_USE_LEGACY_KERAS=1`` makes it tf_keras), these are the Keras 3
flavour's classes (`legacy_rprop.keras3`).

On TensorFlow 2.11+ and tf_keras, where tf.keras' current optimizer API
saves an optimizer's state into ``.keras`` files, they are optimizers of that
API (`legacy_rprop.tfkeras.current`); before, of the legacy API
(`legacy_rprop.tfkeras.optimizers`, ``OptimizerV2``).

Importing the package registers `RProp` and `Rprop` with tf.keras, so
``tf.keras.optimizers.get('RProp')`` and ``tf.keras.models.load_model(path)``
find them without ``custom_objects``.
"""
import tensorflow as tf

from legacy_rprop.core.rules import DEFAULT_VARIANT, VARIANTS
from legacy_rprop.core.state import OptimizerStateError

__all__ = ['RProp', 'Rprop', 'OptimizerStateError', 'DEFAULT_VARIANT', 'VARIANTS']

if hasattr(tf.keras.optimizers.Optimizer, 'stateless_apply'):  # tf.keras is Keras 3
    from legacy_rprop.keras3 import RProp, Rprop
else:
    from legacy_rprop.tfkeras import backend
    if backend.CurrentOptimizerBase is not None:
        from legacy_rprop.tfkeras.current import RProp, Rprop
    else:
        from legacy_rprop.tfkeras.optimizers import RProp, Rprop

    backend.register([RProp, Rprop])
