"""Bad input, one case per test: each raises a tracegrad error whose message starts with the
user's `file:line:` (the exact line, found here by its `# ERROR` marker), quotes that line and
ends with an `Instead: ...` hint. No internal exception ever reaches the user."""

import inspect
import math
import os
import pathlib

import numpy as np
import pytest

import tracegrad

BASENAME = os.path.basename(__file__)
MARKER = "# ERROR"

X = np.linspace(-1.0, 1.0, 6).reshape(2, 3)


def marked_line(fn) -> tuple[int, str]:
    """The line number and text of the one line of `fn` that carries the marker comment."""
    lines, start = inspect.getsourcelines(fn)
    found = [(start + i, text) for i, text in enumerate(lines) if MARKER in text]
    assert len(found) == 1, f"{fn.__name__} must mark exactly one line"
    return found[0]


def check_message(error: Exception, where, hint: str, fragments: tuple[str, ...] = ()) -> None:
    """`where` is the function whose marked line the error must name."""
    line, text = marked_line(where)
    message = str(error)
    first, *rest = message.splitlines()
    assert first.startswith(f"{__file__}:{line}: "), message
    assert f"{BASENAME}:{line}:" in first, message
    assert os.path.basename(error.loc.file) == BASENAME and error.loc.line == line
    assert rest and rest[0].strip() == text.strip(), message  # the line is quoted
    assert rest[-1].startswith("Instead: ") and hint in rest[-1], message
    for fragment in fragments:
        assert fragment in message, message


def expect(fn, *args, hint, fragments=(), error=tracegrad.TraceError, static_argnums=()):
    """Compile and call `fn`; the error must name the marked line of `fn`."""
    with pytest.raises(error) as caught:
        tracegrad.jit(fn, static_argnums=static_argnums)(*args)
    check_message(caught.value, fn, hint, fragments)
    return caught.value


# --- control flow and conversions on traced values ----------------------------------------


def test_python_if_on_a_traced_value():
    def f(x):
        if x.sum() > 0:  # ERROR
            return x
        return -x

    expect(f, X, fragments=("`if`", "traced"), hint="np.where(condition, a, b)")


def test_python_while_on_a_traced_value():
    def f(x):
        while x.max() < 10.0:  # ERROR
            x = x * 2.0
        return x

    expect(f, X, fragments=("`while`",), hint="for i in range(x.shape[0])")


def test_bool_of_a_traced_value():
    def f(x):
        flag = bool(x.sum())  # ERROR
        return x * flag

    expect(f, X, fragments=("bool()",), hint="np.where")


def test_int_of_a_traced_value():
    def f(x):
        n = int(x.sum())  # ERROR
        return x * n

    expect(f, X, fragments=("int()",), hint=".astype(np.int64)")


def test_float_of_a_traced_value():
    def f(x):
        scale = float(x.max())  # ERROR
        return x / scale

    expect(f, X, fragments=("float()",), hint="use the NumPy function instead")


def test_math_function_on_a_traced_value():
    def f(x):
        return math.sin(x.sum())  # ERROR

    expect(f, X, fragments=("`math` function",), hint="np.sin")


def test_boolean_mask_indexing():
    def f(x):
        return x[x > 0]  # ERROR: its size depends on the data (.sum() of it works)

    expect(f, X, fragments=("boolean-mask",), hint="np.where(mask, x, 0)")


def test_item_assignment_into_an_argument():
    def f(x):
        x[0] = 5  # ERROR
        return x

    expect(f, X, fragments=("an argument",), hint="`x = x.copy()`")


# --- NumPy functions tracegrad does not know ----------------------------------------------


def test_numpy_function_without_a_rule():
    def f(x):
        return np.fft.fft(x)  # ERROR

    expect(f, X, fragments=("np.fft.fft has no tracing rule",), hint="tracegrad.numpy")


@pytest.mark.parametrize("ufunc", [np.spacing, np.modf])
def test_ufunc_without_a_rule(ufunc):
    from tracegrad.tracer.dispatch import UFUNCS

    assert ufunc not in UFUNCS  # the case is real only while the ufunc has no rule

    def f(x):
        return ufunc(x)  # ERROR

    expect(f, X, fragments=(f"np.{ufunc.__name__} has no tracing rule",), hint="tracegrad.numpy")


BOUND_ASARRAY = np.asarray  # bound before any trace, as `from numpy import asarray` binds it


def test_np_asarray_bound_by_name_before_tracing():
    def f(x):
        y = BOUND_ASARRAY(x)  # ERROR
        return y * 2.0

    expect(f, X, fragments=("from numpy import array",), hint="through the module")


