"""IR pass rules: what the simplifier (simplify.py) knows of writes into arrays.

A read of a written array where the write did not reach reads the array before it, and where
it wrote, the value written; a write of what the array already holds there is dropped; an
add into a region still zero is a write; the cotangents of many slices, added, become adds
into one buffer. Which basic keys meet is decided from their positions per axis, without
building the sets (`disjoint`, `meet`).

Unrolled loops write one element at a time (`out[i, f, r, c] = ...`, and their gradients
clear each element again), so the chains of writes are long: reads of single elements find
their write in an index of such chains (`PointWrites`) rather than by walking the chain, and
any other walk stops after WALK_LIMIT writes (where it stops is still a correct place to
read from: every write passed does not meet the read).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..core import Literal, Node, Operand, Var
from ..primitives import calls, indexing
from .rewrite import is_constant

if TYPE_CHECKING:
    from .simplify import Simplifier

# How many writes a read walks back past at most (the unrolled RNN's reads pass T of them).
WALK_LIMIT = 512


class PointWrites:
    """Chains of writes of single elements (`index_set` / `index_add` with an int per axis),
    each value of a chain at its position: for a read of one element, the last write to it
    at or before a position is a lookup, not a walk."""

    def __init__(self) -> None:
        self.chain_of: dict[Var, tuple[Chain, int]] = {}

    def remember(self, node: Node) -> None:
        if node.op is not indexing.index_set and node.op is not indexing.index_add:
            return
        key = point(node.params["index"], node.out.type.shape)
        if key is None:
            return
        array = node.inputs[0]
        found = self.chain_of.get(array) if array.__class__ is Var else None
        if found is None or found[1] != len(found[0].writes) - 1:
            found = (Chain(array), -1)  # a new chain starts (or a chain branches off)
        chain = found[0]
        chain.by_key.setdefault(key, []).append(len(chain.writes))
        chain.writes.append(node)
        self.chain_of[node.out] = (chain, len(chain.writes) - 1)

    def last_write(self, array: Operand, key: tuple) -> tuple[Node | None, Operand]:
        """For a read of `array[key]`: the last write of its chain that meets the key (None
        when none does) and the value it wrote into; the chain's start when none met."""
        found = self.chain_of.get(array) if array.__class__ is Var else None
        element = found and point(key, array.type.shape)
        if not element:
            return None, array
        chain, at = found
        written = chain.by_key.get(element, ())
        k = bisect.bisect_right(written, at) - 1
        if k < 0:
            return None, chain.base
        write = chain.writes[written[k]]
        return write, write.out


class Chain:
    def __init__(self, base: Operand):
        self.base = base  # the array before the chain's first write
        self.writes: list[Node] = []
        self.by_key: dict[tuple[int, ...], list[int]] = {}  # element -> positions, in order


def same_key(first: tuple, second: tuple, array: Operand) -> bool:
    """Whether two keys pick the same positions as written (`(-3, 1)` is `(0, 1)` of 3 rows)."""
    if first == second:
        return True
    element = point(first, array.type.shape)
    return element is not None and element == point(second, array.type.shape)


def point(key: tuple, shape: tuple[int, ...]) -> tuple[int, ...] | None:
    """The element a key of one int per axis picks, as non-negative ints; None for others."""
    if len(key) != len(shape) or not all(item.__class__ is int for item in key):
        return None
    return tuple(item % size for item, size in zip(key, shape, strict=True))


