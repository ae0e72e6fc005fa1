"""Tracer layer: the Tracer stands in for an array while the user's function runs.

It answers shape questions statically, records every operation through the NumPy
protocols (`__array_ufunc__`, `__array_function__`) and the Python operators, and refuses,
with the user's line and a fix, anything that would need a concrete value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import TraceError
from ..ir import Var
from . import dispatch, functions, indexing, inplace, writes
from .complex_values import COMPLEX_HINT, complex_value_error, is_complex
from .functions import registry
from .source import caller_location, storing_item
from .unsupported import NDARRAY_NAMES, attribute_error, write_error

if TYPE_CHECKING:
    from .context import Trace


def concrete_value_error(what: str, hint: str) -> TraceError:
    if storing_item():  # NumPy asks for the value to store it: `h[i] = x` into an ndarray
        return write_error(caller_location())
    return TraceError(
        f"{what} needs a concrete value, but this value is traced (it depends on the inputs)",
        loc=caller_location(),
        hint=hint,
    )


def attribute_write_error(name: str, hint: str) -> TraceError:
    return TraceError(
        f"setting x.{name} = ... changes an array in place, and traced values "
        "are never modified in place",
        loc=caller_location(),
        hint=hint,
    )


STACK_HINT = "build an array from traced values with np.stack([a, b, ...]) or np.concatenate"


BRANCH_HINT = (
    "select elementwise with np.where(condition, a, b), or branch on a single value with "
    "tracegrad.cond(pred, true_fn, false_fn, *operands); loop on a traced value with "
    "tracegrad.while_loop, tracegrad.fori_loop or tracegrad.scan, or run a Python loop a "
    "number of times known while tracing (`for i in range(x.shape[0])`)"
)


class ArraySlots:
    """The layout a Tracer shares with a Buffer (buffers.py), so that a Buffer written with a
    traced value becomes a Tracer in place: every name holding it sees the new value.
    `_link`: the views made of it and the array it is a view of (inplace.Link), or None;
    `_value`: a Buffer's concrete array (None for a Tracer)."""

    __slots__ = ("__weakref__", "_link", "_trace", "_value", "ir_var")


