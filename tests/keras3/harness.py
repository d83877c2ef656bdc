"""Drive a Keras 3 optimizer with chosen gradients and losses, one step at a
time, through Keras' own trainer (`train_on_batch`), in every way this
backend runs a training step (`MODES`)."""
import keras
import numpy as np

BACKEND = keras.backend.backend()

# compile arguments of every way this backend runs a step
MODES = {
    'tensorflow': {'eager': {'run_eagerly': True}, 'function': {'jit_compile': False},
                   'xla': {'jit_compile': True}},
    'jax': {'eager': {'run_eagerly': True}, 'jit': {'jit_compile': True}},
    'torch': {'eager': {'run_eagerly': True}, 'compiled': {'jit_compile': True}},
}[BACKEND]
# modes run on a representative share of the cases only (`cases`): one that
# takes long to compile each model (torch.compile: some 15 s), and eager
# steps where Keras compiles the step by default (TensorFlow, JAX), which
# run the same rule op by op, for debugging; the other modes run every case
REPRESENTATIVE_ONLY = {'tensorflow': {'eager'}, 'jax': {'eager'},
                       'torch': {'compiled'}}[BACKEND]


def cases(*values, representative=None):
    """``(value, ..., mode)`` for every combination of `values` (lists) and
    every mode, but for the modes `REPRESENTATIVE_ONLY` only the
    combinations `representative` accepts."""
    import itertools
    return [combination + (mode,) for combination in itertools.product(*values)
            for mode in sorted(MODES)
            if mode not in REPRESENTATIVE_ONLY or representative is None
            or representative(*combination)]


class Fed(keras.layers.Layer):
    """Weights whose loss and gradient are fed: for inputs G_k (one per
    weight) and E, ``E + sum_k sum((w_k - stop_gradient(w_k)) * G_k)``, whose
    value is E (for every finite G) and whose gradient with respect to w_k
    is G_k."""

    def __init__(self, initial_weights, constraints=None, **kwargs):
        super(Fed, self).__init__(**kwargs)
        constraints = constraints or [None] * len(initial_weights)
        self.fed = [self.add_weight(shape=w.shape, dtype=str(w.dtype), name='p%d' % k,
                                    initializer=keras.initializers.Zeros(), constraint=c)
                    for k, (w, c) in enumerate(zip(initial_weights, constraints))]
        for variable, w in zip(self.fed, initial_weights):
            variable.assign(w)

    def call(self, inputs):
        grads, loss_value = inputs[:-1], inputs[-1]
        total = loss_value[:, 0]
        for variable, g in zip(self.fed, grads):
            w = keras.ops.convert_to_tensor(variable)  # (Keras 3.3: not a Variable)
            zero = w - keras.ops.stop_gradient(w)
            total = total + keras.ops.sum(zero * g[0])
        return total[:, None]


class GradientFeeder(object):
    """The weights of a one-layer model, trained one step per fed gradient."""

    def __init__(self, optimizer, initial_weights, mode, constraints=None):
        dtype = str(initial_weights[0].dtype)
        inputs = [keras.Input(w.shape, dtype=dtype) for w in initial_weights]
        inputs.append(keras.Input((1,), dtype=dtype))
        self.layer = Fed(initial_weights, constraints, dtype=dtype)
        self.model = keras.Model(inputs, self.layer(inputs))
        self.model.compile(optimizer=optimizer, loss=lambda y_true, y_pred: y_pred[:, 0],
                           **MODES[mode])
        self.optimizer, self.dtype = optimizer, np.dtype(dtype)

    def step(self, grads, loss=0.):
        """One training step; return the loss Keras reports for it."""
        fed = [np.asarray(g, self.dtype)[None] for g in grads]
        fed.append(np.full((1, 1), loss, self.dtype))
        self.model.reset_metrics()  # (Keras before 3.4 reports the mean of the calls so far)
        return self.model.train_on_batch(fed, np.zeros((1, 1), self.dtype))

    def weights(self):
        return [keras.ops.convert_to_numpy(v.value) for v in self.layer.fed]
