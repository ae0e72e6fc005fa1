"""Tracer layer: arrays the traced function makes (np.zeros, np.empty, np.full, np.eye,
np.arange, np.linspace, the *_like functions, np.array of numbers, their copies, arithmetic
on them: `np.ones(n) * 0.5`) and then fills.

While a trace runs, those calls from the user's code return a Buffer: a stand-in for the
ndarray that behaves as it (operators, methods and NumPy functions act on its concrete
array) until a traced value is written into it (`h[:, t] = next_h`, `out += traced`,
`np.add(a, b, out=buf)`). Then it becomes a Tracer in place (its class changes; the layout
is shared, tracer.ArraySlots), whose value is the array so far, and the write is traced as
any write is (writes.py): every name and container holding it sees the traced value.

Views a Buffer hands out by indexing, `.reshape` and `.T` are Buffers linked to it, as a
Tracer's views are (inplace.Link), so a write through one reaches the array, and they become
Tracers with it. A plain NumPy view (`np.asarray(buf)`, `buf.swapaxes(0, 1)`) alive at that
moment could not see the traced write: that raises rather than answer from stale memory.
"""

from __future__ import annotations

import operator
import sys
import weakref
from typing import Any

import numpy as np

from ..errors import TraceError
from ..ir.primitives import indexing as indexing_primitives
from ..ir.primitives import shapes
from ..ir.types import supported_dtype
from . import dispatch, inplace, writes
from .context import find_trace, running_trace
from .indexing import WHOLE, expand, is_array
from .source import caller_location
from .tracer import ArraySlots, Tracer

# The in-place operators (traced when the other operand is) and the rest, which act on the
# concrete array.
IN_PLACE = (
    "__iadd__",
    "__isub__",
    "__imul__",
    "__itruediv__",
    "__ifloordiv__",
    "__imod__",
    "__ipow__",
    "__iand__",
    "__ior__",
    "__ixor__",
)  # fmt: skip
FORWARDED = (
    "__add__",
    "__radd__",
    "__sub__",
    "__rsub__",
    "__mul__",
    "__rmul__",
    "__truediv__",
    "__rtruediv__",
    "__floordiv__",
    "__rfloordiv__",
    "__mod__",
    "__rmod__",
    "__pow__",
    "__rpow__",
    "__matmul__",
    "__rmatmul__",
    "__divmod__",
    "__rdivmod__",
    "__and__",
    "__rand__",
    "__or__",
    "__ror__",
    "__xor__",
    "__rxor__",
    "__lshift__",
    "__rlshift__",
    "__rshift__",
    "__rrshift__",
    "__eq__",
    "__ne__",
    "__lt__",
    "__le__",
    "__gt__",
    "__ge__",
    "__neg__",
    "__pos__",
    "__abs__",
    "__invert__",
    "__bool__",
    "__float__",
    "__int__",
    "__index__",
    "__complex__",
    "__len__",
    "__contains__",
    "__repr__",
    "__str__",
    "__format__",
    "__round__",
)  # fmt: skip


def concrete(value: Any) -> Any:
    """A Buffer's array (in keys and operands NumPy reads); anything else as it is."""
    if isinstance(value, Buffer):
        return value._value
    if isinstance(value, tuple):
        return tuple(map(concrete, value))
    if isinstance(value, list):
        return [concrete(v) for v in value]
    return value


