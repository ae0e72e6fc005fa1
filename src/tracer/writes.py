"""Tracer layer: `x[key] = v` on a traced array, for every key `x[key]` reads.

A basic key (ints, slices, None, Ellipsis) writes with `index_set`; a key with index arrays
(lists, ranges, integer arrays, traced or not, concrete boolean masks) with `gather_set`,
after the key's slices made a view (traced positions that may repeat: see repeated_writes);
a traced boolean mask is a select, `np.where(mask, v, x)`.
The value is cast to the array's dtype and must broadcast to the selection, as NumPy
requires. The array takes the new value through inplace.replace, so its views (and the array
it is a view of) see the write.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import TraceError
from ..ir.primitives import elementwise
from ..ir.primitives import indexing as indexing_primitives
from ..ir.types import broadcasts_to
from . import functions, inplace
from .context import find_trace
from .functions import conversions
from .indexing import WHOLE, check_bounds, expand, is_array
from .masked import Selection, written
from .source import caller_location
from .unsupported import write_error

if TYPE_CHECKING:
    from .tracer import Tracer

SYMBOL = "y[key] = value"


def setitem(x: Tracer, key: Any, value: Any, symbol: str = SYMBOL) -> None:
    inplace.check_writable(x, symbol)
    key = key if isinstance(key, tuple) else (key,)
    if len(key) == 1 and is_traced_mask(key[0]):
        inplace.replace(x, masked(x, key[0], value))
        return
    items = expand(x, key)
    if not any(is_array(item) for item in items):
        while items and items[-1] == WHOLE:
            items.pop()
        if is_own_view(value, x, tuple(items)):
            return  # `x[1:3] += v` wrote through the view already; NumPy copies it onto itself
        basic(x, tuple(items), value)
    else:
        advanced(x, items, value)


def is_traced_mask(item: Any) -> bool:
    from .tracer import Tracer

    return isinstance(item, Tracer) and item.dtype == np.bool_


def is_own_view(value: Any, x: Tracer, index: tuple) -> bool:
    link = getattr(value, "_link", None)
    return (
        link is not None
        and link.base is x
        and link.op is indexing_primitives.index
        and link.params["index"] == index
    )


def basic(x: Tracer, items: tuple, value: Any) -> None:
    (target,) = indexing_primitives.index_rule((x.ir_var.type,), items)
    value = fitted(in_dtype(value, x.dtype), target.shape)
    kept = tuple(item for item in items if item is not None)
    if len(kept) != len(items):  # the axes None adds are of size 1: drop them from the value
        (selected,) = indexing_primitives.index_rule((x.ir_var.type,), kept)
        value = functions.reshape(functions.broadcast_to(value, target.shape), selected.shape)
    inplace.replace(x, inplace.written(x, indexing_primitives.index_set, [x, value], index=kept))


def advanced(x: Tracer, items: list, value: Any) -> None:
    # NumPy treats plain ints next to index arrays as 0-d index arrays, as `gather` does.
    items = [("array", item) if isinstance(item, int) else item for item in items]
    if None in items:
        raise TraceError(
            "a write through a key that mixes None (np.newaxis) with index arrays",
            loc=caller_location(),
            hint="leave None out of the key: it only adds an axis of size 1 to the selection",
        )
    slices = tuple(WHOLE if is_array(item) else item for item in items)
    target = x
    if any(item != WHOLE for item in slices):  # a view of the sliced part, written through
        target = x._trace.bind(indexing_primitives.index, [x], index=slices)
    axes = tuple(i for i, item in enumerate(items) if is_array(item))
    indices = [item[1] for item in items if is_array(item)]
    for axis, index in zip(axes, indices, strict=True):
        check_bounds(index, target.shape[axis], axis)
    operands = [target.ir_var.type, *(functions.type_of(i) for i in indices)]
    (selected,) = indexing_primitives.gather_rule(tuple(operands), axes)
    value = fitted(in_dtype(value, x.dtype), selected.shape)
    if find_trace(indices) is None:
        indices, value = last_writes(target.shape, axes, indices, value, selected)
    elif not distinct(indices, [target.shape[a] for a in axes]):
        inplace.replace(target, repeated_writes(x, target, value, indices, axes, selected))
        return
    operands = [target, value, *indices]
    inplace.replace(target, inplace.written(x, indexing_primitives.gather_set, operands, axes=axes))


def distinct(indices: list, sizes: list[int]) -> bool:
    """Whether the writes at these index arrays (some traced) land on distinct positions, as
    `z[np.arange(n), y]` does whatever y holds."""
    from .context import constant_literal
    from .tracer import Tracer

    known = [
        None if isinstance(i, Tracer) else np.asarray(constant_literal(i).value) for i in indices
    ]
    shape = np.broadcast_shapes(*(functions.type_of(i).shape for i in indices))
    return indexing_primitives.distinct_positions(known, shape, sizes)


def repeated_writes(
    x: Tracer, target: Tracer, value: Any, indices: list, axes: tuple, selected: Any
) -> Tracer:
    """`x[i] = v` at traced positions that may repeat: NumPy keeps the last value written to
    each. The last write to each position is found as the maximum of the writes' order
    scattered there (np.maximum.at); the positions are cleared and only those writes' values
    added, so every backend gives NumPy's value and the derivative gives the other writes no
    cotangent."""
    shape = np.broadcast_shapes(*(functions.type_of(i).shape for i in indices))
    dims, within = tuple(target.shape[a] for a in axes), tuple(range(len(axes)))
    order = np.arange(int(np.prod(shape, dtype=np.int64))).reshape(shape)
    trace = x._trace
    (latest,) = trace.bind_many(
        indexing_primitives.gather_max,
        [np.full(dims, -1), order, *indices],
        hints=["last_write"],
        axes=within,
    )
    landed = trace.bind(indexing_primitives.gather, [latest, *indices], axes=within)
    (last,) = trace.bind_many(elementwise.equal, [landed, order], hints=["is_last"])
    adjacent = list(axes) == list(range(axes[0], axes[0] + len(axes)))
    start = axes[0] if adjacent else 0  # where the selection has the index arrays' axes
    after = len(selected.shape) - start - len(shape)
    last = functions.reshape(last, (1,) * start + shape + (1,) * after)
    value = functions.broadcast_to(value, selected.shape)
    (kept,) = trace.bind_many(elementwise.where, [last, value, 0], hints=["kept"])
    cleared = inplace.written(x, indexing_primitives.gather_set, [target, 0, *indices], axes=axes)
    operands = [cleared, functions.astype(kept, x.dtype), *indices]
    return inplace.written(x, indexing_primitives.gather_add, operands, axes=axes)


def last_writes(
    shape: tuple, axes: tuple, indices: list, value: Any, selected: Any
) -> tuple[list, Any]:
    """NumPy's `x[[0, 0]] = v` keeps the last value written at a repeated position (JAX's
    `.at[].set` leaves which one unspecified, and every update would get the cotangent):
    the index arrays and the value with only the last write to each position."""
    from .context import constant_literal

    arrays = np.broadcast_arrays(*(np.asarray(constant_literal(i).value) for i in indices))
    dims = tuple(shape[a] for a in axes)
    flat = np.ravel_multi_index(
        tuple(np.mod(a, n).ravel() for a, n in zip(arrays, dims, strict=True)), dims
    )
    _, first_from_end = np.unique(flat[::-1], return_index=True)
    if len(first_from_end) == len(flat):
        return indices, value
    keep = np.sort(len(flat) - 1 - first_from_end)
    value = functions.broadcast_to(conversions.in_dtype(value, selected.dtype), selected.shape)
    batch = arrays[0].ndim
    adjacent = list(axes) == list(range(axes[0], axes[0] + len(axes)))
    start = axes[0] if adjacent else 0  # where the selection has the index arrays' axes
    merged = (*selected.shape[:start], len(flat), *selected.shape[start + batch :])
    value = functions.take(functions.reshape(value, merged), keep, axis=start)
    return [a.ravel()[keep] for a in arrays], value


def masked(x: Tracer, mask: Tracer, value: Any) -> Tracer:
    """`x[mask] = v` for a traced mask: v where the mask holds, x elsewhere. The value is a
    number or one row for every selected element (a value per element would need the count
    of True elements, which depends on the data)."""
    rest = x.shape[mask.ndim :]
    if mask.shape != x.shape[: mask.ndim]:
        raise TraceError(
            f"boolean index of shape {mask.shape} does not match the array's shape {x.shape}",
            loc=caller_location(),
            hint="the mask must have the shape of the array's leading axes",
        )
    spread = functions.reshape(mask, mask.shape + (1,) * len(rest))
    if isinstance(value, Selection):  # z[pos] = f(x[pos]): the whole f(x), where pos holds
        whole = in_dtype(written(value, mask), x.dtype)
        fitted(whole, x.shape)  # NumPy's error where the selections' rows differ
        return inplace.written(x, elementwise.where, [spread, whole, x])
    value = in_dtype(value, x.dtype)
    shape = functions.type_of(value).shape
    if not broadcasts_to(shape, rest):
        raise TraceError(
            f"`x[mask] = v` with a traced mask and a value of shape {shape}: the number of "
            "elements the mask selects depends on the data",
            loc=caller_location(),
            hint="write a value for every element instead: x = np.where(mask, v, x), with "
            "v of x's shape",
        )
    if not find_trace([value]) and np.result_type(x.dtype, value) != x.dtype:
        value = np.asarray(value).astype(x.dtype)[()]  # `ints[mask] = 2.5` stores 2
    return inplace.written(x, elementwise.where, [spread, value, x])


def in_dtype(value: Any, dtype: np.dtype) -> Any:
    """The value as the array stores it (NumPy casts unsafely on assignment): a Python
    number stays one, the code writes it as it is."""
    if isinstance(value, bool | int | float) and not isinstance(value, np.generic):
        return value
    if isinstance(value, list | tuple) and find_trace(value) is not None:
        value = functions.array(value)
    return conversions.in_dtype(value, dtype)


def fitted(value: Any, target: tuple[int, ...]) -> Any:
    """The value with the shape it broadcasts from into `target` (leading axes of size 1
    dropped, as NumPy drops them), or NumPy's error."""
    shape = functions.type_of(value).shape
    trimmed = shape
    while len(trimmed) > len(target) and trimmed[0] == 1:
        trimmed = trimmed[1:]
    if not broadcasts_to(trimmed, target):
        raise TraceError(
            f"could not broadcast input array from shape {shape} into shape {tuple(target)}",
            loc=caller_location(),
            hint="give the value the shape of the selection (or one that broadcasts to it)",
        )
    if trimmed == shape:
        return value
    return functions.reshape(value, trimmed) if find_trace([value]) else value.reshape(trimmed)


