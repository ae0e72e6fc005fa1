"""Codegen layer: scalar specialisation of the NumPy backend. Where every value of a function
is a float64 number (no arrays at all), the module computes with Python floats, operators and
the `math` module, several times faster than NumPy's scalar calls.

Python floats raise where NumPy returns inf or nan (`1.0 / 0.0`, `math.log(0.0)`,
`math.exp(1000.0)`); the runtime then runs the NumPy module of the same graph, so results are
NumPy's either way. `**` with a non-integer exponent is `math.pow`, which raises where
Python's `**` would return a complex number.
"""

from __future__ import annotations

import math

import numpy as np

from ..ir import Graph, Literal, Node, Var
from ..ir.interface import Interface
from ..ir.primitive import Group, Primitive
from ..ir.primitives import elementwise
from .array_api import EmitTable
from .backend import Backend, EmitRule
from .common import ARITHMETIC_OPERATORS
from .emitter import Emitter
from .expressions import OPERAND, Expr, Precedence, arguments, binary, unary

FLOAT64 = np.dtype(np.float64)

# Each NumPy ufunc's `math` function, where the two compute alike on float64 numbers.
MATH_FUNCTIONS: dict[Primitive, str] = {
    elementwise.exp: "exp", elementwise.expm1: "expm1", elementwise.log: "log",
    elementwise.log1p: "log1p", elementwise.sqrt: "sqrt", elementwise.sin: "sin",
    elementwise.cos: "cos", elementwise.tan: "tan", elementwise.arcsin: "asin",
    elementwise.arccos: "acos", elementwise.arctan: "atan", elementwise.sinh: "sinh",
    elementwise.cosh: "cosh", elementwise.tanh: "tanh", elementwise.arctan2: "atan2",
    # Within 3 ulp of NumPy's SIMD loops, as exp and tanh above; equal on 0, inf and nan.
    # Where `math` raises (log2(-1), acosh(0.5), atanh(1), fmod(x, 0), exp2(2000)) the
    # runtime runs the NumPy module instead, which gives NumPy's nan or inf.
    elementwise.log2: "log2", elementwise.log10: "log10", elementwise.exp2: "exp2",
    elementwise.cbrt: "cbrt", elementwise.arcsinh: "asinh", elementwise.arccosh: "acosh",
    elementwise.arctanh: "atanh", elementwise.hypot: "hypot",
    # Bit for bit NumPy's.
    elementwise.fabs: "fabs", elementwise.copysign: "copysign", elementwise.fmod: "fmod",
    elementwise.deg2rad: "radians", elementwise.rad2deg: "degrees",
}  # fmt: skip

# The float predicates: the only operations whose bool result the Python-float module holds.
# A bool is read only by operations with a float64 result (checked in python_floats_fit), where
# Python's `x * True` computes as NumPy's float64 * bool does.
MATH_PREDICATES: dict[Primitive, str] = {
    elementwise.isnan: "isnan", elementwise.isinf: "isinf", elementwise.isfinite: "isfinite",
}  # fmt: skip
BOOL = np.dtype(np.bool_)


def number(value: float | int) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return "math.nan" if math.isnan(value) else ("math.inf" if value > 0 else "-math.inf")
    return repr(value)


def literal(x: Literal) -> str:
    value = x.value.item() if isinstance(x.value, np.generic | np.ndarray) else x.value
    return number(value)


def operator_rule(symbol: str) -> EmitRule:
    return lambda node, args: binary(symbol, args[0], args[1])


def function_rule(name: str) -> EmitRule:
    return lambda node, args: f"math.{name}({arguments(args)})"


def power_rule(node: Node, args: list[Expr]) -> Expr | str:
    exponent = node.inputs[1]
    if isinstance(exponent, Literal) and float(exponent.value).is_integer():
        # Never complex, raises on 0 ** -1; the integer written as Python takes it: `x ** -2`.
        power = f"{args[0].within(OPERAND)} ** {int(exponent.value)}"
        return Expr(power, Precedence.POWER)
    return f"math.pow({args[0]}, {args[1]})"


