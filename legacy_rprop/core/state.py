"""Saved optimizer state, the same in every flavour: the error for state that
does not fit and the checks that raise it, and how state saved in another
layout is read (the prev_move of versions up to 0.6, one array per slot and
weight tensor)."""
import numpy as np


class OptimizerStateError(Exception):
    """Saved optimizer state that does not fit the optimizer and model.

    Deliberately not a ValueError: Keras 2.3.1's ``load_model`` turns a
    ValueError from ``set_weights`` into a warning and trains on from fresh
    state, which for Rprop silently restarts every step size.
    """


def check_state_fits(class_name, variant, variables, expected, weights):
    """Raise `OptimizerStateError` unless the arrays `weights` have the
    number and shapes `expected` of the optimizer's state `variables`."""
    got = [tuple(np.shape(w)) for w in weights]
    if got != list(expected):
        raise OptimizerStateError(
            '%s(variant=%r) cannot load this optimizer state: for this model '
            'it holds %d arrays %s with shapes %s, but got %d arrays with '
            'shapes %s. The state was saved by another Rprop variant or for '
            'another model. Nothing was loaded; to restart the optimizer on '
            'purpose, load the model with compile=False and compile it again.'
            % (class_name, variant, len(expected), state_names(variables), list(expected),
               len(got), got))


def state_names(variables):
    """The optimizer state's names without scope (``step_size``)."""
    return [v.name.rsplit('/', 1)[-1].split(':')[0] for v in variables]


def check_saved_between_steps(class_name, batches_per_step, variables, weights):
    """Raise `OptimizerStateError` if the arrays `weights` (the state of
    `variables`) were saved in the middle of a step of `batches_per_step`
    batches: training resumes at the start of an epoch, and would add the
    rest of the saved step's batches to the next step's."""
    seen = [float(np.asarray(value)) for name, value in zip(state_names(variables), weights)
            if name.startswith('batches_seen')]
    if seen and seen[0] != 0:
        raise OptimizerStateError(
            '%s(batches_per_step=%d) cannot resume from this state: it was saved '
            'after %d of the %d batches of a step, and Keras resumes at the start '
            'of an epoch. Save at the end of an epoch (ModelCheckpoint does). '
            'Nothing was loaded.' % (class_name, batches_per_step, seen[0], batches_per_step))


def check_per_tensor_state_fits(class_name, variant, expected, arrays):
    """Raise `OptimizerStateError` unless `arrays`, state given as one array
    per slot and weight tensor (what ``get_weights_per_tensor`` gives in
    every flavour), have the shapes `expected` of this optimizer's state
    for this model in that layout."""
    got = [tuple(np.shape(a)) for a in arrays]
    if got != list(expected):
        raise OptimizerStateError(
            '%s(variant=%r) cannot take this state per tensor: for this model it is %d '
            'arrays with shapes %s (each slot: one array per weight tensor in the '
            "model's order; then the scalars), but got %d arrays with shapes %s. It comes "
            'from another Rprop variant or another model. Nothing was loaded.'
            % (class_name, variant, len(expected), list(expected), len(got), got))


def not_built_error(class_name, how):
    """The error for state given to an optimizer that has none yet: `how`
    says what makes it."""
    return ValueError('%s has no state to load into yet: %s, then load the state.'
                      % (class_name, how))


# Up to version 0.6 Rprop+ and iRprop+ kept a third slot after step_size and
# prev_grad: prev_move, the last move, which their rule now derives from the
# other two wherever it reads it (`rules.rprop_plus`).  State saved with it
# loads without it, exactly.
SAVED_WITH_PREV_MOVE = ('Rprop+', 'iRprop+')


def saved_layouts(variant, arrays, head, blocks):
    """The ways to read saved state `arrays`: as they are, then for Rprop+
    and iRprop+ without prev_move, for each `blocks` size (state laid out
    as `head` arrays, then each slot's arrays, `blocks` of them a slot)."""
    yield list(arrays)
    if variant not in SAVED_WITH_PREV_MOVE:
        return
    for block in blocks:
        start = head + 2 * block  # after step_size's and prev_grad's arrays
        grads, moves = arrays[start - block:start], arrays[start:start + block]
        if block and [np.shape(a) for a in moves] == [np.shape(a) for a in grads]:
            yield list(arrays[:start]) + list(arrays[start + block:])


