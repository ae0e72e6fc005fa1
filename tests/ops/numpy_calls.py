"""Hypothesis calls for the table's type-rule check (tests/ops/test_type_rules.py).

A row's `type_draws` draw one call each: dtypes, shapes (now and then ones that do not
broadcast), Python scalars as traced arguments (weak inputs) and as constants closed over (weak
literals), axes out of range. `check` compares the traced output type (shape, dtype and
weakness) and the generated code's values with what NumPy returns; where NumPy refuses the call,
tracing must refuse it too, with a TraceError.
"""

from __future__ import annotations

import contextlib
import operator
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import note
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

import tracegrad
from tests import strategies

PYTHON_SCALARS = (bool, int, float, complex)
NUMPY_ERRORS = (TypeError, ValueError, IndexError, OverflowError)


# --- one call and its check ---------------------------------------------------------------


@dataclass(frozen=True)
class TypeDraw:
    text: str  # the spelling drawn (np.add, x + y, x.sum, ...): the test id
    draw: Callable[[st.DataObject], Call]


@dataclass(frozen=True)
class Call:
    """`fn(*args)`, with `text` saying what it is for a failure report. `unsupported` says
    why tracegrad refuses this call where NumPy may compute it: it must raise a TraceError."""

    fn: Callable
    args: tuple
    text: str
    unsupported: str = ""


def is_python_scalar(value: Any) -> bool:
    """True for a Python bool, int, float or complex (NumPy scalars subclass some of these)."""
    return isinstance(value, PYTHON_SCALARS) and not isinstance(value, np.generic)


def dtype_of(value: Any) -> np.dtype:
    return np.result_type(type(value)) if is_python_scalar(value) else np.asarray(value).dtype


def describe(value: Any) -> str:
    if is_python_scalar(value):
        return repr(value)
    if isinstance(value, list):
        return f"list {value}"
    return f"{tracegrad.TensorType(np.shape(value), dtype_of(value))}"


def assert_same_values(actual: Any, expected: Any) -> None:
    dtype = dtype_of(expected)
    assert dtype_of(actual) == dtype, f"generated code gives {dtype_of(actual)}, NumPy {dtype}"
    assert is_python_scalar(actual) == is_python_scalar(expected), (
        f"generated code gives a {type(actual).__name__}, NumPy a {type(expected).__name__}"
    )
    assert np.shape(actual) == np.shape(expected)
    if dtype.kind in "fc":
        rtol = 1e-6 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(actual, expected, rtol=rtol, equal_nan=True)
    else:
        np.testing.assert_array_equal(actual, expected, strict=True)


@contextlib.contextmanager
def quietly() -> Iterator[None]:
    """NumPy's floating-point warnings (log(0), var with ddof too large) are expected here."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def explain(text: str) -> None:
    if currently_in_test_context():
        note(text)


def traceable(fn: Callable, args: tuple) -> tuple[Callable, tuple]:
    """A Python bool argument is static (a flag, as in jax.grad); inside a tuple it is traced,
    a weak bool, which is what these rules are checked on."""
    if not any(type(arg) is bool for arg in args):
        return fn, tuple(args)
    return (lambda operands: fn(*operands)), (tuple(args),)


def check(call: Call) -> None:
    """The traced type and the generated code's result against what NumPy does."""
    explain(f"call: {call.text}")
    fn, args = traceable(call.fn, call.args)
    if call.unsupported:
        explain(f"not supported: {call.unsupported}")
        with pytest.raises(tracegrad.TraceError):
            tracegrad.trace(fn, *args)
        return
    try:
        with quietly():
            expected = call.fn(*call.args)
    except NUMPY_ERRORS as error:
        explain(f"NumPy raises {type(error).__name__}: {error}")
        with pytest.raises(tracegrad.TraceError):
            tracegrad.trace(fn, *args)
        return
    graph = tracegrad.trace(fn, *args)
    explain(f"traced:\n{graph}")
    actual_type = graph.outputs[0].type
    expected_type = (np.shape(expected), dtype_of(expected), is_python_scalar(expected))
    assert (actual_type.shape, actual_type.dtype, actual_type.weak) == expected_type, (
        f"{call.text}: traced type {actual_type} (weak={actual_type.weak}), NumPy gives "
        f"{type(expected).__name__} of dtype {dtype_of(expected)} and shape {np.shape(expected)}"
    )
    compiled = tracegrad.jit(fn)
    with quietly():
        actual = compiled(*args)
    explain(f"generated:\n{compiled.source(*args)}")
    assert_same_values(actual, expected)


# --- operands: traced arguments or closed-over constants ----------------------------------

