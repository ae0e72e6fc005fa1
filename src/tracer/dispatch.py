"""Tracer layer: NumPy's protocol hooks land here, routed by two tables.

`UFUNCS` maps each NumPy ufunc to its tracing function and `FUNCTIONS` each NumPy function
(`np.sum`, `np.einsum`, ...). Anything missing gets an error that names it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import TraceError
from . import functions as F
from . import inplace
from .source import caller_location
from .unsupported import function_error

UFUNCS: dict[np.ufunc, Callable] = {
    np.negative: F.negative, np.positive: F.positive, np.absolute: F.absolute,
    np.sign: F.sign, np.exp: F.exp, np.expm1: F.expm1, np.log: F.log, np.log1p: F.log1p,
    np.sqrt: F.sqrt, np.square: F.square, np.sin: F.sin, np.cos: F.cos, np.tan: F.tan,
    np.arcsin: F.arcsin, np.arccos: F.arccos, np.arctan: F.arctan, np.sinh: F.sinh,
    np.cosh: F.cosh, np.tanh: F.tanh, np.floor: F.floor, np.ceil: F.ceil, np.add: F.add,
    np.subtract: F.subtract, np.multiply: F.multiply, np.divide: F.divide,
    np.floor_divide: F.floor_divide, np.remainder: F.remainder, np.power: F.power,
    np.maximum: F.maximum, np.minimum: F.minimum, np.arctan2: F.arctan2, np.equal: F.equal,
    np.not_equal: F.not_equal, np.less: F.less, np.less_equal: F.less_equal,
    np.greater: F.greater, np.greater_equal: F.greater_equal, np.logical_and: F.logical_and,
    np.logical_or: F.logical_or, np.logical_not: F.logical_not, np.matmul: F.matmul,
    np.bitwise_and: F.bitwise_and, np.bitwise_or: F.bitwise_or, np.invert: F.invert,
    np.bitwise_xor: F.bitwise_xor, np.left_shift: F.left_shift, np.right_shift: F.right_shift,
    np.conjugate: F.conjugate,
}  # fmt: skip

# The ufuncs whose primitives follow Python's arithmetic when every operand is a Python
# scalar (the operators: `x + y`, `-x`, `x < y`, ...).
PYTHON_OPERATORS = frozenset({
    np.negative, np.absolute, np.add, np.subtract, np.multiply, np.divide, np.floor_divide,
    np.remainder, np.power, np.equal, np.not_equal, np.less, np.less_equal, np.greater,
    np.greater_equal,
})


def static_size(a: Any, axis: Any = None) -> int:
    t = F.type_of(a)
    return t.size if axis is None else t.shape[F.normalize_axis(axis, t.ndim, "size")]


# NumPy functions whose answer is static: they never record anything.
STATIC: dict[Callable, Callable] = {
    np.shape: lambda a: F.type_of(a).shape,
    np.ndim: lambda a: F.type_of(a).ndim,
    np.size: static_size,
}

FUNCTIONS: dict[Callable, Callable] = {
    **STATIC,
    np.sum: F.sum, np.prod: F.prod, np.max: F.max, np.min: F.min, np.amax: F.max,
    np.amin: F.min, np.argmax: F.argmax, np.argmin: F.argmin, np.mean: F.mean, np.var: F.var,
    np.std: F.std, np.linalg.norm: F.norm, np.round: F.round, np.around: F.round,
    np.where: F.where, np.clip: F.clip, np.dot: F.dot, np.einsum: F.einsum, np.outer: F.outer,
    np.astype: F.astype, np.zeros_like: F.zeros_like, np.ones_like: F.ones_like,
    np.full_like: F.full_like, np.reshape: F.reshape, np.ravel: F.ravel,
    np.transpose: F.transpose, np.swapaxes: F.swapaxes, np.moveaxis: F.moveaxis,
    np.expand_dims: F.expand_dims, np.squeeze: F.squeeze, np.broadcast_to: F.broadcast_to,
    np.concatenate: F.concatenate, np.stack: F.stack, np.take: F.take, np.all: F.all,
    np.any: F.any, np.real: F.real, np.imag: F.imag, np.repeat: F.repeat,
    np.compress: F.compress, np.diagonal: F.diagonal, np.trace: F.trace,
}  # fmt: skip


def ufunc_name(ufunc: np.ufunc) -> str:
    """`np.tanh`, or `scipy.special.erf` for a ufunc NumPy does not have (ufuncs carry no
    __module__: look for the ufunc where users import them from)."""
    name = ufunc.__name__
    if getattr(np, name, None) is ufunc:
        return f"np.{name}"
    special = sys.modules.get("scipy.special")
    if special is not None and getattr(special, name, None) is ufunc:
        return f"scipy.special.{name}"
    return f"the ufunc {name}"


def public_name(fn: Any) -> str:
    if isinstance(fn, np.ufunc):
        return ufunc_name(fn)
    module = getattr(fn, "__module__", None) or "numpy"
    module = "np" + module.removeprefix("numpy") if module.startswith("numpy") else module
    module = "np" if module.startswith("np._core") or module == "np.core" else module
    return f"{module}.{getattr(fn, '__name__', fn)}"


def apply_ufunc(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> Any:
    if method == "reduce" and ufunc is np.add:
        return F.sum(inputs[0], **{"axis": 0, **kwargs})  # F.sum refuses what it cannot do
    if method != "__call__":
        raise TraceError(f"{ufunc_name(ufunc)}.{method} is not supported on traced values",
                         loc=caller_location(), hint="call the ufunc itself, or a reduction "
                         "such as np.sum")
    for name, value in kwargs.items():
        if name == "out" and value is not None:
            raise inplace.out_refused(ufunc)
        if value is not None and name != "out":
            raise TraceError(f"{ufunc_name(ufunc)}(..., {name}=...) is not supported",
                             loc=caller_location(), hint="remove the keyword argument")
    function = UFUNCS.get(ufunc)
    if function is None:
        raise TraceError(
            f"{ufunc_name(ufunc)} has no tracing rule in tracegrad",
            loc=caller_location(),
            hint="write it with the supported functions (see tracegrad.numpy), "
            "or open an issue asking for it",
        )
    if ufunc in PYTHON_OPERATORS and all(F.type_of(x).weak for x in inputs):
        # On Python scalars alone a ufunc computes with NumPy's types (np.add(True, True) is
        # np.True_), not Python's (True + True is 2), and returns a NumPy scalar. (The other
        # ufuncs already type Python scalars as NumPy does.)
        inputs = tuple(F.as_array(x) for x in inputs)
    return function(*inputs)


def apply_function(func: Callable, args: tuple, kwargs: dict) -> Any:
    function = FUNCTIONS.get(func)
    if function is None:
        known = function_error(getattr(func, "__name__", ""))  # np.sort, np.copyto, ...
        if known is not None:
            raise known
        raise TraceError(
            f"{public_name(func)} has no tracing rule in tracegrad",
            loc=caller_location(),
            hint="write it with the supported functions (see tracegrad.numpy), "
            "or open an issue asking for it",
        )
    return function(*args, **kwargs)
