"""Optimizers in the styles of the Keras 1 era, written here from the
algorithms' published descriptions.  Each imports only what the compat
layer asks users to change (`Optimizer` and the backend), and is otherwise
written as code of that time was: state created in ``get_updates``,
``self.lr = K.variable(...)``, hyper-parameters taken by name with
``**kwargs`` passed on, ``K.lesser`` and scalar ``K.switch``, updates as
``K.update*`` pairs appended to ``self.updates``, ``constraints[p]``.

- `Eve`: Adam with feedback from the loss (Koushik & Hayashi 2016).
- `SMORMS3`: Simon Funk's 2015 blog post "RMSprop loses to SMORMS3".
- `COCOB`: COCOB-Backprop (Orabona & Tommasi 2017), learning-rate free.
- `Nadam1`, `Adamax1`: Nadam (Dozat 2016) and Adamax (Kingma & Ba 2015) with
  the schedule variables, arguments and defaults of Keras 1.2.2's own.
- `MultipliedSGD`: SGD with a learning-rate multiplier per layer.
"""
import numpy

from legacy_rprop.compat import Optimizer, backend as K


def _constrained(p, new_p, constraints):
    if p in constraints:
        return constraints[p](new_p)
    return new_p


class Eve(Optimizer):
    """Adam whose step is divided by d, a running measure of how much the
    (smoothed) loss changed relative to itself."""

    def __init__(self, lr=0.001, beta_1=0.9, beta_2=0.999, beta_3=0.999,
                 small_k=0.1, big_K=10., epsilon=1e-8, **kwargs):
        super(Eve, self).__init__(**kwargs)
        self.__dict__.update(locals())
        self.iterations = K.variable(0.)
        self.lr = K.variable(lr)
        self.d = K.variable(1.)
        self.f_hat = K.variable(0.)

    def get_updates(self, params, constraints, loss):
        grads = self.get_gradients(loss, params)
        self.updates = [K.update_add(self.iterations, 1)]
        t = self.iterations + 1
        loss_fell = K.lesser(loss, self.f_hat)
        low = K.switch(loss_fell, 1. / (self.big_K + 1.), self.small_k + 1.)
        high = K.switch(loss_fell, 1. / (self.small_k + 1.), self.big_K + 1.)
        c = K.minimum(K.maximum(low, loss / (self.f_hat + 1e-30)), high)
        f_hat_new = K.switch(K.greater(t, 1), c * self.f_hat, loss)
        r = K.abs(f_hat_new - self.f_hat) / K.minimum(f_hat_new, self.f_hat)
        d_new = K.switch(K.greater(t, 1),
                         self.beta_3 * self.d + (1. - self.beta_3) * r, K.ones_like(self.d))
        self.updates.append(K.update(self.f_hat, f_hat_new))
        self.updates.append(K.update(self.d, d_new))

        lr_t = self.lr * K.sqrt(1. - K.pow(self.beta_2, t)) / (1. - K.pow(self.beta_1, t))
        shapes = [K.get_variable_shape(p) for p in params]
        ms = [K.zeros(shape) for shape in shapes]
        vs = [K.zeros(shape) for shape in shapes]
        self.weights = [self.iterations, self.d, self.f_hat] + ms + vs
        for p, g, m, v in zip(params, grads, ms, vs):
            m_t = self.beta_1 * m + (1. - self.beta_1) * g
            v_t = self.beta_2 * v + (1. - self.beta_2) * K.square(g)
            p_t = p - lr_t * m_t / (d_new * (K.sqrt(v_t) + self.epsilon))
            self.updates.append(K.update(m, m_t))
            self.updates.append(K.update(v, v_t))
            self.updates.append(K.update(p, _constrained(p, p_t, constraints)))
        return self.updates


