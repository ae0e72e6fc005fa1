"""Tracer layer: the Tracer stands in for an array while the user's function runs.

It answers shape questions statically, records every operation through the NumPy
protocols (`__array_ufunc__`, `__array_function__`) and the Python operators, and refuses,
with the user's line and a fix, anything that would need a concrete value.
"""

from __future__ import annotations

import numpy as np

from ..errors import TraceError
from ..ir import Var
from .context import Trace
from .source import caller_location


def concrete_value_error(what: str, hint: str) -> TraceError:
    return TraceError(
        f"{what} needs a concrete value, but this value is traced (it depends on the inputs)",
        loc=caller_location(),
        hint=hint,
    )


BRANCH_HINT = (
    "select elementwise with np.where(condition, a, b), or branch on a single value with "
    "tracegrad.cond(pred, true_fn, false_fn, *operands); loop on a traced value with "
    "tracegrad.while_loop, tracegrad.fori_loop or tracegrad.scan, or run a Python loop a "
    "number of times known while tracing (`for i in range(x.shape[0])`)"
)


class Tracer:
    __slots__ = ("ir_var", "trace")
    __array_priority__ = 1000  # binary operators with ndarrays defer to the Tracer
    __hash__ = None  # like ndarray: `==` builds an array, so a Tracer is not hashable

    def __init__(self, var: Var, trace: Trace):
        self.ir_var = var
        self.trace = trace

    # --- static facts -------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.ir_var.type.shape

    @property
    def ndim(self) -> int:
        return self.ir_var.type.ndim

    @property
    def size(self) -> int:
        return self.ir_var.type.size

    @property
    def dtype(self) -> np.dtype:
        return self.ir_var.type.dtype

    @property
    def T(self) -> Tracer:
        return functions.transpose(self)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TraceError("len() of a 0-d (scalar) value", loc=caller_location(),
                             hint="use .shape, or index arrays with at least one dimension")
        return self.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        return f"Tracer({self.ir_var.type})"

    # --- the NumPy protocols ------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return dispatch.apply_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return dispatch.apply_function(func, args, kwargs)

    def __array__(self, dtype=None, copy=None):
        raise concrete_value_error(
            "converting to a NumPy array (np.asarray, np.array, or a function tracegrad "
            "does not know)",
            "operate on the value directly; np.asarray is not needed inside a traced function",
        )

    # --- refusing concrete values -------------------------------------------------------
    def __bool__(self) -> bool:
        raise concrete_value_error("a Python `if`, `while`, `and`/`or` or bool()", BRANCH_HINT)

    def __int__(self) -> int:
        raise concrete_value_error(
            "int()", "keep the value as an array; use .astype(np.int64) to change its dtype"
        )

    def __index__(self) -> int:
        raise concrete_value_error(
            "using a traced value as a Python index, size or range bound",
            "sizes must come from shapes (x.shape[0]); index with arrays via x[idx]",
        )

    def __float__(self) -> float:
        raise concrete_value_error(
            "float() or a `math` function (math.sin, math.exp, ...)",
            "use the NumPy function instead (np.sin, np.exp, ...)",
        )

    def __complex__(self) -> complex:
        raise concrete_value_error("complex()", "use .astype(np.complex128)")

    def item(self, *args):
        raise concrete_value_error(".item()", "keep the value as an array")

    def tolist(self):
        raise concrete_value_error(".tolist()", "keep the value as an array")

    def __setitem__(self, key, value):
        raise TraceError(
            "item assignment (`y[i] = v`) on a traced array: traced arrays cannot be "
            "modified in place",
            loc=caller_location(),
            hint="build a new array instead: np.where(mask, v, y) for masks, or "
            "np.concatenate([y[:i], v, y[i + 1:]]) for positions",
        )

    def __getitem__(self, key) -> Tracer:
        return indexing.getitem(self, key)

    # --- operators ----------------------------------------------------------------------
    def __neg__(self): return functions.negative(self)
    def __pos__(self): return self
    def __abs__(self): return functions.absolute(self)
    def __invert__(self): return functions.invert(self)

    def __add__(self, other): return functions.add(self, other)
    def __radd__(self, other): return functions.add(other, self)
    def __sub__(self, other): return functions.subtract(self, other)
    def __rsub__(self, other): return functions.subtract(other, self)
    def __mul__(self, other): return functions.multiply(self, other)
    def __rmul__(self, other): return functions.multiply(other, self)
    def __truediv__(self, other): return functions.divide(self, other)
    def __rtruediv__(self, other): return functions.divide(other, self)
    def __floordiv__(self, other): return functions.floor_divide(self, other)
    def __rfloordiv__(self, other): return functions.floor_divide(other, self)
    def __mod__(self, other): return functions.remainder(self, other)
    def __rmod__(self, other): return functions.remainder(other, self)
    def __pow__(self, other):
        # NumPy's `**` squares for an exponent of 2, which keeps bool arrays small (int8).
        if (self.dtype == np.bool_ and not self.ir_var.type.weak and type(other) is int
                and other == 2):
            return functions.square(self)
        return functions.power(self, other)

    def __rpow__(self, other): return functions.power(other, self)
    def __matmul__(self, other): return functions.matmul(self, other)
    def __rmatmul__(self, other): return functions.matmul(other, self)
    def __and__(self, other): return functions.bitwise_and(self, other)
    def __rand__(self, other): return functions.bitwise_and(other, self)
    def __or__(self, other): return functions.bitwise_or(self, other)
    def __ror__(self, other): return functions.bitwise_or(other, self)
    def __eq__(self, other): return functions.equal(self, other)  # type: ignore[override]
    def __ne__(self, other): return functions.not_equal(self, other)  # type: ignore[override]
    def __lt__(self, other): return functions.less(self, other)
    def __le__(self, other): return functions.less_equal(self, other)
    def __gt__(self, other): return functions.greater(self, other)
    def __ge__(self, other): return functions.greater_equal(self, other)

    # In-place operators build a new value, as `x += 1` on an immutable value would.
    __iadd__, __isub__, __imul__, __itruediv__ = __add__, __sub__, __mul__, __truediv__
    __ipow__, __imatmul__ = __pow__, __matmul__

    # --- ndarray methods ----------------------------------------------------------------
    def sum(self, axis=None, dtype=None, keepdims=False):
        return functions.sum(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def prod(self, axis=None, dtype=None, keepdims=False):
        return functions.prod(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def mean(self, axis=None, dtype=None, keepdims=False):
        return functions.mean(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def var(self, axis=None, dtype=None, ddof=0, keepdims=False):
        return functions.var(self, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)

    def std(self, axis=None, dtype=None, ddof=0, keepdims=False):
        return functions.std(self, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return functions.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return functions.min(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis=None, keepdims=False):
        return functions.argmax(self, axis=axis, keepdims=keepdims)

    def argmin(self, axis=None, keepdims=False):
        return functions.argmin(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape, order="C"):
        if not shape:
            raise TraceError("x.reshape() needs a shape", loc=caller_location(),
                             hint="x.reshape(()) for a 0-d value")
        if len(shape) == 1 and isinstance(shape[0], tuple | list):
            shape = tuple(shape[0])
        return functions.reshape(self, shape, order=order)

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], tuple | list | type(None)):
            axes = axes[0]
        return functions.transpose(self, axes or None)

    def swapaxes(self, axis1, axis2):
        return functions.swapaxes(self, axis1, axis2)

    def squeeze(self, axis=None):
        return functions.squeeze(self, axis)

    def flatten(self):
        return functions.reshape(self, (-1,))

    def ravel(self):
        return functions.reshape(self, (-1,))

    def copy(self):
        return self  # traced values are never modified, so a copy is the value itself

    def astype(self, dtype, copy=True):
        return functions.astype(self, dtype)

    def dot(self, other):
        return functions.dot(self, other)

    def clip(self, min=None, max=None):
        return functions.clip(self, min, max)


from . import dispatch, functions, indexing  # noqa: E402  (these modules use Tracer)
