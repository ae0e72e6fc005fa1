"""IR analysis: the memory plan the NumPy backend follows (JAX arrays are immutable and XLA
plans its own memory).

For each node it says which large values die there (their names are deleted, so the memory
goes back at once rather than when the function returns), and, for an elementwise node,
which dead input's buffer it may write its result into (`out=`), as NumPy itself does for
temporaries of an expression. A buffer is only ever reused when:

- it was allocated inside the function (never an argument's, nor a module constant's, nor
  a view of one);
- it can be written: not a broadcast_to view (read-only, its elements share memory), nor a
  view of one;
- nothing reads it later: not the value itself, not a view of it (reshape, transpose,
  index, broadcast_to and einsum may return views), and it is not returned;
- no result of control flow may still be it: a loop's carry or a branch's result may be
  one of the node's operands (a loop that ran no pass, a body returning what it was given),
  so such a result counts as a view of every operand it may be (see `control_sources`);
- it has exactly the result's shape and dtype.

Only arrays of at least LARGE_BYTES take part: below that NumPy's allocator is faster than
the keyword argument, and the code stays as one would write it for small arrays. The
threshold is NumPy's own for eliding temporaries.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field

from ..core import Graph, Literal, Node, Operand, Var
from ..primitive import Group, Trait
from ..primitives import control, elementwise, shapes
from ..primitives.elementwise import UFUNCS

LARGE_BYTES = 256 * 1024

WRITES_OUT = (Group.UNARY, Group.BINARY)


def may_view(node: Node) -> bool:
    """Whether the node's NumPy result may share memory with its first operand."""
    return node.op.has(Trait.VIEW) or node.op.has(Trait.MAY_VIEW)


# Stands, among the inputs a value may share memory with, for a constant of the graph.
CONSTANT = -1


@dataclass
class MemoryPlan:
    frees: dict[Node, list[Var]] = field(default_factory=dict)  # deleted after the node
    reuse: dict[Node, Var] = field(default_factory=dict)  # the node writes into this input
    # Sums added into their running total (`d_W += ...`), whatever their size.
    accumulated: set[Node] = field(default_factory=set)


def nbytes(var: Var) -> int:
    return var.type.size * var.type.dtype.itemsize


def is_large(var: Var) -> bool:
    return not var.type.weak and var.type.ndim > 0 and nbytes(var) >= LARGE_BYTES


# --- which values may share memory ------------------------------------------------------


def memory_sources(graph: Graph) -> dict[Var, set[int]]:
    """For each value, the positions of the graph's inputs whose memory it may share (it is
    one of them, or a view of one, in the NumPy code), CONSTANT for a constant's."""
    sources: dict[Var, set[int]] = {v: {k} for k, v in enumerate(graph.inputs)}
    for node in graph.nodes:
        for var, (operands, constant) in zip(node.outputs, aliased_operands(node), strict=True):
            found = {CONSTANT} if constant else set()
            for x in operands:
                found |= source(x, sources)
            sources[var] = found
    return sources


def source(x: Operand, sources: dict[Var, set[int]]) -> set[int]:
    """What an operand may share memory with. A 0-d constant is a NumPy scalar, immutable,
    so it shares nothing anyone could write."""
    if isinstance(x, Var):
        return sources.get(x, set())
    return {CONSTANT} if x.type.ndim > 0 else set()


def output_sources(graph: Graph) -> list[set[int]]:
    sources = memory_sources(graph)
    return [source(x, sources) for x in graph.outputs]


# What a value's memory may be part of: a graph input (its position), a literal (the object),
# or the value a node allocated (the Var).
Buffer = int | Literal | Var


def value_buffers(graph: Graph) -> dict[Var, frozenset[Buffer]]:
    """For each value, the buffers its NumPy array may share memory with: its own (a node
    that allocates), its operand's (a view: reshape, transpose, index, ...) or, for a result
    of control flow, any of the operands it may be."""
    buffers: dict[Var, frozenset[Buffer]] = {v: frozenset({k}) for k, v in enumerate(graph.inputs)}
    for node in graph.nodes:
        for var, (operands, _) in zip(node.outputs, aliased_operands(node), strict=True):
            found: set[Buffer] = set() if node.op.has(Trait.VIEW) else {var}
            for x in operands:
                found |= buffers.get(x, frozenset()) if isinstance(x, Var) else {x}
            buffers[var] = frozenset(found)
    return buffers