ARRAY, SCALAR = "array", "scalar"
CONSTANT_SCALAR, CONSTANT_ARRAY = "constant scalar", "constant array"
TRACED_KINDS = (ARRAY, SCALAR)


def bake(fn: Callable, values: list, traced: list[bool]) -> Callable:
    """`fn` over `values`, taking the traced ones as parameters and closing over the rest."""
    positions = [i for i, is_traced in enumerate(traced) if is_traced]

    def call(*traced_values):
        operands = list(values)
        for position, value in zip(positions, traced_values, strict=True):
            operands[position] = value
        return fn(*operands)

    arity = len(positions)
    if arity == 1:
        return lambda a: call(a)
    if arity == 2:
        return lambda a, b: call(a, b)
    if arity == 3:
        return lambda a, b, c: call(a, b, c)
    return lambda *operands: call(*operands)  # several index arrays: one *args parameter


def draw_value(
    data: st.DataObject, kind: str, shape: tuple[int, ...], positive: bool, dtypes: str = "bif"
) -> Any:
    if kind in (SCALAR, CONSTANT_SCALAR):
        kinds = tuple(t for t, k in ((bool, "b"), (int, "i"), (float, "f")) if k in dtypes)
        return data.draw(strategies.python_scalars(kinds, positive), label="scalar")
    dtype = data.draw(strategies.dtypes(dtypes), label="dtype")
    return data.draw(strategies.arrays(dtype, shape, positive), label="array")


def operands_call(
    data: st.DataObject,
    fn: Callable,
    template: str,
    shapes: tuple[tuple[int, ...], ...],
    positive: tuple[bool, ...],
    kinds: tuple[str, ...] = (ARRAY, SCALAR, CONSTANT_SCALAR, CONSTANT_ARRAY),
    dtypes: str = "bif",
    unsupported: str = "",
) -> Call:
    """A call of `fn` on len(shapes) operands, each an array or a Python scalar, each traced
    or a constant, at least one traced. `template` formats the operand descriptions."""
    chosen = data.draw(
        st.lists(st.sampled_from(kinds), min_size=len(shapes), max_size=len(shapes)).filter(
            lambda ks: any(k in TRACED_KINDS for k in ks)
        ),
        label="operand kinds",
    )
    values = [
        draw_value(data, kind, shape, pos, dtypes)
        for kind, shape, pos in zip(chosen, shapes, positive, strict=True)
    ]
    traced = [kind in TRACED_KINDS for kind in chosen]
    text = template.format(
        *(
            describe(v) if t else f"constant {describe(v)}"
            for v, t in zip(values, traced, strict=True)
        )
    )
    traced_values = tuple(v for v, t in zip(values, traced, strict=True) if t)
    return Call(bake(fn, values, traced), traced_values, text, unsupported)


def operand_shapes(data: st.DataObject, count: int) -> tuple[tuple[int, ...], ...]:
    """Shapes that broadcast together, or now and then any shapes (which may not)."""
    if data.draw(st.integers(0, 4), label="independent shapes") == 0:
        return tuple(data.draw(strategies.shapes(), label="shape") for _ in range(count))
    return data.draw(strategies.broadcastable_shapes(count), label="shapes")


# --- elementwise --------------------------------------------------------------------------

# name -> (ufunc, domain). Domains keep the values where NumPy and Python agree on types:
# a divisor is never 0 (Python raises), powers have positive operands (Python gives complex
# for a negative base and a float for a negative integer exponent; NumPy refuses the latter).
UNARY: dict[str, np.ufunc] = {
    name: getattr(np, name)
    for name in (
        "negative",
        "positive",
        "abs",
        "sign",
        "exp",
        "expm1",
        "log",
        "log1p",
        "sqrt",
        "square",
        "sin",
        "cos",
        "tan",
        "arcsin",
        "arccos",
        "arctan",
        "sinh",
        "cosh",
        "tanh",
        "floor",
        "ceil",
        "logical_not",
    )
}
POSITIVE_UNARY = {"log", "log1p", "sqrt"}

BINARY: dict[str, np.ufunc] = {
    name: getattr(np, name)
    for name in (
        "add",
        "subtract",
        "multiply",
        "divide",
        "floor_divide",
        "remainder",
        "power",
        "maximum",
        "minimum",
        "arctan2",
        "equal",
        "not_equal",
        "less",
        "less_equal",
        "greater",
        "greater_equal",
        "logical_and",
        "logical_or",
    )
}
OPERATORS: dict[str, tuple[str, Callable]] = {
    "add": ("+", operator.add), "subtract": ("-", operator.sub), "multiply": ("*", operator.mul),
    "divide": ("/", operator.truediv), "floor_divide": ("//", operator.floordiv),
    "remainder": ("%", operator.mod), "power": ("**", operator.pow),
    "equal": ("==", operator.eq), "not_equal": ("!=", operator.ne), "less": ("<", operator.lt),
    "less_equal": ("<=", operator.le), "greater": (">", operator.gt),
    "greater_equal": (">=", operator.ge),
}  # fmt: skip
BINARY_DOMAINS: dict[str, tuple[bool, bool]] = {
    "divide": (False, True),
    "floor_divide": (False, True),
    "remainder": (False, True),
    "power": (True, True),
}


