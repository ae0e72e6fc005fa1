"""Codegen layer: the JAX backend, one emission rule per primitive, for `jax.jit` to compile.

Rules write `jax.numpy` as a person would (`x @ W`, `jnp.tanh(a)`, `x.sum(axis=1)`); scatters
are functional updates (`jnp.zeros(...).at[key].add(updates)`), since JAX arrays are
immutable. JAX promotes dtypes differently from NumPy (int32 + float32 is float32 in JAX and
float64 in NumPy), so an operand whose dtype differs from the one NumPy computes in is
converted first: every value has exactly the dtype the IR gives it. The emitted module
imports jax and nothing else; this one does not import jax at all (emitting needs none).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from ..ir import Graph, Literal, Node, Var
from ..ir.constants import describe_constant
from ..ir.interface import Interface
from ..ir.primitive import Group, Primitive
from ..ir.primitives import (
    calls,
    elementwise,
    indexing,
    linalg,
    markers,
    reductions,
    shapes,
    special,
)
from ..ir.primitives import control as control_primitives
from ..ir.primitives.contractions import einsum, matmul
from ..ir.primitives.elementwise import UFUNCS, ufunc_operand
from . import common
from .array_api import array_api_rules, build_rules, call_rule
from .backend import Backend, BlockRule, EmitRule, with_location
from .common import (
    FUNCTION_NAMES,
    OPERATORS,
    axis_keywords,
    gather_parts,
    index_key,
    is_array_value,
    reduction_name,
    shape_expr,
)
from .control import (
    carry_bases,
    indent,
    initial_carry_names,
    loop_variables,
    reads,
    tuple_text,
)
from .emitter import Emitter
from .expressions import (
    OPERAND,
    Expr,
    Precedence,
    arguments,
    binary,
    call,
    from_literal,
    method,
    unary,
)

# The ufunc whose loop a primitive computes in, as NumPy chooses it for the operand dtypes.
LOOP_UFUNCS: dict[Primitive, np.ufunc] = {**UFUNCS, matmul: np.matmul}

# Dtypes that exist in JAX only with 64-bit mode on.
WIDE_DTYPES = frozenset(map(np.dtype, (np.float64, np.int64, np.uint64, np.complex128)))


def dtype_expr(dtype: np.dtype) -> str:
    return common.dtype_expr(dtype, "jnp")


def number(value: object) -> str:
    return common.number(value, "jnp")


def literal(x: Literal) -> str:
    """Python scalars stay Python numbers (weak: they take the dtype of the array they meet,
    in JAX as in NumPy); every other constant states its dtype, since JAX's defaults depend on
    its 64-bit mode. Only an int64 arange is left to the default, as indices read best."""
    if x.type.weak:
        return number(x.value)
    dtype = dtype_expr(x.type.dtype)
    if x.type.ndim == 0:
        return f"jnp.asarray({number(x.value.item())}, dtype={dtype})"
    pattern = describe_constant(x.value)
    shape = shape_expr(x.type.shape)
    if pattern.kind in ("zeros", "ones"):
        return f"jnp.{pattern.kind}({shape}, {dtype})"
    if pattern.kind == "full":
        return f"jnp.full({shape}, {number(pattern.argument)}, {dtype})"
    if pattern.kind == "arange":
        default = x.type.dtype == np.int64
        return f"jnp.arange({pattern.argument}{'' if default else f', dtype={dtype}'})"
    if pattern.kind in ("eye", "tri"):
        return f"jnp.{pattern.kind}({pattern.argument}, dtype={dtype})"
    if pattern.kind == "diagonal":
        return f"({number(pattern.argument)} * jnp.eye({x.type.shape[0]}, dtype={dtype}))"
    return f"jnp.asarray({common.nested(pattern.argument, 'jnp')}, dtype={dtype})"


# --- dtypes: compute where NumPy computes ---------------------------------------------------


@functools.lru_cache(maxsize=1024)
def resolved_loop(ufunc: np.ufunc, operands: tuple) -> tuple[np.dtype, ...]:
    return ufunc.resolve_dtypes((*operands, None))[:-1]


def loop_dtypes(node: Node) -> tuple[np.dtype, ...]:
    """The dtype NumPy converts each operand to before computing (its ufunc loop)."""
    ufunc = LOOP_UFUNCS[node.op]
    return resolved_loop(ufunc, tuple(ufunc_operand(x.type) for x in node.inputs))


def cast(x: Var | Literal, arg: Expr, dtype: np.dtype, alone: bool) -> Expr:
    """`arg` as a value of `dtype`. A Python scalar meeting an array takes the array's dtype
    in JAX as in NumPy, so it is converted only when no array is there to give one (`alone`)."""
    if x.type.dtype == dtype or (x.type.weak and not alone):
        return arg
    if x.type.weak:
        return call(f"jnp.asarray({arg}, dtype={dtype_expr(dtype)})")
    return method(arg, "astype", dtype_expr(dtype))


def converted(
    node: Node,
    args: list[Expr],
    dtypes: Sequence[np.dtype],
    inputs: Sequence[Var | Literal] | None = None,
) -> list[Expr]:
    """The operands, each in the dtype NumPy would compute it in."""
    inputs = node.inputs if inputs is None else inputs
    alone = all(x.type.weak for x in inputs)
    return [cast(x, arg, dtype, alone) for x, arg, dtype in zip(inputs, args, dtypes, strict=True)]


def all_converted(node: Node, args: list[Expr]) -> list[Expr]:
    """Every operand in the node's own dtype (concatenate, stack, einsum: NumPy's result_type
    of the operands' dtypes, Python scalars included)."""
    dtype = node.out.type.dtype
    return [cast(x, arg, dtype, True) for x, arg in zip(node.inputs, args, strict=True)]