def test_out_keyword_into_a_numpy_array_computed_by_numpy():
    def f(x):
        y = np.tile(np.ones(3), (2, 1))  # a plain NumPy array (np.ones_like's own is writable)
        np.exp(x, out=y)  # ERROR
        return y

    expect(
        f, X, fragments=("np.exp(..., out=...) is not supported",), hint="assign the result instead"
    )


def test_out_keyword_of_a_reduction():
    def f(x):
        total = np.zeros(3)
        np.sum(x, axis=0, out=total)  # ERROR
        return total

    expect(f, X, fragments=("np.sum(..., out=...)",), hint="assign the result instead")


# --- shapes that do not fit -------------------------------------------------------------


def test_shape_mismatch_in_matmul():
    def f(x):
        return x @ x  # ERROR

    expect(
        f,
        X,
        error=tracegrad.TypeRuleError,
        fragments=("matmul", "f64[2,3] @ f64[2,3]"),
        hint="transpose one of them (`.T`)",
    )


def test_shape_mismatch_in_broadcasting():
    def f(x, y):
        return x + y  # ERROR

    expect(
        f,
        np.ones((3, 4)),
        np.ones(5),
        error=tracegrad.TypeRuleError,
        fragments=("f64[3,4] and f64[5] do not broadcast",),
        hint="b[:, None]",
    )


def test_shape_mismatch_in_reshape():
    def f(x):
        return x.reshape(4, 2)  # ERROR

    expect(
        f,
        X,
        error=tracegrad.TypeRuleError,
        fragments=("cannot reshape f64[2,3]",),
        hint="same number of elements",
    )


def test_shape_mismatch_in_concatenate():
    def f(x):
        return np.concatenate([x, x.T], axis=0)  # ERROR

    expect(
        f,
        X,
        error=tracegrad.TypeRuleError,
        fragments=("f64[2,3] and f64[3,2]",),
        hint="same shape except along the axis",
    )


# --- arguments ----------------------------------------------------------------------------


def identity(x, y):
    return x


@pytest.mark.parametrize(
    # (a str is a static setting, as a bool or None: tests/runtime/test_static_flags.py)
    "bad, kind",
    [(object(), "a object"), (np.array(["a"]), "dtype <U1")],
)
def test_argument_that_is_not_an_array_number_or_pytree(bad, kind):
    compiled = tracegrad.jit(identity)
    with pytest.raises(tracegrad.TraceError) as caught:
        compiled(X, bad)  # ERROR
    check_message(
        caught.value,
        test_argument_that_is_not_an_array_number_or_pytree,
        hint="static_argnums",
        fragments=("argument y of identity", kind),
    )


def test_bad_leaf_inside_a_pytree_argument():
    compiled = tracegrad.jit(identity)
    with pytest.raises(tracegrad.TraceError) as caught:
        compiled(X, {"w": X, "name": "text"})  # ERROR
    check_message(
        caught.value,
        test_bad_leaf_inside_a_pytree_argument,
        hint="np.asarray(...)",
        fragments=("argument y['name'] of identity",),
    )


def test_static_argnums_out_of_range():
    compiled = tracegrad.jit(identity, static_argnums=(1, 5))
    with pytest.raises(tracegrad.TraceError) as caught:
        compiled(X, 3)  # ERROR
    check_message(
        caught.value,
        test_static_argnums_out_of_range,
        hint="static_argnums",
        fragments=("static_argnums names argument 5", "2 arguments"),
    )


def test_negative_static_argnums_out_of_range():
    compiled = tracegrad.jit(identity, static_argnums=-3)
    with pytest.raises(tracegrad.TraceError) as caught:
        compiled(X, 3)  # ERROR
    check_message(
        caught.value,
        test_negative_static_argnums_out_of_range,
        hint="static_argnums",
        fragments=("argument -3",),
    )


# --- leaked tracers -----------------------------------------------------------------------


def leak_a_tracer():
    leaked = []

    def keep(x):
        leaked.append(x)
        return x * 2.0

    tracegrad.jit(keep)(X)
    return leaked[0]


def test_leaked_tracer_used_after_tracing():
    leaked = leak_a_tracer()
    with pytest.raises(tracegrad.TraceError) as caught:
        np.sin(leaked)  # ERROR
    check_message(
        caught.value,
        test_leaked_tracer_used_after_tracing,
        fragments=("after its trace finished",),
        hint="return every value",
    )


def test_leaked_tracer_used_in_another_trace():
    leaked = leak_a_tracer()

    def f(x):
        return x + leaked  # ERROR

    expect(f, X, fragments=("another (finished) trace",), hint="pass them as arguments")


# --- values NumPy itself refuses ----------------------------------------------------------