class Buffer(ArraySlots):
    """An array the traced function made, concrete until a traced value is written into it
    (see the module's doc)."""

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]  # as an ndarray's

    def __init__(self, value: np.ndarray, trace: Any, link: inplace.Link | None = None):
        self._value = value
        self._trace = trace
        self._link = link

    def __getattr__(self, name: str) -> Any:  # only for names the Buffer lacks
        if name in ArraySlots.__slots__:
            raise AttributeError(name)
        return getattr(self._value, name)

    def __array__(self, dtype=None, copy=None):
        if copy:
            return np.array(self._value, dtype=dtype, copy=True)
        return self._value if dtype is None else self._value.astype(dtype, copy=False)

    def __iter__(self):
        if self._value.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(len(self._value)))

    def __copy__(self) -> Buffer:
        return self.copy()

    def __deepcopy__(self, memo: dict) -> Buffer:
        return self.copy()

    def copy(self, order: str = "K") -> Buffer:
        return Buffer(self._value.copy(order), self._trace)

    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True) -> Any:
        converted = self._value.astype(dtype, order, casting, subok, copy)
        return self if converted is self._value else Buffer(converted, self._trace)

    def fill(self, value: Any) -> None:
        self[...] = value

    def put(self, indices: Any, values: Any, mode: str = "raise") -> None:
        if find_trace([indices, values]) is None:
            self._value.put(concrete(indices), concrete(values), mode)
        else:
            as_traced(self).put(indices, values, mode)

    def __getitem__(self, key: Any) -> Any:
        key = concrete(key)
        if find_trace([key]) is not None:  # a traced index: the array's values, traced
            return as_traced(self)[key]
        result = self._value[key]
        if not isinstance(result, np.ndarray):
            return result  # a NumPy scalar: a copy
        items = expand(self, key if isinstance(key, tuple) else (key,))
        if any(is_array(item) for item in items):  # integer arrays or masks: NumPy copies
            return Buffer(result, self._trace)
        while items and items[-1] == WHOLE:  # the key a Tracer's view of it records
            items.pop()
        return self.view_of(result, indexing_primitives.index, index=tuple(items))

    def reshape(self, *shape, order="C", copy=None) -> Any:
        result = self._value.reshape(*shape, order=order, copy=copy)
        if order != "C" or not np.shares_memory(result, self._value):
            return Buffer(result, self._trace)
        return self.view_of(result, shapes.reshape, shape=result.shape)

    def transpose(self, *axes) -> Any:
        result = self._value.transpose(*axes)
        return self.view_of(result, shapes.transpose, axes=transposition(self._value, axes))

    @property
    def T(self) -> Any:
        return self.transpose()

    def view_of(self, result: np.ndarray, op: Any, **params: Any) -> Buffer:
        view = Buffer(result, self._trace, inplace.Link(self, op, params))
        inplace.link_of(self).views.append(weakref.ref(view))
        return view

    def __setitem__(self, key: Any, value: Any) -> None:
        key, value = concrete(key), concrete(value)
        if find_trace([key, value]) is None:
            self._value[key] = value
            return
        writes.setitem(as_traced(self), key, value)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        """On concrete values, NumPy's ufunc on the arrays (an `out=` Buffer written in
        place, a new result a Buffer too); with a traced one, the Tracer's dispatch, which
        writes a traced result into `out=` and `ufunc.at`'s array (writes.py)."""
        out = kwargs.get("out")
        if find_trace(list(inputs)) is None:
            if out is not None:
                kwargs["out"] = concrete(out)
            result = getattr(ufunc, method)(*concrete(inputs), **kwargs)
            if out is None:  # a new array the function made (`np.ones(n) * 0.5`): a Buffer
                return made(result) if method == "__call__" else result
            return out[0] if len(out) == 1 else out
        if method == "at" and inputs[0] is self:  # NumPy writes into its first operand
            inputs = (as_traced(self), *inputs[1:])
        return dispatch.apply_ufunc(ufunc, method, inputs, kwargs)


def array_function(self: Buffer, func, types, args, kwargs):
    """A NumPy function that NumPy dispatches on the Buffer (its first argument, as in
    np.fill_diagonal(buf, traced)): traced where a traced value takes part, else NumPy's on
    the arrays (writing into the Buffer's own, as np.copyto(buf, 0) does)."""
    if find_trace([args, list(kwargs.values())]) is not None:
        return dispatch.apply_function(func, args, kwargs)
    return func(*concrete(args), **{name: concrete(v) for name, v in kwargs.items()})


Buffer.__array_function__ = array_function  # type: ignore[attr-defined]