# --- rules, by group ------------------------------------------------------------------------


def unary_rule(op: Primitive) -> EmitRule:
    name = FUNCTION_NAMES.get(UFUNCS[op].__name__, UFUNCS[op].__name__)

    def rule(node: Node, args: list[Expr]) -> Expr | str:
        if node.out.type.weak:  # a Python scalar stays one: -x, abs(x)
            return unary("-", args[0]) if op is elementwise.neg else f"abs({args[0]})"
        (x,) = converted(node, args, loop_dtypes(node))
        return unary("-", x) if op is elementwise.neg else f"jnp.{name}({x})"

    return rule


def binary_rule(op: Primitive) -> EmitRule:
    symbol = OPERATORS.get(op)
    name = LOOP_UFUNCS[op].__name__

    def rule(node: Node, args: list[Expr]) -> Expr | str:
        if not node.out.type.weak:  # Python scalars alone compute as Python does
            args = converted(node, args, loop_dtypes(node))
        if symbol is not None:
            return binary(symbol, args[0], args[1])
        return f"jnp.{name}({arguments(args)})"

    return rule


def round_rule(node: Node, args: list[Expr]) -> str:
    (x,) = converted(node, args, [node.out.type.dtype])
    decimals = node.params.get("decimals", 0)
    return f"jnp.round({x})" if decimals == 0 else f"jnp.round({x}, {decimals})"


def where_rule(node: Node, args: list[Expr]) -> str:
    dtype = node.out.type.dtype
    values = converted(node, args[1:], [dtype, dtype], node.inputs[1:])
    return f"jnp.where({arguments([args[0], *values])})"


def reduction_rule(node: Node, args: list[Expr]) -> Expr | str:
    keywords = axis_keywords(node, node.inputs[0].type.ndim)
    if node.out.type.dtype != node.inputs[0].type.dtype:  # sums of bools and small ints widen
        keywords += f", dtype={dtype_expr(node.out.type.dtype)}"
    name = reduction_name(node)
    if is_array_value(node.inputs[0]):
        return method(args[0], name, keywords.removeprefix(", "))
    return f"jnp.{name}({args[0]}{keywords})"


def einsum_rule(node: Node, args: list[Expr]) -> str:
    operands = arguments(all_converted(node, args))
    return f"jnp.einsum({node.params['subscripts']!r}, {operands})"


def joining_rule(function: str) -> EmitRule:
    """concatenate and stack: a list of operands and an axis."""

    def rule(node: Node, args: list[Expr]) -> str:
        axis = node.params["axis"]
        operands = arguments(all_converted(node, args))
        return f"jnp.{function}([{operands}]{f', axis={axis}' if axis else ''})"

    return rule