def unary_case(name: str, spelling: str) -> Callable[[st.DataObject], Call]:
    ufunc = UNARY[name]
    fn = {"function": ufunc, "-x": operator.neg, "abs(x)": abs}[spelling]
    template = f"np.{name}({{}})" if spelling == "function" else spelling.replace("x", "{}")

    def draw(data: st.DataObject) -> Call:
        shapes = (data.draw(strategies.shapes(), label="shape"),)
        return operands_call(
            data, fn, template, shapes, (name in POSITIVE_UNARY,), kinds=TRACED_KINDS
        )

    return draw


def binary_case(name: str, spelling: str) -> Callable[[st.DataObject], Call]:
    if spelling == "function":
        fn, template = BINARY[name], f"np.{name}({{}}, {{}})"
    else:
        symbol, fn = OPERATORS[name]
        template = f"{{}} {symbol} {{}}"
    positive = BINARY_DOMAINS.get(name, (False, False))

    # `bool_array ** n` with a traced Python int n has a value-dependent type in NumPy (it
    # squares to int8 when n happens to be 2): tracegrad types it as np.power does, which
    # test_bool_power_operator_is_typed_as_np_power pins down. Other dtypes draw here.
    dtypes = "if" if spelling == "operator" and name == "power" else "bif"

    def draw(data: st.DataObject) -> Call:
        return operands_call(data, fn, template, operand_shapes(data, 2), positive, dtypes=dtypes)

    return draw


def round_case(data: st.DataObject) -> Call:
    decimals = data.draw(st.sampled_from([None, 0, 1, 2, -1]), label="decimals")
    if decimals is None:
        fn, template = np.round, "np.round({})"
    else:
        fn, template = (lambda x: np.round(x, decimals)), f"np.round({{}}, {decimals})"
    return operands_call(
        data, fn, template, (data.draw(strategies.shapes()),), (False,), kinds=TRACED_KINDS
    )


def where_case(data: st.DataObject) -> Call:
    return operands_call(
        data, np.where, "np.where({}, {}, {})", operand_shapes(data, 3), (False, False, False)
    )


def clip_case(data: st.DataObject) -> Call:
    bounds = data.draw(st.sampled_from(["both", "low", "high", "neither"]), label="bounds")
    spelling = data.draw(st.sampled_from(["function", "method", "keywords"]), label="spelling")
    shapes = operand_shapes(data, 3)
    if spelling == "method":
        # A method needs an ndarray: a Python scalar has no .clip.
        kinds = [(ARRAY,), (ARRAY, SCALAR, CONSTANT_SCALAR, CONSTANT_ARRAY)]
    else:
        kinds = [TRACED_KINDS, (ARRAY, SCALAR, CONSTANT_SCALAR, CONSTANT_ARRAY)]
    low_given, high_given = bounds in ("both", "low"), bounds in ("both", "high")

    def fn(x, *given):
        values = iter(given)
        low = next(values) if low_given else None
        high = next(values) if high_given else None
        if spelling == "method":
            return x.clip(low, high)
        if spelling == "keywords":
            return np.clip(x, min=low, max=high)
        return np.clip(x, low, high)

    count = 1 + low_given + high_given
    first = data.draw(st.sampled_from(kinds[0]), label="operand kind")
    rest = [data.draw(st.sampled_from(kinds[1]), label="bound kind") for _ in range(count - 1)]
    chosen = [first, *rest]
    values = [
        draw_value(data, kind, shape, False)
        for kind, shape in zip(chosen, shapes[:count], strict=True)
    ]
    traced = [kind in TRACED_KINDS for kind in chosen]
    names = ["x", *(["low"] if low_given else []), *(["high"] if high_given else [])]
    text = f"clip ({spelling}) " + ", ".join(
        f"{n}={describe(v)}{'' if t else ' (constant)'}"
        for n, v, t in zip(names, values, traced, strict=True)
    )
    traced_values = tuple(v for v, t in zip(values, traced, strict=True) if t)
    return Call(bake(fn, values, traced), traced_values, text)


# --- reductions ---------------------------------------------------------------------------

