"""IR pass: algebraic simplification, one rule per primitive.

What it may do: drop operations that return their operand (`x * 1`, `x / 1`, `x ** 1`,
`x + 0`, `x - 0`, a reshape, transpose, broadcast or cast to what `x` already is, `where(c,
x, x)`, `x[()]` of a 0-d `x`), fold chains of reshapes and of transposes into one, fold
negations into the operation next to them (`a + -b` is `a - b`, `-(-x)` is `x`, `a * -b` is
`-(a * b)` where `a * b` is computed anyway), turn a reduction over size-1 axes into a
reshape, and a sum of a broadcast over the axes it repeated into one multiplication; write
`x + x` as `2 * x` and `2 * (c * x)` as `(2 * c) * x` (a power of two scales exactly); read a
written array where the write did not reach from the array before it, where it wrote from
the value written (these rules for writes live in written.py), and the region np.pad kept
from the padded array; drop a write of what
the array already holds there (`a[k] = a[k]`, zeros into zeros) and make a write over the
whole array its value; and turn an add into a region of zeros no write reached (or, at
distinct positions, one just cleared) into a write.

What it may not do: change a value beyond the rounding a different NumPy evaluation order
gives. Every rule above is exact in IEEE arithmetic, except that `x + 0`, `0 - x`, the two
rewritten sums and the add into zeros may give -0.0 where NumPy gives 0.0 (equal under ==:
NumPy's `-0.0 + 0.0`, `0.0 - 0.0` and `np.sum([-0.0])` are 0.0), and a sum of n repeated
values becomes one product (the product is the more accurate of the two). `x - 0` is
dropped only for a +0 (`x - (-0.0)` is `x + 0.0`). Nothing like `x * 0 -> 0` or `x - x -> 0`,
which would hide a NaN or an infinity. Every rewrite keeps the node's exact type (shape,
dtype and weakness); one that would not is not made.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..core import Graph, Literal, Node, Operand, Var
from ..primitive import Primitive
from ..primitives import elementwise, indexing, reductions, shapes
from ..types import TensorType
from .rewrite import Rewriter, broadcasting_elementwise, is_constant
from .written import PointWrites, added_into, index, index_add, whole_scatter, written_back


class Simplifier:
    def __init__(self, graph: Graph):
        self.rewriter = Rewriter(graph)
        self.producer: dict[Var, Node] = {}
        # (op, a, b) of each product computed, so `a * -b` can reuse `a * b`.
        self.products: dict[tuple[Var, Var], Var] = {}
        self.points = PointWrites()

    def made_by(self, x: Operand, op: Primitive) -> Node | None:
        node = self.producer.get(x) if isinstance(x, Var) else None
        return node if node is not None and node.op is op else None

    def same(self, node: Node, x: Operand) -> bool:
        """Replace `node` by `x` when `x` has exactly its type."""
        if x.type != node.out.type:
            return False
        self.rewriter.replace(node.out, x)
        return True

    def run(self) -> Graph:
        for node in self.rewriter.graph.nodes:
            node = self.with_scalar_constants(self.rewriter.inputs_of(node))
            rule = RULES.get(node.op)
            if rule is not None and len(node.outputs) == 1 and rule(self, node):
                kept = self.rewriter.nodes[-1] if self.rewriter.nodes else None
                if kept is not None and kept.outputs == node.outputs:  # recomputed
                    self.remember(kept)
                continue
            self.rewriter.keep(node)
            self.remember(node)
        return self.rewriter.graph_out()

    def with_scalar_constants(self, node: Node) -> Node:
        """An elementwise operand that is one value repeated (`np.full((12,), 0.5)`) written
        as that value, where the result keeps its exact type: broadcasting repeats it."""
        if not broadcasting_elementwise(node) or not any(
            x.__class__ is Literal and x.type.shape for x in node.inputs
        ):
            return node  # the common case, kept cheap: no constant array among the operands
        inputs = list(node.inputs)
        for i, x in enumerate(inputs):
            value = uniform_value(x)
            if value is None:
                continue
            for scalar in (value.item(), value):  # a Python number reads best; else NumPy's
                trial = [*inputs[:i], Literal.of(scalar), *inputs[i + 1 :]]
                try:
                    (out_type,) = node.op.infer(tuple(t.type for t in trial), dict(node.params))
                except Exception:  # that scalar does not type-check here: try the next
                    continue
                if out_type == node.out.type:
                    inputs = trial
                    break
        if all(a is b for a, b in zip(inputs, node.inputs, strict=True)):
            return node
        self.rewriter.changed = True
        return Node(node.op, tuple(inputs), node.outputs, node.params, node.loc)

    def remember(self, node: Node) -> None:
        for var in node.outputs:
            self.producer[var] = node
        self.points.remember(node)
        if node.op is elementwise.multiply and all(isinstance(x, Var) for x in node.inputs):
            a, b = node.inputs
            self.products.setdefault((a, b), node.out)
            self.products.setdefault((b, a), node.out)


def uniform_value(x: Operand) -> np.generic | None:
    """The value a constant array repeats, as a NumPy scalar (None for anything else)."""
    if not isinstance(x, Literal) or x.type.ndim == 0 or x.type.size == 0:
        return None
    flat = np.asarray(x.value).reshape(-1)
    if flat.dtype.kind not in "biuf" or not np.all(flat == flat[0]) or np.isnan(flat[0]):
        return None
    if flat.dtype.kind == "f" and np.signbit(flat).any() != np.signbit(flat).all():
        return None  # 0.0 and -0.0 mixed
    return flat[0]


def multiply(s: Simplifier, node: Node) -> bool:
    a, b = node.inputs
    for x, y in ((a, b), (b, a)):
        if is_constant(y, 1) and s.same(node, x):
            return True
        if is_constant(y, -1) and s.rewriter.recompute(node, elementwise.neg, [x]):
            return True
    negated_a, negated_b = s.made_by(a, elementwise.neg), s.made_by(b, elementwise.neg)
    if negated_a and negated_b:  # -x * -y == x * y
        return s.rewriter.recompute(
            node, elementwise.multiply, [negated_a.inputs[0], negated_b.inputs[0]]
        )
    for x, negated in ((a, negated_b), (b, negated_a)):
        if negated is not None and isinstance(x, Var):
            product = s.products.get((x, negated.inputs[0]))
            if product is not None:
                return s.rewriter.recompute(node, elementwise.neg, [product])
    return scaled_twice(s, node)


def scaled_twice(s: Simplifier, node: Node) -> bool:
    """`2 * (c * x)` is `(2 * c) * x` for a power of two: both round `c * x` once, and a
    power of two scales exactly (`x + x`, written `2 * x` here, is where it comes from)."""
    for power, x in (node.inputs, node.inputs[::-1]):
        inner = s.made_by(x, elementwise.multiply)
        if inner is None or not power_of_two(power):
            continue
        for c, v in (inner.inputs, inner.inputs[::-1]):
            if c.__class__ is Literal and c.type.ndim == 0 and c.type == power.type:
                folded = Literal(c.value * power.value, c.type)
                return s.rewriter.recompute(node, elementwise.multiply, [folded, v])
    return False


def power_of_two(x: Operand) -> bool:
    if x.__class__ is not Literal or x.type.ndim or x.type.dtype.kind != "f":
        return False
    mantissa, _ = math.frexp(float(x.value))
    return mantissa == 0.5


def divide(s: Simplifier, node: Node) -> bool:
    return is_constant(node.inputs[1], 1) and s.same(node, node.inputs[0])


def power(s: Simplifier, node: Node) -> bool:
    return is_constant(node.inputs[1], 1) and s.same(node, node.inputs[0])


def add(s: Simplifier, node: Node) -> bool:
    a, b = node.inputs
    for x, y in ((a, b), (b, a)):
        if is_constant(y, 0) and s.same(node, x):
            return True
    for x, y in ((a, b), (b, a)):
        if added_into(s, node, x, y):
            return True
    twice = a is b and a.__class__ is Var and a.type.dtype.kind == "f"  # exact: x + x is 2 * x
    if twice and s.rewriter.recompute(node, elementwise.multiply, [Literal.of(2.0), a]):
        return True
    negated_b = s.made_by(b, elementwise.neg)
    if negated_b is not None:
        return s.rewriter.recompute(node, elementwise.subtract, [a, negated_b.inputs[0]])
    negated_a = s.made_by(a, elementwise.neg)
    if negated_a is not None:
        return s.rewriter.recompute(node, elementwise.subtract, [b, negated_a.inputs[0]])
    return False


def subtract(s: Simplifier, node: Node) -> bool:
    a, b = node.inputs
    # Not `x - (-0.0)`: that is `x + 0.0`, which turns a -0.0 into 0.0.
    if is_constant(b, 0) and not np.signbit(b.value).any() and s.same(node, a):
        return True
    if is_constant(a, 0) and s.rewriter.recompute(node, elementwise.neg, [b]):
        return True
    negated_b = s.made_by(b, elementwise.neg)
    if negated_b is not None:
        return s.rewriter.recompute(node, elementwise.add, [a, negated_b.inputs[0]])
    return False


def neg(s: Simplifier, node: Node) -> bool:
    inner = s.made_by(node.inputs[0], elementwise.neg)
    return inner is not None and s.same(node, inner.inputs[0])


def transpose(s: Simplifier, node: Node) -> bool:
    (x,), axes = node.inputs, node.params["axes"]
    if axes == tuple(range(len(axes))):
        return s.same(node, x)
    inner = s.made_by(x, shapes.transpose)
    if inner is None:
        return False
    composed = tuple(inner.params["axes"][a] for a in axes)
    if composed == tuple(range(len(composed))):
        return s.same(node, inner.inputs[0])
    return s.rewriter.recompute(node, shapes.transpose, [inner.inputs[0]], {"axes": composed})


def reshape(s: Simplifier, node: Node) -> bool:
    (x,) = node.inputs
    if x.type.shape == node.out.type.shape:
        return s.same(node, x)
    inner = s.made_by(x, shapes.reshape)
    if inner is None:
        return False
    if inner.inputs[0].type.shape == node.out.type.shape:
        return s.same(node, inner.inputs[0])
    return s.rewriter.recompute(node, shapes.reshape, [inner.inputs[0]], dict(node.params))


def broadcast_to(s: Simplifier, node: Node) -> bool:
    return s.same(node, node.inputs[0])  # `same` checks the shape is already the target


def convert(s: Simplifier, node: Node) -> bool:
    return s.same(node, node.inputs[0])  # ... and here that the dtype already is


def where(s: Simplifier, node: Node) -> bool:
    _, x, y = node.inputs
    return x is y and s.same(node, x)


def reduction(s: Simplifier, node: Node) -> bool:
    (x,), axis = node.inputs, node.params["axis"]
    if all(x.type.shape[a] == 1 for a in axis):  # one element per output: itself
        if x.type.dtype != node.out.type.dtype:
            return False
        return s.rewriter.recompute(node, shapes.reshape, [x], {"shape": node.out.type.shape})
    return node.op is reductions.sum_ and sum_of_broadcast(s, node)


def sum_of_broadcast(s: Simplifier, node: Node) -> bool:
    """sum(broadcast_to(v, shape), axis) over exactly the axes the broadcast repeated:
    v * n, reshaped."""
    broadcast = s.made_by(node.inputs[0], shapes.broadcast_to)
    if broadcast is None or node.out.type.dtype.kind not in "fc":
        return False
    (v,), shape = broadcast.inputs, broadcast.params["shape"]
    padded = (1,) * (len(shape) - v.type.ndim) + v.type.shape
    repeated = {
        a for a, (before, after) in enumerate(zip(padded, shape, strict=True)) if before != after
    }
    axis = set(node.params["axis"])
    if axis != repeated | {a for a in axis if shape[a] == 1} or not repeated:
        return False
    count = math.prod(shape[a] for a in repeated)
    rewriter = s.rewriter
    if v.type.shape != node.out.type.shape:
        reshaped = Var(TensorType(node.out.type.shape, v.type.dtype))
        rewriter.nodes.append(
            Node(shapes.reshape, (v,), (reshaped,), {"shape": node.out.type.shape}, node.loc)
        )
        s.remember(rewriter.nodes[-1])
        v = reshaped
    if rewriter.recompute(node, elementwise.multiply, [v, Literal.of(count)]):
        return True
    if v is not broadcast.inputs[0]:
        rewriter.nodes.pop()  # the reshape was for the product only
    return False


RULES: dict[Primitive, Callable[[Simplifier, Node], bool]] = {
    elementwise.multiply: multiply,
    elementwise.divide: divide,
    elementwise.power: power,
    elementwise.add: add,
    elementwise.subtract: subtract,
    elementwise.neg: neg,
    shapes.transpose: transpose,
    shapes.reshape: reshape,
    shapes.broadcast_to: broadcast_to,
    shapes.convert: convert,
    elementwise.where: where,
    indexing.index: index,
    indexing.index_add: index_add,
    indexing.index_scatter: whole_scatter,
    indexing.index_set: written_back,
    indexing.gather_set: written_back,
    reductions.sum_: reduction,
    reductions.prod: reduction,
    reductions.max_: reduction,
    reductions.min_: reduction,
}


def simplify(graph: Graph) -> Graph:
    return Simplifier(graph).run()