class SMORMS3(Optimizer):
    """RMSprop with a memory length per weight that shrinks when the gradient
    is consistent:  r = 1/(mem+1);  g1 = (1-r) g1 + r g;  g2 = (1-r) g2 + r g^2;
    x = g1^2 / (g2 + eps);  p -= g min(lr, x) / (sqrt(g2) + eps);
    mem = 1 + mem (1 - x)."""

    def __init__(self, lr=0.001, epsilon=1e-16, **kwargs):
        super(SMORMS3, self).__init__(**kwargs)
        self.lr = K.variable(lr)
        self.epsilon = epsilon

    def get_updates(self, params, constraints, loss):
        grads = self.get_gradients(loss, params)
        shapes = [K.get_variable_shape(p) for p in params]
        mems = [K.variable(numpy.ones(shape)) for shape in shapes]
        g1s = [K.zeros(shape) for shape in shapes]
        g2s = [K.zeros(shape) for shape in shapes]
        self.weights = mems + g1s + g2s
        self.updates = []
        for p, g, mem, g1, g2 in zip(params, grads, mems, g1s, g2s):
            r = 1. / (mem + 1.)
            g1_t = (1. - r) * g1 + r * g
            g2_t = (1. - r) * g2 + r * K.square(g)
            x = K.square(g1_t) / (g2_t + self.epsilon)
            p_t = p - g * K.minimum(self.lr, x) / (K.sqrt(g2_t) + self.epsilon)
            self.updates.append(K.update(mem, 1. + mem * (1. - x)))
            self.updates.append(K.update(g1, g1_t))
            self.updates.append(K.update(g2, g2_t))
            self.updates.append(K.update(p, _constrained(p, p_t, constraints)))
        return self.updates


class COCOB(Optimizer):
    """COCOB-Backprop: the weight is its starting value plus a bet,
    offset = theta / (L max(G + L, alpha L)) (L + reward), where L is the
    largest |g| seen, G the sum of |g|, theta the sum of -g and reward the
    wealth won so far (never below 0)."""

    def __init__(self, alpha=100., **kwargs):
        super(COCOB, self).__init__(**kwargs)
        self.alpha = alpha

    def get_updates(self, params, constraints, loss):
        grads = self.get_gradients(loss, params)
        shapes = [K.get_variable_shape(p) for p in params]
        largest = [K.variable(numpy.full(shape, 1e-8)) for shape in shapes]
        sums = [K.zeros(shape) for shape in shapes]
        rewards = [K.zeros(shape) for shape in shapes]
        thetas = [K.zeros(shape) for shape in shapes]
        offsets = [K.zeros(shape) for shape in shapes]  # p minus its start
        self.weights = largest + sums + rewards + thetas + offsets
        self.updates = []
        for p, g, L, G, reward, theta, offset in zip(
                params, grads, largest, sums, rewards, thetas, offsets):
            L_t = K.maximum(L, K.abs(g))
            G_t = G + K.abs(g)
            reward_t = K.maximum(reward - g * offset, 0.)
            theta_t = theta - g
            offset_t = theta_t / (L_t * K.maximum(G_t + L_t, self.alpha * L_t)) * (L_t + reward_t)
            p_t = p - offset + offset_t
            for variable, value in ((L, L_t), (G, G_t), (reward, reward_t),
                                    (theta, theta_t), (offset, offset_t)):
                self.updates.append(K.update(variable, value))
            self.updates.append(K.update(p, _constrained(p, p_t, constraints)))
        return self.updates


class Nadam1(Optimizer):
    """Nadam as Keras 1.2.2 wrote it: a momentum schedule held in variables
    (``m_schedule``), ``self.lr`` assigned, epsilon 1e-8."""

    def __init__(self, lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 schedule_decay=0.004, **kwargs):
        super(Nadam1, self).__init__(**kwargs)
        self.__dict__.update(locals())
        self.iterations = K.variable(0.)
        self.m_schedule = K.variable(1.)
        self.lr = K.variable(lr)
        self.beta_1 = K.variable(beta_1)
        self.beta_2 = K.variable(beta_2)
        self.schedule_decay = schedule_decay

    def get_updates(self, params, constraints, loss):
        grads = self.get_gradients(loss, params)
        self.updates = [K.update_add(self.iterations, 1)]
        t = self.iterations + 1
        momentum_cache_t = self.beta_1 * (1. - 0.5 * (K.pow(0.96, t * self.schedule_decay)))
        momentum_cache_t_1 = self.beta_1 * (
            1. - 0.5 * (K.pow(0.96, (t + 1) * self.schedule_decay)))
        m_schedule_new = self.m_schedule * momentum_cache_t
        m_schedule_next = self.m_schedule * momentum_cache_t * momentum_cache_t_1
        self.updates.append((self.m_schedule, m_schedule_new))

        shapes = [K.get_variable_shape(p) for p in params]
        ms = [K.zeros(shape) for shape in shapes]
        vs = [K.zeros(shape) for shape in shapes]
        self.weights = [self.iterations] + ms + vs
        for p, g, m, v in zip(params, grads, ms, vs):
            g_prime = g / (1. - m_schedule_new)
            m_t = self.beta_1 * m + (1. - self.beta_1) * g
            m_t_prime = m_t / (1. - m_schedule_next)
            v_t = self.beta_2 * v + (1. - self.beta_2) * K.square(g)
            v_t_prime = v_t / (1. - K.pow(self.beta_2, t))
            m_t_bar = (1. - momentum_cache_t) * g_prime + momentum_cache_t_1 * m_t_prime
            self.updates.append(K.update(m, m_t))
            self.updates.append(K.update(v, v_t))
            p_t = p - self.lr * m_t_bar / (K.sqrt(v_t_prime) + self.epsilon)
            self.updates.append(K.update(p, _constrained(p, p_t, constraints)))
        return self.updates