REDUCTIONS = ("sum", "prod", "max", "min", "argmax", "argmin", "mean", "var", "std")
TAKES_DTYPE = {"sum", "prod", "mean", "var", "std"}


def axes(ndim: int) -> st.SearchStrategy[Any]:
    """None, an int or a tuple of ints: out of range, negative and repeated ones included."""
    return st.one_of(
        st.none(),
        st.integers(-ndim - 1, ndim),
        st.lists(st.integers(-ndim, max(ndim - 1, 0)), max_size=max(ndim, 1)).map(tuple),
    )


def reduction_case(name: str) -> Callable[[st.DataObject], Call]:
    def draw(data: st.DataObject) -> Call:
        spelling = data.draw(st.sampled_from(["function", "method"]), label="spelling")
        shape = data.draw(strategies.shapes(), label="shape")
        axis = data.draw(axes(len(shape)), label="axis")
        keywords: dict[str, Any] = {"axis": axis}
        if data.draw(st.booleans(), label="keepdims given"):
            keywords["keepdims"] = data.draw(st.booleans(), label="keepdims")
        if name in TAKES_DTYPE and data.draw(st.booleans(), label="dtype given"):
            keywords["dtype"] = data.draw(strategies.dtypes(), label="dtype")
        if name in ("var", "std"):
            keywords["ddof"] = data.draw(st.integers(0, 1), label="ddof")
        if spelling == "method":

            def fn(x):
                return getattr(x, name)(**keywords)

            kinds = (ARRAY,)  # a Python scalar has no methods
        else:

            def fn(x):
                return getattr(np, name)(x, **keywords)

            kinds = TRACED_KINDS
        arguments = ", ".join(f"{k}={v!r}" for k, v in keywords.items())
        template = (
            f"{{}}.{name}({arguments})" if spelling == "method" else f"np.{name}({{}}, {arguments})"
        )
        dtype = np.dtype(keywords.get("dtype", np.float64))
        unsupported = (
            "a variance computed in integers"
            if name in ("var", "std") and dtype.kind not in "fc"
            else ""
        )
        return operands_call(
            data, fn, template, (shape,), (False,), kinds=kinds, unsupported=unsupported
        )

    return draw


def norm_case(data: st.DataObject) -> Call:
    """The norms tracegrad writes out: Frobenius / 2-norm of all entries, 2-norm along an axis."""
    shape = data.draw(strategies.shapes(max_dims=2), label="shape")
    ndim = len(shape)
    axis = data.draw(st.one_of(st.none(), st.integers(-ndim - 1, ndim)), label="axis")
    ord_ = data.draw(st.sampled_from([None, 2] if axis is not None or ndim == 1 else [None]))
    keepdims = data.draw(st.booleans(), label="keepdims")

    def fn(x):
        return np.linalg.norm(x, ord=ord_, axis=axis, keepdims=keepdims)

    template = f"np.linalg.norm({{}}, ord={ord_}, axis={axis}, keepdims={keepdims})"
    return operands_call(data, fn, template, (shape,), (False,), kinds=TRACED_KINDS)


# --- contractions -------------------------------------------------------------------------


def matmul_shapes(data: st.DataObject) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """1-D, 2-D and batched operands with broadcasting batch dimensions; now and then a
    contracted size that does not match, or a 0-d operand."""
    n, k, m = (data.draw(st.integers(1, 4), label="size") for _ in range(3))
    batch_a, batch_b = data.draw(
        strategies.broadcastable_shapes(2, max_dims=2), label="batch shapes"
    )
    a = data.draw(st.sampled_from([(k,), (*batch_a, n, k), ()]), label="left shape")
    if data.draw(st.integers(0, 5), label="mismatch") == 0:
        k = data.draw(st.integers(1, 4), label="other size")
    b = data.draw(st.sampled_from([(k,), (*batch_b, k, m), ()]), label="right shape")
    return a, b


def matmul_case(spelling: str) -> Callable[[st.DataObject], Call]:
    fn, template = {
        "@": (operator.matmul, "{} @ {}"),
        "np.matmul": (np.matmul, "np.matmul({}, {})"),
    }[spelling]

    def draw(data: st.DataObject) -> Call:
        return operands_call(
            data,
            fn,
            template,
            matmul_shapes(data),
            (False, False),
            kinds=(ARRAY, CONSTANT_ARRAY, SCALAR),
        )

    return draw