def may_be_shared(graph: Graph) -> set[Var]:
    """Results of control flow that may be an argument of the graph or a constant (a loop
    that ran no pass, a branch that returned its operand)."""
    sources = memory_sources(graph)
    return {
        var
        for node in graph.nodes
        if node.op.group is Group.CONTROL
        for var in node.outputs
        if sources[var]
    }


def aliased_operands(node: Node) -> Iterator[tuple[list[Operand], bool]]:
    """For each output of the node, the operands whose memory it may share, and whether it
    may be a constant of a nested Graph."""
    if may_view(node):
        yield from (([node.inputs[0]], False) for _ in node.outputs)
    elif node.op.group is Group.CONTROL:
        for positions in control_sources(node):
            yield [node.inputs[p] for p in sorted(positions - {CONSTANT})], CONSTANT in positions
    else:
        yield from (([], False) for _ in node.outputs)


def control_sources(node: Node) -> list[set[int]]:
    """For each output of a control-flow node, the positions of the operands it may be."""
    params, op = node.params, node.op
    if op is control.cond:  # a branch's input k is the node's operand k + 1 (after pred)
        both = zip(output_sources(params["true"]), output_sources(params["false"]), strict=True)
        return [{p if p == CONSTANT else p + 1 for p in a | b} for a, b in both]
    if op is control.custom_vjp:
        return output_sources(params["primal"])
    if op is control.scan:
        return scan_sources(node)
    if op is control.fori_loop:
        return fori_loop_sources(node)
    if op is control.while_loop:  # body input k is operand k + num_cond_consts
        return loop_sources(
            params["body"],
            params["num_body_consts"],
            len(node.outputs),
            params["num_cond_consts"],
            may_skip=True,
        )
    return [set(range(len(node.inputs))) | {CONSTANT} for _ in node.outputs]  # unknown


def scan_sources(node: Node) -> list[set[int]]:
    """A scan's carries may be their initial values (all of them, for a scan of length 0)
    or what the body returns; its stacked ys are new arrays."""
    params = node.params
    consts, carry = params["num_consts"], params["num_carry"]
    ys = [set() for _ in node.outputs[carry:]]
    if params["length"] == 0:
        return [{consts + k} for k in range(carry)] + ys
    return loop_sources(params["body"], consts, carry, 0, may_skip=False) + ys


def fori_loop_sources(node: Node) -> list[set[int]]:
    """Body input 0 is the index; input k > 0 is operand k + 1 (after the bounds). Bounds
    known to run the loop at least once: the carry is its initial value only through the body."""
    lower, upper = node.inputs[:2]
    runs = isinstance(lower, Literal) and isinstance(upper, Literal) and upper.value > lower.value
    return loop_sources(
        node.params["body"],
        1 + node.params["num_consts"],
        len(node.outputs),
        1,
        may_skip=not runs,
        skip=frozenset({0}),
    )


def loop_sources(
    body: Graph,
    first_carry: int,
    carry: int,
    offset: int,
    may_skip: bool,
    skip: frozenset[int] = frozenset(),
) -> list[set[int]]:
    """A loop's carries: each may be what the body returns, which may be the carry the
    pass before returned, and so on back to the initial values; and, where the loop may run
    no pass, its initial value. Body input k is the node's operand k + offset."""
    carries = range(first_carry, first_carry + carry)
    result = [s - skip for s in output_sources(body)[:carry]]
    if may_skip:
        for k in range(carry):
            result[k].add(first_carry + k)
    changed = True
    while changed:
        changed = False
        for k in range(carry):
            for j in [p - first_carry for p in result[k] if p in carries]:
                if not result[j] <= result[k]:
                    result[k] |= result[j]
                    changed = True
    return [{p if p == CONSTANT else p + offset for p in s} for s in result]