def test_python_int_that_does_not_fit():
    def f(x):
        small = x.astype(np.uint8)
        return small + 300  # ERROR

    expect(f, X, fragments=("300 is out of bounds for uint8",), hint=".astype(np.int64)")


def test_out_of_bounds_constant_index():
    def f(x):
        return x[5]  # ERROR

    expect(
        f,
        X,
        error=tracegrad.TypeRuleError,
        fragments=("index 5 is out of bounds",),
        hint="between -2 and 1",
    )


def test_out_of_bounds_constant_index_array():
    def f(x):
        return x[:, np.array([0, 7])]  # ERROR

    expect(
        f,
        X,
        fragments=("index 7 is out of bounds for axis 1 with size 3",),
        hint="between -3 and 2",
    )


# --- no internal exception escapes ----------------------------------------------------------

# Each is written on its own line: the error must name exactly that line.
ODD_CALLS = {
    "axis out of range": lambda x: x.sum(axis=3),  # ERROR
    "axis not an integer": lambda x: x.sum(axis=1.5),  # ERROR
    "argmax over a tuple of axes": lambda x: x.argmax(axis=(0, 1)),  # ERROR
    "repeated axis": lambda x: x.sum(axis=(0, 0)),  # ERROR
    "einsum with a digit": lambda x: np.einsum("i1->i", x),  # ERROR
    "einsum with two arrows": lambda x: np.einsum("ij->j->i", x),  # ERROR
    "einsum operand count": lambda x: np.einsum("ij,jk->ik", x),  # ERROR
    "einsum axis count": lambda x: np.einsum("ijk->i", x),  # ERROR
    "einsum unknown output": lambda x: np.einsum("ij->k", x),  # ERROR
    "einsum repeated output": lambda x: np.einsum("ij->ii", x),  # ERROR
    "einsum size clash": lambda x: np.einsum("ii->i", x),  # ERROR
    "squeeze of a wide axis": lambda x: np.squeeze(x, axis=1),  # ERROR
    "too many indices": lambda x: x[0, 0, 0],  # ERROR
    "two ellipses": lambda x: x[..., 0, ...],  # ERROR
    "slice step zero": lambda x: x[::0],  # ERROR
    "ragged index list": lambda x: x[[[0, 1], [1]]],  # ERROR
    "index arrays that do not broadcast": lambda x: x[[0, 1], np.array([0, 1, 2])],  # ERROR
    "take out of bounds": lambda x: np.take(x, [10]),  # ERROR
    "two -1 in reshape": lambda x: x.reshape(-1, -1),  # ERROR
    "transpose with a repeated axis": lambda x: x.transpose(0, 0),  # ERROR
    "moveaxis count mismatch": lambda x: np.moveaxis(x, (0, 1), 0),  # ERROR
    "stack of different shapes": lambda x: np.stack([x, x.T]),  # ERROR
    "broadcast_to a smaller shape": lambda x: np.broadcast_to(x, (3,)),  # ERROR
    "multiply by strings": lambda x: x * np.array(["a", "b", "c"]),  # ERROR
    "multiply by a ragged list": lambda x: x * [[1.0, 2.0], [1.0]],  # ERROR
    "astype to an unknown dtype": lambda x: x.astype("bogus"),  # ERROR
    "mean in an unknown dtype": lambda x: np.mean(x, dtype="bogus"),  # ERROR
    "round to a float number of decimals": lambda x: np.round(x, 1.5),  # ERROR
    "np.size of a missing axis": lambda x: x * np.size(x, axis=5),  # ERROR
    "add.reduce with out": lambda x: np.add.reduce(x, out=x),  # ERROR
    "argmax of an empty axis": lambda x: x[:, :0].argmax(axis=1),  # ERROR
    "matmul of a scalar": lambda x: x.sum() @ x,  # ERROR
    "where with one argument": lambda x: np.where(x > 0),  # ERROR
}  # fmt: skip
SOURCE_LINES = pathlib.Path(__file__).read_text().splitlines()


def odd_line(name: str) -> int:
    found = [
        n for n, text in enumerate(SOURCE_LINES, start=1) if f'"{name}":' in text and MARKER in text
    ]
    assert len(found) == 1, name
    return found[0]


@pytest.mark.parametrize("name", list(ODD_CALLS))
def test_no_internal_exception_escapes(name):
    try:
        tracegrad.jit(ODD_CALLS[name])(X)
    except tracegrad.TracegradError as error:
        message = str(error)
        assert message.startswith(f"{__file__}:{odd_line(name)}: "), message
        assert "\nInstead: " in message, message
    except Exception as error:  # the point of the test: nothing else may escape
        pytest.fail(f"{type(error).__name__} escaped: {error}")
    else:
        pytest.fail("no error was raised")
