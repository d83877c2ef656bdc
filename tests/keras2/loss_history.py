"""Print, as JSON, the full-batch loss history of every variant on the test
classifier, on the backend chosen by KERAS_BACKEND, and the run's model
weights and optimizer state (`get_weights_per_tensor`) after HANDOVER of its
epochs, from which another Keras goes on.  Used by test_cross_backend.py,
which runs it once per backend and Keras version, and by the other
flavours' test_cross_flavour.py."""
import json
import sys

import keras
from keras import backend as K

from legacy_rprop import VARIANTS, RProp
from models import classifier, fit_full_batch

EPOCHS = 60
HANDOVER = 30


def main():
    histories, handover = {}, {}
    for variant in VARIANTS:
        if hasattr(K, 'clear_session'):
            K.clear_session()
        model = classifier(RProp(variant=variant, init_alpha=0.01))
        losses = fit_full_batch(model, HANDOVER)
        handover[variant] = {'weights': [w.tolist() for w in model.get_weights()],
                             'state': [s.tolist() for s in
                                       model.optimizer.get_weights_per_tensor()]}
        losses += fit_full_batch(model, EPOCHS - HANDOVER)
        histories[variant] = [float(v) for v in losses]
    json.dump({'backend': K.backend(), 'keras': keras.__version__, 'histories': histories,
               'handover_epoch': HANDOVER, 'handover': handover}, sys.stdout)


if __name__ == '__main__':
    main()