def shared_stacks(node: Node, returned: Collection[Var] = ()) -> list[tuple[int, int, int]]:
    """A scan that stacks both a carry's new values and the values each step began with
    (what reverse mode keeps) fills one buffer of length + 1 states, as backpropagation
    through time written by hand does: (carry, output of the new values, output of the
    values each step began with), the two stacks being views of that buffer. Never for two
    stacks the function returns: the caller's two arrays would share memory."""
    if node.op is not control.scan or node.params["length"] == 0:
        return []
    body: Graph = node.params["body"]
    consts, carry = node.params["num_consts"], node.params["num_carry"]
    ys = body.outputs[carry:]
    pairs = []
    for j in range(carry):
        new, began = body.outputs[j], body.inputs[consts + j]
        made = next((a for a, y in enumerate(ys) if y is new), None)
        kept = next((b for b, y in enumerate(ys) if y is began), None)
        if made is None or kept is None or new is began:
            continue
        if node.outputs[carry + made] in returned and node.outputs[carry + kept] in returned:
            continue
        pairs.append((j, carry + made, carry + kept))
    return pairs


# --- the plan -----------------------------------------------------------------------------


def last_uses(graph: Graph) -> dict[Var, int]:
    """The index of the last node that reads each value (len(graph.nodes) for an output)."""
    last_use: dict[Var, int] = {}
    for i, node in enumerate(graph.nodes):
        for x in node.inputs:
            if isinstance(x, Var):
                last_use[x] = i
    for x in graph.outputs:
        if isinstance(x, Var):
            last_use[x] = len(graph.nodes)
    return last_use


class Buffers:
    """Buffers, named by the value that allocated them: a view joins its base's buffer (a
    result of control flow, the buffers of all it may be), which lives until the last
    reader of any of its values (arguments' buffers: always)."""

    def __init__(self, graph: Graph) -> None:
        n = len(graph.nodes)
        self.root: dict[Var, Var] = {v: v for v in graph.inputs}
        self.members: dict[Var, list[Var]] = {v: [v] for v in graph.inputs}
        self.end: dict[Var, int] = {v: n for v in graph.inputs}
        self.joined: dict[Var, Var] = {}  # a buffer -> the buffer it became part of

    def find(self, var: Var) -> Var:
        """The buffer `var` lives in."""
        buffer = self.root[var]
        while buffer in self.joined:
            buffer = self.joined[buffer]
        return buffer

    def join(self, into: Var, other: Var) -> None:
        """Merge buffer `other` into buffer `into`."""
        if into is not other:
            self.joined[other] = into
            self.members[into].extend(self.members.pop(other))
            self.end[into] = max(self.end[into], self.end.pop(other))

    def add(self, var: Var, operands: list[Operand], i: int, last_use: int) -> None:
        """Place `var`, made by node i, in the buffer of the operands it may view (its
        own when none), and extend that buffer's life to `last_use`."""
        bases = list(dict.fromkeys(self.find(x) for x in operands if isinstance(x, Var)))
        self.root[var] = bases[0] if bases else var
        if not bases:
            self.members[var], self.end[var] = [], i
        for base in bases[1:]:
            self.join(bases[0], base)
        buffer = self.find(var)
        self.members[buffer].append(var)
        self.end[buffer] = max(self.end[buffer], last_use)


def assign_buffers(graph: Graph) -> tuple[Buffers, set[Var]]:
    """Every value's buffer, and the values never written into: views of a module constant,
    broadcasts, and views of them."""
    last_use = last_uses(graph)
    returned = {x for x in graph.outputs if isinstance(x, Var)}
    buffers = Buffers(graph)
    fixed: set[Var] = set()
    for i, node in enumerate(graph.nodes):
        for var, (operands, constant) in zip(node.outputs, aliased_operands(node), strict=True):
            buffers.add(var, operands, i, last_use.get(var, i))
            if (
                constant
                or any(isinstance(x, Literal) or x in fixed for x in operands)
                or node.op is shapes.broadcast_to
            ):
                fixed.add(var)
        for _, made, kept in shared_stacks(node, returned):  # two views of one buffer
            buffers.join(buffers.find(node.outputs[made]), buffers.find(node.outputs[kept]))
    return buffers, fixed


def owned_buffers(graph: Graph, buffers: Buffers, fixed: set[Var]) -> set[Var]:
    """The large writable buffers the function itself allocated (none holds an argument)."""
    inputs = set(graph.inputs)
    return {
        buffer
        for buffer, members in buffers.members.items()
        if buffer not in fixed and is_large(buffer) and not any(v in inputs for v in members)
    }