def dot_case(spelling: str) -> Callable[[st.DataObject], Call]:
    def draw(data: st.DataObject) -> Call:
        k = data.draw(st.integers(1, 4), label="contracted size")
        a = (*data.draw(strategies.shapes(max_dims=2), label="left batch"), k)
        b_batch = data.draw(strategies.shapes(max_dims=2), label="right batch")
        b = (k,) if not b_batch else (*b_batch[:-1], k, b_batch[-1])
        a = data.draw(st.sampled_from([a, ()]), label="left shape")
        b = data.draw(st.sampled_from([b, ()]), label="right shape")
        if spelling == "method":
            fn, template, kinds = (lambda x, y: x.dot(y)), "{}.dot({})", (ARRAY,)
        else:
            fn, template, kinds = np.dot, "np.dot({}, {})", TRACED_KINDS
        first = data.draw(st.sampled_from(kinds), label="left kind")
        second = data.draw(st.sampled_from([*TRACED_KINDS, CONSTANT_SCALAR, CONSTANT_ARRAY]))
        values = [draw_value(data, first, a, False), draw_value(data, second, b, False)]
        traced = [True, second in TRACED_KINDS]
        text = template.format(*(describe(v) for v in values))
        traced_values = tuple(v for v, t in zip(values, traced, strict=True) if t)
        return Call(bake(fn, values, traced), traced_values, text)

    return draw


EINSUM_SUBSCRIPTS = (
    "ij,jk->ik",
    "ij,jk",
    "ii->i",
    "ii",
    "i,i",
    "i,i->",
    "ij->",
    "ij->ji",
    "ji",
    "ijk->kji",
    "bij,bjk->bik",
    "i,j->ij",
    "i,j",
    "ij,j->i",
    "ij,ij->ij",
    "iij->j",
    "i->",
    ",i->i",
)


def einsum_case(data: st.DataObject) -> Call:
    subscripts = data.draw(st.sampled_from(EINSUM_SUBSCRIPTS), label="subscripts")
    terms = subscripts.split("->")[0].split(",")
    sizes = {
        c: data.draw(st.integers(1, 4), label=f"size of {c}")
        for c in sorted(set(subscripts))
        if c.isalpha()
    }
    shapes = [tuple(sizes[c] for c in term) for term in terms]
    if data.draw(st.integers(0, 5), label="mismatch") == 0:
        which = data.draw(st.integers(0, len(shapes) - 1), label="operand")
        if shapes[which]:
            shapes[which] = (*shapes[which][:-1], data.draw(st.integers(1, 4)))

    def fn(*operands):
        return np.einsum(subscripts, *operands)

    # an axis of size 1 under a letter of another size stretches, as NumPy stretches it
    template = f"np.einsum({subscripts!r}, " + ", ".join("{}" for _ in terms) + ")"
    return operands_call(
        data,
        fn,
        template,
        tuple(shapes),
        (False,) * len(shapes),
        kinds=(ARRAY, CONSTANT_ARRAY, SCALAR),
    )


# --- shapes -------------------------------------------------------------------------------


def reshape_targets(shape: tuple[int, ...]) -> st.SearchStrategy[tuple[int, ...]]:
    """A shape with as many elements (one dimension maybe -1), or now and then one without."""
    size = int(np.prod(shape))
    divisors = [d for d in range(1, size + 1) if size % d == 0]

    @st.composite
    def target(draw):
        dims, left = [], size
        while left > 1 and len(dims) < 3:
            d = draw(st.sampled_from([d for d in divisors if left % d == 0]))
            dims.append(d)
            left //= d
        if left > 1:
            dims.append(left)
        dims.extend([1] * draw(st.integers(0, 1)))
        dims = draw(st.permutations(dims))
        if dims and draw(st.booleans()):
            dims[draw(st.integers(0, len(dims) - 1))] = -1
        if draw(st.integers(0, 5)) == 0:
            dims.append(draw(st.sampled_from([2, 3, -1])))
        return tuple(dims)

    return target()


