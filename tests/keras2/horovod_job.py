"""Run under ``horovodrun -np 2``: train the test classifier with every
worker on its half of the data (tests/test_horovod.py).

    horovod_job.py compare OUT.json EPOCHS
        every variant, on the test classifier and on the zoo's embedding
        model (a sparse gradient, which Horovod gathers); rank 0 writes the
        weights and step sizes
    horovod_job.py checkpoint DIR EPOCHS [KILL_AT]
        iRprop+, resuming from DIR's newest checkpoint (written by rank 0
        every epoch); with KILL_AT, rank 1 kills itself with SIGKILL after
        that epoch; rank 0 writes the final weights to DIR/final.json
"""
import json
import os
import signal
import sys

import horovod.keras as hvd
import keras
from keras import backend as K

from legacy_rprop import VARIANTS, RProp, load_latest_checkpoint
from legacy_rprop.horovod import DistributedOptimizer, custom_objects
from models import N_SAMPLES, classifier, data
from support import zoo


def shard():
    x, y = data()
    size = N_SAMPLES // hvd.size()
    part = slice(hvd.rank() * size, (hvd.rank() + 1) * size)
    return x[part], y[part]


def broadcast():
    return [hvd.callbacks.BroadcastGlobalVariablesCallback(0)]


def embedding_model(optimizer):
    """The zoo's embedding model and this worker's half of its data."""
    model, compile_kwargs, x, y = zoo.build(keras, 'embedding-pooling', 'float32')
    model.compile(optimizer, **compile_kwargs)
    size = len(x) // hvd.size()
    part = slice(hvd.rank() * size, (hvd.rank() + 1) * size)
    return model, x[part], y[part]


def compare(out, epochs):
    result = {}
    for model_name in ('classifier', 'embedding'):
        for variant in VARIANTS:
            K.clear_session()
            optimizer = DistributedOptimizer(RProp(variant=variant, init_alpha=0.01))
            if model_name == 'classifier':
                model, (x, y) = classifier(optimizer), shard()
            else:
                model, x, y = embedding_model(optimizer)
            model.fit(x, y, batch_size=len(x), epochs=epochs, shuffle=False, verbose=0,
                      callbacks=broadcast())
            n = len(model.trainable_weights)
            state = model.optimizer.get_weights_per_tensor()
            result['%s %s' % (model_name, variant)] = {
                'weights': [w.tolist() for w in model.get_weights()],
                'step_sizes': [s.tolist() for s in state[:n]],
                'last_state': float(state[-1].reshape(-1)[0])}
    if hvd.rank() == 0:
        with open(out, 'w') as f:
            json.dump(result, f)


class KillAfter(keras.callbacks.Callback):
    def __init__(self, epoch):
        super(KillAfter, self).__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.epoch:
            os.kill(os.getpid(), signal.SIGKILL)


def checkpoint(directory, epochs, kill_at=None):
    x, y = shard()
    model, done = load_latest_checkpoint(os.path.join(directory, 'ckpt-*.h5'),
                                         custom_objects=custom_objects())
    if model is None:
        model = classifier(DistributedOptimizer(RProp(variant='iRprop+', init_alpha=0.01)))
    callbacks = broadcast()
    if hvd.rank() == 0:
        callbacks.append(keras.callbacks.ModelCheckpoint(
            os.path.join(directory, 'ckpt-{epoch:03d}.h5')))
    if kill_at and hvd.rank() == 1:
        callbacks.append(KillAfter(kill_at))
    model.fit(x, y, batch_size=len(x), epochs=epochs, initial_epoch=done, shuffle=False,
              verbose=0, callbacks=callbacks)
    if hvd.rank() == 0:
        with open(os.path.join(directory, 'final.json'), 'w') as f:
            json.dump([w.tolist() for w in model.get_weights()], f)


if __name__ == '__main__':
    hvd.init()
    if sys.argv[1] == 'compare':
        compare(sys.argv[2], int(sys.argv[3]))
    else:
        checkpoint(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else None)
