"""Print, as JSON, the full-batch loss history of every variant on the test
classifier, on the backend chosen by KERAS_BACKEND.  Used by
test_cross_backend.py, which runs it once per backend and Keras version."""
import json
import sys

import keras
from keras import backend as K

from legacy_rprop import VARIANTS, RProp
from models import classifier, fit_full_batch

EPOCHS = 60


def main():
    histories = {}
    for variant in VARIANTS:
        if hasattr(K, 'clear_session'):
            K.clear_session()
        model = classifier(RProp(variant=variant, init_alpha=0.01))
        histories[variant] = [float(v) for v in fit_full_batch(model, EPOCHS)]
    json.dump({'backend': K.backend(), 'keras': keras.__version__,
               'histories': histories}, sys.stdout)


if __name__ == '__main__':
    main()
