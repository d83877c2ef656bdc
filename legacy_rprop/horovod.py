"""Data-parallel Rprop across processes and machines with Horovod
(``horovod.keras``, TensorFlow backend).

Each worker computes the gradient of its shard; Horovod's
``DistributedOptimizer`` averages the gradients of all workers before the
update, so with shards of equal size every worker makes the step of one
process on all the data, and the workers' weights stay identical.  What
Horovod does not know is that iRprop+ also compares this step's loss with
the previous one's: `DistributedOptimizer` here averages that loss over the
workers too (the loss of all the data), so every worker takes the same
decision.  Use it in place of ``hvd.DistributedOptimizer``::

    import horovod.keras as hvd
    from legacy_rprop import RProp
    from legacy_rprop.horovod import DistributedOptimizer

    hvd.init()
    model.compile(DistributedOptimizer(RProp(variant='iRprop+')), loss=...)
    model.fit(x_shard, y_shard, batch_size=len(x_shard), shuffle=False,
              callbacks=[hvd.callbacks.BroadcastGlobalVariablesCallback(0)]
              + ([ModelCheckpoint('ckpt-{epoch:04d}.h5')] if hvd.rank() == 0 else []))

To resume, every worker loads the newest checkpoint with its optimizer
distributed again and its state kept (`custom_objects`, below)::

    model, done = load_latest_checkpoint('ckpt-*.h5', custom_objects=custom_objects())

Imports Horovod only when called.
"""


def DistributedOptimizer(optimizer, **kwargs):
    """``horovod.keras.DistributedOptimizer(optimizer, **kwargs)`` that, for
    a Rprop optimizer whose variant reads the loss, also averages the loss
    over the workers before comparing it."""
    import horovod.keras as hvd
    distributed = hvd.DistributedOptimizer(optimizer, **kwargs)
    distributed.comparison_loss = _average_over_workers
    return distributed


def custom_objects():
    """For ``load_model`` / `load_latest_checkpoint`: `RProp` and `Rprop`
    loaded as `DistributedOptimizer` of themselves, with their saved state
    (a plain ``compile`` afterwards would start the optimizer afresh)."""
    from legacy_rprop.keras2.optimizers import RProp, Rprop

    def distributed(cls):
        return type(cls.__name__, (object,), {
            'from_config': staticmethod(lambda config: DistributedOptimizer(
                cls.from_config(config)))})

    return {'RProp': distributed(RProp), 'Rprop': distributed(Rprop)}


def _average_over_workers(loss):
    import horovod.tensorflow as hvd_tf
    return hvd_tf.allreduce(loss, op=hvd_tf.Average, name='rprop_loss')