class Adamax1(Optimizer):
    """Adamax as Keras 1.2.2 wrote it, with its ``decay`` of the learning
    rate over iterations; one line differs: Keras 1.2.2's ``lr *= ...`` on
    the ``self.lr`` variable is ``lr = lr * ...`` here (TensorFlow's resource
    variables, which Keras 2.3 uses, refuse ``*=``; see docs/compat.md)."""

    def __init__(self, lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=1e-8, decay=0.,
                 **kwargs):
        super(Adamax1, self).__init__(**kwargs)
        self.__dict__.update(locals())
        self.iterations = K.variable(0.)
        self.lr = K.variable(lr)
        self.beta_1 = K.variable(beta_1)
        self.beta_2 = K.variable(beta_2)
        self.decay = K.variable(decay)
        self.inital_decay = decay

    def get_updates(self, params, constraints, loss):
        grads = self.get_gradients(loss, params)
        self.updates = [K.update_add(self.iterations, 1)]
        lr = self.lr
        if self.inital_decay > 0:
            lr = lr * (1. / (1. + self.decay * self.iterations))
        t = self.iterations + 1
        lr_t = lr / (1. - K.pow(self.beta_1, t))

        shapes = [K.get_variable_shape(p) for p in params]
        ms = [K.zeros(shape) for shape in shapes]
        us = [K.zeros(shape) for shape in shapes]
        self.weights = [self.iterations] + ms + us
        for p, g, m, u in zip(params, grads, ms, us):
            m_t = (self.beta_1 * m) + (1. - self.beta_1) * g
            u_t = K.maximum(self.beta_2 * u, K.abs(g))
            p_t = p - lr_t * m_t / (u_t + self.epsilon)
            self.updates.append(K.update(m, m_t))
            self.updates.append(K.update(u, u_t))
            self.updates.append(K.update(p, _constrained(p, p_t, constraints)))
        return self.updates


class MultipliedSGD(Optimizer):
    """SGD whose learning rate is multiplied, per layer, by
    ``multipliers[layer name]`` (1 for layers not named)."""

    def __init__(self, lr=0.1, multipliers=None, **kwargs):
        super(MultipliedSGD, self).__init__(**kwargs)
        self.lr = K.variable(lr)
        self.multipliers = multipliers or {}

    def get_updates(self, params, constraints, loss):
        grads = self.get_gradients(loss, params)
        self.updates = []
        for p, g in zip(params, grads):
            scopes = p.name.split('/')  # 'dense_1/kernel', maybe inside other scopes
            multiplier = next((m for name, m in self.multipliers.items() if name in scopes), 1.)
            new_p = p - self.lr * multiplier * g
            self.updates.append(K.update(p, _constrained(p, new_p, constraints)))
        return self.updates


# name -> (class, keyword arguments) for the tests
CORPUS = {
    'Eve': (Eve, {'lr': 0.01}),
    'SMORMS3': (SMORMS3, {'lr': 0.01}),
    'COCOB': (COCOB, {}),
    'Nadam1': (Nadam1, {'lr': 0.02}),
    'Adamax1': (Adamax1, {'lr': 0.02, 'decay': 1e-3}),
    'MultipliedSGD': (MultipliedSGD, {'lr': 0.5}),
}
