"""Deprecated name of `legacy_rprop.tfkeras` (until version 0.5.2); kept so
that projects importing it keep working.  Import ``legacy_rprop.tfkeras``."""
import warnings

from legacy_rprop.tfkeras import *  # noqa: F401,F403
from legacy_rprop.tfkeras import __all__  # noqa: F401

warnings.warn('legacy_rprop_tfkeras is now legacy_rprop.tfkeras; the old name will go in '
              'version 1.0', DeprecationWarning, stacklevel=2)
