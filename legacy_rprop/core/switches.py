"""The environment variables that switch the package's paths, read here and
nowhere else (once, at import); both change speed only, never a number.

- ``LEGACY_RPROP_FUSED=0`` turns the fused update (XLA, Theano's C loop,
  or on PyTorch the update torch.compile compiles for an eager step) off
  on every backend and flavour: the update runs as the plain graph (the
  ops) of the rule; ``1`` (the default) leaves it on, any other value is
  an error.  ``LEGACY_RPROP_XLA`` is its old name.
- ``LEGACY_RPROP_XLA_FROM=<weights>``: on TensorFlow the multi-backend
  optimizer, tf.keras' on its current optimizer API and Keras 3's compile
  their update with XLA from this many weights of a model (of a state
  group) on (default 2000); below, the plain graph runs.  (Keras 3 on
  PyTorch compiles its update of a group of 2048 weights or more once a
  run has been long enough: `legacy_rprop.keras3.backend.run_update`.)
"""
import os


def _on_or_off(name, default):
    text = os.environ.get(name, default)
    if text not in ('0', '1'):
        raise ValueError('%s must be 0 (off) or 1 (on), got %r' % (name, text))
    return text == '1'


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
# the old name counts only where the new one is not set
FUSED = _on_or_off('LEGACY_RPROP_XLA' if 'LEGACY_RPROP_XLA' in os.environ
                   and 'LEGACY_RPROP_FUSED' not in os.environ else 'LEGACY_RPROP_FUSED', '1')
