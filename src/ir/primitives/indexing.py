"""IR layer: indexing. `index` is NumPy basic indexing with a static key; `gather` is
integer-array (advanced) indexing, whose index arrays are operands. Their transposes,
`index_scatter` and `scatter_add`, write into zeros of a given shape: reverse mode uses them.

An `index` key is a tuple whose items are an int (picks one position and drops the axis),
None (a new axis of size 1) or a `(start, stop, step)` triple (a slice, each part an int or
None). Ellipsis never appears: the tracer expands it. Axes past the key are kept whole.
"""

from __future__ import annotations

import numpy as np

from ...errors import TypeRuleError
from ..primitive import Group, Trait, declare
from ..types import TensorType, broadcasts_to

IndexItem = int | None | tuple[int | None, int | None, int | None]


def slice_length(item: tuple, size: int) -> int:
    start, stop, step = item
    if step == 0:
        raise TypeRuleError(
            "index: slice step cannot be zero", hint="use a positive or negative step"
        )
    return len(range(*slice(start, stop, step).indices(size)))


def index_rule(types: tuple[TensorType, ...], index: tuple[IndexItem, ...]):
    (x,) = types
    consumed = sum(1 for item in index if item is not None)
    if consumed > x.ndim:
        raise TypeRuleError(
            f"index: {consumed} indices for an array of type {x} with {x.ndim} dimensions",
            hint=f"index at most {x.ndim} axes",
        )
    shape: list[int] = []
    axis = 0
    for item in index:
        if item is None:
            shape.append(1)
        elif isinstance(item, tuple):
            shape.append(slice_length(item, x.shape[axis]))
            axis += 1
        elif isinstance(item, int):
            if not -x.shape[axis] <= item < x.shape[axis]:
                raise TypeRuleError(
                    f"index: index {item} is out of bounds for axis {axis} with size "
                    f"{x.shape[axis]} (array of type {x})",
                    hint=f"use an index between {-x.shape[axis]} and {x.shape[axis] - 1}",
                )
            axis += 1
        else:
            raise TypeRuleError(f"index: unsupported index item {item!r}")
    shape.extend(x.shape[axis:])
    return (TensorType(tuple(shape), x.dtype),)


def check_gather_operands(x: TensorType, indices: list[TensorType], axes: tuple[int, ...]) -> None:
    """One integer index array per axis of `axes`, which are increasing axes of x."""
    if len(indices) != len(axes) or not axes:
        raise TypeRuleError(f"gather: {len(indices)} index arrays for axes {axes}")
    if list(axes) != sorted(set(axes)) or axes[-1] >= x.ndim or axes[0] < 0:
        raise TypeRuleError(f"gather: axes {axes} are not increasing axes of {x}")
    for i in indices:
        if i.dtype.kind not in "iu":
            raise TypeRuleError(
                f"gather: index arrays must hold integers, got {i}",
                hint="convert the index with .astype(int); boolean masks need np.where",
            )


def gather_rule(types: tuple[TensorType, ...], axes: tuple[int, ...]):
    """x[..., i0, ..., i1, ...]: integer arrays index the axes in `axes`, others stay whole.

    As in NumPy, the broadcast shape of the index arrays takes the place of the indexed axes
    when those are adjacent, and goes first when they are not.
    """
    x, *indices = types
    check_gather_operands(x, indices, axes)
    try:
        batch = tuple(np.broadcast_shapes(*(i.shape for i in indices)))
    except ValueError:
        raise TypeRuleError(
            "gather: index arrays of shapes "
            f"{', '.join(str(i.shape) for i in indices)} do not broadcast together",
            hint="index arrays pair up element by element: give them one shape (or shapes "
            "that broadcast, e.g. `i[:, None]` and `j`)",
        ) from None
    rest = [d for a, d in enumerate(x.shape) if a not in axes]
    adjacent = list(axes) == list(range(axes[0], axes[0] + len(axes)))
    # Adjacent index arrays keep their place; separated ones move to the front.
    shape = (*x.shape[: axes[0]], *batch, *x.shape[axes[-1] + 1 :]) if adjacent else (*batch, *rest)
    return (TensorType(shape, x.dtype),)


