"""One element's update, as every flavour computes it: the variant's rule
with the non-finite policy, and with `batches_per_step`, written against a
backend's element-wise `ops` (`legacy_rprop.core.ops`)."""
import numpy as np

from legacy_rprop.core.rules import Hyper


class _Computation(object):
    """An element update (``__call__(hyper, inputs)`` -> new values by name,
    `output_names`) as a function of positional values, for a backend's
    fused loop."""

    def computation(self, hyper, inputs):
        """``(function, inputs, overwrite)`` for a backend's fused loop:
        the function takes the values of `inputs` (``{name: tensor}``) in
        order and returns the new values in the order of `output_names`;
        output k may overwrite the memory of input ``overwrite[k]``."""
        input_names = list(inputs)
        overwrite = {k: input_names.index(name) for k, name in enumerate(self.output_names)}

        def function(*values):
            new = self(hyper, dict(zip(input_names, values)))
            return [new[name] for name in self.output_names]

        return function, [inputs[name] for name in input_names], overwrite


class ElementUpdate(_Computation):
    """One element's update, ``weight`` and state slots in, the same names
    out (`output_names`), with the non-finite policy.

    `spec` is the variant's `Variant` record; `skip` is the policy 'skip':
    an element whose gradient is not finite keeps its weight and every slot
    for that step.  The rule then takes that gradient's sign as 0, as for a
    zero gradient, which leaves the weight and the variant's
    `zero_grad_keeps` slots as they are, so only the other slots need a
    select (one element-wise op fewer per step for every variant but the
    answer's, whose step size shrinks at a zero gradient); those other
    slots are the only ones where the non-finite gradient itself ends up.
    """

    def __init__(self, ops, spec, skip):
        self.ops, self.spec, self.skip = ops, spec, skip
        # what each output is written to: its own input's variable
        self.output_names = ('weight',) + spec.slots
        # what makes two updates on the same ops compute the same
        self.key = (spec.rule.__name__, skip)

    def with_ops(self, ops):
        """The same update on another backend's (or path's) ops."""
        return ElementUpdate(ops, self.spec, self.skip)

    def __call__(self, hyper, inputs):
        """The new values ``{name: tensor}`` from `inputs` ``{name: tensor}``
        (weight, grad, the slots and, for a rule that uses the loss,
        loss_rose)."""
        ops, grad = self.ops, inputs['grad']
        rule_ops = ops
        if self.skip:
            finite = ops.is_finite(grad)
            rule_ops = _SignOfFiniteGradient(ops, finite)
        state = {slot: inputs[slot] for slot in self.spec.slots}
        new_weight, new_state = self.spec.rule(
            rule_ops, inputs['weight'], grad, state, hyper, inputs.get('loss_rose'))
        new = dict(new_state, weight=new_weight)
        if self.skip:
            kept = ('weight',) + self.spec.zero_grad_keeps
            new = {name: value if name in kept else ops.where(finite, value, inputs[name])
                   for name, value in new.items()}
        return new


class AccumulatingUpdate(_Computation):
    """An `ElementUpdate` on the mean gradient of several batches.

    Inputs besides the element update's: ``grad_sum`` (this step's batches
    so far, each gradient times its batch's size), ``batch_size`` (this
    batch's), ``samples`` (this step's samples, this batch's included) and
    ``is_step`` (1 on the step's last batch, else 0).  On the last batch the
    update runs on ``(grad_sum + batch_size * grad) / samples`` and
    ``grad_sum`` starts again from 0; before it, every weight and slot keeps
    its value and only ``grad_sum`` grows.  A non-finite gradient in any
    batch makes the mean non-finite, so the policy sees it at the step.
    """

    def __init__(self, element_update):
        self.element = element_update
        self.output_names = element_update.output_names + ('grad_sum',)
        self.key = ('accumulating',) + element_update.key

    def with_ops(self, ops):
        return AccumulatingUpdate(self.element.with_ops(ops))

    @staticmethod
    def gradient_sum(inputs):
        """The step's gradients so far, each times its batch's size, this
        batch's included; divided by ``samples`` it is the step's gradient."""
        return inputs['grad_sum'] + inputs['batch_size'] * inputs['grad']

    def __call__(self, hyper, inputs):
        ops = self.element.ops
        grad_sum = self.gradient_sum(inputs)
        new = self.element(hyper, dict(inputs, grad=grad_sum / inputs['samples']))
        step = inputs['is_step'] > 0
        kept = {name: ops.where(step, new[name], inputs[name]) for name in new}
        kept['grad_sum'] = ops.where(step, ops.zeros_like(grad_sum), grad_sum)
        return kept


def counted_batch(ops, cast, batches_per_step, size, counters, batch_loss=None):
    """One batch of a step of `batches_per_step` batches, counted.

    From this batch's `size` and the counters' values before it
    (`counters`: batches_seen, samples_seen and, where the rule compares
    losses, loss_sum, the sum of each batch's loss times its size):
    ``(shared, step_loss, new_counters)``, the 0-d inputs every element's
    `AccumulatingUpdate` shares (``batch_size``, ``samples``, ``is_step``),
    the loss to compare (the mean of the batches' losses over the step's
    samples so far, this `batch_loss` included; None without loss_sum) and
    the counters' new values, 0 again after the step's last batch.  `cast`
    makes a boolean a number of the counters' dtype."""
    batches, samples = counters[0] + 1., counters[1] + size
    is_step = cast(batches >= float(batches_per_step))
    new, step_loss = [batches, samples], None
    if len(counters) > 2:
        total = counters[2] + size * batch_loss
        step_loss = total / samples
        new.append(total)
    new = [ops.where(is_step > 0, ops.zeros_like(value), value) for value in new]
    return {'batch_size': size, 'samples': samples, 'is_step': is_step}, step_loss, new


class _SignOfFiniteGradient(object):
    """`ops` whose `sign` (which a rule takes of the gradient only) is the
    backend's plain sign where the gradient is `finite` and 0 where it is
    not.  Zeroing the sign, not the gradient, spares XLA a zeroed copy of
    the gradient in memory between its loops (Rprop+ on 1e6 weights: 22
    passes over memory instead of 25); and the plain sign is two ops fewer
    on TensorFlow, whose NaN-keeping sign is a select on is_nan."""

    def __init__(self, ops, finite):
        self._ops, self._finite = ops, finite

    def sign(self, gradient):
        ops = self._ops
        return ops.where(self._finite, ops.sign_of_finite(gradient), ops.zeros_like(gradient))

    def __getattr__(self, name):
        return getattr(self._ops, name)


def hyper_in_dtype(hyper, dtype):
    """The hyper-parameters as scalars of a weight's `dtype`, so that the
    arithmetic stays in that precision."""
    return Hyper(*(np.dtype(dtype).type(v) for v in hyper))


def loss_to_remember(ops, loss, prev_loss, skip, is_step=None):
    """iRprop+'s new previous loss: this step's, unless it is not finite and
    the policy is 'skip'; with `batches_per_step` > 1 (`is_step`, from
    `counted_batch`) only after the step's last batch."""
    remembered = ops.where(ops.is_finite(loss), loss, prev_loss) if skip else loss
    if is_step is not None:
        remembered = ops.where(is_step > 0, remembered, prev_loss)
    return remembered
