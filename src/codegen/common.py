"""Codegen layer: the text both array backends write alike: numbers, dtypes, shapes, slices,
axis keywords and indexing keys, spelled with the backend's module alias (`np` or `jnp`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..ir import Graph, Literal, Node, Var
from ..ir.constants import describe_constant
from ..ir.primitive import Group, Primitive
from ..ir.primitives import contractions, elementwise, special
from .backend import EmitRule
from .expressions import OPERAND, Expr, attribute, binary, method

# Python's operator for a primitive, where it has one; every backend writes these alike.
# The arithmetic ones are also Python floats' (python_floats.py), which compute no `**`
# (math.pow where the exponent is not an integer) and no comparisons (bools, not floats).
ARITHMETIC_OPERATORS: dict[Primitive, str] = {
    elementwise.add: "+", elementwise.subtract: "-", elementwise.multiply: "*",
    elementwise.divide: "/", elementwise.floor_divide: "//", elementwise.remainder: "%",
}  # fmt: skip
OPERATORS: dict[Primitive, str] = {
    **ARITHMETIC_OPERATORS, elementwise.power: "**", elementwise.equal: "==",
    elementwise.not_equal: "!=", elementwise.less: "<", elementwise.less_equal: "<=",
    elementwise.greater: ">", elementwise.greater_equal: ">=", contractions.matmul: "@",
}  # fmt: skip

# The shorter spelling of a ufunc, where NumPy and jax.numpy have one.
FUNCTION_NAMES: dict[str, str] = {"absolute": "abs"}


def dtype_expr(dtype: np.dtype, module: str) -> str:
    return f"{module}.{np.dtype(dtype).name}"


def shape_expr(shape: tuple[int, ...]) -> str:
    return f"({shape[0]},)" if len(shape) == 1 else f"({', '.join(map(str, shape))})"


def number(value: Any, module: str) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        if math.isnan(value):
            return f"{module}.nan"
        return f"{module}.inf" if value > 0 else f"-{module}.inf"
    return repr(value)


def nested(value: Any, module: str) -> str:
    if isinstance(value, list):
        return f"[{', '.join(nested(v, module) for v in value)}]"
    return number(value, module)


def is_array_value(x: Var | Literal) -> bool:
    """True when the operand is an array or array scalar at run time (it has methods)."""
    return not x.type.weak


def subject(node: Node, arg: Expr, module: str) -> Expr | str:
    """The first operand as something that can be indexed (a Python scalar cannot)."""
    return arg if is_array_value(node.inputs[0]) else f"{module}.asarray({arg})"


def axis_keywords(node: Node, ndim: int) -> str:
    axis, keepdims = node.params["axis"], node.params["keepdims"]
    parts = []
    if isinstance(axis, tuple) and axis != tuple(range(ndim)):
        parts.append(f"axis={axis[0]}" if len(axis) == 1 else f"axis={axis}")
    elif isinstance(axis, int):
        parts.append(f"axis={axis}")
    if keepdims:
        parts.append("keepdims=True")
    return "".join(f", {p}" for p in parts)


# np.all and np.any trace as min and max over booleans (tracer/functions/reductions.py);
# written back as what the user called.
TRUTH_REDUCTIONS = {"min": "all", "max": "any"}


def reduction_name(node: Node) -> str:
    """The operation's NumPy name, `all` / `any` for a min / max of booleans; the name of its
    result where the user gave none (`all_1 = m.all(axis=1)`)."""
    name = node.op.name
    if name in TRUTH_REDUCTIONS and node.op.group is Group.REDUCTION:
        return TRUTH_REDUCTIONS[name] if node.inputs[0].type.dtype == np.bool_ else name
    return name


def argreduce_keywords(node: Node) -> str:
    axis, keepdims = node.params["axis"], node.params["keepdims"]
    return (f", axis={axis}" if axis is not None else "") + (", keepdims=True" if keepdims else "")


def reshape_text(node: Node, arg: Expr, module: str) -> Expr | str:
    shape = node.params["shape"]
    if not is_array_value(node.inputs[0]):
        return f"{module}.reshape({arg}, {shape_expr(shape)})"
    return method(arg, "reshape", ", ".join(map(str, shape)) if shape else "()")


def transpose_rule(node: Node, args: list[Expr]) -> Expr:
    """`x.T` for the reversed axes, else `x.transpose(1, 0, 2)`: one spelling in both."""
    axes = node.params["axes"]
    if axes == tuple(reversed(range(len(axes)))):
        return attribute(args[0], "T")
    return method(args[0], "transpose", ", ".join(map(str, axes)))


def slice_text(item: Any) -> str:
    if item is None:
        return "None"
    if isinstance(item, int):
        return str(item)
    start, stop, step = ("" if p is None else str(p) for p in item)
    return f"{start}:{stop}:{step}" if step else f"{start}:{stop}"


def index_key(node: Node) -> str:
    """The static key of an `index` or `index_scatter` node, as written between brackets."""
    return ", ".join(slice_text(item) for item in node.params["index"])


def gather_parts(node: Node, indices: list[Expr]) -> list[str]:
    """The key of a `gather` or `scatter_add` node: the index arrays on their axes, `:` on
    the whole axes between them."""
    axes = node.params["axes"]
    remaining = iter(indices)
    return [str(next(remaining)) if a in axes else ":" for a in range(axes[-1] + 1)]


def scalar_if_uniform(node: Node, arg: Expr, module: str) -> Expr | str:
    """Updates that are one repeated constant are written as that scalar: the assignment
    broadcasts it, and no array of copies is built on each call."""
    updates = node.inputs[0]
    if isinstance(updates, Literal) and updates.type.ndim > 0:
        pattern = describe_constant(updates.value)
        if pattern.kind in ("zeros", "ones", "full"):
            value = {"zeros": 0, "ones": 1}.get(pattern.kind, pattern.argument)
            return number(np.asarray(value, updates.type.dtype).item(), module)
    return arg


def log_softmax_lines(node: Node, args: list[Expr], module: str) -> list[str]:
    """The operations users write for it, in their order, so values match theirs exactly."""
    axis, ndim = node.params["axis"], node.inputs[0].type.ndim
    keywords = (
        "keepdims=True"
        if axis == tuple(range(ndim))
        else (f"axis={axis[0] if len(axis) == 1 else axis}, keepdims=True")
    )
    x = args[0].within(OPERAND)
    return [
        f"{{out}} = {x} - {x}.max({keywords})",
        f"{{out}} = {{out}} - {module}.log({module}.exp({{out}}).sum({keywords}))",
    ]


def root_sum_squares_expression(node: Node, args: list[Expr], module: str) -> str:
    """The operations np.linalg.norm and np.std are traced as, in their order."""
    c, divisor = args[0], node.params["divisor"]
    keywords = axis_keywords(node, node.inputs[0].type.ndim)
    total = f"{module}.sum({binary('*', c, c)}{keywords})"
    return f"{module}.sqrt({total} / {divisor})" if divisor != 1 else f"{module}.sqrt({total})"


# The params of SciPy functions written only where they differ from these.
SCIPY_DEFAULTS = {"solve_triangular": {"trans": 0, "lower": False, "unit_diagonal": False}}


def scipy_rule(op: Primitive, prefix: str) -> EmitRule:
    """A SciPy function, called through its module (`scipy.special.erf(x)`,
    `jax.scipy.linalg.solve_triangular(a, b, lower=True)`): params as keywords where they
    differ from SciPy's defaults; polygamma with its order first."""
    name, module = op.name, f"{prefix}.{special.SCIPY_MODULES[op]}"
    defaults = SCIPY_DEFAULTS.get(name, {})

    def rule(node: Node, args: list[Expr]) -> str:
        if name == "polygamma":
            return f"{module}.polygamma({node.params['n']}, {args[0]})"
        keywords = [
            f"{key}={value!r}"
            for key, value in node.params.items()
            if key not in defaults or defaults[key] != value
        ]
        return f"{module}.{name}({', '.join([*map(str, args), *keywords])})"

    return rule


def scipy_imports(graph: Graph, prefix: str) -> tuple[str, ...]:
    """`import scipy.special` (`jax.scipy.linalg`, ...) for each SciPy module the graph, or
    one it holds, calls."""
    modules = sorted({special.SCIPY_MODULES[op] for op in used_ops(graph, special.SCIPY_MODULES)})
    return tuple(f"import {prefix}.{module}" for module in modules)


def used_ops(graph: Graph, ops) -> set[Primitive]:
    found = set()
    for node in graph.nodes:
        if node.op in ops:
            found.add(node.op)
        for value in node.params.values():
            if isinstance(value, Graph):
                found |= used_ops(value, ops)
    return found
