"""IR layer: structured control flow, primitives that hold nested Graphs as params.

Every nested Graph takes its operands explicitly: values the user's function closed over
were turned into inputs while tracing, so a body reads nothing but its inputs. Operands come
in one order everywhere, as in JAX: loop-invariant constants, then carries, then xs.

    cond       pred, *operands                        true=Graph false=Graph
    scan       *consts, *carry, *xs                   body(*consts, *carry, *x) -> (*carry, *y)
    fori_loop  lower, upper, *consts, *carry          body(i, *consts, *carry) -> (*carry)
    while_loop *cond_consts, *body_consts, *carry     cond(*cond_consts, *carry) -> bool[]
                                                      body(*body_consts, *carry) -> (*carry)

Carries, branch results and stacked ys are strong-typed (never a weak Python scalar), so a
value has one type whichever path computed it. Each rule checks that the nested Graphs
agree with the operands and with each other, and says which value disagrees.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...errors import TypeRuleError
from ..core import Graph
from ..primitive import Group, declare
from ..types import TensorType


def describe(types: Sequence[TensorType]) -> str:
    return "(" + ", ".join(map(str, types)) + ")"


def same(a: TensorType, b: TensorType) -> bool:
    """Equal shape and dtype; weakness only matters for what an operand promotes to."""
    return a.shape == b.shape and a.dtype == b.dtype


def check_types(
    what: str,
    expected: Sequence[TensorType],
    actual: Sequence[TensorType],
    names: Sequence[str] | None = None,
) -> None:
    if len(expected) != len(actual):
        raise TypeRuleError(
            f"{what}: expected {len(expected)} values {describe(expected)}, "
            f"got {len(actual)} {describe(actual)}"
        )
    for k, (e, a) in enumerate(zip(expected, actual, strict=True)):
        if not same(e, a):
            label = names[k] if names else f"value {k}"
            raise TypeRuleError(
                f"{what}: {label} is {a} but must be {e} (shape and dtype must stay the same)",
                hint=f"give it the shape and dtype {e}: reduce or reshape it, "
                "or cast it with .astype(...)",
            )


def check_graph(what: str, graph: object) -> Graph:
    if not isinstance(graph, Graph):
        raise TypeRuleError(f"{what}: expected a nested Graph, got {type(graph).__name__}")
    return graph


def check_strong(what: str, types: Sequence[TensorType]) -> None:
    for t in types:
        if t.weak:
            raise TypeRuleError(f"{what}: a weak {t} value must be made an array first")


def check_index(what: str, t: TensorType) -> None:
    if t.shape != () or t.dtype.kind not in "iu":
        raise TypeRuleError(f"{what} must be a 0-d integer, got {t}")


# --- cond -------------------------------------------------------------------------------


def cond_rule(types: tuple[TensorType, ...], true: Graph, false: Graph):
    pred, *operands = types
    if pred.shape != () or pred.dtype != np.bool_:
        raise TypeRuleError(f"cond: the predicate must be a 0-d bool, got {pred}")
    for label, branch in (("true branch", true), ("false branch", false)):
        check_graph(f"cond {label}", branch)
        check_types(f"cond {label} inputs", operands, branch.input_types)
    check_strong("cond true branch result", true.output_types)
    check_types(
        "cond: the branches return different types; the false branch result",
        true.output_types,
        false.output_types,
    )
    return tuple(true.output_types)


cond = declare("cond", Group.CONTROL, cond_rule, "the true or the false Graph, by pred")


# --- scan -------------------------------------------------------------------------------


def scan_rule(
    types: tuple[TensorType, ...],
    body: Graph,
    length: int,
    reverse: bool,
    num_consts: int,
    num_carry: int,
):
    check_graph("scan body", body)
    consts = types[:num_consts]
    carry = types[num_consts : num_consts + num_carry]
    xs = types[num_consts + num_carry :]
    for x in xs:
        if x.ndim == 0 or x.shape[0] != length:
            raise TypeRuleError(
                f"scan: every xs must have a leading axis of length {length}, got {x}"
            )
    slices = [TensorType(x.shape[1:], x.dtype) for x in xs]
    check_strong("scan carry", carry)
    check_types("scan body inputs", [*consts, *carry, *slices], body.input_types)
    outputs = body.output_types
    if len(outputs) < num_carry:
        raise TypeRuleError(
            f"scan: the body returns {len(outputs)} values, fewer than its {num_carry} carries"
        )
    check_types("scan: the body's new carry", carry, outputs[:num_carry])
    ys = outputs[num_carry:]
    check_strong("scan ys", ys)
    return (*carry, *(TensorType((length, *y.shape), y.dtype) for y in ys))


scan = declare(
    "scan", Group.CONTROL, scan_rule, "body applied along the leading axis of xs, threading a carry"
)


# --- fori_loop --------------------------------------------------------------------------


def fori_loop_rule(types: tuple[TensorType, ...], body: Graph, num_consts: int):
    check_graph("fori_loop body", body)
    lower, upper, *rest = types
    check_index("fori_loop: the lower bound", lower)
    check_index("fori_loop: the upper bound", upper)
    consts, carry = rest[:num_consts], rest[num_consts:]
    check_strong("fori_loop carry", carry)
    if not body.inputs:
        raise TypeRuleError("fori_loop: the body must take the loop index")
    check_index("fori_loop: the body's index", body.input_types[0])
    check_types("fori_loop body inputs", [*consts, *carry], body.input_types[1:])
    check_types("fori_loop: the body's new carry", carry, body.output_types)
    return tuple(carry)


fori_loop = declare(
    "fori_loop", Group.CONTROL, fori_loop_rule, "body(i, carry) for i from lower up to upper"
)


# --- while_loop -------------------------------------------------------------------------


def while_loop_rule(
    types: tuple[TensorType, ...],
    cond: Graph,
    body: Graph,
    num_cond_consts: int,
    num_body_consts: int,
):
    check_graph("while_loop cond", cond)
    check_graph("while_loop body", body)
    cond_consts = types[:num_cond_consts]
    body_consts = types[num_cond_consts : num_cond_consts + num_body_consts]
    carry = types[num_cond_consts + num_body_consts :]
    check_strong("while_loop carry", carry)
    check_types("while_loop cond inputs", [*cond_consts, *carry], cond.input_types)
    check_types("while_loop body inputs", [*body_consts, *carry], body.input_types)
    outputs = cond.output_types
    if len(outputs) != 1 or outputs[0].shape != () or outputs[0].dtype != np.bool_:
        raise TypeRuleError(
            f"while_loop: the condition must return one 0-d bool, got {describe(outputs)}"
        )
    check_types("while_loop: the body's new carry", carry, body.output_types)
    return tuple(carry)


while_loop = declare("while_loop", Group.CONTROL, while_loop_rule, "body(carry) while cond(carry)")


# --- custom_vjp -------------------------------------------------------------------------


def custom_vjp_rule(
    types: tuple[TensorType, ...], primal: Graph, fwd: Graph, bwd: Graph, rule: str
):
    check_graph("custom_vjp primal", primal)
    check_graph("custom_vjp fwd", fwd)
    check_graph("custom_vjp bwd", bwd)
    check_types(f"custom_vjp {rule}: the function's inputs", types, primal.input_types)
    check_types(f"custom_vjp {rule}: fwd's inputs", types, fwd.input_types)
    outputs = primal.output_types
    check_types(
        f"custom_vjp {rule}: fwd's outputs must start with the function's",
        outputs,
        fwd.output_types[: len(outputs)],
    )
    residuals = fwd.output_types[len(outputs) :]
    check_types(
        f"custom_vjp {rule}: bwd's inputs (residuals, then one cotangent per output)",
        [*residuals, *outputs],
        bwd.input_types,
    )
    check_types(
        f"custom_vjp {rule}: bwd must return one cotangent per input", types, bwd.output_types
    )
    return tuple(outputs)


custom_vjp = declare(
    "custom_vjp",
    Group.CONTROL,
    custom_vjp_rule,
    "the primal Graph, differentiated by the user's fwd and bwd Graphs",
)

CONTROL_FLOW = (cond, scan, fori_loop, while_loop)


def nested_graphs(params: dict) -> list[tuple[str, Graph]]:
    """The nested Graphs of a node's params, in params order."""
    return [(key, value) for key, value in params.items() if isinstance(value, Graph)]
