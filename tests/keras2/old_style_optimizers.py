"""Optimizers written the Keras 1 way, as legacy projects carry them.  Their
only imports are the ones the compat layer asks users to change to."""
import numpy

from legacy_rprop.compat import Optimizer, backend as K


class SignStepOptimizer(Optimizer):
    """The Keras answer's Rprop rule in Keras 1 style: hyper-parameters held in
    variables, per-weight step sizes created from ``numpy.ones(shape) *
    variable``, updates built with K.update, ``constraints[p]`` applied, and a
    stored gradient that does not depend on the read of the old one."""

    def __init__(self, first_step=1e-3, grow=1.2, shrink=0.5, smallest=1e-6,
                 largest=50., **kwargs):
        super(SignStepOptimizer, self).__init__(**kwargs)
        self.first_step = K.variable(first_step, name='first_step')
        self.grow = K.variable(grow, name='grow')
        self.shrink = K.variable(shrink, name='shrink')
        self.smallest = K.variable(smallest, name='smallest')
        self.largest = K.variable(largest, name='largest')

    def get_updates(self, params, constraints, loss):
        grads = self.get_gradients(loss, params)
        shapes = [K.get_variable_shape(p) for p in params]
        steps = [K.variable(numpy.ones(shape) * self.first_step) for shape in shapes]
        last_grads = [K.zeros(shape) for shape in shapes]
        self.weights = steps + last_grads
        self.updates = []
        for p, g, last_g, step in zip(params, grads, last_grads, steps):
            new_step = K.switch(K.greater(g * last_g, 0),
                                K.minimum(step * self.grow, self.largest),
                                K.maximum(step * self.shrink, self.smallest))
            new_p = p - K.sign(g) * new_step
            if p in constraints:
                new_p = constraints[p](new_p)
            self.updates.append(K.update(p, new_p))
            self.updates.append(K.update(step, new_step))
            self.updates.append(K.update(last_g, g))
        return self.updates

    def get_config(self):
        config = {'first_step': float(K.get_value(self.first_step))}
        base_config = super(SignStepOptimizer, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class OldSGD(Optimizer):
    """Plain SGD with a step counter, Keras 1 style: ``self.lr`` assigned."""

    def __init__(self, lr=0.1, **kwargs):
        super(OldSGD, self).__init__(**kwargs)
        self.lr = K.variable(lr, name='lr')
        self.iterations = K.variable(0., name='iterations')

    def get_updates(self, params, constraints, loss):
        grads = self.get_gradients(loss, params)
        self.updates = [K.update_add(self.iterations, 1)]
        for p, g in zip(params, grads):
            new_p = p - self.lr * g
            if p in constraints:
                new_p = constraints[p](new_p)
            self.updates.append(K.update(p, new_p))
        return self.updates


class NewStyleSGD(Optimizer):
    """The same SGD written for Keras 2: ``get_updates(loss, params)``."""

    def __init__(self, learning_rate=0.1, **kwargs):
        super(NewStyleSGD, self).__init__(**kwargs)
        self.learning_rate = K.variable(learning_rate, name='learning_rate')
        self.iterations = K.variable(0., name='iterations')

    def get_updates(self, loss, params):
        grads = self.get_gradients(loss, params)
        self.updates = [K.update_sub(self.iterations, -1)]
        for p, g in zip(params, grads):
            self.updates.append(K.update_sub(p, self.lr * g))
        return self.updates


class PythonIfOptimizer(Optimizer):
    """Branches with a Python `if` on a tensor, as the Keras question did."""

    def get_updates(self, params, constraints, loss):
        grads = self.get_gradients(loss, params)
        self.updates = []
        for p, g in zip(params, grads):
            if K.sum(g) > 0:
                self.updates.append(K.update(p, p - 0.1))
        return self.updates


class ParamsFirstSGD(Optimizer):
    """SGD whose get_updates takes ``(params, loss)``, the order of early
    Keras 2 code (Keras 2 itself always called it by keyword)."""

    def __init__(self, lr=0.1, **kwargs):
        super(ParamsFirstSGD, self).__init__(**kwargs)
        self.lr = K.variable(lr, name='lr')

    def get_updates(self, params, loss):
        grads = self.get_gradients(loss, params)
        return [K.update_sub(p, self.lr * g) for p, g in zip(params, grads)]


class ForwardingSGD(OldSGD):
    """A subclass that forwards ``*args, **kwargs`` to its parent."""

    def get_updates(self, *args, **kwargs):
        return super(ForwardingSGD, self).get_updates(*args, **kwargs)


class SoftTargetUpdates(Optimizer):
    """A keras-rl style wrapper: the wrapped optimizer's updates plus, for
    every param p, a target copy moved towards it, ``target = tau * p +
    (1 - tau) * target``, which must read p from before the step.  Its
    get_updates has the early Keras 2 order and calls the wrapped one by
    keyword."""

    def __init__(self, optimizer, tau=0.5, **kwargs):
        super(SoftTargetUpdates, self).__init__(**kwargs)
        self.optimizer = optimizer
        self.tau = tau

    def get_updates(self, params, loss):
        updates = self.optimizer.get_updates(params=params, loss=loss)
        self.targets = [K.zeros(K.get_variable_shape(p)) for p in params]
        for p, target in zip(params, self.targets):
            updates.append(K.update(target, self.tau * p + (1. - self.tau) * target))
        self.updates = updates
        return self.updates
