"""Full-batch Rprop on data streamed in batches: one step per epoch on the
gradient of all of them (`batches_per_step`), multi-backend Keras.

    python examples/accumulate_batches.py [--samples 100000] [--batch 10000] [--epochs 30]

The data here is generated batch by batch, as a reader from disk would
deliver it; only one batch is in memory at a time.
"""
import argparse

import numpy as np
from keras.layers import Dense
from keras.models import Sequential

from legacy_rprop import FullBatchCheck, RProp


def batches(samples, batch, seed=0):
    """Batches of a fixed data set (the last one smaller), in order, forever."""
    while True:
        rng = np.random.RandomState(seed)
        for start in range(0, samples, batch):
            x = rng.uniform(-1, 1, size=(min(batch, samples - start), 20)).astype('float32')
            y = (x[:, :10].sum(axis=1) > x[:, 10:].sum(axis=1)).astype('float32')
            yield x, y


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--samples', type=int, default=100000)
    p.add_argument('--batch', type=int, default=10000)
    p.add_argument('--epochs', type=int, default=30)
    args = p.parse_args(argv)
    steps = -(-args.samples // args.batch)  # batches per epoch
    model = Sequential([Dense(16, activation='tanh', input_shape=(20,)),
                        Dense(1, activation='sigmoid')])
    model.compile(RProp(variant='iRprop-', init_alpha=0.01, batches_per_step=steps),
                  'binary_crossentropy')
    history = model.fit_generator(batches(args.samples, args.batch), steps_per_epoch=steps,
                                  epochs=args.epochs, verbose=0, workers=1,
                                  callbacks=[FullBatchCheck(strict=True)])
    losses = history.history['loss']
    print('%d samples in %d batches per step: loss %.4f -> %.4f in %d steps'
          % (args.samples, steps, losses[0], losses[-1], len(losses)))
    return losses


if __name__ == '__main__':
    main()