def reusable_input(
    node: Node, i: int, buffers: Buffers, owned: set[Var], fixed: set[Var]
) -> Var | None:
    """An input of elementwise node i whose buffer dies there and may hold its result."""
    if not (node.op in UFUNCS and node.op.group in WRITES_OUT and is_large(node.out)):
        return None
    for x in dict.fromkeys(node.inputs):
        if isinstance(x, Var) and x.type == node.out.type and x not in fixed:
            buffer = buffers.find(x)
            if (
                buffer in owned
                and buffers.end[buffer] == i
                and buffers.find(node.out) is not buffer
            ):
                return x
    return None


class Untouchable:
    """Whether a buffer holds an argument or a value never written into. A buffer's members
    only grow (a chain of writes joins one buffer), so each is looked at once."""

    def __init__(self, buffers: Buffers, fixed: set[Var], inputs: set[Var]):
        self.buffers, self.fixed, self.inputs = buffers, fixed, inputs
        self.seen: dict[Var, tuple[int, bool]] = {}  # buffer -> (members looked at, found)

    def __call__(self, buffer: Var) -> bool:
        members = self.buffers.members[buffer]
        checked, found = self.seen.get(buffer, (0, False))
        if not found and checked < len(members):
            fixed, inputs = self.fixed, self.inputs
            found = any(v in inputs or v in fixed for v in members[checked:])
        self.seen[buffer] = (len(members), found)
        return found


def written_in_place(node: Node, i: int, buffers: Buffers, untouchable: Untouchable):
    """The array a write (`x[key] = v`) may go into itself, whatever its size: one the
    function made, writable, that no value read after the write shares memory with."""
    if not node.op.has(Trait.UPDATE):
        return None
    array = node.inputs[0]
    if not isinstance(array, Var) or array in untouchable.fixed:
        return None
    buffer = buffers.find(array)
    if buffers.end[buffer] != i or untouchable(buffer):
        return None
    return array


def running_total(
    node: Node, i: int, buffers: Buffers, untouchable: Untouchable, sums: set[Var]
) -> Var | None:
    """The running total a sum adds into (`d_W = d_W + g` as `d_W += g`, the way a
    gradient summed over steps is written by hand), whatever its size: an operand that is
    itself a sum, with the result's type, dying here, that the function made."""
    if node.op is not elementwise.add:
        return None
    for x in dict.fromkeys(node.inputs):
        if (
            isinstance(x, Var)
            and x in sums
            and x.type == node.out.type
            and x not in untouchable.fixed
        ):
            buffer = buffers.find(x)
            if buffers.end[buffer] == i and not untouchable(buffer):
                return x
    return None


def plan_memory(graph: Graph) -> MemoryPlan:
    sums = {node.out for node in graph.nodes if node.op is elementwise.add}
    writes = any(node.op.has(Trait.UPDATE) for node in graph.nodes)
    if not (writes or sums) and not any(is_large(v) for node in graph.nodes for v in node.outputs):
        return MemoryPlan()  # only buffers the function makes, and large ones, are planned
    buffers, fixed = assign_buffers(graph)
    owned = owned_buffers(graph, buffers, fixed)
    untouchable = Untouchable(buffers, fixed, set(graph.inputs))
    plan = MemoryPlan()
    for i, node in enumerate(graph.nodes):
        reused = reusable_input(node, i, buffers, owned, fixed) or written_in_place(
            node, i, buffers, untouchable
        )
        if reused is None:
            reused = running_total(node, i, buffers, untouchable, sums)
            if reused is not None:
                plan.accumulated.add(node)
        if reused is not None:
            plan.reuse[node] = reused
            buffers.join(buffers.find(reused), buffers.find(node.out))
        dying = dict.fromkeys(buffers.find(x) for x in node.inputs if isinstance(x, Var))
        freed = [v for b in dying if b in owned and buffers.end[b] == i for v in buffers.members[b]]
        if freed and i < len(graph.nodes) - 1:  # after the last node, returning frees them
            plan.frees[node] = freed
    return plan
