"""Run Keras-1-style custom optimizers on Keras 2.3.1 by changing imports only.

    from legacy_rprop.compat import Optimizer, backend as K

`Optimizer` accepts the old ``get_updates(self, params, constraints, loss)``
and a settable ``self.lr``; `backend` is ``keras.backend`` plus the names
that optimizer code of the Keras 1 era used, with updates that see only
pre-step values on TensorFlow 1.15 as on Theano.  See the README section
"Keeping old optimizers running".
"""
from legacy_rprop.compat import backend
from legacy_rprop.compat.optimizer import Optimizer

__all__ = ['Optimizer', 'backend']
