"""Tracer layer: `x[mask]` for a traced boolean mask, as NumPy programs use it.

NumPy's result has as many elements as the mask holds True, a number the data decides. What
programs do with it rarely needs that number: they compute elementwise on it and write it
back through the same mask (`z[pos] = 1 / (1 + np.exp(-x[pos]))`), or sum or average it
(`np.sum(margins[margins > 0])`). A Selection stands for such a result: the whole array and
the mask. Elementwise operations apply to the whole array (a Selection of the result); a
write through the same mask is a select; np.sum and np.mean reduce where the mask holds.
Anything that needs the count (its shape, len, an axis, another array of that size) raises.

Where the mask does not hold, the whole array holds a selected element instead of its own:
`f` then only ever sees values it is applied to in NumPy, so neither its result there (thrown
away) nor its derivative (multiplied by zero) is an inf or a NaN from outside its domain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import TraceError
from ..ir.primitives import indexing
from .source import caller_location

if TYPE_CHECKING:
    from .tracer import Tracer

HINT = (
    "write it back through the same mask (z[mask] = f(x[mask])), reduce it (np.sum, "
    "np.mean), or keep the shape: np.where(mask, x, 0) (np.where(mask, f(x), 0) for a "
    "function of it)"
)


def size_error(what: str, loc: Any = None) -> TraceError:
    return TraceError(
        f"{what} of x[mask] (boolean-mask indexing with a traced mask): its size is the "
        "number of True elements, which depends on the data",
        loc=loc or caller_location(),
        hint=HINT,
    )


class Selection:
    """`x[mask]` for a traced mask: `values` (x's shape; a selected element where the mask
    does not hold), `mask` (x's leading axes) and `loc`, the user's line that selected."""

    __slots__ = ("loc", "mask", "values")
    __array_priority__ = 2000  # above the Tracer's: binary operators come here
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, values: Tracer, mask: Tracer, loc: Any):
        self.values = values
        self.mask = mask
        self.loc = loc

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__" or kwargs:
            raise size_error(f"np.{ufunc.__name__}.{method} or a keyword")
        return apply(ufunc, inputs)

    def __getattr__(self, name: str):
        raise size_error(f"x[mask].{name}")

    def __len__(self) -> int:
        raise size_error("len()")

    def __iter__(self):
        raise size_error("iterating")

    def __getitem__(self, key):
        raise size_error("indexing")

    def __bool__(self) -> bool:
        raise size_error("bool()")

    def sum(self, axis=None, dtype=None, out=None, keepdims=False, **unsupported) -> Any:
        check_whole("np.sum", axis, out, keepdims, unsupported)
        return reduced(self, "sum", dtype)

    def mean(self, axis=None, dtype=None, out=None, keepdims=False, **unsupported) -> Any:
        check_whole("np.mean", axis, out, keepdims, unsupported)
        return reduced(self, "mean", dtype)


def binary(ufunc: np.ufunc, reflected: bool = False):
    def method(self: Selection, other: Any) -> Any:
        return apply(ufunc, (other, self) if reflected else (self, other))

    return method


def unary(ufunc: np.ufunc):
    def method(self: Selection) -> Any:
        return apply(ufunc, (self,))

    return method


OPERATORS = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.divide,
    "floordiv": np.floor_divide, "mod": np.remainder, "pow": np.power, "and": np.logical_and,
    "or": np.logical_or, "xor": np.logical_xor,
}  # fmt: skip
COMPARISONS = {
    "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
    "gt": np.greater, "ge": np.greater_equal,
}  # fmt: skip
for _name, _ufunc in OPERATORS.items():
    setattr(Selection, f"__{_name}__", binary(_ufunc))
    setattr(Selection, f"__r{_name}__", binary(_ufunc, reflected=True))
for _name, _ufunc in COMPARISONS.items():
    setattr(Selection, f"__{_name}__", binary(_ufunc))
for _name, _ufunc in {"neg": np.negative, "pos": np.positive, "abs": np.absolute}.items():
    setattr(Selection, f"__{_name}__", unary(_ufunc))
Selection.__invert__ = unary(np.invert)  # type: ignore[attr-defined]


def selected(x: Tracer, mask: Tracer) -> Selection:
    """`x[mask]` for a traced boolean mask of x's leading axes (NumPy's error otherwise)."""
    from . import functions

    if mask.shape != x.shape[: mask.ndim]:
        raise TraceError(
            f"boolean index of shape {mask.shape} does not match the array's shape {x.shape}",
            loc=caller_location(),
            hint="the mask must have the shape of the array's leading axes",
        )
    rest = x.shape[mask.ndim :]
    trace = x._trace
    with trace.one_call():
        rows = functions.reshape(x, (-1, *rest))
        first = functions.argmax(functions.reshape(mask, (-1,)))  # a selected element, if any
        (held,) = trace.bind_many(indexing.gather, [rows, first], hints=["selected"], axes=(0,))
        spread = functions.reshape(mask, mask.shape + (1,) * len(rest))
        return Selection(functions.where(spread, x, held), mask, caller_location())


def apply(ufunc: np.ufunc, inputs: tuple) -> Selection:
    """An elementwise ufunc of Selections of one mask and numbers (or 0-d values)."""
    from . import functions

    masks = [x.mask for x in inputs if isinstance(x, Selection)]
    if not all(same_mask(m, masks[0]) for m in masks):
        raise TraceError(
            f"np.{ufunc.__name__} of two x[mask] selections through different masks: "
            "their sizes may differ",
            loc=caller_location(),
            hint=HINT,
        )
    for x in inputs:
        if not isinstance(x, Selection) and functions.type_of(x).ndim > 0:
            raise size_error(f"np.{ufunc.__name__} with an array")
    values = [x.values if isinstance(x, Selection) else x for x in inputs]
    first = next(x for x in inputs if isinstance(x, Selection))
    return Selection(ufunc(*values), masks[0], first.loc)


def call(numpy_function: Any, args: tuple, kwargs: dict) -> Any:
    """A traced NumPy function given a Selection: a ufunc applies elementwise; np.sum and
    np.mean reduce it; anything else needs its size."""
    if isinstance(numpy_function, np.ufunc) and not kwargs:
        return apply(numpy_function, args)
    name = getattr(numpy_function, "__name__", "a function")
    if name in ("sum", "mean") and len(args) == 1 and isinstance(args[0], Selection):
        return getattr(args[0], name)(**kwargs)
    raise size_error(f"np.{name}")


def same_mask(a: Tracer, b: Tracer) -> bool:
    """Whether two masks are one value: the same, or computed alike from the same values
    (`out[x > 0] = x[x > 0]` computes `x > 0` twice)."""
    if a.ir_var is b.ir_var:
        return True
    producers = {
        var: node for node in reversed(a._trace.builder.nodes[-256:]) for var in node.outputs
    }
    return same_expression(a.ir_var, b.ir_var, producers, depth=8)


def same_expression(a: Any, b: Any, producers: dict, depth: int) -> bool:
    if a is b:
        return True
    first, second = producers.get(a), producers.get(b)
    if depth == 0 or first is None or second is None:
        return False
    return (
        first.op is second.op
        and first.params == second.params
        and len(first.inputs) == len(second.inputs)
        and all(
            same_expression(x, y, producers, depth - 1) or same_literal(x, y)
            for x, y in zip(first.inputs, second.inputs, strict=True)
        )
    )


def same_literal(a: Any, b: Any) -> bool:
    from ..ir import Literal

    return (
        isinstance(a, Literal)
        and isinstance(b, Literal)
        and a.type == b.type
        and np.array_equal(np.asarray(a.value), np.asarray(b.value))
    )


def check_whole(what: str, axis, out, keepdims, unsupported) -> None:
    if axis is not None or out is not None or keepdims or unsupported:
        raise size_error(f"{what} with axis=, out=, keepdims= or where=")


def reduced(selection: Selection, how: str, dtype) -> Any:
    """The sum (or mean) of the selected elements."""
    from . import functions

    values, mask = selection.values, selection.mask
    rest = values.shape[mask.ndim :]
    with mask._trace.one_call():
        spread = functions.reshape(mask, mask.shape + (1,) * len(rest))
        total = functions.sum(functions.where(spread, values, 0), dtype=dtype)
        if how == "sum":
            return total
        count = functions.count_nonzero(mask) * int(np.prod(rest))
        return functions.divide(total, count)


def written(selection: Selection, mask: Tracer) -> Tracer:
    """The value a write `z[mask] = x[mask]...` stores: the whole array, where the mask is
    the Selection's own."""
    if not same_mask(mask, selection.mask):
        raise TraceError(
            "`z[mask] = x[other_mask]...`: a selection written through another mask, whose "
            "number of True elements may differ",
            loc=caller_location(),
            hint="select and write through the same mask",
        )
    return selection.values