def shape_case(name: str) -> Callable[[st.DataObject], Call]:
    def draw(data: st.DataObject) -> Call:
        shape = data.draw(strategies.shapes(), label="shape")
        ndim = len(shape)
        axis = st.integers(-ndim - 1, ndim)
        method = False
        if name == "reshape":
            target = data.draw(reshape_targets(shape), label="target")
            spelling = data.draw(st.sampled_from(["np", "method", "method *dims"]))
            method = spelling != "np"
            if spelling == "np":
                fn, text = (lambda x: np.reshape(x, target)), f"np.reshape({{}}, {target})"
            elif spelling == "method":
                fn, text = (lambda x: x.reshape(target)), f"{{}}.reshape({target})"
            else:
                fn, text = (lambda x: x.reshape(*target)), f"{{}}.reshape(*{target})"
        elif name == "transpose":
            perm = data.draw(
                st.one_of(
                    st.none(),
                    st.permutations(range(ndim)),
                    st.lists(st.integers(-ndim, max(ndim, 1)), min_size=ndim, max_size=ndim),
                ).map(lambda p: p if p is None else tuple(p)),
                label="axes",
            )
            spelling = data.draw(st.sampled_from(["np", ".T", "method"]))
            method = spelling != "np"
            if spelling == ".T":
                fn, text = (lambda x: x.T), "{}.T"
            elif spelling == "method":
                fn, text = (lambda x: x.transpose(*(perm or ()))), f"{{}}.transpose(*{perm})"
            else:
                fn, text = (lambda x: np.transpose(x, perm)), f"np.transpose({{}}, {perm})"
        elif name == "swapaxes":
            a, b = data.draw(axis, label="axis1"), data.draw(axis, label="axis2")
            fn, text = (lambda x: np.swapaxes(x, a, b)), f"np.swapaxes({{}}, {a}, {b})"
        elif name == "moveaxis":
            count = data.draw(st.integers(1, max(ndim, 1)), label="count")
            many = st.lists(st.integers(-ndim - 1, ndim), min_size=count, max_size=count)
            source = data.draw(many.map(tuple) if count > 1 else axis, label="source")
            target = data.draw(many.map(tuple) if count > 1 else axis, label="destination")
            fn = lambda x: np.moveaxis(x, source, target)  # noqa: E731
            text = f"np.moveaxis({{}}, {source}, {target})"
        elif name == "expand_dims":
            where = data.draw(
                st.one_of(
                    st.integers(-ndim - 2, ndim + 1),
                    st.lists(st.integers(-ndim - 2, ndim + 1), min_size=1, max_size=2).map(tuple),
                ),
                label="axis",
            )
            fn, text = (lambda x: np.expand_dims(x, where)), f"np.expand_dims({{}}, {where})"
        elif name == "squeeze":
            which = data.draw(
                st.one_of(
                    st.none(),
                    axis,
                    st.lists(st.integers(-ndim, max(ndim - 1, 0)), max_size=2).map(tuple),
                ),
                label="axis",
            )
            fn, text = (lambda x: np.squeeze(x, which)), f"np.squeeze({{}}, {which})"
        elif name == "broadcast_to":
            if data.draw(st.integers(0, 4), label="any target") == 0:
                target = data.draw(strategies.shapes(), label="target")  # which may not fit
            else:
                shape, other = data.draw(strategies.broadcastable_shapes(2), label="shapes")
                target = np.broadcast_shapes(shape, other)
            fn, text = (lambda x: np.broadcast_to(x, target)), f"np.broadcast_to({{}}, {target})"
        else:
            raise AssertionError(name)
        kinds = (ARRAY,) if method else TRACED_KINDS
        return operands_call(data, fn, text, (shape,), (False,), kinds=kinds)

    return draw


def joining_case(name: str) -> Callable[[st.DataObject], Call]:
    def draw(data: st.DataObject) -> Call:
        count = data.draw(st.integers(1, 3), label="count")
        shape = data.draw(strategies.shapes(min_dims=0 if name == "stack" else 1), label="shape")
        ndim = len(shape)
        if name == "stack":
            axis = data.draw(st.integers(-ndim - 2, ndim + 1), label="axis")
        else:
            axis = data.draw(st.one_of(st.none(), st.integers(-ndim - 1, ndim)), label="axis")
        shapes = []
        for _ in range(count):
            own = list(shape)
            if name == "concatenate" and axis is not None and -ndim <= axis < ndim:
                own[axis] = data.draw(st.integers(1, 4), label="joined size")
            if data.draw(st.integers(0, 6), label="mismatch") == 0:
                own = list(data.draw(strategies.shapes(), label="other shape"))
            shapes.append(tuple(own))
        function = getattr(np, name)

        def fn(*arrays):
            return function(list(arrays), axis=axis)

        template = f"np.{name}([" + ", ".join("{}" for _ in shapes) + f"], axis={axis})"
        return operands_call(data, fn, template, tuple(shapes), (False,) * count)

    return draw


def astype_case(data: st.DataObject) -> Call:
    target = data.draw(strategies.dtypes(), label="target dtype")
    spelling = data.draw(st.sampled_from(["method", "np.astype"]), label="spelling")
    if spelling == "method":
        fn, template = (lambda x: x.astype(target)), f"{{}}.astype(np.{target})"
    else:
        fn, template = (lambda x: np.astype(x, target)), f"np.astype({{}}, np.{target})"
    # An ndarray method (np.astype calls it too): a Python scalar has none.
    return operands_call(
        data, fn, template, (data.draw(strategies.shapes()),), (False,), kinds=(ARRAY,)
    )


