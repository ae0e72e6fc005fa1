"""Bad input: each raises a TraceError naming the user's file and line, the operation, and
what to write instead; no internal exception ever reaches the user."""

import inspect
import math

import numpy as np
import pytest

import tracegrad


def expect_error(fn, *args, marker: str, fragments: tuple[str, ...], hint: str):
    """Trace fn; the error must point at the line containing `marker` in fn's source."""
    lines, start = inspect.getsourcelines(fn)
    line = start + next(i for i, text in enumerate(lines) if marker in text)
    with pytest.raises(tracegrad.TraceError) as caught:
        tracegrad.jit(fn)(*args)
    message = str(caught.value)
    assert message.startswith(f"{__file__}:{line}:"), message
    assert marker in message  # the offending line's text is quoted
    for fragment in fragments:
        assert fragment in message, message
    assert "Instead: " in message and hint in message, message
    return caught.value


X = np.linspace(-1.0, 1.0, 6).reshape(2, 3)


def test_python_if_on_a_traced_value():
    def f(x):
        if x.sum() > 0:  # marker
            return x
        return -x

    expect_error(f, X, marker="if x.sum() > 0", fragments=("`if`",), hint="np.where")


def test_python_while_on_a_traced_value():
    def f(x):
        while x.max() < 10:  # marker
            x = x * 2
        return x

    expect_error(f, X, marker="while x.max()", fragments=("`while`",), hint="np.where")


@pytest.mark.parametrize(
    "convert, fragment, hint",
    [(bool, "bool()", "np.where"), (int, "int()", "astype"), (float, "float()", "np.sin")],
)
def test_conversions_to_python_values(convert, fragment, hint):
    def f(x):
        return convert(x.sum())  # marker

    expect_error(f, X, marker="convert(x.sum())", fragments=(fragment,), hint=hint)


def test_math_function_on_a_traced_value():
    def f(x):
        return math.sin(x.sum())  # marker

    expect_error(f, X, marker="math.sin", fragments=("math",), hint="np.sin")


def test_boolean_mask_indexing():
    def f(x):
        return x[x > 0]  # marker (its size depends on the data; .sum() of it works)

    expect_error(f, X, marker="x[x > 0]", fragments=("boolean-mask",), hint="np.where(mask, x, 0)")


def test_item_assignment_into_an_argument():
    def f(x):
        y = x
        y[0] = 5  # marker
        return y

    expect_error(f, X, marker="y[0] = 5", fragments=("an argument",), hint="`y = y.copy()`")


def test_numpy_function_without_a_rule():
    def f(x):
        return np.fft.fft(x)  # marker

    expect_error(f, X, marker="np.fft.fft", fragments=("np.fft.fft",), hint="tracegrad.numpy")


def test_ufunc_without_a_rule():
    def f(x):
        return np.spacing(x)  # marker

    expect_error(f, X, marker="np.spacing", fragments=("np.spacing",), hint="tracegrad.numpy")


def test_shape_mismatch_in_matmul():
    def f(x):
        return x @ x  # marker

    expect_error(f, X, marker="x @ x", fragments=("matmul", "f64[2,3] @ f64[2,3]"), hint=".T")


def test_shape_mismatch_in_broadcasting():
    def f(x, y):
        return x + y  # marker

    expect_error(
        f,
        X,
        np.ones(4),
        marker="x + y",
        fragments=("do not broadcast", "f64[4]"),
        hint="b[:, None]",
    )


def test_shape_mismatch_in_reshape():
    def f(x):
        return x.reshape(4, 2)  # marker

    expect_error(
        f,
        X,
        marker="x.reshape(4, 2)",
        fragments=("cannot reshape",),
        hint="same number of elements",
    )


def test_shape_mismatch_in_concatenate():
    def f(x):
        return np.concatenate([x, x.T])  # marker

    expect_error(
        f,
        X,
        marker="np.concatenate",
        fragments=("concatenate", "f64[3,2]"),
        hint="same shape except along the axis",
    )


@pytest.mark.parametrize("bad", [object(), np.array(["a", "b"])])  # a str is static
def test_arguments_that_are_not_arrays_numbers_or_pytrees(bad):
    def f(x, y):
        return x

    with pytest.raises(tracegrad.TraceError) as caught:
        tracegrad.jit(f)(X, bad)
    message = str(caught.value)
    assert message.startswith(f"{__file__}:")  # the caller's line
    assert "argument y of f" in message and "static_argnums" in message


def test_a_leaked_tracer_is_refused():
    leaked = []

    def f(x):
        leaked.append(x)
        return x * 2

    tracegrad.jit(f)(X)
    with pytest.raises(tracegrad.TraceError, match="after its trace finished"):
        tracegrad.numpy.sin(leaked[0])


ODD_CALLS = {
    "axis out of range": lambda x: x.sum(axis=3),
    "repeated axis": lambda x: x.sum(axis=(0, 0)),
    "bad einsum letters": lambda x: np.einsum("i1->i", x),
    "einsum operand count": lambda x: np.einsum("ij,jk->ik", x),
    "einsum size clash": lambda x: np.einsum("ii->i", x),
    "squeeze a wide axis": lambda x: np.squeeze(x, axis=1),
    "too many indices": lambda x: x[0, 0, 0],
    "index out of bounds": lambda x: x[5],
    "constant index out of bounds": lambda x: x[np.array([0, 7])],
    "float index": lambda x: x[x.astype(np.float32)],
    "two minus ones in reshape": lambda x: x.reshape(-1, -1),
    "transpose bad axes": lambda x: x.transpose(0, 0),
    "broadcast_to smaller": lambda x: np.broadcast_to(x, (3,)),
    "stack different shapes": lambda x: np.stack([x, x.T]),
    "matmul of a scalar": lambda x: x.sum() @ x,
    "unsupported kwarg": lambda x: np.sum(x, out=x),
    "uint8 plus 300": lambda x: x.astype(np.uint8) + 300,
    "where with one argument": lambda x: np.where(x > 0),
    "svd with hermitian=True": lambda x: np.linalg.svd(x, hermitian=True),
    "out keyword": lambda x: np.exp(x, out=x),
}


@pytest.mark.parametrize("name", sorted(ODD_CALLS))
def test_no_internal_exception_escapes(name):
    with pytest.raises(tracegrad.TracegradError) as caught:
        tracegrad.jit(ODD_CALLS[name])(X)
    assert f"{__file__}:" in str(caught.value)