def convert_rule(node: Node, args: list[Expr]) -> Expr | str:
    x, dtype = node.inputs[0], node.params["dtype"]
    if x.type.weak:  # a Python number made an array (a loop's carry): one fixed dtype
        return f"jnp.asarray({args[0]}, dtype={dtype_expr(dtype)})"
    return cast(x, args[0], dtype, True)


def zeros_expr(node: Node) -> str:
    return f"jnp.zeros({shape_expr(node.params['shape'])}, {dtype_expr(node.out.type.dtype)})"


def index_scatter_rule(node: Node, args: list[Expr]) -> str:
    updates = common.scalar_if_uniform(node, args[0], "jnp")
    return f"{zeros_expr(node)}.at[{index_key(node) or '...'}].set({updates})"


def scatter_add_rule(node: Node, args: list[Expr]) -> str:
    """`.add`, not `.set`: repeated indices accumulate, as the gradient of a gather needs."""
    updates = common.scalar_if_uniform(node, args[0], "jnp")
    return f"{zeros_expr(node)}.at[{', '.join(gather_parts(node, args[1:]))}].add({updates})"


def set_rule(node: Node, args: list[Expr]) -> str:
    """A write as JAX writes it: a new array, `x.at[key].set(v)` (`.add(v)` for the
    accumulating ones, which add a repeated position once per time, as np.add.at does;
    `.max(v)`, `.min(v)`)."""
    if "index" in node.params:
        key = index_key(node) or "..."
    else:
        key = ", ".join(gather_parts(node, args[2:]))
    return f"{args[0].within(OPERAND)}.at[{key}].{indexing.WRITE_KINDS[node.op]}({args[1]})"


# --- control flow: jax.lax calls on nested defs ---------------------------------------------


def parameter(child: Emitter, bases: list[str], pack: str) -> tuple[str, list[str], list[str]]:
    """A def's parameter taking a group of values: the value itself for one, else a tuple
    (`carry`) unpacked on the body's first line (`h, c = carry`). Returns the parameter,
    the values' names and the unpacking lines."""
    names = [child.fresh(base) for base in bases]
    if len(names) == 1:
        return names[0], names, []
    param = child.fresh(pack)
    return param, names, [f"{', '.join(names)} = {param}"] if names else []


def definition(name: str, params: list[str], lines: list[str], result: str) -> list[str]:
    return [f"def {name}({', '.join(params)}):", *indent([*lines, f"return {result}"])]


def result_names(
    emitter: Emitter, node: Node, args: list[str], first: int, bases: list[str]
) -> list[str]:
    """The names of a loop's final carries (its initial values at operands `first`...)."""
    carry = len(bases)
    return loop_variables(
        emitter, node, node.inputs[first : first + carry], args[first : first + carry], bases
    )


def counted_xs(node: Node, xs_inputs: Sequence[Var], first: int) -> dict[int, int]:
    """The xs the body reads as Python ints (a fori_loop's index, scanned over an arange),
    by position, with the value of the first step. jax.lax.scan would hand each over as a
    strong int array, which promotes otherwise than the IR's weak int (`i / 3` would be a
    float64 array); counted in the carry from a Python int, it stays weak, as in
    jax.lax.fori_loop."""
    counted = {}
    for k, x in enumerate(xs_inputs):
        xs = node.inputs[first + k]
        if not (x.type.weak and isinstance(xs, Literal) and xs.type.ndim == 1):
            continue
        values = np.asarray(xs.value)
        if values.size and np.array_equal(values, np.arange(values[0], values[0] + values.size)):
            counted[k] = int(values[-1] if node.params["reverse"] else values[0])
    return counted


def scan_lines(emitter: Emitter, node: Node, args: list[str]) -> list[str]:
    """`h, hs = jax.lax.scan(step, h0, xs)`, the body a def of (carry, x) returning
    (carry, y); its loop-invariant values read from the enclosing function."""
    body: Graph = node.params["body"]
    consts, carry = node.params["num_consts"], node.params["num_carry"]
    xs_inputs = body.inputs[consts + carry :]
    counted = counted_xs(node, xs_inputs, consts + carry)
    bases = carry_bases(node, body, consts, carry)
    step = emitter.fresh(body.name)
    lines = scan_step(emitter, node, args, step, bases, counted)
    finals = result_names(emitter, node, args, consts, bases)
    stacks = [emitter.output_name(y, y.hint or "ys") for y in node.outputs[carry:]]
    final_carry = [*finals, *("_" for _ in counted)]
    targets = (
        f"{tuple_text(final_carry) if final_carry else '_'}, "
        f"{tuple_text(stacks) if stacks else '_'}"
    )
    starts, call_args = scan_call_arguments(node, args, step, finals, counted)
    call_text = f"{targets} = jax.lax.scan({', '.join(call_args)})"
    return lines + with_location(node, [*starts, call_text])


