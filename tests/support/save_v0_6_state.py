"""Write the optimizer state that legacy_rprop 0.6.0 (on PYTHONPATH) keeps
for Rprop+ and iRprop+, with its slot prev_move, after 10 full-batch epochs
of the test classifier: ``python save_v0_6_state.py FLAVOUR OUT.npz`` with
FLAVOUR keras2, tfkeras or keras3 (in an environment with that Keras).  The
arrays are those its files keep (``optimizer_weights`` of ``.h5``, the
optimizer's variables of ``.keras``); the tests check that this version loads
them (tests/data/)."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from support.classifier_data import N_SAMPLES, data, initial_weights  # noqa: E402

VARIANTS = ('Rprop+', 'iRprop+')
EPOCHS = 10


def classifier(keras, optimizer):
    model = keras.Sequential([keras.layers.Dense(8, activation='tanh', input_shape=(4,)),
                              keras.layers.Dense(1, activation='sigmoid')])
    model.set_weights(initial_weights())
    model.compile(optimizer=optimizer, loss='binary_crossentropy')
    return model


def main(flavour, out):
    import legacy_rprop
    assert legacy_rprop.__version__ == '0.6.0', legacy_rprop.__version__
    if flavour == 'keras2':
        import keras
        from legacy_rprop import RProp
    elif flavour == 'tfkeras':
        import tensorflow as tf
        from legacy_rprop.tfkeras import RProp
        keras = tf.keras
    else:
        import keras
        from legacy_rprop.keras3 import RProp
    arrays = {}
    for variant in VARIANTS:
        model = classifier(keras, RProp(variant=variant, init_alpha=0.01))
        x, y = data()
        model.fit(x, y, batch_size=N_SAMPLES, epochs=EPOCHS, shuffle=False, verbose=0)
        if flavour == 'keras3':
            state = [keras.ops.convert_to_numpy(v.value) for v in model.optimizer.variables]
        else:
            state = model.optimizer.get_weights()
        for kind, values in (('weights', model.get_weights()), ('state', state)):
            for i, value in enumerate(values):
                arrays['%s/%s/%d' % (variant, kind, i)] = np.asarray(value)
    np.savez(out, **arrays)


if __name__ == '__main__':
    main(*sys.argv[1:])
