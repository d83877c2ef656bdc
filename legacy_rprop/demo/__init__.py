"""The demo and the paper's experiments, on multi-backend Keras: `problems`
(the classic Rprop problems), `run` (every variant beside Keras' SGD and
Adam, a table and a plot: ``legacy-rprop demo``), `paper` (Riedmiller &
Braun 1993 on their setup: ``legacy-rprop demo --paper``)."""
from legacy_rprop.core.rules import VARIANTS

# what ``legacy-rprop demo`` trains with, named here (no Keras imported) so
# that the command line answers --help and bad options at once
OPTIMIZERS = tuple(VARIANTS) + ('SGD', 'Adam')
# Delta_0 of Riedmiller & Braun (1993); RProp's own default is the Keras
# answer's 1e-3
DEMO_INIT_ALPHA = 0.1