def scan_step(
    emitter: Emitter,
    node: Node,
    args: list[str],
    step: str,
    bases: list[str],
    counted: dict[int, int],
) -> list[str]:
    """The scan's body as `def step(carry, xs):`, returning `(carry, ys)`; the counted xs
    (see counted_xs) travel in the carry, one step on each pass."""
    body: Graph = node.params["body"]
    consts, carry = node.params["num_consts"], node.params["num_carry"]
    child = emitter.nested(body, closure=args[:consts])
    params, names, x_args, unpack = step_parameters(child, node, bases, counted)
    lines, results = child.inline(
        [*args[:consts], *names[:carry], *x_args],
        [*names[:carry], *(None for _ in node.outputs[carry:])],
    )
    ys = tuple_text(results[carry:]) if len(results) > carry else "None"
    sign = "-" if node.params["reverse"] else "+"
    counted_on = [f"{name} {sign} 1" for name in names[carry:]]
    return definition(
        step, params, [*unpack, *lines], f"{tuple_text([*results[:carry], *counted_on])}, {ys}"
    )


def step_parameters(
    child: Emitter, node: Node, bases: list[str], counted: dict[int, int]
) -> tuple[list[str], list[str], list[str], list[str]]:
    """The step def's two parameters (the carry, the xs), the carries' names (the counted
    xs' after them), each x's name as the body reads it, and the unpacking lines."""
    body: Graph = node.params["body"]
    xs_inputs = body.inputs[node.params["num_consts"] + node.params["num_carry"] :]
    carry_param, names, unpack = parameter(
        child, [*bases, *(xs_inputs[k].hint or "i" for k in counted)], "carry"
    )
    counters = dict(zip(counted, names[len(bases) :], strict=True))
    scanned = [k for k in range(len(xs_inputs)) if k not in counted]
    x_param, x_names, unpack_xs = (
        parameter(child, [xs_inputs[k].hint or "x" for k in scanned], "xs")
        if scanned
        else ("_", [], [])
    )
    x_args = dict(zip(scanned, x_names, strict=True)) | counters
    reads = [x_args[k] for k in range(len(xs_inputs))]
    return [carry_param, x_param], names, reads, [*unpack, *unpack_xs]


def scan_call_arguments(
    node: Node, args: list[str], step: str, finals: list[str], counted: dict[int, int]
) -> tuple[list[str], list[str]]:
    """The lines starting the carries, and the arguments of `jax.lax.scan`. A carry that
    starts from an expression (`jnp.zeros(...)`) starts under its own name, so the call
    stays short enough to read."""
    consts, carry = node.params["num_consts"], node.params["num_carry"]
    xs_count = len(node.inputs) - consts - carry
    xs = [args[consts + carry + k] for k in range(xs_count) if k not in counted]
    starts, inits = [], []
    for init, final in zip(args[consts : consts + carry], finals, strict=True):
        if not init.isidentifier() and final.isidentifier():
            starts.append(f"{final} = {init}")
            init = final
        inits.append(init)
    inits += [str(value) for value in counted.values()]
    call_args = [
        step,
        tuple_text(inits),
        tuple_text(xs) if xs else f"length={node.params['length']}",
    ]
    if node.params["reverse"]:
        call_args.append("reverse=True")
    return starts, call_args


