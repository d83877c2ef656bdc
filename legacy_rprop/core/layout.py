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
    appearance.  The state is a sequence of per-element slots, each one
    vector per group (``step_size``, ``prev_grad``, ..., ``grad_sum``), and
    0-d arrays (``prev_loss``, the accumulation's counters); its arrays'
    shapes (`flat_shapes`) tell which is which.
    """

    def __init__(self, shapes, dtypes):
        self.shapes = [tuple(int(d) for d in shape) for shape in shapes]
        self.sizes = [int(np.prod(shape)) for shape in self.shapes]
        groups = OrderedDict()
        for index, dtype in enumerate(dtypes):
            groups.setdefault(np.dtype(dtype).name, []).append(index)
        self.groups = list(groups.items())  # [(dtype, [weight index, ...]), ...]

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
