"""Where the multi-backend optimizer keeps its state: one flat vector per
state slot for all small weight tensors of a model (one per dtype if the
weights have several), and one per slot for each large tensor.

A step then runs the rule once over the concatenated small weights and
gradients instead of once per tensor: on a small model that is what makes a
Rprop step cheaper than Adam's (on TensorFlow each op of a step costs a
fixed launch, and a rule per tensor is some twenty of them).  A large tensor
(`ALONE_FROM` elements or more) is not copied into a concatenation: its rule
runs on it where it is, in the same compiled computation as the others (one
launch all the same).

Versions 0.1.0 to 0.4.0 kept one array per slot and tensor
(`from_per_tensor` converts such state, `to_per_tensor` gives it); versions
0.5.x kept one vector per slot and dtype whatever the sizes (`by_dtype`
is that layout); files saved by either load.
"""
from collections import OrderedDict

import numpy as np

# a weight tensor of this many elements or more keeps a state vector of its
# own, not part of a concatenation (concatenating it would copy its weights
# and gradient at every step: 1000-2000-2000-10 on TensorFlow 1.15 took
# 1.12-1.19x Adam's step that way, see benchmarks/RESULTS.md)
ALONE_FROM = 2 ** 16


class StateLayout(object):
    """The flat layout of a model's state.

    `shapes` and `dtypes` are those of the trainable weights in Keras'
    order.  The tensors of fewer than `alone_from` elements and one dtype
    form a group, and so does each larger tensor; groups in order of first
    appearance.  The state is a sequence of per-element slots, each one
    vector per group (``step_size``, ``prev_grad``, ..., ``grad_sum``), and
    0-d arrays (``prev_loss``, the accumulation's counters); its arrays'
    shapes (`flat_shapes`) tell which is which.
    """

    def __init__(self, shapes, dtypes, alone_from=ALONE_FROM):
        self.shapes = [tuple(int(d) for d in shape) for shape in shapes]
        self.sizes = [int(np.prod(shape)) for shape in self.shapes]
        self.dtypes = [np.dtype(dtype).name for dtype in dtypes]
        self.alone_from = alone_from
        groups = OrderedDict()
        for index, dtype in enumerate(self.dtypes):
            alone = alone_from is not None and self.sizes[index] >= alone_from
            groups.setdefault((dtype, index if alone else None), []).append(index)
        # [(dtype, [weight index, ...]), ...]
        self.groups = [(dtype, members) for (dtype, _), members in groups.items()]

    def by_dtype(self):
        """The layout of versions 0.5.x: one group per dtype, whatever the
        sizes of its tensors."""
        return StateLayout(self.shapes, self.dtypes, alone_from=None)

    def converted(self, arrays, flat_shapes):
        """`arrays`, state in this layout (of `flat_shapes`), in the
        per-tensor layout of 0.1.0-0.4.0 or in 0.5.x's (`by_dtype`); None if
        they are in none of them."""
        given = [tuple(np.shape(a)) for a in arrays]
        if given == list(flat_shapes):
            return list(arrays)
        if given == self.per_tensor_shapes(flat_shapes):
            return self.from_per_tensor(arrays, flat_shapes)
        by_dtype = self.by_dtype()
        if given == by_dtype.flat_shapes(self.kinds(flat_shapes)):
            return self.from_per_tensor(by_dtype.to_per_tensor(arrays), flat_shapes)
        return None

    def name(self, slot, k):
        """The name of group k's vector of `slot`: the slot's own where
        there is one group, else with its dtype and, for a tensor alone,
        the tensor's index (``step_size_float32_3``)."""
        if len(self.groups) == 1:
            return slot
        dtype, members = self.groups[k]
        alone = self.alone_from is not None and self.sizes[members[0]] >= self.alone_from
        return '%s_%s%s' % (slot, dtype, '_%d' % members[0] if alone else '')

    def flat_shapes(self, kinds):
        """The shapes of state whose arrays are `kinds` (``'slot'``: one
        vector per group, ``'scalar'``: one 0-d array) in this layout."""
        return [shape for kind in kinds
                for shape in ([(self.group_size(members),) for _, members in self.groups]
                              if kind == 'slot' else [()])]

    def kinds(self, flat_shapes):
        """What each block of `flat_shapes` (this layout's) is: 'slot' or 'scalar'."""
        return ['slot' if len(block[0]) == 1 else 'scalar' for block in self._blocks(flat_shapes)]

    def group_size(self, members):
        return sum(self.sizes[i] for i in members)

    def per_tensor_shapes(self, flat_shapes):
        """The shapes of the state of `flat_shapes` as versions 0.1.0 to
        0.4.0 held it: one array per slot and weight tensor."""
        return [shape for block in self._blocks(flat_shapes)
                for shape in (self.shapes if len(block[0]) == 1 else block)]

    def from_per_tensor(self, arrays, flat_shapes):
        """Per-tensor state (`per_tensor_shapes`) in the flat layout."""
        arrays, flat = list(arrays), []
        for block in self._blocks(flat_shapes):
            if len(block[0]) == 1:  # a slot: its tensors, one vector per group
                tensors, arrays = arrays[:len(self.shapes)], arrays[len(self.shapes):]
                flat.extend(np.concatenate([np.ravel(tensors[i]) for i in members])
                            for _, members in self.groups)
            else:
                flat.append(arrays.pop(0))
        return flat

    def to_per_tensor(self, arrays):
        """Flat state as one array per slot and tensor."""
        arrays, tensors = list(arrays), []
        for block in self._blocks([np.shape(a) for a in arrays]):
            vectors, arrays = arrays[:len(block)], arrays[len(block):]
            if len(block[0]) == 1:  # a slot: its vector per group, cut into tensors
                pieces = [None] * len(self.shapes)
                for vector, (_, members) in zip(vectors, self.groups):
                    ends = np.cumsum([self.sizes[i] for i in members])
                    for i, end in zip(members, ends):
                        pieces[i] = np.asarray(vector)[end - self.sizes[i]:end].reshape(
                            self.shapes[i])
                tensors.extend(pieces)
            else:
                tensors.extend(vectors)
        return tensors

    def _blocks(self, flat_shapes):
        """`flat_shapes` in blocks: a slot's vectors (one per group), or one
        0-d array."""
        blocks, shapes = [], list(flat_shapes)
        while shapes:
            size = len(self.groups) if len(shapes[0]) == 1 else 1
            blocks.append(shapes[:size])
            shapes = shapes[size:]
        return blocks