def fori_loop_lines(emitter: Emitter, node: Node, args: list[str]) -> list[str]:
    """`c = jax.lax.fori_loop(0, n, body, c0)`. Traced bounds are brought to the IR's index
    dtype; with Python-int bounds JAX's index is a weak int, converted by the rules wherever
    the IR's type differs (`i.astype(jnp.float64)`), as every operand is."""
    body: Graph = node.params["body"]
    consts = node.params["num_consts"]
    index = body.inputs[0]
    bounds = [
        arg if x.type.weak else str(cast(x, from_literal(arg), index.type.dtype, True))
        for x, arg in zip(node.inputs[:2], args[:2], strict=True)
    ]
    bases = carry_bases(node, body, 1 + consts, len(node.outputs))
    name = emitter.fresh(body.name)
    child = emitter.nested(body, closure=args[2 : 2 + consts])
    i = child.fresh(index.hint or "i") if reads(body, index) else "_"
    carry_param, names, unpack = parameter(child, bases, "carry")
    lines, results = child.inline([i, *args[2 : 2 + consts], *names], names)
    lines = definition(name, [i, carry_param], [*unpack, *lines], tuple_text(results, True))
    finals = result_names(emitter, node, args, 2 + consts, bases)
    call = f"jax.lax.fori_loop({', '.join(bounds)}, {name}, {tuple_text(args[2 + consts :])})"
    return lines + with_location(node, [f"{tuple_text(finals, True) or '_'} = {call}"])


def while_loop_lines(emitter: Emitter, node: Node, args: list[str]) -> list[str]:
    """`c = jax.lax.while_loop(cond, body, c0)`, the condition and the body defs of the
    carry."""
    test: Graph = node.params["cond"]
    body: Graph = node.params["body"]
    cond_consts, body_consts = node.params["num_cond_consts"], node.params["num_body_consts"]
    first = cond_consts + body_consts
    bases = carry_bases(node, body, body_consts, len(node.outputs))
    lines, functions = [], []
    for graph, consts in ((test, args[:cond_consts]), (body, args[cond_consts:first])):
        functions.append(emitter.fresh(graph.name))
        child = emitter.nested(graph, closure=consts)
        param, names, unpack = parameter(child, bases, "carry")
        body_lines, results = child.inline(
            [*consts, *names], names if graph is body else (), where_used=graph is test
        )
        lines += definition(
            functions[-1], [param], [*unpack, *body_lines], tuple_text(results, True)
        )
    finals = result_names(emitter, node, args, first, bases)
    call = f"jax.lax.while_loop({', '.join(functions)}, {tuple_text(args[first:])})"
    return lines + with_location(node, [f"{tuple_text(finals, True) or '_'} = {call}"])


def cond_lines(emitter: Emitter, node: Node, args: list[str]) -> list[str]:
    """`y = jax.lax.cond(pred, true_branch, false_branch)`, each branch a def of no
    arguments that reads its operands from the enclosing function."""
    lines, functions = [], []
    for key in ("true", "false"):
        graph: Graph = node.params[key]
        functions.append(emitter.fresh(graph.name))
        branch_lines, results = emitter.nested(graph, closure=args[1:]).inline(args[1:])
        lines += definition(functions[-1], [], branch_lines, tuple_text(results, True))
    names = [emitter.output_name(v, v.hint or "cond") for v in node.outputs]
    call = f"jax.lax.cond({args[0]}, {', '.join(functions)})"
    return lines + with_location(node, [f"{tuple_text(names, True) or '_'} = {call}"])


GROUP_RULES = {
    Group.UNARY: unary_rule,
    Group.BINARY: binary_rule,
    Group.COMPARISON: binary_rule,
    Group.LOGICAL: binary_rule,
}


def one_triangle_call(op: Primitive) -> EmitRule:
    """np.linalg.cholesky, eigh and eigvalsh read one triangle of the matrix; jax.numpy's
    symmetrize it first unless told not to: told, so both backends give NumPy's values for
    any matrix (the derivatives are tracegrad's own rules, symmetric on both)."""
    rule = call_rule("jnp", calls.signatures[op])

    def emit(node: Node, args: list[Expr]) -> str:
        return rule(node, args)[:-1] + ", symmetrize_input=False)"

    return emit


# scipy.special's functions jax.scipy.special lacks, written with the ones it has.
SPELLED_OTHERWISE = {
    "erfcinv": lambda x: f"jax.scipy.special.erfinv(1 - {x.within(OPERAND)})",
    "rgamma": lambda x: f"1 / jax.scipy.special.gamma({x})",
}