RULES = EmitTable(
    {
        **{op: operator_rule(symbol) for op, symbol in ARITHMETIC_OPERATORS.items()},
        **{op: function_rule(function) for op, function in MATH_FUNCTIONS.items()},
        **{op: function_rule(function) for op, function in MATH_PREDICATES.items()},
        elementwise.power: power_rule,
        elementwise.neg: lambda node, args: unary("-", args[0]),
        elementwise.abs_: lambda node, args: f"abs({args[0]})",
        elementwise.square: lambda node, args: binary("*", args[0], args[0]),
    }
)


def is_float(var: Var | Literal) -> bool:
    return var.type.shape == () and (
        var.type.dtype == FLOAT64 or (isinstance(var, Literal) and var.type.dtype.kind in "iu")
    )


def is_number(var: Var | Literal) -> bool:
    """A float, or the bool of a predicate (`np.isnan(x)`), which Python computes with alike."""
    return is_float(var) or (var.type.shape == () and var.type.dtype == BOOL)


def result_fits(node: Node) -> bool:
    """A float64 number, or a predicate's bool (of float operands: `np.isnan(x)`)."""
    wanted = BOOL if node.op in MATH_PREDICATES else FLOAT64
    return node.out.type.dtype == wanted and node.out.type.shape == ()


def python_floats_fit(graph: Graph) -> bool:
    """Every value is a float64 number (literals may be integers) and every operation has a
    Python-float rule. Control flow (a loop, a branch) never fits: its nested Graphs are
    written by the NumPy backend's block rules only."""
    return (
        bool(graph.nodes)
        and not any(node.op.group is Group.CONTROL for node in graph.nodes)
        and all(v.type.shape == () and v.type.dtype == FLOAT64 for v in graph.inputs)
        and all(
            node.op in RULES
            and len(node.outputs) == 1
            and result_fits(node)
            and all(
                is_float(x) if node.op in MATH_PREDICATES else is_number(x) for x in node.inputs
            )
            for node in graph.nodes
        )
        and all(is_number(x) for x in graph.outputs)
        and not any(returns_argument(graph, x) for x in graph.outputs)
    )


def returns_argument(graph: Graph, x: Var | Literal) -> bool:
    """A float64 argument handed back as it is (`return np.tanh(x), x`): the caller gets what
    they passed, a 0-d array or a NumPy scalar, which the NumPy module's `x.copy()` keeps and
    the Python float `x` here has forgotten."""
    return isinstance(x, Var) and x in graph.inputs and not x.type.weak


def as_float(var: Var, expression: str) -> str | None:
    """NumPy float64 arguments (and 0-d arrays) become Python floats; Python floats stay."""
    return None if var.type.weak else f"float({expression})"


def as_numpy_scalar(output: Var | Literal, expression: str) -> str:
    """A result is handed back as NumPy would: np.float64 or np.bool_ (a Python float stays)."""
    if output.type.weak:
        return expression
    return f"np.bool_({expression})" if output.type.dtype == BOOL else f"np.float64({expression})"


def scalar_results(graph: Graph) -> tuple[str, ...]:
    """Every result is a Python float or, by as_numpy_scalar, an np.float64."""
    return tuple("" if x.type.weak else "scalar" for x in graph.outputs)


def notes(graph: Graph) -> list[str]:
    return [
        "computes with Python floats, which raise where NumPy would return inf or nan",
        "(1/0, log(0), overflow); the jit-compiled function then runs NumPy code instead",
    ]


PYTHON_FLOAT_BACKEND = Backend(
    "numpy",
    ("import math", "import numpy as np"),
    RULES,
    literal,
    mutable_arrays=False,
    notes=notes,
    inline_single_use=lambda var: True,
    convert_input=as_float,
    wrap_result=as_numpy_scalar,
    result_kinds=scalar_results,
)


def emit_python_floats(graph: Graph, interface: Interface | None = None) -> str:
    return Emitter(graph, interface, PYTHON_FLOAT_BACKEND).emit()
