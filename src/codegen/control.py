"""Codegen layer: what both backends' control-flow rules share: naming a loop's carries,
assembling blocks and tuples, and custom_vjp, which both write as the function's own code.

The rules themselves are BlockRules (see backend.py) in numpy.py (`for`/`while`/`if` blocks)
and jax.py (`jax.lax` calls on nested `def`s).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..ir import Graph, Literal, Node, Var
from .backend import BlockRule, with_location
from .emitter import Emitter

INDENT = "    "


def indent(lines: list[str]) -> list[str]:
    """The lines of a block, one level deeper; `pass` for an empty one."""
    return [INDENT + line for line in lines] or [INDENT + "pass"]


def tuple_text(items: Sequence[str], bare: bool = False) -> str:
    """`h` for one item, `(h, c)` for several (`h, c` where it stands alone), `()` for none."""
    if len(items) == 1:
        return items[0]
    if bare and items:
        return ", ".join(items)
    return f"({', '.join(items)})"


def assignment(names: Sequence[str], values: Sequence[str]) -> list[str]:
    """`a, b = x, y` for the names that do not hold their value yet: one statement, so
    every value is read before any name is written (`h, c = c, h` swaps)."""
    pairs = [(n, v) for n, v in zip(names, values, strict=True) if n != v]
    if not pairs:
        return []
    return [f"{', '.join(n for n, _ in pairs)} = {', '.join(v for _, v in pairs)}"]


def reads(graph: Graph, var: Var) -> bool:
    return var in graph.outputs or any(var in node.inputs for node in graph.nodes)


def carry_base(output: Var, carry_input: Var, new_value: Var | Literal, body: Graph) -> str:
    """What to call a loop's carry: what its body calls the new value (`h = np.tanh(...)`),
    else what the loop's result is called, else `carry`."""
    if isinstance(new_value, Var) and new_value.hint and new_value not in body.inputs:
        return new_value.hint
    return output.hint or carry_input.hint or "carry"


def carry_bases(node: Node, body: Graph, first_carry: int, carry: int) -> list[str]:
    """carry_base for each carry of a loop node whose body takes them from `first_carry`."""
    inputs = body.inputs[first_carry : first_carry + carry]
    return [
        carry_base(out, u, v, body)
        for out, u, v in zip(node.outputs[:carry], inputs, body.outputs[:carry], strict=True)
    ]


def loop_variable(
    emitter: Emitter, node: Node, output: Var, init: Var | Literal, init_arg: str, base: str
) -> str:
    """The name that holds a loop's carry, and so its final value: the name an enclosing
    block asked for, else the initial value's own name where it is called so too (or was
    named for this carry) and nothing reads it after the loop, else a fresh name."""
    if output in emitter.preset:
        name = emitter.preset[output]
    elif (
        isinstance(init, Var)
        and base in (init.hint, init_arg, emitter.hints.get(init))
        and init_arg.isidentifier()
        and emitter.is_last_read(init, node)
        and node.inputs.count(init) == 1
    ):
        name = init_arg
    else:
        name = emitter.fresh(base)
    return emitter.bind(output, name)


def loop_variables(
    emitter: Emitter,
    node: Node,
    inits: Sequence[Var | Literal],
    init_args: Sequence[str],
    bases: Sequence[str],
) -> list[str]:
    return [
        loop_variable(emitter, node, out, init, arg, base)
        for out, init, arg, base in zip(
            node.outputs[: len(inits)], inits, init_args, bases, strict=True
        )
    ]


def initial_carry_names(node: Node) -> list[str | None]:
    """For BlockRule.operand_names: a loop's initial carries are called as its carries."""
    params = node.params
    if node.op.name == "scan":
        consts, carry = params["num_consts"], params["num_carry"]
        xs = len(node.inputs) - consts - carry
        return [*[None] * consts, *carry_bases(node, params["body"], consts, carry), *[None] * xs]
    if node.op.name == "fori_loop":
        consts = params["num_consts"]
        bases = carry_bases(node, params["body"], 1 + consts, len(node.outputs))
        return [*[None] * (2 + consts), *bases]
    if node.op.name == "while_loop":
        consts = params["num_cond_consts"] + params["num_body_consts"]
        bases = carry_bases(node, params["body"], params["num_body_consts"], len(node.outputs))
        return [*[None] * consts, *bases]
    return [None for _ in node.inputs]


# --- custom_vjp: the function itself -----------------------------------------------------


def custom_vjp_lines(emitter: Emitter, node: Node, args: list[str]) -> list[str]:
    """The user's function inlined, marked with the rule that differentiates it (gradients
    were taken before emission, so the rule itself is not needed here)."""
    primal: Graph = node.params["primal"]
    names = [emitter.output_name(v, v.hint or primal.name) for v in node.outputs]
    lines, results = emitter.nested(primal).inline(args, names)
    comment = f"# {primal.name}: custom VJP {node.params['rule']}"
    return [comment, *lines, *with_location(node, assignment(names, results))]


custom_vjp_rule = BlockRule(custom_vjp_lines, loops=False)