# --- indexing -----------------------------------------------------------------------------


@st.composite
def basic_keys(draw, shape: tuple[int, ...]) -> tuple:
    """ints (negative and out of range too), slices with any steps, None and Ellipsis."""
    items: list[Any] = []
    axis = 0
    for _ in range(draw(st.integers(0, len(shape) + 1))):
        size = shape[axis] if axis < len(shape) else 1
        kind = draw(st.sampled_from(["int", "slice", "slice", "None", "Ellipsis"]))
        if kind == "int":
            items.append(draw(st.integers(-size - 1, size)))
            axis += 1
        elif kind == "slice":
            bound = st.one_of(st.none(), st.integers(-size - 1, size + 1))
            step = st.sampled_from([None, 1, 2, 3, -1, -2])
            items.append(slice(draw(bound), draw(bound), draw(step)))
            axis += 1
        elif kind == "None":
            items.append(None)
        else:
            items.append(Ellipsis)
    return tuple(items)


def key_text(key: tuple) -> str:
    def one(item: Any) -> str:
        if isinstance(item, slice):
            parts = ["" if p is None else str(p) for p in (item.start, item.stop, item.step)]
            return ":".join(parts[:2] if item.step is None else parts)
        return "..." if item is Ellipsis else repr(item)

    return ", ".join(one(item) for item in key)


def basic_index_case(data: st.DataObject) -> Call:
    shape = data.draw(strategies.shapes(min_dims=1), label="shape")
    key = data.draw(basic_keys(shape), label="key")
    whole = data.draw(st.booleans(), label="key as a tuple")
    if len(key) == 1 and not whole:
        fn, text = (lambda x: x[key[0]]), f"{{}}[{key_text(key)}]"
    else:
        fn, text = (lambda x: x[key]), f"{{}}[{key_text(key)}]"
    return operands_call(data, fn, text, (shape,), (False,), kinds=(ARRAY,))


@st.composite
def advanced_keys(draw, shape: tuple[int, ...]) -> tuple[list, list[bool]]:
    """A key mixing integer arrays (traced, constant or lists), ints and slices, with at
    least one array, and maybe an Ellipsis standing for the axes it leaves out. Returns the
    key's items and, for each, whether it is a traced argument."""
    count = draw(st.integers(1, len(shape)))
    kinds = draw(
        st.lists(st.sampled_from(["array", "int", "slice"]), min_size=count, max_size=count).filter(
            lambda ks: "array" in ks
        )
    )
    ellipsis = draw(st.one_of(st.none(), st.integers(0, count))) if count < len(shape) else None
    # Items after an Ellipsis index the last axes.
    axes = [i if ellipsis is None or i < ellipsis else len(shape) - count + i for i in range(count)]
    index_shapes = iter(draw(strategies.broadcastable_shapes(kinds.count("array"), max_dims=2)))
    items, traced = [], []
    for axis, kind in zip(axes, kinds, strict=True):
        size = shape[axis]
        if kind == "array":
            values = draw(strategies.index_arrays(size, next(index_shapes)))
            form = draw(st.sampled_from(["traced", "constant", "list"]))
            items.append(values.tolist() if form == "list" and values.ndim else values)
            traced.append(form == "traced")
        elif kind == "int":
            items.append(draw(st.integers(-size, size - 1)))
            traced.append(False)
        else:
            items.append(
                slice(
                    draw(st.sampled_from([None, 1, -1])), None, draw(st.sampled_from([None, 2, -1]))
                )
            )
            traced.append(False)
    if ellipsis is not None:
        items.insert(ellipsis, Ellipsis)
        traced.insert(ellipsis, False)
    return items, traced


def advanced_index_case(data: st.DataObject) -> Call:
    shape = data.draw(strategies.shapes(min_dims=1), label="shape")
    items, traced = data.draw(advanced_keys(shape), label="key")
    x = data.draw(
        strategies.arrays(data.draw(strategies.dtypes(), label="dtype"), shape), label="x"
    )
    values = [x, *items]

    def fn(x, *key):
        return x[tuple(key)]

    text = (
        "{}["
        + ", ".join(
            describe(v)
            if t
            else (
                key_text((v,))
                if not isinstance(v, np.ndarray | list)
                else f"constant {describe(v)}"
            )
            for v, t in zip(items, traced, strict=True)
        )
        + "]"
    )
    flags = [True, *traced]
    return Call(
        bake(fn, values, flags),
        tuple(v for v, t in zip(values, flags, strict=True) if t),
        text.format(describe(x)),
    )


