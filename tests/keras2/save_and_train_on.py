"""Train the test classifier, save it, train on; print what happened as JSON.

    python save_and_train_on.py PATH

Trains 20 epochs with RProp(variant='iRprop+'), saves the model to PATH
(optimizer state included), trains 20 more and prints the loss history of
those 20 and the final weights.  Run by test_cross_backend.py under another
Keras version, whose file it then loads and trains on under this one.
"""
import json
import sys

from keras import backend as K

from legacy_rprop import RProp
from models import classifier, fit_full_batch

EPOCHS_BEFORE = EPOCHS_AFTER = 20


def main(path):
    model = classifier(RProp(variant='iRprop+', init_alpha=0.01))
    fit_full_batch(model, EPOCHS_BEFORE)
    model.save(path)
    history = fit_full_batch(model, EPOCHS_AFTER)
    json.dump({'history': [float(v) for v in history],
               'weights': [w.tolist() for w in model.get_weights()],
               'keras': __import__('keras').__version__,
               'backend': K.backend()}, sys.stdout)


if __name__ == '__main__':
    main(sys.argv[1])