def index(s: Simplifier, node: Node) -> bool:
    """`x[()]` of a 0-d `x` is its value; that NumPy hands it back as a scalar is a result
    kind (ir/result_kinds.py), read before this pass runs. A read of a written array where
    the write did not reach reads the array before the write."""
    if node.params["index"] == () and s.same(node, node.inputs[0]):
        return True
    key, array = node.params["index"], node.inputs[0]
    if None in key:
        return False
    if interior_of_pad(s, node):
        return True
    write, array = s.points.last_write(array, key)  # past the writes of single elements
    for _ in range(WALK_LIMIT):  # then back along the writes this read does not meet
        write = write or s.made_by(array, indexing.index_set)
        write = write or s.made_by(array, indexing.index_add)
        if write is None:
            break
        rewritten = write.op is indexing.index_set and same_key(write.params["index"], key, array)
        if rewritten and s.same(node, write.inputs[1]):  # reads back exactly what it wrote
            return True
        if not disjoint(key, write.params["index"], array.type.shape):
            break
        array, write = write.inputs[0], None
    if array is node.inputs[0]:
        return False
    return s.rewriter.recompute(node, indexing.index, [array], dict(node.params))


def interior_of_pad(s: Simplifier, node: Node) -> bool:
    """The region np.pad kept of its array, read back, is that array (in every mode: the
    modes differ only in what they put around it): the cotangent of np.pad is a slice."""
    padded = s.made_by(node.inputs[0], calls.pad)
    if padded is None or len(padded.inputs) != 1:
        return False
    (x,), key = padded.inputs, node.params["index"]
    shape = x.type.shape
    widths = np.broadcast_to(np.asarray(padded.params["pad_width"]), (len(shape), 2))
    for axis, size in enumerate(shape):
        item = key[axis] if axis < len(key) else (None, None, None)
        if not isinstance(item, tuple):
            return False
        before = int(widths[axis][0])
        kept = positions(item, padded.out.type.shape[axis])
        if kept != range(before, before + size):
            return False
    return s.same(node, x)


def index_add(s: Simplifier, node: Node) -> bool:
    """Adding into a region no earlier write reached, of an array made of zeros (a
    cotangent's buffer: `d_x = np.zeros(...)`, `d_x[:, t] = ...`), is writing there."""
    (array, u), key = node.inputs, node.params["index"]
    return zero_at(s, array, key) and s.rewriter.recompute(
        node, indexing.index_set, [array, u], dict(node.params)
    )


def zero_at(s: Simplifier, array: Operand, key: tuple) -> bool:
    if None in key:
        return False
    while True:
        if is_constant(array, 0):
            return True
        write = (
            s.made_by(array, indexing.index_set)
            or s.made_by(array, indexing.index_add)
            or s.made_by(array, indexing.index_scatter)
        )
        if write is None or None in write.params["index"]:
            return False
        if not disjoint(key, write.params["index"], array.type.shape):
            return False
        if write.op is indexing.index_scatter:
            return True
        array = write.inputs[0]


def disjoint(first: tuple, second: tuple, shape: tuple[int, ...]) -> bool:
    """Whether two basic keys (without None) select no position in common: on some axis,
    their positions do not meet."""
    for axis, (a, b) in enumerate(zip(first, second, strict=False)):
        if a.__class__ is int and b.__class__ is int:  # the common case, kept cheap
            if (a - b) % shape[axis]:
                return True
        elif not meet(positions(a, shape[axis]), positions(b, shape[axis])):
            return True
    return False


def meet(a: range, b: range) -> bool:
    """Whether two ranges of positions share one: at once for unit steps, else by looking
    each position of the shorter up in the longer (a range answers `in` at once)."""
    if not a or not b:
        return False
    if a.step == b.step == 1:
        return max(a.start, b.start) < min(a.stop, b.stop)
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    return any(p in longer for p in shorter)


def positions(item: int | tuple, size: int) -> range:
    if isinstance(item, int):
        return range(item % size, item % size + 1)
    return range(*slice(*item).indices(size))


