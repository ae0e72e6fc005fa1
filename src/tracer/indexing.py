"""Tracer layer: `x[key]`, lowered to the `index` primitive (basic indexing) and the
`gather` primitive (integer-array indexing), following NumPy's rules.

With integer arrays in the key, plain integers count as (0-d) index arrays, as in NumPy,
and slices that are not whole are applied first by `index`, so `gather` only sees whole
axes and index arrays.
"""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import TraceError
from ..ir.primitives import indexing, shapes
from . import masked
from .context import constant_literal, freeze_captured, is_captured
from .source import caller_location

if TYPE_CHECKING:
    from .tracer import Tracer

WHOLE = (None, None, None)  # the slice `:`


def index_error(message: str, hint: str | None = None) -> TraceError:
    return TraceError(message, loc=caller_location(), hint=hint)


def slice_item(s: slice) -> tuple:
    try:
        return tuple(None if p is None else operator.index(p) for p in (s.start, s.stop, s.step))
    except TypeError:
        raise index_error(
            "a slice bound is a traced value: slice sizes must be known while tracing",
            hint="use Python integers for slice bounds, or np.where to mask instead",
        ) from None


def classify(x: Tracer, item: Any) -> Any:
    """An int, None, Ellipsis, a slice triple, or ('array', value) for an index array."""
    if item is None or item is Ellipsis:
        return item
    if isinstance(item, slice):
        return slice_item(item)
    if isinstance(item, bool | np.bool_):
        raise index_error(
            "indexing with a Python bool is not supported",
            hint="use np.where(condition, x, y) to select",
        )
    if isinstance(item, int | np.integer):
        return int(item)
    if getattr(item, "ir_var", None) is not None:  # a Tracer
        return traced_index(item)
    return concrete_index(item)


def traced_index(item: Tracer) -> tuple:
    if item.dtype == np.bool_:
        raise index_error(
            "boolean-mask indexing (x[x > 0]) on a traced mask gives a result whose size "
            "depends on the data",
            hint="keep the shape and zero out the rest: np.where(mask, x, 0), then reduce",
        )
    if item.dtype.kind not in "iu":
        raise index_error(
            f"an index must hold integers, got {item.ir_var.type}",
            hint="convert it with .astype(np.int64)",
        )
    return ("array", item)


def concrete_index(item: Any) -> tuple:
    """('array', positions) for an integer array or list, ('mask', array) for a boolean one."""
    if getattr(item, "_value", None) is not None:  # a Buffer, concrete: its array now
        item = item._value
    if isinstance(item, range):  # x[range(n), y]: the positions it holds
        item = np.arange(item.start, item.stop, item.step)
    if isinstance(item, list | tuple) and not item:  # NumPy reads `[]` as no positions
        item = np.zeros(0, np.intp)
    try:
        array = np.asarray(item) if isinstance(item, list | tuple | np.ndarray) else None
    except ValueError:  # a ragged nested list
        array = None
    if array is None or array.dtype.kind not in "biu":
        raise index_error(
            f"cannot index with a value of type {type(item).__name__}",
            hint="use ints, slices, None, ..., or integer arrays",
        )
    if array.dtype == np.bool_:
        freeze_captured(item)  # the mask's positions become the code's indices
        return ("mask", array)
    return ("array", item if is_captured(item) else array)


def expand(x: Tracer, key: tuple) -> list:
    """The key with Ellipsis expanded and concrete boolean masks turned into index arrays."""
    items = [classify(x, k) for k in key]
    consumed = 0
    for item in items:
        if isinstance(item, tuple) and item[0] == "mask":
            consumed += item[1].ndim
        elif item is not None and item is not Ellipsis:
            consumed += 1
    if consumed > x.ndim:
        raise index_error(
            f"too many indices: {consumed} for an array of type {x.ir_var.type}",
            hint=f"index at most {x.ndim} axes",
        )
    if items.count(Ellipsis) > 1:
        raise index_error(
            "an index can only have a single Ellipsis ('...')",
            hint="keep one `...` and write `:` for the other axes",
        )
    expanded = []
    for item in items:
        if item is Ellipsis:
            expanded.extend([WHOLE] * (x.ndim - consumed))
        elif isinstance(item, tuple) and item[0] == "mask":
            expanded.extend(("array", positions) for positions in np.nonzero(item[1]))
        else:
            expanded.append(item)
    return expanded


