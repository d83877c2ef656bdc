"""Drive a tf.keras optimizer with chosen gradients and losses, one step at a
time, in each way TensorFlow can run it: a TensorFlow 1 graph (through
``get_updates``, as TF 1's Keras trains), or eagerly, in a ``tf.function``
and in an XLA-compiled ``tf.function`` (through ``minimize``, as TF 2's
Keras trains)."""
import tensorflow as tf

from legacy_rprop.core.rules import VARIANTS
from legacy_rprop.core.tensorflow_ops import jit_compile_keyword
from legacy_rprop.tfkeras.backend import CurrentOptimizerBase

EAGER = tf.executing_eagerly()
# the flavour's classes are of tf.keras' current optimizer API (TensorFlow 2.11+)
CURRENT_API = CurrentOptimizerBase is not None

# every way this TensorFlow runs a training step
MODES = (['eager', 'function'] + (['xla'] if jit_compile_keyword() else [])
         if EAGER else ['graph'])


class Feeder(object):
    """Optimizer steps on variables for the loss ``make_loss(params,
    inputs)``, with `inputs` (arrays of the given shapes and dtypes) fed anew
    each step."""

    def __init__(self, optimizer, initial_weights, mode, make_loss, input_specs,
                 constraints=None):
        constraints = constraints or [None] * len(initial_weights)
        self.optimizer, self.mode, self.make_loss = optimizer, mode, make_loss
        # resource variables, as tf.keras' layers make them on TensorFlow 1 too
        variable = (tf.Variable if EAGER
                    else lambda *a, **k: tf.compat.v1.Variable(*a, use_resource=True, **k))
        self.params = [variable(w, name='p%d' % i, constraint=c)
                       for i, (w, c) in enumerate(zip(initial_weights, constraints))]
        if mode == 'graph':
            v1 = tf.compat.v1
            self.inputs = [v1.placeholder(dtype, shape) for shape, dtype in input_specs]
            self.loss = make_loss(self.params, self.inputs)
            self.updates = optimizer.get_updates(self.loss, self.params)
            self.session = tf.keras.backend.get_session()
            self.session.run(v1.variables_initializer(self.params + optimizer.weights))
        else:
            options = {jit_compile_keyword(): True} if mode == 'xla' else {}
            self._step = (self._eager_step if mode == 'eager'
                          else tf.function(self._eager_step, **options))

    def _eager_step(self, *inputs):
        self.optimizer.minimize(lambda: self.make_loss(self.params, inputs), self.params)
        return self.make_loss(self.params, inputs)

    def step(self, *inputs):
        """Run one training step; return the loss value the step saw."""
        if self.mode == 'graph':
            return self.session.run([self.loss] + self.updates,
                                    dict(zip(self.inputs, inputs)))[0]
        return self._step(*[tf.constant(x) for x in inputs]).numpy()

    def values(self, variables):
        if self.mode == 'graph':
            return self.session.run(list(variables))
        return [v.numpy() for v in variables]

    def weights(self):
        return self.values(self.params)

    def slots(self, slot):
        """The optimizer's `slot` for every parameter, as arrays."""
        if CURRENT_API:  # one vector per slot: cut into the parameters' shapes
            k = VARIANTS[self.optimizer.variant].slots.index(slot)
            n = len(self.params)
            return self.optimizer.get_weights_per_tensor()[k * n:(k + 1) * n]
        return self.values([self.optimizer.get_slot(p, slot) for p in self.params])

    def prev_loss(self):
        """iRprop+'s remembered loss."""
        if CURRENT_API:
            return self.optimizer.get_weights_per_tensor()[-1]
        (variable,) = [w for w in self.optimizer.weights if 'prev_loss' in w.name]
        return self.values([variable])[0]


def fed_gradients(params, inputs):
    """``E + sum((p - stop_gradient(p)) * G)``: its value is E (for every
    finite G) and its gradient with respect to p is G (inputs: G for each p,
    then E).  Each p is read once: in a TensorFlow 1 graph two reads may see
    values before and after the step's write."""
    grads, loss_value = inputs[:-1], inputs[-1]
    reads = [tf.identity(p) for p in params]
    return loss_value + tf.add_n([tf.reduce_sum((r - tf.stop_gradient(r)) * g)
                                  for r, g in zip(reads, grads)])


class GradientFeeder(Feeder):
    """Variables whose gradient and loss are whatever the test feeds in."""

    def __init__(self, optimizer, initial_weights, mode, constraints=None):
        dtype = initial_weights[0].dtype
        specs = [(w.shape, w.dtype) for w in initial_weights] + [((), dtype)]
        super(GradientFeeder, self).__init__(optimizer, initial_weights, mode, fed_gradients,
                                             specs, constraints)

    def step(self, grads, loss=0.):
        return super(GradientFeeder, self).step(*(list(grads) + [self.params[0].dtype
                                                                 .as_numpy_dtype(loss)]))
