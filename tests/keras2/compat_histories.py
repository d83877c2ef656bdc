"""Print, as JSON, the full-batch loss history of every Keras-1-era optimizer
of keras1_era_optimizers.CORPUS on the test classifier, and of Keras' own
Nadam and Adamax with the same settings, on the backend chosen by
KERAS_BACKEND.  Used by test_cross_backend.py."""
import json
import sys

import keras
from keras import backend as K

from keras1_era_optimizers import CORPUS
from models import classifier, fit_full_batch

EPOCHS = 30
BUILTINS = {
    'keras.Nadam': lambda: keras.optimizers.Nadam(0.02, epsilon=1e-8),
    'keras.Adamax': lambda: keras.optimizers.Adamax(0.02, epsilon=1e-8, decay=1e-3),
}


def main():
    makers = {name: (lambda make=make, kwargs=kwargs: make(**kwargs))
              for name, (make, kwargs) in CORPUS.items()}
    makers.update(BUILTINS)
    histories = {}
    for name, make in sorted(makers.items()):
        if hasattr(K, 'clear_session'):
            K.clear_session()
        histories[name] = [float(v) for v in fit_full_batch(classifier(make()), EPOCHS)]
    json.dump({'backend': K.backend(), 'histories': histories}, sys.stdout)


if __name__ == '__main__':
    main()
