"""Print, as JSON, the full-batch loss history of every variant on the test
classifier, with tf.keras (the counterpart of ../keras2/loss_history.py)."""
import json
import sys

import tensorflow as tf

from legacy_rprop.tfkeras import VARIANTS, RProp
from models import classifier, fit_full_batch

EPOCHS = 60


def main():
    histories = {}
    for variant in VARIANTS:
        tf.keras.backend.clear_session()
        model = classifier(RProp(variant=variant, init_alpha=0.01))
        histories[variant] = [float(v) for v in fit_full_batch(model, EPOCHS)]
    json.dump({'tensorflow': tf.__version__, 'histories': histories}, sys.stdout)


if __name__ == '__main__':
    main()