# --- writes NumPy functions make ----------------------------------------------------------


def writable(array: Any, what: str) -> Tracer:
    """The traced array a NumPy function writes into: a Tracer, or a Buffer made traced; a
    plain ndarray holds concrete numbers only (NumPy would ask the traced value for them)."""
    from .buffers import Buffer, as_traced
    from .tracer import Tracer

    if isinstance(array, Buffer):
        return as_traced(array)
    if not isinstance(array, Tracer):
        raise write_error(caller_location(), what)
    return array


ACCUMULATED = {np.add: 1, np.subtract: -1}
EXTREMA = {np.maximum: indexing_primitives.gather_max, np.minimum: indexing_primitives.gather_min}


def ufunc_at(ufunc: np.ufunc, x: Any, key: Any, values: Any = None) -> None:
    """`np.add.at(x, key, v)`: unbuffered, so a repeated position adds once per time it is
    named (unlike `x[key] += v`): x plus the scatter-add of v at the key's positions.
    np.maximum.at and np.minimum.at compare each position with every value named there."""
    from .tracer import Tracer

    sign, extremum = ACCUMULATED.get(ufunc), EXTREMA.get(ufunc)
    if (sign is None and extremum is None) or values is None or not isinstance(x, Tracer):
        raise TraceError(
            f"np.{ufunc.__name__}.at on traced values: np.add.at, np.subtract.at, "
            "np.maximum.at and np.minimum.at are supported, into an array the function made",
            loc=caller_location(),
            hint="write the update as `x[key] = f(x[key], v)` where the key has no repeated "
            "position",
        )
    inplace.check_writable(x, f"np.{ufunc.__name__}.at")
    key = key if isinstance(key, tuple) else (key,)
    items = expand(x, key)
    if not any(is_array(item) for item in items):  # no repeats: a plain augmented write
        setitem(x, key, ufunc(x[key], values))
        return
    items = [("array", item) if isinstance(item, int) else item for item in items]
    if any(item is None or (not is_array(item) and item != WHOLE) for item in items):
        raise TraceError(
            f"np.{ufunc.__name__}.at with a key that mixes index arrays with slices or None",
            loc=caller_location(),
            hint="index the other axes whole (`:`), or write one np.add.at per slice",
        )
    from . import scatter

    axes = tuple(i for i, item in enumerate(items) if is_array(item))
    indices = [item[1] for item in items if is_array(item)]
    for axis, index in zip(axes, indices, strict=True):
        check_bounds(index, x.shape[axis], axis)
    operands = [x.ir_var.type, *(functions.type_of(i) for i in indices)]
    (selected,) = indexing_primitives.gather_rule(tuple(operands), axes)
    values = functions.broadcast_to(in_dtype(values, x.dtype), selected.shape)
    if extremum is not None:
        operands = [x, values, *indices]
        inplace.replace(x, inplace.written(x, extremum, operands, axes=axes))
        return
    added = scatter.scatter_add(values if sign > 0 else -values, indices, x.shape, axes)
    inplace.replace(x, functions.astype(x + added, x.dtype))


def into_out(ufunc: np.ufunc, inputs: tuple, kwargs: dict) -> Any:
    """`np.add(a, b, out=c)`: the result computed, then written into c (c[...] = result)."""
    from .buffers import Buffer, as_traced
    from .tracer import Tracer

    out = kwargs.pop("out")
    outs = out if isinstance(out, tuple) else (out,)
    if not all(isinstance(o, Tracer | Buffer) for o in outs):
        raise inplace.out_refused(ufunc)  # an ndarray: NumPy would store traced values in it
    outs = tuple(as_traced(o) if isinstance(o, Buffer) else o for o in outs)
    results = ufunc(*inputs, **kwargs)
    results = results if isinstance(results, tuple) else (results,)
    for target, result in zip(outs, results, strict=True):
        setitem(target, Ellipsis, result)
    return out
