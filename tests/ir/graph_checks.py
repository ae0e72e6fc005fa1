"""Helpers for the pass tests: run a Graph as emitted NumPy code, compare two runs' results
exactly or within rounding, and a hypothesis strategy for random graphs built with
GraphBuilder (small broadcastable float inputs holding nan, inf and -0.0, Literals, and the
patterns the passes look for: repeated subexpressions, double negations, `x * 1`,
transposes of transposes)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tracegrad.codegen.numpy import emit_numpy
from tracegrad.errors import TypeRuleError
from tracegrad.ir import Graph, GraphBuilder, Literal, Operand, TensorType, Var
from tracegrad.ir.passes import fold_constants
from tracegrad.ir.primitive import primitives
from tracegrad.runtime.loader import load_function

P = primitives
F32, F64 = np.dtype(np.float32), np.dtype(np.float64)

# The relative tolerance of "the rounding a different NumPy evaluation order gives".
RTOL = {F64: 1e-12, F32: 1e-6}


def run_graph(graph: Graph, args: Sequence[Any]) -> tuple[Any, ...]:
    """The graph's results, as a tuple, from its emitted NumPy module."""
    function = load_function(emit_numpy(graph), graph.name)
    with np.errstate(all="ignore"):
        result = function(*args)
    return (result,) if len(graph.outputs) == 1 else tuple(result)


def describe(value: Any) -> str:
    return f"{type(value).__name__} {np.asarray(value).dtype}{np.shape(value)}: {value!r}"


PYTHON_SCALARS = (bool, int, float, complex)


def assert_same_value(got: Any, want: Any, *, exact: bool, what: str = "") -> None:
    """`got` has `want`'s dtype and shape, is a Python scalar where `want` is one, has its
    NaNs and its infinities (signs included), and its other values: bit for bit when
    `exact`, else within RTOL; zeros with their signs either way."""
    a, b = np.asarray(got), np.asarray(want)
    context = f"{what}\n got  {describe(got)}\n want {describe(want)}"
    assert a.dtype == b.dtype, f"dtype differs; {context}"
    assert a.shape == b.shape, f"shape differs; {context}"
    assert (type(got) in PYTHON_SCALARS) == (type(want) in PYTHON_SCALARS), (
        f"a Python scalar and a NumPy value; {context}"
    )
    if a.dtype.kind not in "fc":
        assert np.array_equal(a, b), f"values differ; {context}"
        return
    nan = np.isnan(a)
    assert np.array_equal(nan, np.isnan(b)), f"NaN pattern differs; {context}"
    inf = np.isinf(b)
    assert np.array_equal(np.isinf(a), inf), f"infinity pattern differs; {context}"
    assert np.array_equal(a[inf], b[inf]), f"an infinity's sign differs; {context}"
    finite = ~nan & ~inf
    a, b = a[finite], b[finite]
    if exact:
        assert np.array_equal(a, b), f"values differ; {context}"
    else:
        np.testing.assert_allclose(a, b, rtol=RTOL[np.dtype(a.dtype)], atol=0, err_msg=context)
    zero = b == 0
    assert np.array_equal(np.signbit(a[zero]), np.signbit(b[zero])), (
        f"the sign of a zero differs; {context}"
    )


def assert_same_results(
    got: Sequence[Any], want: Sequence[Any], *, exact: bool, what: str = ""
) -> None:
    assert len(got) == len(want), what
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        assert_same_value(g, w, exact=exact, what=f"{what} result {i}")


# --- what each pass may change ------------------------------------------------------------

# Passes whose docstring promises the very same values.
EXACT_PASSES = frozenset(
    {"fold broadcasts", "fold constants", "common subexpressions", "dead code"}
)


def is_zero(x: Operand) -> bool:
    return (
        isinstance(x, Literal)
        and x.type.dtype.kind in "iuf"
        and bool(np.all(np.asarray(x.value) == 0))
    )


