"""Rprop optimizers for legacy Keras projects, one flavour per Keras:

- multi-backend Keras 2.0.8 to 2.3.1 (Theano, TensorFlow):
  ``from legacy_rprop import RProp`` (`legacy_rprop.keras2`);
- tf.keras of TensorFlow 1.15 to 2.15, and tf_keras: `legacy_rprop.tfkeras`;
- Keras 3 (TensorFlow, JAX, PyTorch): `legacy_rprop.keras3`;

all over one core (`legacy_rprop.core`), plus `legacy_rprop.compat`, which
keeps Keras-1-style optimizers running on Keras 2.

Importing this package imports no Keras, so that each flavour can be
imported without the others' Keras.  The multi-backend names below are
imported from `legacy_rprop.keras2` on first use; and as soon as
multi-backend Keras is imported (before or after this package), `RProp` and
`Rprop` are registered with it, so ``import legacy_rprop`` is enough for
``keras.models.load_model(path)`` and ``keras.optimizers.get('RProp')``.
"""
import sys
import types

from legacy_rprop import _registration
from legacy_rprop.core.rules import DEFAULT_VARIANT, VARIANTS
from legacy_rprop.core.state import OptimizerStateError

__version__ = '0.8.3'

# the multi-backend flavour's names, imported from legacy_rprop.keras2 on first use
_KERAS2_NAMES = ('RProp', 'Rprop', 'FullBatchCheck', 'MiniBatchError', 'load_latest_checkpoint',
                 'CheckpointError')
__all__ = list(_KERAS2_NAMES) + ['OptimizerStateError', 'DEFAULT_VARIANT', 'VARIANTS']


class _Package(types.ModuleType):
    """This package, with the multi-backend names imported on first use (a
    module's own ``__getattr__`` needs Python 3.7)."""

    def __getattr__(self, name):
        if name in _KERAS2_NAMES:
            from legacy_rprop import keras2
            return getattr(keras2, name)
        raise AttributeError('module %r has no attribute %r' % (__name__, name))

    def __dir__(self):
        return sorted(set(super(_Package, self).__dir__()) | set(_KERAS2_NAMES))


sys.modules[__name__].__class__ = _Package
_registration.register_with_multi_backend_keras()