def in_place(name: str):
    def method(self: Buffer, other: Any) -> Any:
        other = concrete(other)
        if find_trace([other]) is None:
            getattr(operator, name)(self._value, other)
            return self
        tracer = as_traced(self)
        return getattr(Tracer, name)(tracer, other)

    method.__name__ = name
    return method


def forwarded(name: str):
    def method(self: Buffer, *args: Any) -> Any:
        result = getattr(self._value, name)(*concrete(args))
        # A new array (`np.ones(n) * 0.5`) is one the function made: a Buffer too.
        return made(result) if type(result) is np.ndarray else result

    method.__name__ = name
    return method


for _name in IN_PLACE:
    setattr(Buffer, _name, in_place(_name))
for _name in FORWARDED:
    setattr(Buffer, _name, forwarded(_name))


def transposition(value: np.ndarray, axes: tuple) -> tuple[int, ...]:
    if not axes or axes == (None,):
        return tuple(reversed(range(value.ndim)))
    axes = axes[0] if len(axes) == 1 and isinstance(axes[0], tuple | list) else axes
    return tuple(operator.index(a) % value.ndim for a in axes)


# --- becoming traced ------------------------------------------------------------------


def as_traced(buffer: Buffer) -> Tracer:
    """The Buffer, and the Buffers it is a view of or that view it, made Tracers in place:
    their values so far are the constant they start from."""
    if isinstance(buffer, Tracer):
        return buffer
    root = buffer
    while root._link is not None and root._link.base is not None:
        root = root._link.base
    trace = running_trace()
    if trace is None or root._trace is not trace:
        raise TraceError(
            "a traced value is written into an array made outside this loop body or branch",
            loc=caller_location(),
            hint="make the array inside it, or carry it through the loop as a value",
        )
    check_unshared(root)
    name = root._link.name if root._link is not None else None
    (made_so_far,) = trace.bind_many(
        shapes.convert, [root._value.copy()], hints=[name], dtype=root._value.dtype
    )
    become(root, made_so_far.ir_var)
    return buffer  # type: ignore[return-value]  # a Tracer now


def become(buffer: Buffer, var: Any) -> None:
    """`buffer` a Tracer of `var`; its live views Tracers of their steps from it."""
    buffer.__class__ = Tracer
    buffer.ir_var = var
    buffer._value = None
    link = buffer._link
    for ref in list(link.views) if link is not None else ():
        view = ref()
        if view is None or isinstance(view, Tracer):
            continue
        with buffer._trace.unlinked():
            (out,) = buffer._trace.bind_many(
                view._link.op, [buffer], hints=[view._link.op.name], **view._link.params
            )
        become(view, out.ir_var)


def check_unshared(root: Buffer) -> None:
    """Raise if a plain NumPy array shares the Buffer's memory: it would not see the write."""
    views = count_views(root)
    # The Buffer's slot, getrefcount's argument, and each linked view's array (its base).
    holders = sys.getrefcount(root._value) - 2 - views
    if holders > 0:
        raise TraceError(
            "a traced value is written into an array that a NumPy array also refers to "
            "(np.asarray of it, or a view such as .swapaxes, .ravel or .view), which "
            "would not see the write",
            loc=caller_location(),
            hint="index the array itself (a[i], a[:, j], a.reshape, a.T) rather than through "
            "np.asarray or other views, or copy it first",
        )


def count_views(buffer: Buffer) -> int:
    link = buffer._link
    count = 0
    for ref in link.views if link is not None else ():
        view = ref()
        if view is not None and isinstance(view, Buffer):
            count += 1 + count_views(view)
    return count


# --- making them ----------------------------------------------------------------------


def made(value: Any) -> Any:
    """What the user's call to a creation function gets while a trace runs: its array as
    a Buffer, or the value itself (a Tracer, or an array of a dtype tracegrad does not
    trace)."""
    trace = running_trace()
    if (
        trace is None
        or not isinstance(value, np.ndarray)
        or isinstance(value, np.ma.MaskedArray)
        or not supported_dtype(value.dtype)
    ):
        return value
    loc = caller_location()
    return Buffer(value, trace, inplace.Link(name=loc.target if loc is not None else None))