def index_scatter_rule(
    types: tuple[TensorType, ...], shape: tuple[int, ...], index: tuple[IndexItem, ...]
):
    """zeros(shape) with `updates` written at `[index]`; the key holds no None."""
    (updates,) = types
    if None in index:
        raise TypeRuleError("index_scatter: the key cannot add axes (None)")
    (selected,) = index_rule((TensorType(shape, updates.dtype),), index)
    if selected.shape != updates.shape:
        raise TypeRuleError(
            f"index_scatter: updates {updates} do not fit the selection {selected} of {shape}"
        )
    return (TensorType(shape, updates.dtype),)


def scatter_add_rule(types: tuple[TensorType, ...], shape: tuple[int, ...], axes: tuple[int, ...]):
    """zeros(shape) with `updates` added at the positions `gather` would read (repeats add up)."""
    updates, *indices = types
    (selected,) = gather_rule((TensorType(shape, updates.dtype), *indices), axes)
    if selected.shape != updates.shape:
        raise TypeRuleError(
            f"scatter_add: updates {updates} do not fit the gathered shape {selected.shape}"
        )
    return (TensorType(shape, updates.dtype),)


def numpy_key(index: tuple[IndexItem, ...]) -> tuple:
    """The IR's static key as NumPy takes it: a (start, stop, step) triple is a slice."""
    return tuple(slice(*item) if isinstance(item, tuple) else item for item in index)


def gather_key(ndim: int, indices: tuple, axes: tuple[int, ...]) -> tuple:
    key: list = [slice(None)] * ndim
    for axis, i in zip(axes, indices, strict=True):
        key[axis] = i
    return tuple(key)


def index_reference(x, index):
    return np.asarray(x)[numpy_key(index)]


def gather_reference(x, *indices, axes):
    x = np.asarray(x)
    return x[gather_key(x.ndim, indices, axes)]


def index_scatter_reference(updates, shape, index):
    out = np.zeros(shape, np.asarray(updates).dtype)
    out[numpy_key(index)] = updates
    return out


def scatter_add_reference(updates, *indices, shape, axes):
    out = np.zeros(shape, np.asarray(updates).dtype)
    np.add.at(out, gather_key(len(shape), indices, axes), updates)
    return out


index = declare(
    "index",
    Group.INDEXING,
    index_rule,
    "basic indexing with a static key",
    traits={Trait.LINEAR, Trait.VIEW},
    reference=index_reference,
)
# Linear in the indexed value (the index arrays carry no derivative); so are the scatters in
# their updates.
gather = declare(
    "gather",
    Group.INDEXING,
    gather_rule,
    "integer-array indexing",
    traits={Trait.LINEAR},
    reference=gather_reference,
    axis_params=("axes",),
)
index_scatter = declare(
    "index_scatter",
    Group.INDEXING,
    index_scatter_rule,
    "zeros with updates written at a basic index",
    traits={Trait.LINEAR},
    reference=index_scatter_reference,
)
scatter_add = declare(
    "scatter_add",
    Group.INDEXING,
    scatter_add_rule,
    "zeros with updates added at integer-array indices",
    traits={Trait.LINEAR},
    reference=scatter_add_reference,
)


# --- writes: `x[key] = v` as a value (the tracer rebinds the array to it) -----------------


def check_written(x: TensorType, v: TensorType, selected: TensorType, name: str) -> None:
    """The value written has the array's dtype (the tracer casts it) and broadcasts to the
    selection, as NumPy requires of `x[key] = v`."""
    if v.dtype != x.dtype and not v.weak:  # a Python number takes the array's dtype
        raise TypeRuleError(f"{name}: the value {v} must have the array's dtype {x.dtype}")
    if not broadcasts_to(v.shape, selected.shape):
        raise TypeRuleError(
            f"{name}: could not broadcast input array from shape {v.shape} into shape "
            f"{selected.shape}"
        )


