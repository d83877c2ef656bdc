"""The environment variables that switch the package's paths, read here and
nowhere else (once, at import); both change speed only, never a number.

- ``LEGACY_RPROP_FUSED=0`` turns the fused update (XLA, or Theano's C loop)
  off on every backend and flavour: the update runs as the plain graph of
  the rule.  ``LEGACY_RPROP_XLA`` is its old name.
- ``LEGACY_RPROP_XLA_FROM=<weights>``: on TensorFlow the multi-backend
  optimizer, tf.keras' on its current optimizer API and Keras 3's compile
  their update with XLA from this many weights of a model (of a state
  group) on (default 2000); below, the plain graph runs.
"""
import os

FUSED = os.environ.get('LEGACY_RPROP_FUSED', os.environ.get('LEGACY_RPROP_XLA', '1')) != '0'


def _whole_number(name, default):
    text = os.environ.get(name, default)
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise ValueError('%s must be a whole number of weights >= 0, got %r' % (name, text))
    return value


XLA_FROM = _whole_number('LEGACY_RPROP_XLA_FROM', '2000')