def fitting(candidates, expected):
    """The first of `candidates` (lists of arrays) with the shapes
    `expected`, or None."""
    for arrays in candidates:
        if [tuple(np.shape(a)) for a in arrays] == list(expected):
            return arrays
    return None


def saved_layouts_per_weight(variant, arrays, head, n_slots):
    """As `saved_layouts`, for state laid out per weight (tf.keras' legacy
    API: `head` arrays, then each weight's `n_slots` slots one after the
    other; up to 0.6 Rprop+'s and iRprop+'s third was prev_move)."""
    yield list(arrays)
    saved = n_slots + 1
    per_weight = list(arrays[head:])
    if variant not in SAVED_WITH_PREV_MOVE or not per_weight or len(per_weight) % saved:
        return
    weights = [per_weight[i:i + saved] for i in range(0, len(per_weight), saved)]
    if all(np.shape(slots[-1]) == np.shape(slots[0]) for slots in weights):
        yield list(arrays[:head]) + [a for slots in weights for a in slots[:n_slots]]


def flat_from_per_tensor(class_name, variant, layout, flat_shapes, arrays):
    """`arrays`, state given as one array per slot and weight tensor (what
    ``get_weights_per_tensor`` gives in every flavour; up to 0.6 with
    Rprop+'s and iRprop+'s prev_move), in the flat layout `layout` of the
    state's `flat_shapes`.  Raises `OptimizerStateError` if they do not fit
    this variant and model."""
    expected = layout.per_tensor_shapes(flat_shapes)
    arrays = fitting(saved_layouts(variant, arrays, 0, [len(layout.shapes)]), expected) or arrays
    check_per_tensor_state_fits(class_name, variant, expected, arrays)
    return layout.from_per_tensor(arrays, flat_shapes)


class PerTensorState(object):
    """`get_weights_per_tensor` and `set_weights_per_tensor` of a flavour
    whose state is one vector per slot and state group (`layout`, None
    until the state is made): the last arrays of its ``get_weights()``,
    after `arrays_before_state()` of its own (tf.keras' and Keras 3's
    iteration count, ...), in the order of `layout`'s flat state, which
    ``set_weights`` takes back.  `state_made_by` says, in the error before
    the state is made, what makes it."""

    state_made_by = 'build it with optimizer.build(model.trainable_variables)'

    def arrays_before_state(self):
        """How many arrays of ``get_weights()`` come before the state."""
        raise NotImplementedError

    def get_weights_per_tensor(self):
        """The state as one array per slot and weight tensor (``step_size``
        of every weight in the model's order, then ``prev_grad``, ...), then
        iRprop+'s prev_loss: as every flavour gives it.  Empty before the
        state is made."""
        if getattr(self, 'layout', None) is None:
            return []
        return self.layout.to_per_tensor(self.get_weights()[self.arrays_before_state():])

    def set_weights_per_tensor(self, arrays):
        """Load state given as one array per slot and weight tensor: what
        `get_weights_per_tensor` gives here and in every other flavour
        (also with the prev_move of versions up to 0.6), so a run can go on
        from another Keras; the arrays before the state (the iteration
        count) stay.  Raises `OptimizerStateError` if the arrays do not fit
        this variant and model, ValueError before the state is made."""
        if getattr(self, 'layout', None) is None:
            raise not_built_error(type(self).__name__, self.state_made_by)
        weights, head = self.get_weights(), self.arrays_before_state()
        self.set_weights(weights[:head] + flat_from_per_tensor(
            type(self).__name__, self.variant, self.layout,
            [np.shape(w) for w in weights[head:]], arrays))


def slot_major(per_weight, n_slots):
    """Arrays laid out weight by weight (each weight's `n_slots` slots one
    after the other: tf.keras' legacy API) laid out slot by slot (each
    slot's array for every weight: the per-tensor layout)."""
    n = len(per_weight) // n_slots
    return [per_weight[i * n_slots + s] for s in range(n_slots) for i in range(n)]


def weight_major(per_slot, n_slots):
    """The inverse of `slot_major`."""
    n = len(per_slot) // n_slots
    return [per_slot[s * n + i] for i in range(n) for s in range(n_slots)]