def is_array(item: Any) -> bool:
    return isinstance(item, tuple) and len(item) == 2 and item[0] == "array"


def getitem(x: Tracer, key: Any) -> Tracer | masked.Selection:
    key = key if isinstance(key, tuple) else (key,)
    if len(key) == 1 and getattr(key[0], "ir_var", None) is not None and key[0].dtype == bool:
        return masked.selected(x, key[0])  # a traced mask: the count depends on the data
    items = expand(x, key)
    if not any(is_array(item) for item in items):
        while items and items[-1] == WHOLE:
            items.pop()
        ellipsis = any(k is Ellipsis for k in key)
        if not items and x.ndim:
            return x
        if not items and ellipsis:  # x[...] of a 0-d value is a 0-d array, even of a scalar
            return x._trace.bind(shapes.reshape, [x], shape=())
        result = x._trace.bind(indexing.index, [x], index=tuple(items))  # a[()] of 0-d a: a scalar
        if result.ndim == 0 and ellipsis and x.ndim:
            # NumPy gives a 0-d array, not a scalar, for x[..., 0]: the reshape says so to
            # the backends (see ir/result_kinds.py); the optimizer then drops it.
            result = x._trace.bind(shapes.reshape, [result], shape=())
        return result
    return gather(x, items)


def gather(x: Tracer, items: list) -> Tracer:
    """Integer-array indexing: the new axes (None) are left out of the gather and put in place
    after it, as NumPy places them (see `placed_new_axes`)."""
    # NumPy treats plain ints next to index arrays as 0-d index arrays.
    items = [("array", item) if isinstance(item, int) else item for item in items]
    kept = [item for item in items if item is not None]
    slices = tuple(WHOLE if is_array(item) else item for item in kept)
    source = x
    if any(item != WHOLE for item in slices):
        source = x._trace.bind(indexing.index, [x], index=slices)
    axes = tuple(i for i, item in enumerate(kept) if is_array(item))
    indices = [item[1] for item in kept if is_array(item)]
    for axis, index in zip(axes, indices, strict=True):
        check_bounds(index, source.shape[axis], axis)
    result = x._trace.bind(indexing.gather, [source, *indices], axes=axes)
    return (
        placed_new_axes(result, items, len(source.shape) - len(kept)) if None in items else result
    )


def adjacent(flags: list[bool]) -> bool:
    """Whether the index arrays (True) form one run: NumPy then keeps their axes in place."""
    first, last = flags.index(True), len(flags) - 1 - flags[::-1].index(True)
    return all(flags[first : last + 1])


def placed_new_axes(result: Tracer, items: list, trailing: int) -> Tracer:
    """The gathered `result` (of the key without its Nones) with the new axes NumPy adds: a None
    between index arrays separates them, which sends the broadcast axes to the front."""
    arrays = [is_array(item) for item in items]
    kept = [is_array(item) for item in items if item is not None]
    batch = (
        result.ndim - trailing - sum(1 for item in items if item is not None and not is_array(item))
    )
    start = kept.index(True) if adjacent(kept) else 0  # where gather put the broadcast axes
    if adjacent(kept) and not adjacent(arrays):
        order = list(range(result.ndim))
        order = order[start : start + batch] + order[:start] + order[start + batch :]
        result = result._trace.bind(shapes.transpose, [result], axes=tuple(order))
    shape = []
    dims = iter(result.shape)
    if not adjacent(arrays):
        shape.extend(next(dims) for _ in range(batch))
    placed = False
    for item, array in zip(items, arrays, strict=True):
        if item is None:
            shape.append(1)
        elif not array:
            shape.append(next(dims))
        elif adjacent(arrays) and not placed:
            shape.extend(next(dims) for _ in range(batch))
            placed = True
    shape.extend(dims)
    return result._trace.bind(shapes.reshape, [result], shape=tuple(shape))


def check_bounds(index: Any, size: int, axis: int) -> None:
    """Concrete index arrays are checked now, as NumPy would when it runs."""
    from .tracer import Tracer

    if isinstance(index, Tracer):
        return
    values = np.asarray(constant_literal(index).value)
    if values.size and (values.min() < -size or values.max() >= size):
        raise index_error(
            f"index {int(values.max() if values.max() >= size else values.min())}"
            f" is out of bounds for axis {axis} with size {size}",
            hint=f"use indices between {-size} and {size - 1}",
        )
