"""Drive an optimizer with chosen gradients and losses, one step at a time."""
import contextlib

import numpy as np
from keras import backend as K

from support.reference import flushed


class GradientFeeder(object):
    """Variables whose gradient and loss are whatever the test feeds in.

    The loss is ``E + sum((p - stop_gradient(p)) * G)``: its value is the
    placeholder E (for every finite G, however large) and its gradient with
    respect to p is the placeholder G, as the backend computes it (a product
    with 1: TensorFlow flushes a subnormal G to zero there).
    """

    def __init__(self, optimizer, initial_weights, constraints=None, listed=None,
                 check_delivered=True):
        """`listed(params)`: the params as given to the optimizer (default:
        as they are); `check_delivered`: each step checks that the update got
        the fed gradients (not where the optimizer clips them)."""
        self.check_delivered = check_delivered
        with in_keras_graph():
            self._build(optimizer, initial_weights, constraints, listed or (lambda p: p))

    def _build(self, optimizer, initial_weights, constraints, listed):
        constraints = constraints or [None] * len(initial_weights)
        self.params = [K.variable(w, dtype=str(w.dtype), name='p%d' % i, constraint=c)
                       for i, (w, c) in enumerate(zip(initial_weights, constraints))]
        self.dtype = initial_weights[0].dtype
        self.grads = [K.placeholder(shape=w.shape, dtype=str(w.dtype), name='g%d' % i)
                      for i, w in enumerate(initial_weights)]
        self.loss_value = K.placeholder(shape=(), dtype=str(self.dtype), name='loss')
        # each weight read once: two reads of it may see values before and after
        # the step's write
        reads = [K.identity(p) for p in self.params]
        loss = self.loss_value + sum(K.sum((r - K.stop_gradient(r)) * g)
                                     for r, g in zip(reads, self.grads))
        self.optimizer = optimizer
        delivered = []
        get_gradients = optimizer.get_gradients

        def recorded(*args, **kwargs):  # the gradients the update is given
            delivered[:] = after(loss, get_gradients(*args, **kwargs))
            return delivered

        optimizer.get_gradients = recorded
        updates = optimizer.get_updates(loss=loss, params=listed(self.params))
        del optimizer.get_gradients
        self._step = K.function(self.grads + [self.loss_value], [loss] + list(delivered),
                                updates=updates)

    def step(self, grads, loss=0.):
        """Run one training step; return the loss value the graph saw.

        `delivered` is then the gradients the update got: the fed ones, but
        where the backend flushed a subnormal gradient to zero (TensorFlow
        does in some graphs, not in others)."""
        outputs = self._step(list(grads) + [self.dtype.type(loss)])
        self.delivered = outputs[1:]
        for fed, got in zip(grads, self.delivered if self.check_delivered else ()):
            changed = ~same_or_flushed(np.asarray(fed, got.dtype), got)
            assert not changed.any(), 'gradients changed on the way: %s -> %s' % (
                np.asarray(fed)[changed][:5], got[changed][:5])
        return outputs[0]

    def weights(self):
        return K.batch_get_value(self.params)


def after(loss, grads):
    """`grads`, read only once `loss` has its value.

    On TensorFlow 1 a read of a (ref) variable can alias its buffer, and
    nothing orders the loss's read of a weight before the update's write of
    it (Keras orders only its own ops after the outputs): every write of the
    step depends on a gradient, so gradients that wait for the loss order
    every write after it. Theano runs a function's ops in one order."""
    if K.backend() != 'tensorflow':
        return list(grads)
    import tensorflow as tf
    with tf.control_dependencies([loss]):
        return [tf.identity(g) for g in grads]


def same_or_flushed(fed, got):
    """Where `got` is `fed`, or `fed` flushed to zero (NaN equal to NaN)."""
    def same(a, b):
        return (a == b) | (np.isnan(a) & np.isnan(b)) if a.dtype.kind == 'f' else a == b
    return same(fed, got) | same(flushed(fed), got)


def tensorflow_graph():
    """The TensorFlow graph Keras builds its models and updates in: its own
    graph where it has one (Keras 2.3), else TensorFlow's default graph."""
    from keras.backend import tensorflow_backend
    get_graph = getattr(tensorflow_backend, 'get_graph', None)
    if get_graph is not None:
        return get_graph()
    import tensorflow as tf
    return tf.get_default_graph()


def in_keras_graph():
    """A context in which a test's own ops join the graph Keras trains in
    (on TensorFlow 2, Keras 2.3.1 builds graphs in a graph of its own)."""
    if K.backend() == 'tensorflow':
        return tensorflow_graph().as_default()
    return contextlib.ExitStack()  # nothing to enter
