"""IR passes: dead code and constants at the boundary of branches and loops.

Dead-code elimination removes whole nodes; a control-flow node is kept as soon as one of its
results is read, so this pass trims it from inside:

- a result nobody reads is no longer returned by the branches or stacked by the scan (the
  body's dead-code pass then drops what only it needed): a gradient with respect to some
  arguments stops computing the others;
- an operand no nested Graph reads is no longer passed;
- a scan's xs that is a constant with every slice equal (the cotangent of a `sum`, ones)
  becomes a loop-invariant constant of one slice, which the body's passes then fold.

Each kept output keeps its Var, so no reader changes. Carries stay: the next step reads them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...errors import TracegradError
from ..core import Graph, Literal, Node, Operand, Var
from ..primitives import control
from ..types import TensorType


def used_vars(graph: Graph) -> set[Var]:
    used = {x for node in graph.nodes for x in node.inputs if isinstance(x, Var)}
    return used | {x for x in graph.outputs if isinstance(x, Var)}


def reads(graph: Graph) -> set[Var]:
    """The inputs of a nested Graph that it reads."""
    return used_vars(graph) & set(graph.inputs)


def select(
    graph: Graph, inputs: Sequence[int] | None = None, outputs: Sequence[int] | None = None
) -> Graph:
    chosen_inputs = graph.inputs if inputs is None else tuple(graph.inputs[i] for i in inputs)
    chosen_outputs = graph.outputs if outputs is None else tuple(graph.outputs[i] for i in outputs)
    return Graph(graph.name, chosen_inputs, graph.nodes, chosen_outputs)


def uniform_slice(x: object) -> Literal | None:
    """The first slice of a constant xs whose slices are all equal, else None."""
    if not isinstance(x, Literal) or x.type.ndim == 0 or x.type.shape[0] == 0:
        return None
    value = np.asarray(x.value)
    if not np.array_equal(value, np.broadcast_to(value[:1], value.shape)):
        return None
    return Literal.of(value[0][()] if value.ndim == 1 else value[0])


def uniform(x: object) -> bool:
    """A constant that is one number repeated: written into a body, the body's passes make
    it that number (`d_h + 1.0`), so no array is built per step."""
    if not isinstance(x, Literal):
        return False
    value = np.asarray(x.value)
    return value.size > 0 and bool(np.all(value == value.flat[0]))


def substitute(graph: Graph, values: dict[Var, Literal]) -> Graph:
    """`graph` reading the constants `values` in place of those inputs."""
    if not values:
        return graph
    nodes = tuple(
        Node(
            n.op,
            tuple(values.get(x, x) if isinstance(x, Var) else x for x in n.inputs),
            n.outputs,
            n.params,
            n.loc,
        )
        for n in graph.nodes
    )
    outputs = tuple(values.get(x, x) if isinstance(x, Var) else x for x in graph.outputs)
    return Graph(graph.name, graph.inputs, nodes, outputs)


def trim_scan(node: Node, used: set[Var]) -> Node:
    """The scan without the results nobody reads, then without the carries or inputs its
    body no longer needs."""
    k, n = node.params["num_consts"], node.params["num_carry"]
    keep_ys = [n + j for j in range(len(node.outputs) - n) if node.outputs[n + j] in used]
    body = select(node.params["body"], outputs=[*range(n), *keep_ys])
    dead = dead_carries(body, node, k, n, used)
    if dead:  # an unread carry no other result depends on: the loop stops carrying it
        return without_carries(node, body, dead, keep_ys)
    return without_unread_inputs(node, body, keep_ys)


def without_carries(node: Node, body: Graph, dead: set[int], keep_ys: list[int]) -> Node:
    """The scan (its body already trimmed to the kept ys) carrying only the live carries."""
    k, n = node.params["num_consts"], node.params["num_carry"]
    consts, carry, xs = node.inputs[:k], node.inputs[k : k + n], node.inputs[k + n :]
    live = [j for j in range(n) if j not in dead]
    outputs = (*(node.outputs[j] for j in live), *(node.outputs[j] for j in keep_ys))
    body = select(
        body,
        [*range(k), *(k + j for j in live), *range(k + n, len(node.params["body"].inputs))],
        [*live, *range(n, n + len(keep_ys))],
    )
    params = {**node.params, "body": body, "num_carry": len(live)}
    return Node(node.op, (*consts, *(carry[j] for j in live), *xs), outputs, params, node.loc)


def without_unread_inputs(node: Node, body: Graph, keep_ys: list[int]) -> Node:
    """The scan with uniform constants and xs written into its body, and without the
    constants and xs the body does not read (the node itself when nothing changes)."""
    k, n = node.params["num_consts"], node.params["num_carry"]
    xs = node.inputs[k + n :]
    # xs that are uniform constants become constants of one slice.
    moved = {j: uniform_slice(x) for j, x in enumerate(xs)}
    moved = {j: s for j, s in moved.items() if s is not None}
    body = uniforms_inlined(node, body, moved)
    read = reads(body)
    inputs = node.params["body"].inputs
    keep_consts = [j for j in range(k) if inputs[j] in read]
    keep_moved = [j for j in moved if inputs[k + n + j] in read]
    keep_xs = [j for j in range(len(xs)) if j not in moved and inputs[k + n + j] in read]
    if (
        len(keep_consts) == k
        and not moved
        and len(keep_xs) == len(xs)
        and len(keep_ys) == len(node.outputs) - n
        and body.nodes is node.params["body"].nodes
    ):
        return node
    return scan_reading(node, body, keep_consts, moved, keep_moved, keep_xs, keep_ys)


def scan_reading(
    node: Node,
    body: Graph,
    keep_consts: list[int],
    moved: dict[int, Literal],
    keep_moved: list[int],
    keep_xs: list[int],
    keep_ys: list[int],
) -> Node:
    """The scan whose constants are the kept ones, then the one-slice constants of the kept
    moved xs (`keep_moved`, positions among the xs, their slices in `moved`), whose xs are
    the kept ones and whose ys are the outputs at `keep_ys`."""
    k, n = node.params["num_consts"], node.params["num_carry"]
    consts, carry, xs = node.inputs[:k], node.inputs[k : k + n], node.inputs[k + n :]
    body_inputs = [
        *keep_consts,
        *(k + n + j for j in keep_moved),
        *range(k, k + n),
        *(k + n + j for j in keep_xs),
    ]
    params = dict(node.params)
    params["body"] = select(body, body_inputs)
    params["num_consts"] = len(keep_consts) + len(keep_moved)
    node_inputs = (
        *(consts[j] for j in keep_consts),
        *(moved[j] for j in keep_moved),
        *carry,
        *(xs[j] for j in keep_xs),
    )
    outputs = (*node.outputs[:n], *(node.outputs[j] for j in keep_ys))
    return Node(node.op, node_inputs, outputs, params, node.loc)


def uniforms_inlined(node: Node, body: Graph, moved: dict[int, Literal]) -> Graph:
    """The body with the scan's constants (and moved xs) that are one repeated number
    written into it."""
    k, n = node.params["num_consts"], node.params["num_carry"]
    consts, inputs = node.inputs[:k], node.params["body"].inputs
    return substitute(
        body,
        {
            **{inputs[j]: consts[j] for j in range(k) if uniform(consts[j])},
            **{inputs[k + n + j]: value for j, value in moved.items() if uniform(value)},
        },
    )


def dead_carries(body: Graph, node: Node, k: int, n: int, used: set[Var]) -> set[int]:
    """The carries whose final value nobody reads and that no other result of the body
    (another carry, a kept y) depends on."""
    depends: dict[Var, frozenset[Var]] = {v: frozenset({v}) for v in body.inputs}
    for inner in body.nodes:
        sources = frozenset().union(
            *(depends.get(x, frozenset()) for x in inner.inputs if isinstance(x, Var))
        )
        for v in inner.outputs:
            depends[v] = sources
    reach = [
        depends.get(x, frozenset()) if isinstance(x, Var) else frozenset() for x in body.outputs
    ]
    return {
        j
        for j in range(n)
        if node.outputs[j] not in used
        and not any(body.inputs[k + j] in reach[p] for p in range(len(reach)) if p != j)
    }


def constants_written_in(graph: Graph, operands: Sequence[object], first: int) -> Graph:
    """`graph` reading its uniform constant operands (input `first + i` is `operands[i]`)
    as constants, which its own passes then fold (`np.ones(3) * 2.0` becomes `2.0`)."""
    return substitute(
        graph, {graph.inputs[first + i]: x for i, x in enumerate(operands) if uniform(x)}
    )


def trim_cond(node: Node, used: set[Var]) -> Node:
    operands = node.inputs[1:]
    true, false = (constants_written_in(node.params[key], operands, 0) for key in ("true", "false"))
    keep_out = [j for j, v in enumerate(node.outputs) if v in used]
    read = reads(true) | reads(false)
    keep_in = [
        j for j in range(len(true.inputs)) if true.inputs[j] in read or false.inputs[j] in read
    ]
    if len(keep_out) == len(node.outputs) and len(keep_in) == len(true.inputs):
        return node
    params = dict(node.params)
    params["true"] = select(true, keep_in, keep_out)
    params["false"] = select(false, keep_in, keep_out)
    return Node(
        node.op,
        (node.inputs[0], *(operands[j] for j in keep_in)),
        tuple(node.outputs[j] for j in keep_out),
        params,
        node.loc,
    )


def trim_fori_loop(node: Node) -> Node:
    k = node.params["num_consts"]
    body = constants_written_in(node.params["body"], node.inputs[2 : 2 + k], 1)
    read = reads(body)
    keep = [j for j in range(k) if body.inputs[1 + j] in read]
    if len(keep) == k:
        return node
    params = dict(node.params)
    n = len(body.inputs) - 1 - k
    params["body"] = select(body, [0, *(1 + j for j in keep), *range(1 + k, 1 + k + n)])
    params["num_consts"] = len(keep)
    inputs = node.inputs
    return Node(
        node.op,
        (*inputs[:2], *(inputs[2 + j] for j in keep), *inputs[2 + k :]),
        node.outputs,
        params,
        node.loc,
    )


def trim_while_loop(node: Node) -> Node:
    kc, kb = node.params["num_cond_consts"], node.params["num_body_consts"]
    cond = constants_written_in(node.params["cond"], node.inputs[:kc], 0)
    body = constants_written_in(node.params["body"], node.inputs[kc : kc + kb], 0)
    keep_c = [j for j in range(kc) if cond.inputs[j] in reads(cond)]
    keep_b = [j for j in range(kb) if body.inputs[j] in reads(body)]
    if len(keep_c) == kc and len(keep_b) == kb:
        return node
    n = len(node.inputs) - kc - kb
    params = dict(node.params)
    params["cond"] = select(cond, [*keep_c, *range(kc, kc + n)])
    params["body"] = select(body, [*keep_b, *range(kb, kb + n)])
    params["num_cond_consts"], params["num_body_consts"] = len(keep_c), len(keep_b)
    inputs = node.inputs
    return Node(
        node.op,
        (*(inputs[j] for j in keep_c), *(inputs[kc + j] for j in keep_b), *inputs[kc + kb :]),
        node.outputs,
        params,
        node.loc,
    )


def trim_control_flow(graph: Graph) -> Graph:
    if not any(node.op.group is control.Group.CONTROL for node in graph.nodes):
        return graph
    used = used_vars(graph)
    nodes, changed = [], False
    for node in graph.nodes:
        if node.op is control.scan:
            new = trim_scan(node, used)
        elif node.op is control.cond:
            new = trim_cond(node, used)
        elif node.op is control.fori_loop:
            new = trim_fori_loop(node)
        elif node.op is control.while_loop:
            new = trim_while_loop(node)
        else:
            new = node
        changed |= new is not node
        nodes.append(new)
    return Graph(graph.name, graph.inputs, tuple(nodes), graph.outputs) if changed else graph


# --- fusing elementwise work into scans ---------------------------------------------------

FUSED_GROUPS = ("unary elementwise", "binary elementwise")


def sink_into_scans(graph: Graph) -> Graph:
    """An elementwise operation whose result only a scan reads, as an xs, is computed in
    the scan's body on each step's slice instead (`d_h + hs[t] * 2` rather than building
    `d_hs = hs * 2` whole first): as one writes the loop by hand, no array of every step is
    allocated for it. One operation per scan per run; the pipeline repeats to a fixed point.
    """
    if not any(node.op is control.scan for node in graph.nodes):
        return graph
    uses: dict[Var, int] = {}
    for node in graph.nodes:
        for x in node.inputs:
            if isinstance(x, Var):
                uses[x] = uses.get(x, 0) + 1
    for x in graph.outputs:
        if isinstance(x, Var):
            uses[x] = uses.get(x, 0) + 2  # a result is never sunk
    producer = {node.out: node for node in graph.nodes if len(node.outputs) == 1}
    nodes, changed = [], False
    for node in graph.nodes:
        if node.op is control.scan and node.params["length"] > 0:
            sunk = sink_one(node, producer, uses)
            if sunk is not None:
                node, changed = sunk, True
        nodes.append(node)
    return Graph(graph.name, graph.inputs, tuple(nodes), graph.outputs) if changed else graph


def sink_one(node: Node, producer: dict[Var, Node], uses: dict[Var, int]) -> Node | None:
    body: Graph = node.params["body"]
    k, n = node.params["num_consts"], node.params["num_carry"]
    xs = node.inputs[k + n :]
    for j, stacked in enumerate(xs):
        made = producer.get(stacked) if isinstance(stacked, Var) else None
        if made is None or made.op.group.value not in FUSED_GROUPS or uses[stacked] != 1:
            continue
        sunk = sunk_node(node, body, k, n, j, made)
        if sunk is not None:
            return sunk
    return None


def sunk_node(node: Node, body: Graph, k: int, n: int, j: int, made: Node) -> Node | None:
    """`node` with its xs j computed in the body by `made`, whose operands become xs (those
    of the stack's shape) and consts (those that broadcast against one slice)."""
    stacked = node.inputs[k + n + j]
    consts, carry, xs = list(node.inputs[:k]), node.inputs[k : k + n], list(node.inputs[k + n :])
    const_vars, x_vars = list(body.inputs[:k]), list(body.inputs[k + n :])
    old = x_vars[j]
    del xs[j], x_vars[j]
    operands = step_operands(made, stacked, (consts, const_vars), (xs, x_vars))
    if operands is None:
        return None
    try:
        (out_type,) = made.op.infer(tuple(x.type for x in operands), dict(made.params))
    except TracegradError:
        return None
    if out_type != old.type:
        return None
    step = Node(made.op, tuple(operands), (old,), made.params, made.loc)
    new_body = Graph(
        body.name,
        (*const_vars, *body.inputs[k : k + n], *x_vars),
        (step, *body.nodes),
        body.outputs,
    )
    params = {**node.params, "body": new_body, "num_consts": len(consts)}
    return Node(node.op, (*consts, *carry, *xs), node.outputs, params, node.loc)


def step_operands(
    made: Node,
    stacked: Operand,
    consts: tuple[list[Operand], list[Var]],
    xs: tuple[list[Operand], list[Var]],
) -> list[Operand] | None:
    """`made`'s operands as the body reads them: a stack of `stacked`'s shape slice by slice
    (an xs), a value that broadcasts against one slice whole (a const; a literal as it is).
    Each group is (the node's operands, the body's inputs), extended in place. None when an
    operand is neither."""
    operands: list[Operand] = []
    for x in made.inputs:
        if x.type.shape == stacked.type.shape:  # a stack: read slice by slice
            slice_type = TensorType(x.type.shape[1:], x.type.dtype)
            operands.append(body_input(x, *xs, slice_type, None))
        elif x.type.ndim < stacked.type.ndim:  # broadcasts against one slice alike
            literal = isinstance(x, Literal)
            operands.append(x if literal else body_input(x, *consts, x.type, x.hint))
        else:
            return None
    return operands


def body_input(
    x: Operand, outer: list[Operand], inner: list[Var], type_: TensorType, hint: str | None
) -> Var:
    """The body's input that reads the scan's operand `x`: a new one (added to both lists,
    of `type_`) the first time."""
    if x in outer:
        return inner[outer.index(x)]
    outer.append(x)
    inner.append(Var(type_, hint))
    return inner[-1]