class Tracer(registry.ndarray_methods(), ArraySlots):
    # The ndarray methods that only forward (`x.sum(axis)` is `np.sum(x, axis)`) come from the
    # base class, built from the `@implements(..., method=...)` registrations; those below
    # differ from their NumPy function (argument order, copies, refusals).
    # `x._trace` is the Trace the value belongs to (`x.trace()` is ndarray's method, np.trace).
    __slots__ = ()
    __array_priority__ = 1000  # binary operators with ndarrays defer to the Tracer

    def __init__(self, var: Var, trace: Trace):
        if is_complex(var.type):  # every argument and every new value passes here
            raise complex_value_error(var.type)
        self.ir_var = var
        self._trace = trace
        self._link = None
        self._value = None

    def __hash__(self) -> int:
        # Like an ndarray, a Tracer is unhashable (`==` builds an array); unlike NumPy's
        # TypeError, the error says where and what to do.
        raise TraceError(
            "hash() of a traced value (a dict key, a set member, `in` a dict or set): a traced "
            "value has no concrete value to hash",
            loc=caller_location(),
            hint="key dicts and sets by a name or position ({'w': x}, a list of values), not "
            "by the array; compare values with array operations (x == y, np.where, "
            "tracegrad.numpy)",
        )

    def __getattr__(self, name: str):
        # Only reached for names the Tracer lacks: an ndarray attribute gets an error that
        # names it; any other name stays an AttributeError, so hasattr() works.
        if name in NDARRAY_NAMES:
            raise attribute_error(name)
        raise AttributeError(f"'Tracer' object has no attribute {name!r}")

    # --- static facts -------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.ir_var.type.shape

    @shape.setter
    def shape(self, value) -> None:
        raise attribute_write_error("shape", "x = x.reshape(new_shape)")

    @property
    def ndim(self) -> int:
        return self.ir_var.type.ndim

    @property
    def size(self) -> int:
        return self.ir_var.type.size

    @property
    def dtype(self) -> np.dtype:
        return self.ir_var.type.dtype

    @dtype.setter
    def dtype(self, value) -> None:
        raise attribute_write_error("dtype", "x = x.astype(dtype) converts the values")

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    @property
    def mT(self) -> Tracer:
        if self.ndim < 2:
            raise TraceError(
                f"x.mT of a value with {self.ndim} dimensions: the matrix "
                "transpose needs at least 2 (NumPy refuses it too)",
                loc=caller_location(),
                hint="use x.T, or reshape to 2-d first",
            )
        return functions.swapaxes(self, -1, -2)

    @property
    def real(self) -> Tracer:
        return functions.real(self)

    @property
    def imag(self):
        return functions.imag(self)

    @property
    def flat(self) -> Tracer:
        return functions.reshape(self, (-1,))  # reading x.flat[i] or iterating, as a 1-d value

    @real.setter
    def real(self, value) -> None:
        raise attribute_write_error("real", "build a new array from the values")

    @imag.setter
    def imag(self, value) -> None:
        raise attribute_write_error("imag", "build a new array from the values")

    @flat.setter
    def flat(self, value) -> None:
        raise attribute_write_error("flat", "np.full_like(x, value), or np.broadcast_to")

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TraceError(
                "len() of a 0-d (scalar) value",
                loc=caller_location(),
                hint="use .shape, or index arrays with at least one dimension",
            )
        return self.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TraceError(
                "iterating over a 0-d (scalar) value (NumPy refuses it too)",
                loc=caller_location(),
                hint="a 0-d value is one number: use it "
                "directly, or np.stack([...]) several into an array",
            )
        return (self[i] for i in range(self.shape[0]))

    def __contains__(self, value) -> bool:
        raise concrete_value_error("`v in x`", "compute it as an array: np.any(x == v)")

    def __format__(self, spec: str) -> str:
        if not spec:
            return repr(self)
        raise concrete_value_error(
            f"formatting with {spec!r} (f'{{x:{spec}}}')",
            "return the value and format it outside the traced function; f'{x}' shows its "
            "shape and dtype",
        )

    # A copy is a new array (writing into it leaves this one alone); a deep copy must not
    # copy the Trace the value belongs to.
    def __copy__(self) -> Tracer:
        return inplace.copy(self)

    def __deepcopy__(self, memo: dict) -> Tracer:
        return inplace.copy(self)

    def __reduce_ex__(self, protocol: int):
        raise concrete_value_error(
            "pickling", "return the value from the traced function and pickle the result"
        )

    def __repr__(self) -> str:
        return f"Tracer({self.ir_var.type})"

    # --- the NumPy protocols ------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return dispatch.apply_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return dispatch.apply_function(func, args, kwargs)

    def __array__(self, dtype=None, copy=None):
        if dtype is not None:  # np.asarray(x, dtype=np.float32), np.float32(x): a conversion
            dtype = np.dtype(dtype)
            raise concrete_value_error(
                f"converting to a NumPy {dtype.name} (np.asarray(x, dtype=...), "
                f"np.{dtype.name}(x), ...)",
                f"convert the traced value with x.astype(np.{dtype.name}); {STACK_HINT}",
            )
        # np.array / np.asarray trace when called through the module while a trace runs
        # (tracer/intercept.py): what lands here bound them by name earlier, or is a function
        # tracegrad does not know.
        raise concrete_value_error(
            "converting to a NumPy array (a function tracegrad does not know, or np.array / "
            "np.asarray bound by name before tracing, as `from numpy import array` does)",
            f"{STACK_HINT}; call np.array and np.asarray through the module (`np.array([a, "
            "b])`), which traces them",
        )

    # --- refusing concrete values -------------------------------------------------------
    def __bool__(self) -> bool:
        raise concrete_value_error("a Python `if`, `while`, `and`/`or` or bool()", BRANCH_HINT)

    def __int__(self) -> int:
        raise concrete_value_error(
            "int()",
            f"keep the value as an array; use .astype(np.int64) to change its dtype; {STACK_HINT}",
        )

    def __index__(self) -> int:
        raise concrete_value_error(
            "using a traced value as a Python index, size or range bound",
            "sizes must come from shapes (x.shape[0]); index with arrays via x[idx]",
        )

    def __float__(self) -> float:
        raise concrete_value_error(
            "float() or a `math` function (math.sin, math.exp, ...)",
            "use the NumPy function instead (np.sin, np.exp, np.floor, ...); convert a dtype "
            f"with x.astype(np.float64) (np.float64(x) calls float()); {STACK_HINT}",
        )

    def __trunc__(self) -> int:
        raise concrete_value_error(
            "math.trunc()",
            "use np.trunc-style array code: np.where(x < 0, np.ceil(x), np.floor(x))",
        )

    def __round__(self, ndigits=None):
        if ndigits is None:  # Python's round() gives an int, which needs the value
            raise concrete_value_error(
                "round() to an int",
                "use np.round(x), which keeps "
                "the value an array (then .astype(np.int64) if needed)",
            )
        return functions.round(self, ndigits)

    def __complex__(self) -> complex:
        raise concrete_value_error("complex()", COMPLEX_HINT)

    def item(self, *args):
        raise concrete_value_error("x.item()", "keep the value as an array")

    def tolist(self):
        raise concrete_value_error(
            "x.tolist()",
            "keep the value as an array, or build a list "
            "by indexing: [x[i] for i in range(x.shape[0])]",
        )

    def __setitem__(self, key, value):
        writes.setitem(self, key, value)

    def __delitem__(self, key):
        raise TraceError(
            "`del x[i]` on a traced array (NumPy refuses it too)",
            loc=caller_location(),
            hint="np.concatenate([x[:i], x[i + 1:]]) gives x without element i",
        )

    def __getitem__(self, key) -> Tracer:
        return indexing.getitem(self, key)

    # --- operators ----------------------------------------------------------------------
    def __neg__(self):
        return functions.negative(self)

    def __pos__(self):
        return inplace.copy_of(self)  # NumPy's `+a` is a new array

    def __abs__(self):
        return functions.absolute(self)

    def __invert__(self):
        return functions.invert(self)

    def __add__(self, other):
        return functions.add(self, other)

    def __radd__(self, other):
        return functions.add(other, self)

    def __sub__(self, other):
        return functions.subtract(self, other)

    def __rsub__(self, other):
        return functions.subtract(other, self)

    def __mul__(self, other):
        return functions.multiply(self, other)

    def __rmul__(self, other):
        return functions.multiply(other, self)

    def __truediv__(self, other):
        return functions.divide(self, other)

    def __rtruediv__(self, other):
        return functions.divide(other, self)

    def __floordiv__(self, other):
        return functions.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return functions.floor_divide(other, self)

    def __mod__(self, other):
        return functions.remainder(self, other)

    def __rmod__(self, other):
        return functions.remainder(other, self)

    def __pow__(self, other):
        # NumPy's `**` squares for an exponent of 2, which keeps bool arrays small (int8).
        if (
            self.dtype == np.bool_
            and not self.ir_var.type.weak
            and type(other) is int
            and other == 2
        ):
            return functions.square(self)
        return functions.power(self, other)

    def __rpow__(self, other):
        return functions.power(other, self)

    def __matmul__(self, other):
        return functions.matmul(self, other)

    def __rmatmul__(self, other):
        return functions.matmul(other, self)

    def __divmod__(self, other):
        return self // other, self % other

    def __rdivmod__(self, other):
        return other // self, other % self

    def __xor__(self, other):
        return functions.bitwise_xor(self, other)

    def __rxor__(self, other):
        return functions.bitwise_xor(other, self)

    def __lshift__(self, other):
        return functions.left_shift(self, other)

    def __rlshift__(self, other):
        return functions.left_shift(other, self)

    def __rshift__(self, other):
        return functions.right_shift(self, other)

    def __rrshift__(self, other):
        return functions.right_shift(other, self)

    def __and__(self, other):
        return functions.bitwise_and(self, other)

    def __rand__(self, other):
        return functions.bitwise_and(other, self)

    def __or__(self, other):
        return functions.bitwise_or(self, other)

    def __ror__(self, other):
        return functions.bitwise_or(other, self)

    def __eq__(self, other):
        return functions.equal(self, other)  # type: ignore[override]

    def __ne__(self, other):
        return functions.not_equal(self, other)  # type: ignore[override]

    def __lt__(self, other):
        return functions.less(self, other)

    def __le__(self, other):
        return functions.less_equal(self, other)

    def __gt__(self, other):
        return functions.greater(self, other)

    def __ge__(self, other):
        return functions.greater_equal(self, other)

    # In-place operators rebind to a new value where that is exactly NumPy's answer, and
    # raise where NumPy would write into an array someone else sees (see inplace.py).
    def __iadd__(self, other):
        return inplace.update(self, other, functions.add, "+=")

    def __isub__(self, other):
        return inplace.update(self, other, functions.subtract, "-=")

    def __imul__(self, other):
        return inplace.update(self, other, functions.multiply, "*=")

    def __itruediv__(self, other):
        return inplace.update(self, other, functions.divide, "/=")

    def __ifloordiv__(self, other):
        return inplace.update(self, other, functions.floor_divide, "//=")

    def __imod__(self, other):
        return inplace.update(self, other, functions.remainder, "%=")

    def __ipow__(self, other):
        return inplace.update(self, other, Tracer.__pow__, "**=")

    def __imatmul__(self, other):
        return inplace.update(self, other, functions.matmul, "@=")

    def __iand__(self, other):
        return inplace.update(self, other, functions.bitwise_and, "&=")

    def __ior__(self, other):
        return inplace.update(self, other, functions.bitwise_or, "|=")

    # --- ndarray methods ----------------------------------------------------------------
    # The signatures are ndarray's; a keyword tracegrad cannot honour (out=, where=) is
    # refused by the function with a message, not by Python with a TypeError.
    def reshape(self, *shape, order="C", copy=None):
        if not shape:
            raise TraceError(
                "x.reshape() needs a shape",
                loc=caller_location(),
                hint="x.reshape(()) for a 0-d value",
            )
        if len(shape) == 1 and isinstance(shape[0], tuple | list):
            shape = tuple(shape[0])
        return functions.reshape(self, shape, order=order)

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], tuple | list | type(None)):
            axes = axes[0]
        return functions.transpose(self, axes or None)

    def copy(self, order="K"):
        return inplace.copy(self)  # a distinct value, so `b = a.copy(); b += 1` is NumPy's

    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
        return functions.astype(self, dtype, copy=copy)

    def fill(self, value) -> None:
        writes.setitem(self, Ellipsis, value, "x.fill(v)")

    # The methods that sort or write in place: the array takes the new value, as a write.
    def sort(self, axis=-1, kind=None, order=None, *, stable=None) -> None:
        ordered = functions.sort(self, axis, kind, order, stable=stable)
        writes.setitem(self, Ellipsis, ordered, "x.sort()")

    def partition(self, kth, axis=-1, kind="introselect", order=None) -> None:
        parted = functions.partition(self, kth, axis, kind, order)
        writes.setitem(self, Ellipsis, parted, "x.partition(kth)")

    def put(self, indices, values, mode="raise") -> None:
        functions.put(self, indices, values, mode)

    def flatten(self, order="C"):
        return inplace.copy_of(functions.ravel(self, order))  # a copy, unlike ravel's view

    def conj(self):
        # A real value's conjugate is itself (a Python number's too: `(2.0).conjugate()`).
        return self if self.ir_var.type.weak else functions.conjugate(self)

    conjugate = conj

    def compress(self, condition, axis=None, out=None):
        return functions.compress(condition, self, axis=axis, out=out)