def jax_scipy_rule(op: Primitive) -> EmitRule:
    """scipy.special's functions through jax.scipy.special."""
    rule = common.scipy_rule(op, "jax.scipy")
    otherwise = SPELLED_OTHERWISE.get(op.name)
    if otherwise is None:
        return rule
    return lambda node, args: Expr(otherwise(args[0]), Precedence.MULTIPLICATIVE)


def triangular_solve_rule(node: Node, args: list[Expr]) -> str:
    lower, trans = node.params["lower"], int(node.params["transpose_a"])
    keywords = f"{', trans=1' if trans else ''}{', lower=True' if lower else ''}"
    return f"jax.scipy.linalg.solve_triangular({args[0]}, {args[1]}{keywords})"


def extra_imports(graph: Graph) -> tuple[str, ...]:
    """jax.scipy's modules the graph calls (the triangular solve of a derivative rule is
    jax.scipy.linalg's)."""
    imports = common.scipy_imports(graph, "jax.scipy")
    if (
        common.used_ops(graph, {linalg.triangular_solve})
        and "import jax.scipy.linalg" not in imports
    ):
        imports = tuple(sorted((*imports, "import jax.scipy.linalg")))
    return imports


# What JAX writes otherwise than the shared array-API table (array_api.py): operands
# converted to the dtype NumPy computes in, scatters as `.at[]`, control flow as jax.lax.
SPECIAL_RULES = array_api_rules("jnp") | {
    elementwise.round_: round_rule,
    elementwise.where: where_rule,
    **dict.fromkeys(
        (reductions.sum_, reductions.prod, reductions.max_, reductions.min_), reduction_rule
    ),
    matmul: binary_rule(matmul),
    einsum: einsum_rule,
    shapes.concatenate: joining_rule("concatenate"),
    shapes.stack: joining_rule("stack"),
    shapes.convert: convert_rule,
    indexing.index_scatter: index_scatter_rule,
    indexing.scatter_add: scatter_add_rule,
    **dict.fromkeys(indexing.WRITE_KINDS, set_rule),
    markers.stop_gradient: lambda node, args: f"jax.lax.stop_gradient({args[0]})",
    **{op: one_triangle_call(op) for op in (linalg.cholesky, linalg.eigh, linalg.eigvalsh)},
    **{op: jax_scipy_rule(op) for op in special.SCIPY_MODULES},
    linalg.triangular_solve: triangular_solve_rule,
    control_primitives.cond: BlockRule(cond_lines, loops=False),
    control_primitives.scan: BlockRule(scan_lines, operand_names=initial_carry_names),
    control_primitives.fori_loop: BlockRule(fori_loop_lines, operand_names=initial_carry_names),
    control_primitives.while_loop: BlockRule(while_loop_lines, operand_names=initial_carry_names),
}


def uses_64_bit(graph: Graph) -> bool:
    """True when a value of the graph or of a Graph nested in it (a loop's body) is 64-bit
    (float64, int64...): JAX must run it with 64-bit mode on. A Python-scalar constant
    takes its partner's dtype, so it does not count."""
    values = [
        *graph.inputs,
        *(v for node in graph.nodes for v in node.outputs),
        *(
            x
            for node in graph.nodes
            for x in node.inputs
            if isinstance(x, Literal) and not x.type.weak
        ),
        *(x for x in graph.outputs if isinstance(x, Literal)),
    ]
    return any(x.type.dtype in WIDE_DTYPES for x in values) or any(
        uses_64_bit(value)
        for node in graph.nodes
        for value in node.params.values()
        if isinstance(value, Graph)
    )


def notes(graph: Graph) -> list[str]:
    if not uses_64_bit(graph):
        return []
    return ["64-bit: import and call it inside `with jax.enable_x64(True):`"]


JAX_BACKEND = Backend(
    "jax",
    ("import jax", "import jax.numpy as jnp"),
    build_rules(GROUP_RULES, SPECIAL_RULES),
    literal,
    mutable_arrays=False,
    notes=notes,
    inline_single_use=lambda var: var.hint is None,
    extra_imports=extra_imports,
)
jax_rules = JAX_BACKEND.rules


def emit_jax(graph: Graph, interface: Interface | None = None) -> str:
    """The Graph as a JAX module: one function with the user's signature, for `jax.jit`."""
    return Emitter(graph, interface, JAX_BACKEND).emit()