def zero_sign_rewrites(graph: Graph) -> tuple[Graph, bool]:
    """`graph` with the rewrites simplify's docstring allows to give -0.0 where NumPy gives
    0.0 made wherever they keep the node's type (written here independently of simplify):
    `x + 0 -> x`, `0 - x -> -x`, a sum over size-1 axes -> a reshape, a sum of a broadcast
    over the axes it repeated -> one product, an add into zeros where nothing was scattered
    -> a write. Whether anything changed."""
    builder = GraphBuilder(graph.name)
    env: dict[Var, Operand] = {v: builder.add_input(v.type, v.hint) for v in graph.inputs}
    broadcasts: dict[Var, tuple[Operand, tuple[int, ...]]] = {}
    scatters: dict[Var, tuple[tuple[int, ...], tuple]] = {}
    changed = False

    def typed(op: str, inputs: list[Operand], params: dict | None = None) -> TensorType | None:
        try:
            (t,) = P[op].infer(tuple(x.type for x in inputs), params or {})
        except TypeRuleError:
            return None
        return t

    def bind(op: str, inputs: list[Operand], params: dict | None = None) -> Var:
        (out,) = builder.bind(P[op], inputs, params or {})
        return out

    for node in graph.nodes:
        inputs = [env.get(x, x) if isinstance(x, Var) else x for x in node.inputs]
        out, name = node.out.type, node.op.name
        value: Operand | None = None
        if name == "add":
            value = next(
                (x for x, z in (inputs, inputs[::-1]) if is_zero(z) and x.type == out), None
            )
        elif name == "subtract" and is_zero(inputs[0]) and typed("neg", inputs[1:]) == out:
            value = bind("neg", inputs[1:])
        elif name == "sum":
            (x,), axis = inputs, node.params["axis"]
            if all(x.type.shape[a] == 1 for a in axis) and x.type.dtype == out.dtype:
                value = bind("reshape", [x], {"shape": out.shape})
            elif x in broadcasts and out.dtype.kind == "f":
                v, shape = broadcasts[x]
                padded = (1,) * (len(shape) - v.type.ndim) + v.type.shape
                repeated = {a for a, d in enumerate(shape) if padded[a] != d}
                if repeated and set(axis) == repeated | {a for a in axis if shape[a] == 1}:
                    count = Literal.of(math.prod(shape[a] for a in repeated))
                    if v.type.shape != out.shape:
                        v = bind("reshape", [v], {"shape": out.shape})
                    if typed("multiply", [v, count]) == out:
                        value = bind("multiply", [v, count])
        elif name == "index_add" and still_zero(inputs[0], node.params["index"], scatters):
            value = bind("index_set", inputs, dict(node.params))
        if value is None:
            outputs = builder.bind(node.op, inputs, dict(node.params))
            env.update(zip(node.outputs, outputs, strict=True))
            if name == "broadcast_to":
                broadcasts[outputs[0]] = (inputs[0], node.params["shape"])
            if name == "index_scatter":
                scatters[outputs[0]] = (node.params["shape"], node.params["index"])
        else:
            env[node.out] = value
            changed = True
    outputs = [env.get(x, x) if isinstance(x, Var) else x for x in graph.outputs]
    return builder.build(outputs), changed


def still_zero(array: Operand, key: tuple, scatters: dict) -> bool:
    """Whether `array` is zeros with values scattered where `key` does not reach (found by
    marking the positions, not by the simplifier's own reading of keys)."""
    if array not in scatters:
        return False
    shape, written = scatters[array]
    hit = np.zeros(shape, bool)
    hit[numpy_key(written)] = True
    return not hit[numpy_key(key)].any()


def numpy_key(key: tuple) -> tuple:
    return tuple(slice(*item) if isinstance(item, tuple) else item for item in key)


def documented_variant(graph: Graph) -> Graph:
    """The graph as simplify may leave it by the letter of its docstring: the zero-sign
    rewrites and constant folding (exact) in turn, as optimize's rounds run them."""
    for _ in range(10):
        rewritten, changed = zero_sign_rewrites(graph)
        folded = fold_constants(rewritten)
        if not changed and folded is rewritten:
            break
        graph = folded
    return graph


def assert_pass_keeps_values(name: str, before: Graph, after: Graph, args: Sequence[Any]) -> None:
    """Running `after` (what pass `name` made of `before`) gives `before`'s results: exactly
    for the passes that promise it; else within rounding, each result equal to `before`'s
    or to what the documented zero-sign rewrites make of it (-0.0 where NumPy gives 0.0,
    and what follows from that: `1 / -0.0` is -inf)."""
    want = run_graph(before, args)
    got = run_graph(after, args)
    if name in EXACT_PASSES:
        assert_same_results(got, want, exact=True, what=name)
        return
    variant = None
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        what = f"{name} result {i}"
        try:
            assert_same_value(g, w, exact=False, what=what)
        except AssertionError:
            if variant is None:
                variant = run_graph(documented_variant(before), args)
            assert_same_value(
                g, variant[i], exact=False, what=f"{what} (nor as the documented rewrites give it)"
            )


