"""Tracer layer: `custom_vjp`, a function whose reverse-mode derivative the user writes.

    @tracegrad.custom_vjp
    def logsumexp(x): ...
    def logsumexp_fwd(x): return logsumexp(x), (x, out)    # value, residuals
    def logsumexp_bwd(residuals, g): return (g * ...,)     # one cotangent per argument
    logsumexp.defvjp(logsumexp_fwd, logsumexp_bwd)

Traced, a call records one `custom_vjp` node holding three nested Graphs: the function,
fwd and bwd. Emitted, the node is the function's own code; differentiated, fwd and bwd are
inlined in its place, each line marked with the rule's name. Called on concrete values, the
function simply runs. Forward mode differentiates the function itself (a VJP rule says
nothing about JVPs).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import TraceError
from ..ir.primitives import control
from .context import Trace, running_trace
from .control import (
    Nested,
    check_arity,
    describe,
    hints_of,
    operand_leaves,
    split,
    trace_body,
    types_of,
)
from .pytree import TreeDef, flatten, unflatten
from .source import caller_location
from .trace import function_name


class custom_vjp:  # lower case, as jax.custom_vjp, which users know
    """Decorate a function, then give its VJP with `.defvjp(fwd, bwd)`: `fwd(*args)` returns
    `(output, residuals)`, `bwd(residuals, output_cotangent)` returns a tuple with one
    cotangent per argument (None for none)."""

    def __init__(self, fn: Callable):
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.fwd: Callable | None = None
        self.bwd: Callable | None = None
        self.inside = False  # tracing fwd or bwd, which may call the function itself

    def defvjp(self, fwd: Callable, bwd: Callable) -> custom_vjp:
        self.fwd, self.bwd = fwd, bwd
        return self

    def __call__(self, *args: Any) -> Any:
        trace = running_trace()
        if trace is None or self.inside:  # plainly, or called from its own fwd or bwd
            return self.fn(*args)
        self.inside = True
        try:
            return self.record(trace, args)
        finally:
            self.inside = False

    def record(self, trace: Trace, args: tuple) -> Any:
        name = function_name(self.fn)
        if self.fwd is None or self.bwd is None:
            raise TraceError(
                f"custom_vjp {name} has no rule yet",
                loc=caller_location(),
                hint=f"call {name}.defvjp(fwd, bwd) before calling {name}",
            )
        leaves, tree = operand_leaves(trace, tuple(args))
        groups, trees = split(leaves, tree)
        types = [types_of(group) for group in groups]
        hints = [hints_of(group, "x") for group in groups]
        primal = closed(trace_body(trace, self.fn, types, trees, hints, "function"), name)
        fwd = closed(trace_body(trace, self.fwd, types, trees, hints, "fwd"), name)
        check_fwd_output(name, fwd.out_tree, primal.out_tree)
        checked = self.cotangents(name, trees, types)
        bwd = trace_bwd(trace, name, self.bwd, checked, primal, fwd)
        rule = function_name(self.bwd)
        outputs = trace.bind_many(
            control.custom_vjp,
            leaves,
            hints=[v.hint for v in primal.graph.outputs],
            primal=primal.graph,
            fwd=fwd.graph,
            bwd=bwd.graph,
            rule=rule if rule.isidentifier() else f"{name}_bwd",
        )
        return unflatten(primal.out_tree, outputs)

    def cotangents(self, name: str, trees: list[TreeDef], types: list[list]) -> Callable:
        """bwd, checked: one cotangent per argument in the argument's structure, None made
        zeros of the argument's types."""
        bwd = self.bwd

        def run(residuals: Any, g: Any) -> tuple:
            check_arity(bwd, (residuals, g), f"custom_vjp {name}: bwd", "(residuals, g)")
            result = bwd(residuals, g)
            check_cotangent_count(result, name, len(trees))
            return tuple(
                argument_cotangent(value, tree, leaf_types, name, k)
                for k, (value, tree, leaf_types) in enumerate(
                    zip(result, trees, types, strict=True)
                )
            )

        return run


def check_cotangent_count(result: Any, name: str, count: int) -> None:
    """bwd returned a tuple (or list) of one cotangent per argument."""
    if isinstance(result, tuple | list) and len(result) == count:
        return
    got = (
        f"a {type(result).__name__} of {len(result)}"
        if isinstance(result, tuple | list)
        else f"a {type(result).__name__}"
    )
    raise TraceError(
        f"custom_vjp {name}: bwd must return a tuple of {count} cotangents "
        f"(one per argument of {name}), got {got}",
        loc=caller_location(),
        hint="return one cotangent per argument, e.g. `(d_x,)` for a function of "
        "one argument (None for an argument without one)",
    )


def argument_cotangent(value: Any, tree: TreeDef, leaf_types: list, name: str, k: int) -> Any:
    """bwd's cotangent `k`, checked against its argument's structure `tree`; None is zeros
    of the argument's leaf types."""
    if value is None:
        value = unflatten(tree, [np.zeros(t.shape, t.dtype) for t in leaf_types])
    if flatten(value)[1] != tree:
        raise TraceError(
            f"custom_vjp {name}: bwd's cotangent {k} has the "
            f"structure {describe(flatten(value)[1])}, the argument's "
            f"is {describe(tree)}",
            loc=caller_location(),
            hint="return each cotangent shaped like its argument",
        )
    return value


def trace_bwd(
    trace: Trace, name: str, rule: Callable, checked: Callable, primal: Nested, fwd: Nested
) -> Nested:
    """bwd (`checked`: the user's `rule`, checked) traced on fwd's residuals and the
    function's output cotangents, its Graph named after the user's rule."""
    out_tree = primal.out_tree
    residual_types = list(fwd.graph.output_types[out_tree.num_leaves :])
    bwd = closed(
        trace_body(
            trace,
            checked,
            [residual_types, primal.graph.output_types],
            [fwd.out_tree.children[1], out_tree],
            [
                [f"r{k}" for k in range(len(residual_types))],
                [f"d_{v.hint or 'out'}" for v in primal.graph.outputs],
            ],
            "bwd",
        ),
        name,
    )
    rule_name = function_name(rule)
    graph = dataclasses.replace(bwd.graph, name=rule_name if rule_name.isidentifier() else "bwd")
    return dataclasses.replace(bwd, graph=graph)


def check_fwd_output(name: str, fwd_tree: TreeDef, out_tree: TreeDef) -> None:
    """fwd must return a pair (output, residuals) whose output is shaped like the
    function's."""
    if fwd_tree.kind not in ("tuple", "list") or len(fwd_tree.children) != 2:
        raise TraceError(
            f"custom_vjp {name}: fwd must return (output, residuals), got {describe(fwd_tree)}",
            loc=caller_location(),
            hint="return the function's value and what bwd needs, as a pair",
        )
    if fwd_tree.children[0] != out_tree:
        raise TraceError(
            f"custom_vjp {name}: fwd's output has the structure "
            f"{describe(fwd_tree.children[0])}, the function's is "
            f"{describe(out_tree)}",
            loc=caller_location(),
            hint="fwd must return the same value as the function",
        )


def closed(nested: Nested, name: str) -> Nested:
    """A custom_vjp's function, fwd and bwd may not read traced values they do not receive:
    bwd would owe them cotangents it cannot give."""
    if nested.captured:
        raise TraceError(
            f"custom_vjp {name}: {nested.graph.name} reads a traced value it was not passed "
            "(through a closure or a global)",
            loc=caller_location(),
            hint=f"pass every array {name} depends on as an argument",
        )
    return nested