def added_into(s: Simplifier, node: Node, x: Operand, y: Operand) -> bool:
    """`x + zeros with u at a key` (a cotangent arriving from one slice or gather) is `x`
    with u added there, so the cotangents of many slices of one array accumulate into one
    buffer; where x was zeroed at that key (a write's cotangent), u written there."""
    if not isinstance(x, Var) or x.type != node.out.type:
        return False
    scattered = s.made_by(y, indexing.index_scatter)
    if scattered is not None and not covers(scattered.params["index"], x.type.shape):
        (u,), index = scattered.inputs, scattered.params["index"]
        cleared = s.made_by(x, indexing.index_set)
        if cleared is not None and cleared.params["index"] == index:
            array, zero = cleared.inputs
            if is_constant(zero, 0):
                return s.rewriter.recompute(node, indexing.index_set, [array, u], {"index": index})
        return s.rewriter.recompute(node, indexing.index_add, [x, u], {"index": index})
    gathered = s.made_by(y, indexing.scatter_add)
    if gathered is not None:
        u, *indices = gathered.inputs
        axes = gathered.params["axes"]
        cleared = s.made_by(x, indexing.gather_set)
        if (
            cleared is not None
            and cleared.params["axes"] == axes
            and same_operands(cleared.inputs[2:], indices)
            and is_constant(cleared.inputs[1], 0)
            and distinct_positions(indices, x.type.shape, axes)
        ):
            array = cleared.inputs[0]
            return s.rewriter.recompute(
                node, indexing.gather_set, [array, u, *indices], {"axes": axes}
            )
        return s.rewriter.recompute(node, indexing.gather_add, [x, u, *indices], {"axes": axes})
    return False


def same_operands(first: Sequence[Operand], second: Sequence[Operand]) -> bool:
    """The same values: the same Vars, or constants equal in type and value."""
    return len(first) == len(second) and all(
        a is b
        or (
            a.__class__ is Literal
            and b.__class__ is Literal
            and a.type == b.type
            and np.array_equal(a.value, b.value)
        )
        for a, b in zip(first, second, strict=True)
    )


def distinct_positions(indices: Sequence[Operand], shape: tuple, axes: tuple) -> bool:
    return indexing.distinct_positions(
        [np.asarray(i.value) if i.__class__ is Literal else None for i in indices],
        np.broadcast_shapes(*(i.type.shape for i in indices)),
        [shape[a] for a in axes],
    )


def written_back(s: Simplifier, node: Node) -> bool:
    """`a` with `a[key]` written back at `key` (over whatever an earlier write at exactly
    that key put there) is `a`: the cotangent of `x[key] -= 1` passes through unchanged. So
    are zeros written into zeros; a value written over the whole array is that value."""
    array, v, *indices = node.inputs
    if is_constant(array, 0) and is_constant(v, 0) and s.same(node, array):
        return True  # zeros written into zeros
    if node.params.get("index") == () and s.same(node, v):
        return True  # the whole array written (`y.sort()`): the value itself
    reader = indexing.index if node.op is indexing.index_set else indexing.gather
    read = s.made_by(v, reader)
    if read is None or dict(read.params) != (
        {"index": node.params["index"]} if reader is indexing.index else dict(node.params)
    ):
        return False
    base, *read_indices = read.inputs
    if not same_operands(read_indices, indices):
        return False
    earlier = s.made_by(array, node.op)
    covered = (
        earlier is not None
        and earlier.params == node.params
        and earlier.inputs[0] is base
        and same_operands(earlier.inputs[2:], indices)
    )
    return (array is base or covered) and s.same(node, base)


def covers(key: tuple, shape: tuple[int, ...]) -> bool:
    """Whether a basic key (None items aside) picks every position, in order."""
    kept = [item for item in key if item is not None]
    return all(
        isinstance(item, tuple) and positions(item, size) == range(size)
        for item, size in zip(kept, shape, strict=False)
    )


def whole_scatter(s: Simplifier, node: Node) -> bool:
    """Zeros with u written at a key that covers them all (`x[None]`'s cotangent) is u, in
    the array's shape."""
    from ..primitives import shapes

    (u,), key = node.inputs, node.params["index"]
    if not covers(key, node.out.type.shape) or u.type.size != node.out.type.size:
        return False
    shape = node.out.type.shape
    return s.same(node, u) or s.rewriter.recompute(node, shapes.reshape, [u], {"shape": shape})