# --- random graphs ------------------------------------------------------------------------

SPECIAL = (math.nan, math.inf, -math.inf, -0.0, 0.0)
WEAK_LITERALS = (0, 1, -1, 0.0, -0.0, 1.0, 2.5)
NUMPY_LITERALS = tuple(t(v) for t in (np.float64, np.float32) for v in (0.0, -0.0, 1.0, -1.0, 2.5))
LITERALS = WEAK_LITERALS + NUMPY_LITERALS
UNARY = ("neg", "exp", "sin")
BINARY = ("add", "subtract", "multiply", "divide")
ACTIONS = (
    *UNARY,
    *BINARY,
    "transpose",
    "reshape",
    "broadcast_to",
    "sum",
    "convert",
    "where",
    "repeat",
    "double_neg",
    "times_one",
    "transpose_twice",
    "literal_op",
)


def float_elements() -> st.SearchStrategy[float]:
    return st.one_of(st.sampled_from(SPECIAL), st.integers(-12, 12).map(lambda k: k / 4))


def literals() -> st.SearchStrategy[Literal]:
    return st.sampled_from(range(len(LITERALS))).map(lambda i: Literal.of(LITERALS[i]))


class RandomGraph:
    """A GraphBuilder driven by hypothesis draws; a bind its type rule rejects is skipped."""

    def __init__(
        self, draw: Callable, dtypes: Sequence[np.dtype], shapes: Sequence[tuple[int, ...]]
    ):
        self.draw = draw
        self.builder = GraphBuilder("random_graph")
        self.pool: list[Var] = [
            self.builder.add_input(TensorType(shape, dtype), f"x{i}")
            for i, (dtype, shape) in enumerate(zip(dtypes, shapes, strict=True))
        ]

    def var(self, strong: bool = False) -> Var:
        """A float value made so far (recent ones more often, so chains grow deep as well as
        wide); `strong`: not a Python scalar (the tracer never reshapes one)."""
        pool = [v for v in self.pool if not v.type.weak] if strong else self.pool
        index = self.draw(st.integers(0, len(pool) - 1) | st.just(len(pool) - 1))
        return pool[index]

    def operand(self) -> Operand:
        return self.draw(literals()) if self.draw(st.integers(0, 3)) == 0 else self.var()

    def operands(self) -> list[Operand]:
        """Two operands, not both Python scalars (`1.0 / 0` raises in Python)."""
        a, b = self.operand(), self.operand()
        if a.type.weak and b.type.weak:
            a = self.var(strong=True)
        return self.draw(st.permutations([a, b]))

    def bind(self, op: str, inputs: Sequence[Operand], params: dict | None = None) -> Var | None:
        try:
            (out,) = self.builder.bind(P[op], list(inputs), params or {})
        except TypeRuleError:
            return None
        if out.type.dtype.kind == "f":  # comparisons only feed `where`
            self.pool.append(out)
        return out

    def step(self) -> None:
        action = self.draw(st.sampled_from(ACTIONS))
        draw = self.draw
        if action in UNARY:
            self.bind(action, [self.var()])
        elif action in BINARY:
            self.bind(action, self.operands())
        elif action == "literal_op":  # constants only: for fold_constants
            op = draw(st.sampled_from(("add", "subtract", "multiply", "neg", "exp")))
            inputs = (
                [draw(literals())] if op in ("neg", "exp") else [draw(literals()), draw(literals())]
            )
            out = self.bind(op, inputs)
            if out is not None:
                self.bind(
                    draw(st.sampled_from(BINARY)),
                    draw(st.permutations([out, self.var(strong=True)])),
                )
        elif action == "transpose":
            x = self.var(strong=True)
            self.bind("transpose", [x], {"axes": tuple(draw(st.permutations(range(x.type.ndim))))})
        elif action == "transpose_twice":
            x = self.var(strong=True)
            first = tuple(draw(st.permutations(range(x.type.ndim))))
            y = self.bind("transpose", [x], {"axes": first})
            inverse = tuple(int(a) for a in np.argsort(first))
            second = draw(
                st.sampled_from([inverse, tuple(draw(st.permutations(range(x.type.ndim))))])
            )
            self.bind("transpose", [y], {"axes": second})
        elif action == "reshape":
            x = self.var(strong=True)
            shape = x.type.shape
            target = draw(
                st.sampled_from(
                    [
                        (x.type.size,),
                        shape[::-1],
                        (1, *shape),
                        tuple(d for d in shape if d != 1),
                        shape,
                    ]
                )
            )
            y = self.bind("reshape", [x], {"shape": target})
            if y is not None and draw(st.booleans()):  # a chain of reshapes
                self.bind("reshape", [y], {"shape": draw(st.sampled_from([shape, (x.type.size,)]))})
        elif action == "broadcast_to":  # as reverse mode writes them: summed or combined
            x, other = self.var(strong=True), self.var()
            try:
                joint = tuple(np.broadcast_shapes(x.type.shape, other.type.shape))
            except ValueError:
                joint = x.type.shape
            target = draw(st.sampled_from([joint, (2, *x.type.shape), x.type.shape]))
            sources = [x, Literal.of(2.5), Literal.of(np.float32(2.5))]
            y = self.bind("broadcast_to", [draw(st.sampled_from(sources))], {"shape": target})
            use = draw(st.sampled_from(["alone", "summed", "combined", "two"]))
            if y is None or use == "alone":
                return
            if use == "summed":  # over the axes it repeated: a sum of a broadcast
                repeated = len(target) - x.type.ndim
                axes = tuple(range(repeated)) + tuple(
                    repeated + a for a, d in enumerate(x.type.shape) if d != target[repeated + a]
                )
                self.bind("sum", [y], {"axis": axes, "keepdims": draw(st.booleans())})
            elif use == "combined":
                self.bind(draw(st.sampled_from(BINARY)), draw(st.permutations([y, other])))
            else:  # two broadcasts meeting in one operation
                z = self.bind(
                    "broadcast_to",
                    [draw(st.sampled_from([other, *sources[1:]]))],
                    {"shape": target},
                )
                if z is not None:
                    self.bind(draw(st.sampled_from(BINARY)), [y, z])
        elif action == "sum":
            x = self.var(strong=True)
            axes = (
                draw(
                    st.lists(
                        st.integers(0, max(x.type.ndim - 1, 0)), unique=True, max_size=x.type.ndim
                    )
                )
                if x.type.ndim
                else []
            )
            self.bind("sum", [x], {"axis": tuple(sorted(axes)), "keepdims": draw(st.booleans())})
        elif action == "convert":
            self.bind(
                "convert", [self.var(strong=True)], {"dtype": draw(st.sampled_from([F32, F64]))}
            )
        elif action == "where":
            x, y = self.var(strong=True), self.operand()
            condition = self.bind(
                draw(st.sampled_from(["greater", "less"])), [self.var(), draw(literals())]
            )
            if condition is not None:
                self.bind("where", [condition, x, draw(st.sampled_from([x, y]))])
        elif action == "repeat":  # the same node again, operands swapped where they commute
            nodes = self.builder.nodes
            if nodes:
                node = draw(st.sampled_from(nodes))
                inputs = list(node.inputs)
                if node.op.name in ("add", "multiply") and draw(st.booleans()):
                    inputs.reverse()
                self.bind(node.op.name, inputs, dict(node.params))
        elif action == "double_neg":
            y = self.bind("neg", [self.var()])
            if y is not None:
                self.bind("neg", [y])
        elif action == "times_one":
            one = draw(st.sampled_from([1, 1.0, np.float64(1.0), np.float32(1.0), -1, -1.0]))
            self.bind(
                draw(st.sampled_from(["multiply", "divide"])),
                [self.var(strong=True), Literal.of(one)],
            )


@st.composite
def random_graphs(draw: Callable, max_steps: int = 12) -> tuple[Graph, list[np.ndarray]]:
    """A random graph and arguments for it."""
    count = draw(st.integers(1, 3))
    shapes = draw(
        hnp.mutually_broadcastable_shapes(
            num_shapes=count, min_dims=0, max_dims=3, min_side=1, max_side=3
        )
    ).input_shapes
    dtypes = draw(st.lists(st.sampled_from([F64, F64, F32]), min_size=count, max_size=count))
    graph = RandomGraph(draw, dtypes, shapes)
    for _ in range(draw(st.integers(1, max_steps))):
        graph.step()
    computed = graph.pool[count:] or graph.pool
    outputs = [computed[-1], *draw(st.lists(st.sampled_from(graph.pool), max_size=2))]
    args = [
        draw(hnp.arrays(dtype, shape, elements=float_elements()))
        for dtype, shape in zip(dtypes, shapes, strict=True)
    ]
    return graph.builder.build(outputs), args
