"""Full-batch Rprop across processes with Horovod: every worker trains on its
shard, the gradients (and iRprop+'s loss) are averaged, rank 0 checkpoints,
and a restarted job resumes from the newest readable checkpoint.

    horovodrun --gloo -np 2 -H localhost:2 python examples/horovod_train.py \
        [--epochs 50] [--dir horovod-run]
"""
import argparse
import os

import horovod.keras as hvd
import numpy as np
from keras.callbacks import ModelCheckpoint
from keras.layers import Dense
from keras.models import Sequential

from legacy_rprop import RProp, load_latest_checkpoint
from legacy_rprop.horovod import DistributedOptimizer, custom_objects


def shard(samples=20000):
    """This worker's equal part of a fixed data set."""
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, size=(samples, 20)).astype('float32')
    y = (x[:, :10].sum(axis=1) > x[:, 10:].sum(axis=1)).astype('float32')
    part = slice(hvd.rank() * samples // hvd.size(), (hvd.rank() + 1) * samples // hvd.size())
    return x[part], y[part]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--epochs', type=int, default=50)
    p.add_argument('--dir', default='horovod-run')
    args = p.parse_args(argv)
    hvd.init()
    os.makedirs(args.dir, exist_ok=True)
    pattern = os.path.join(args.dir, 'ckpt-*.h5')
    model, done = load_latest_checkpoint(pattern, custom_objects=custom_objects())
    if model is None:
        model = Sequential([Dense(16, activation='tanh', input_shape=(20,)),
                            Dense(1, activation='sigmoid')])
        model.compile(DistributedOptimizer(RProp(variant='iRprop+', init_alpha=0.01)),
                      'binary_crossentropy')
    callbacks = [hvd.callbacks.BroadcastGlobalVariablesCallback(0)]
    if hvd.rank() == 0:  # one writer
        callbacks.append(ModelCheckpoint(os.path.join(args.dir, 'ckpt-{epoch:04d}.h5')))
    x, y = shard()
    history = model.fit(x, y, batch_size=len(x), epochs=args.epochs, initial_epoch=done,
                        shuffle=False, verbose=0, callbacks=callbacks)
    if hvd.rank() == 0 and history.history:
        losses = history.history['loss']
        print('%d workers, epochs %d-%d: loss %.4f -> %.4f'
              % (hvd.size(), done + 1, args.epochs, losses[0], losses[-1]))


if __name__ == '__main__':
    main()