def distinct_positions(
    known: list[np.ndarray | None], index_shape: tuple[int, ...], sizes: list[int]
) -> bool:
    """True when no two writes at these index arrays land on one position: one of them is
    known (not None), spans the whole index shape and holds distinct positions (`np.arange(n)`
    in `z[np.arange(n), y]`, whatever y holds)."""
    return any(
        values is not None
        and values.shape == tuple(index_shape)
        # -1 and n-1 are one position: count positions, not index values
        and np.unique(values % size).size == values.size
        for values, size in zip(known, sizes, strict=True)
    )


def store_set(out: np.ndarray, key: tuple, v) -> None:
    out[key] = v


def store_add(out: np.ndarray, key: tuple, v) -> None:
    out[key] += v


def store_add_at(out: np.ndarray, key: tuple, v) -> None:
    np.add.at(out, key, v)  # unbuffered: a repeated position adds once per time


def store_max_at(out: np.ndarray, key: tuple, v) -> None:
    np.maximum.at(out, key, v)


def store_min_at(out: np.ndarray, key: tuple, v) -> None:
    np.minimum.at(out, key, v)


def basic_write(name: str, store):
    """The type rule and reference of a write at a basic key (no None: the tracer drops
    them)."""

    def rule(types: tuple[TensorType, ...], index: tuple[IndexItem, ...]):
        x, v = types
        if None in index:
            raise TypeRuleError(f"{name}: the key cannot add axes (None)")
        (selected,) = index_rule((x,), index)
        check_written(x, v, selected, name)
        return (x,)

    def reference(x, v, index):
        out = np.array(x, copy=True)
        store(out, numpy_key(index), v)
        return out

    return rule, reference, {}


def gathered_write(name: str, store):
    """The type rule and reference of a write at integer index arrays (the operands after
    the value) on `axes`."""

    def rule(types: tuple[TensorType, ...], axes: tuple[int, ...]):
        x, v, *indices = types
        (selected,) = gather_rule((x, *indices), axes)
        check_written(x, v, selected, name)
        return (x,)

    def reference(x, v, *indices, axes):
        out = np.array(x, copy=True)
        store(out, gather_key(out.ndim, indices, axes), v)
        return out

    return rule, reference, {"axis_params": ("axes",)}


def declare_write(name: str, key, store, doc: str, linear: bool = True):
    """A write: its first operand with the value stored at a key (`key`: basic_write or
    gathered_write). Linear in the array and the value together (the index arrays carry no
    derivative), except the extrema."""
    rule, reference, extra = key(name, store)
    traits = {Trait.LINEAR, Trait.UPDATE} if linear else {Trait.UPDATE}
    return declare(name, Group.INDEXING, rule, doc, traits=traits, reference=reference, **extra)


index_set = declare_write("index_set", basic_write, store_set, "x with v written at a basic index")
gather_set = declare_write(
    "gather_set", gathered_write, store_set, "x with v written at index arrays (the last wins)"
)
# Accumulating cotangents: the simplifier writes `ct + index_scatter(v)` as one of these, so
# the cotangents of many slices of one array add into one buffer (issue 15, item 7).
index_add = declare_write("index_add", basic_write, store_add, "x with v added at a basic index")
gather_add = declare_write(
    "gather_add", gathered_write, store_add_at, "x with v added at index arrays (repeats add up)"
)
# np.maximum.at and np.minimum.at: each position keeps the extremum of what it held and of
# every value written there (repeats compare in turn, as the unbuffered ufunc does).
gather_max = declare_write(
    "gather_max",
    gathered_write,
    store_max_at,
    "x with the maximum of it and v at index arrays",
    linear=False,
)
gather_min = declare_write(
    "gather_min",
    gathered_write,
    store_min_at,
    "x with the minimum of it and v at index arrays",
    linear=False,
)

# What each write does at its positions, in the words of JAX's `x.at[key].<kind>(v)`: the
# backends read this, not a list of their own.
WRITE_KINDS = {
    index_set: "set",
    gather_set: "set",
    index_add: "add",
    gather_add: "add",
    gather_max: "max",
    gather_min: "min",
}
