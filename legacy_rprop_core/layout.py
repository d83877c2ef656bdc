"""Where the multi-backend optimizer keeps its state: one flat vector per
state slot for all weight tensors of a model (one per dtype if the weights
have several), not one variable per slot and tensor.

A step then runs the rule once over the concatenated weights and gradients
instead of once per tensor: on a small model that is what makes a Rprop
step cheaper than Adam's (on TensorFlow each op of a step costs a fixed
launch, and a rule per tensor is some twenty of them).  Versions 0.1.0 to
0.4.0 kept one array per slot and tensor; `from_per_tensor` converts such
state (and `to_per_tensor` gives it), so files saved by them load.
"""
from collections import OrderedDict

import numpy as np


class StateLayout(object):
    """The flat layout of a model's state.

    `shapes` and `dtypes` are those of the trainable weights in Keras'
    order; the weights of one dtype form a group, groups in order of first
    appearance.  `slots` are the rule's per-element state (``step_size``,
    ``prev_grad``, ...); `scalars` the names of the 0-d state that follows
    them (``prev_loss``); `sums` the per-element state after the scalars
    (``grad_sum`` when accumulating), `counters` the 0-d state at the end.
    """

    def __init__(self, shapes, dtypes, slots, scalars=(), sums=(), counters=()):
        self.shapes = [tuple(int(d) for d in shape) for shape in shapes]
        self.sizes = [int(np.prod(shape)) for shape in self.shapes]
        self.dtypes = [np.dtype(dtype).name for dtype in dtypes]
        self.slots, self.scalars = tuple(slots), tuple(scalars)
        self.sums, self.counters = tuple(sums), tuple(counters)
        groups = OrderedDict()
        for index, dtype in enumerate(self.dtypes):
            groups.setdefault(dtype, []).append(index)
        self.groups = list(groups.items())  # [(dtype, [weight index, ...]), ...]

    def group_size(self, members):
        return sum(self.sizes[i] for i in members)

    def flat_shapes(self):
        """The shapes of the state's arrays, in order."""
        vectors = [(self.group_size(members),) for _, members in self.groups]
        return (vectors * len(self.slots) + [()] * len(self.scalars)
                + vectors * len(self.sums) + [()] * len(self.counters))

    def per_tensor_shapes(self):
        """The shapes of the same state as versions 0.1.0 to 0.4.0 held it."""
        return (self.shapes * len(self.slots) + [()] * len(self.scalars)
                + self.shapes * len(self.sums) + [()] * len(self.counters))

    def from_per_tensor(self, arrays):
        """Per-tensor state (`per_tensor_shapes`) in the flat layout."""
        arrays = list(arrays)
        n = len(self.shapes)
        vectors, scalars = [], []
        for _ in self.slots:
            vectors.extend(self._flattened(arrays[:n]))
            arrays = arrays[n:]
        scalars, arrays = arrays[:len(self.scalars)], arrays[len(self.scalars):]
        sums = []
        for _ in self.sums:
            sums.extend(self._flattened(arrays[:n]))
            arrays = arrays[n:]
        return vectors + scalars + sums + arrays

    def to_per_tensor(self, arrays):
        """Flat state (`flat_shapes`) as one array per slot and tensor."""
        arrays = list(arrays)
        k = len(self.groups)
        vectors, arrays = arrays[:k * len(self.slots)], arrays[k * len(self.slots):]
        scalars, arrays = arrays[:len(self.scalars)], arrays[len(self.scalars):]
        sums, counters = arrays[:k * len(self.sums)], arrays[k * len(self.sums):]
        return (self._split(vectors, len(self.slots)) + scalars
                + self._split(sums, len(self.sums)) + counters)

    def _flattened(self, tensors):
        return [np.concatenate([np.ravel(tensors[i]) for i in members])
                for _, members in self.groups]

    def _split(self, vectors, n_slots):
        """Each slot's group vectors cut into the tensors, in weight order."""
        tensors = []
        for slot in range(n_slots):
            pieces = [None] * len(self.shapes)
            for k, (_, members) in enumerate(self.groups):
                start = 0
                vector = np.asarray(vectors[slot * len(self.groups) + k])
                for i in members:
                    pieces[i] = vector[start:start + self.sizes[i]].reshape(self.shapes[i])
                    start += self.sizes[i]
            tensors.extend(pieces)
        return tensors