def named_index_case(form: str) -> Callable[[st.DataObject], Call]:
    """The forms models use: `z[np.arange(n), y]`, `x[:, idx]`, `x[idx, :, idx2]`..."""

    def draw(data: st.DataObject) -> Call:
        n, m, k = (data.draw(st.integers(1, 4), label="size") for _ in range(3))
        dtype = data.draw(strategies.dtypes(), label="dtype")
        idx_shape = data.draw(strategies.shapes(max_dims=2), label="index shape")
        if form == "z[np.arange(n), y]":
            x = data.draw(strategies.arrays(dtype, (n, m)))
            y = data.draw(strategies.index_arrays(m, (n,)))
            return Call(
                lambda z, y: z[np.arange(z.shape[0]), y],
                (x, y),
                f"{describe(x)}[np.arange({n}), {describe(y)}]",
            )
        if form == "x[:, idx]":
            x = data.draw(strategies.arrays(dtype, (n, m, k)[: data.draw(st.integers(2, 3))]))
            idx = data.draw(strategies.index_arrays(m, idx_shape))
            return Call(lambda x, idx: x[:, idx], (x, idx), f"{describe(x)}[:, {describe(idx)}]")
        if form == "x[idx, :, idx2]":
            x = data.draw(strategies.arrays(dtype, (n, m, k)))
            idx, idx2 = (
                data.draw(strategies.index_arrays(size, s))
                for size, s in zip(
                    (n, k), data.draw(strategies.broadcastable_shapes(2, max_dims=2)), strict=True
                )
            )
            return Call(
                lambda x, i, j: x[i, :, j],
                (x, idx, idx2),
                f"{describe(x)}[{describe(idx)}, :, {describe(idx2)}]",
            )
        if form == "x[0, idx]":
            x = data.draw(strategies.arrays(dtype, (n, m)))
            i = data.draw(st.integers(-n, n - 1))
            idx = data.draw(strategies.index_arrays(m, idx_shape))
            return Call(lambda x, idx: x[i, idx], (x, idx), f"{describe(x)}[{i}, {describe(idx)}]")
        if form == "x[idx, 0, idx2]":
            x = data.draw(strategies.arrays(dtype, (n, m, k)))
            j = data.draw(st.integers(-m, m - 1))
            idx, idx2 = (
                data.draw(strategies.index_arrays(n, idx_shape)),
                data.draw(strategies.index_arrays(k, ())),
            )
            return Call(
                lambda x, a, b: x[a, j, b],
                (x, idx, idx2),
                f"{describe(x)}[{describe(idx)}, {j}, {describe(idx2)}]",
            )
        if form == "x[0, :, idx]":
            x = data.draw(strategies.arrays(dtype, (n, m, k)))
            idx = data.draw(strategies.index_arrays(k, idx_shape))
            return Call(
                lambda x, idx: x[0, :, idx], (x, idx), f"{describe(x)}[0, :, {describe(idx)}]"
            )
        raise AssertionError(form)

    return draw


NAMED_INDEX_FORMS = (
    "z[np.arange(n), y]",
    "x[:, idx]",
    "x[idx, :, idx2]",
    "x[0, idx]",
    "x[idx, 0, idx2]",
    "x[0, :, idx]",
)


# --- the draws a row of the table carries -------------------------------------------------

UNARY_SPELLINGS = {"negative": "-x", "abs": "abs(x)"}


def unary_draws(ufunc: np.ufunc) -> tuple[TypeDraw, ...]:
    """np.f(x), and the operator spelling where there is one (-x, abs(x))."""
    found: list[TypeDraw] = []
    for name in (name for name, function in UNARY.items() if function is ufunc):
        found.append(TypeDraw(f"np.{name}", unary_case(name, "function")))
        if name in UNARY_SPELLINGS:
            found.append(TypeDraw(UNARY_SPELLINGS[name], unary_case(name, UNARY_SPELLINGS[name])))
    return tuple(found)


def binary_draws(ufunc: np.ufunc) -> tuple[TypeDraw, ...]:
    """np.f(x, y), and x op y where Python has the operator."""
    found: list[TypeDraw] = []
    for name in (name for name, function in BINARY.items() if function is ufunc):
        found.append(TypeDraw(f"np.{name}", binary_case(name, "function")))
        if name in OPERATORS:
            found.append(TypeDraw(f"x {OPERATORS[name][0]} y", binary_case(name, "operator")))
    return tuple(found)


def reduction_draws(name: str) -> tuple[TypeDraw, ...]:
    return (TypeDraw(f"np.{name}", reduction_case(name)),)


def shape_draws(name: str) -> tuple[TypeDraw, ...]:
    return (TypeDraw(f"np.{name}", shape_case(name)),)
