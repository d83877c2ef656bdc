"""Registering `RProp` and `Rprop` with multi-backend Keras when it is
imported, without importing it: ``import legacy_rprop`` must leave tf.keras
and Keras 3 projects' Keras alone, yet make ``keras.models.load_model``
find the classes in a multi-backend Keras project.

If multi-backend Keras is imported already, `legacy_rprop.keras2` is
imported now (it registers the classes); otherwise a finder on
``sys.meta_path`` waits for ``import keras``, lets Keras' own loader run it
to the end, and then does the same, once.  A ``keras`` that is not
multi-backend Keras (tf.keras's own package, Keras 3) is left alone.
"""
import importlib.abc
import importlib.util
import sys


def register_with_multi_backend_keras():
    if 'keras' in sys.modules:
        _register_if_multi_backend()
    elif not any(isinstance(finder, _KerasImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _KerasImport())


def _register_if_multi_backend():
    try:  # only multi-backend Keras has keras.legacy.interfaces
        multi_backend = importlib.util.find_spec('keras.legacy.interfaces') is not None
    except ImportError:
        multi_backend = False
    if multi_backend:
        import legacy_rprop.keras2  # noqa: F401 -- registers the classes


class _KerasImport(importlib.abc.MetaPathFinder):
    """Finds ``keras`` as the other finders do, with a loader that registers
    the classes after Keras' own has run."""

    def find_spec(self, name, path=None, target=None):
        if name != 'keras':
            return None
        sys.meta_path.remove(self)  # once, and not for the look-up below
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _ThenRegister(spec.loader)
        return spec


class _ThenRegister(importlib.abc.Loader):
    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        _register_if_multi_backend()

    def __getattr__(self, name):  # get_data, is_package, ... of Keras' loader
        return getattr(self.loader, name)
