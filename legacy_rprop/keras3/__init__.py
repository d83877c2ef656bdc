"""The Keras 3 flavour (TensorFlow, JAX, PyTorch): the same classes,
arguments, variants and numbers as the other flavours, as Keras 3
optimizers.  Imports no multi-backend Keras.

Importing the package registers `RProp` and `Rprop` with Keras
(``legacy_rprop>RProp``, and by their class names), so ``.keras`` files load
without ``custom_objects`` and ``keras.optimizers.get('RProp')`` finds them.
"""
import keras

if not hasattr(keras.optimizers.Optimizer, '_backend_update_step'):
    raise ImportError('legacy_rprop.keras3 needs Keras 3.3 or later (an optimizer that '
                      'updates all weights at once), and found Keras %s' % keras.__version__)

from legacy_rprop.core.rules import DEFAULT_VARIANT, VARIANTS  # noqa: E402
from legacy_rprop.core.state import OptimizerStateError  # noqa: E402
from legacy_rprop.keras3.optimizers import RProp, Rprop, tell_batch_sizes  # noqa: E402

__all__ = ['RProp', 'Rprop', 'tell_batch_sizes', 'OptimizerStateError', 'DEFAULT_VARIANT',
           'VARIANTS']

keras.saving.get_custom_objects().update({'RProp': RProp, 'Rprop': Rprop})
