"""The Tracer's surface never leaks an internal exception: every ndarray attribute and method
works on a traced value or raises a TraceError naming it, at the user's line, with a fix; so
do hashing, writes into NumPy arrays and conversions to NumPy or Python values."""

import copy
import math
import pickle

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import tracegrad
import tracegrad.numpy as tnp
from tracegrad import TraceError, TracegradError
from tracegrad.tracer.functions import registry

from ..catalog.numerics import central_difference_grad

X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75], [3.0, -2.0, 1.0]])
# Bound before any trace (as `from numpy import array` binds them): NumPy's own functions,
# which ask a Tracer for its value (np.array called through the module traces instead).
ARRAY, ASARRAY = np.array, np.asarray


def traced_error(fn, *args, error=TraceError) -> str:
    """The message of the error tracing fn raises; it must name this file."""
    with pytest.raises(error) as caught:
        tracegrad.jit(fn)(*args)
    message = str(caught.value)
    assert message.startswith(f"{__file__}:"), message
    assert "Instead: " in message, message
    return message


def advice(fn, *args) -> str:
    """What the error says to do instead (the quoted line of the test left out)."""
    return traced_error(fn, *args).split("Instead: ")[1]


# --- 1. hashing ---------------------------------------------------------------------------


@pytest.mark.parametrize("use", [
    lambda x: hash(x),
    lambda x: {x: 1.0},
    lambda x: {x},
    lambda x: x in {1.0: 2.0},
    lambda x: {"a": 1}.get(x[0]),
])  # fmt: skip
def test_hashing_a_traced_value_says_why_and_what_to_do(use):
    def f(x):
        use(x)
        return x

    message = traced_error(f, X)
    assert "hash() of a traced value" in message and "no concrete value to hash" in message
    assert "by a name or position" in message


def test_a_traced_value_as_a_static_argument_is_refused_clearly():
    inner = tracegrad.jit(lambda x, k: x * 2, static_argnums=1)
    message = traced_error(lambda x: inner(x, x[0]), X)
    assert "hash()" in message


# --- 2. every ndarray attribute and method ------------------------------------------------

# How each ndarray name is used on X (3x3, float64). A name missing here is read, and called
# without arguments when it is a method.
USES = {
    "all": lambda x: x.all(axis=0), "any": lambda x: (x > 1).any(axis=1),
    "argmax": lambda x: x.argmax(axis=1), "argmin": lambda x: x.argmin(),
    "argpartition": lambda x: x.argpartition(1), "argsort": lambda x: x.argsort(),
    "astype": lambda x: x.astype(np.float32), "byteswap": lambda x: x.byteswap(),
    "choose": lambda x: (x > 0.5).astype(int).choose([x, -x], mode="clip"),
    "clip": lambda x: x.clip(0.0, 1.0),
    "compress": lambda x: x.compress([True, False, True], axis=0),
    "conj": lambda x: x.conj(), "conjugate": lambda x: x.conjugate(),
    "copy": lambda x: x.copy(), "cumprod": lambda x: x.cumprod(axis=0),
    "cumsum": lambda x: x.cumsum(), "diagonal": lambda x: x.diagonal(1),
    "dot": lambda x: x.dot(x), "dump": lambda x: x.dump("file"),
    "dumps": lambda x: x.dumps(), "fill": lambda x: x.fill(0.0), "flat": lambda x: x.flat[4],
    "flatten": lambda x: x.flatten(), "getfield": lambda x: x.getfield(np.float32),
    "item": lambda x: x.item(0), "max": lambda x: x.max(axis=0, keepdims=True),
    "mean": lambda x: x.mean(axis=1), "min": lambda x: x.min(),
    "nonzero": lambda x: x.nonzero(), "partition": lambda x: x.partition(1),
    "prod": lambda x: x.prod(axis=0), "put": lambda x: x.put([0], [1.0]),
    "ravel": lambda x: x.ravel(), "repeat": lambda x: x.repeat(2, axis=1),
    "reshape": lambda x: x.reshape(9), "resize": lambda x: x.resize((9,)),
    "round": lambda x: x.round(1), "searchsorted": lambda x: x[0].searchsorted(0.3),
    "setfield": lambda x: x.setfield(1.0, np.float64),
    "setflags": lambda x: x.setflags(write=False), "sort": lambda x: x.sort(),
    "squeeze": lambda x: x[None].squeeze(0), "std": lambda x: x.std(axis=0, ddof=1),
    "sum": lambda x: x.sum(axis=0), "swapaxes": lambda x: x.swapaxes(0, 1),
    "take": lambda x: x.take([2, 0], axis=1), "to_device": lambda x: x.to_device("cpu"),
    "tobytes": lambda x: x.tobytes(), "tofile": lambda x: x.tofile("file"),
    "tolist": lambda x: x.tolist(), "trace": lambda x: x.trace(),
    "transpose": lambda x: x.transpose(1, 0), "var": lambda x: x.var(axis=1, ddof=1),
    "view": lambda x: x.view(np.int64),
}  # fmt: skip

# The names that work on a traced value, with the result NumPy gives.
# The names written out on the Tracer, and those a registration gives it (`method=`).
WORKS = {
    "T", "all", "any", "argmax", "argmin", "astype", "clip", "compress", "conj", "conjugate",
    "copy", "diagonal", "dot", "dtype", "flat", "flatten", "imag", "itemsize", "mT", "max",
    "mean", "min", "nbytes", "ndim", "prod", "ravel", "real", "repeat", "reshape", "round",
    "shape", "size", "squeeze", "std", "sum", "swapaxes", "take", "trace", "transpose", "var",
} | set(registry.METHODS) | set(registry.ATTRIBUTES)  # fmt: skip

PUBLIC = sorted(name for name in dir(np.ndarray) if not name.startswith("_"))


def use_of(name: str):
    if name in USES:
        return USES[name]

    def use(x):
        value = getattr(x, name)
        return value() if callable(value) and not isinstance(value, np.dtype) else value

    return use


@pytest.mark.parametrize("name", PUBLIC)
def test_every_ndarray_name_works_or_is_refused_by_name(name):
    use = use_of(name)
    seen = {}

    def f(x):
        result = use(x)  # the line
        seen["result"] = result
        return x * 1.0 if getattr(result, "trace", None) is None else result

    try:
        traced = tracegrad.jit(f)(X)
    except TraceError as error:
        message = str(error)
        assert name not in WORKS, message
        assert f"x.{name}" in message, message
        assert message.startswith(f"{__file__}:"), message  # the user's line
        assert "Instead: " in message, message
        return
    assert name in WORKS, f"x.{name} works now: add it to WORKS"
    expected = use(X.copy())
    if getattr(seen["result"], "trace", None) is None:  # a static fact, known while tracing
        assert seen["result"] == expected
    else:
        np.testing.assert_allclose(traced, expected)
        assert np.asarray(traced).dtype == np.asarray(expected).dtype


def test_other_names_stay_attribute_errors_so_hasattr_works():
    def f(x):
        assert not hasattr(x, "no_such_attribute")
        assert getattr(x, "__array_interface__", None) is None
        with pytest.raises(AttributeError):
            x.cumsum_typo  # noqa: B018
        return x

    np.testing.assert_array_equal(tracegrad.jit(f)(X), X)


def test_the_numpy_functions_of_refused_methods_give_the_same_reasons():
    assert "np.where(mask, a, b)" in traced_error(np.nonzero, X)
    assert "np.where(mask, a, b)" in traced_error(lambda x: x.nonzero(), X)


def test_in_place_and_memory_attributes_say_why():
    assert "in place" in traced_error(lambda x: x.sort(), X)
    assert "x = np.sort(x)" in traced_error(lambda x: x.sort(), X)
    assert "np.partition(x, kth)" in traced_error(lambda x: x.partition(1), X)
    assert "x.copy()" in traced_error(lambda x: x.fill(1.0), X)  # x is the caller's
    assert "no memory while tracing" in traced_error(lambda x: x.strides, X)
    assert "depends on the data" in traced_error(lambda x: x.nonzero(), X)


def test_the_suggested_cumulative_sum_works():
    x = X[0]
    np.testing.assert_allclose(tracegrad.jit(lambda x: np.tri(len(x)) @ x)(x), np.cumsum(x))
    scanned = tracegrad.jit(
        lambda x: tracegrad.scan(lambda c, v: (c + v, c + v), np.zeros_like(x[0]), x)[1]
    )
    np.testing.assert_allclose(scanned(x), np.cumsum(x))


@pytest.mark.parametrize("use", [
    lambda x: x.all(), lambda x: x.any(), lambda x: np.all(x > 0, axis=1),
    lambda x: np.any(x < -1.5, axis=0, keepdims=True), lambda x: (x > 0).all(axis=(0, 1)),
    lambda x: np.all(x[:0], axis=0), lambda x: np.any(x[:0]), lambda x: np.all(x[:, :0], 1),
    lambda x: np.any(x * np.nan),
])  # fmt: skip
@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_all_and_any_match_numpy(use, backend):
    result = tracegrad.jit(lambda x: use(x) | (x[0, 0] > 100), backend=backend)(X)
    np.testing.assert_array_equal(result, use(X))


@pytest.mark.parametrize("use", [
    lambda x: np.real(x), lambda x: np.imag(x) + x, lambda x: np.conj(x), lambda x: x.mT,
    lambda x: np.repeat(x, [1, 0, 2], axis=0), lambda x: np.repeat(x, 2),
    lambda x: np.diagonal(x, -1), lambda x: np.trace(x, 1), lambda x: np.trace(x[:2]),
    lambda x: np.compress([False, True], x), lambda x: np.diagonal(x[None], 0, 1, 2),
    lambda x: divmod(x, 0.75)[0] + divmod(x, 0.75)[1], lambda x: (x > 0) ^ (x < 1),
])  # fmt: skip
@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_new_functions_match_numpy(use, backend):
    np.testing.assert_allclose(tracegrad.jit(lambda x: use(x) * 1, backend=backend)(X), use(X) * 1)


# The same source, run by tracegrad on NumPy arrays and by jax.grad on JAX arrays.
def loss_diagonals(x):
    return (
        (x.diagonal(1) ** 2).sum()
        + 3.0 * x.diagonal().sum()
        + (x.repeat(2, axis=0) * x.mT.repeat(2, axis=0)).sum()
        + (x.compress(np.array([True, False, True]), axis=1) ** 3).sum()
    )


def test_gradients_of_the_new_methods():
    gradient = tracegrad.grad(loss_diagonals)(X)
    # By hand: 2 x on the superdiagonal, 3 on the diagonal, 2 * 2 (x.T) from the repeated
    # product x * x.T summed twice, and 3 x^2 in the kept columns 0 and 2.
    expected = 3.0 * np.eye(3) + 4.0 * X.T
    expected[[0, 1], [1, 2]] += 2 * X[[0, 1], [1, 2]]
    expected[:, [0, 2]] += 3 * X[:, [0, 2]] ** 2
    np.testing.assert_allclose(gradient, expected)
    tracegrad.check_grads(loss_diagonals, X)
    with jax.enable_x64(True):
        by_jax = jax.grad(loss_diagonals)(jnp.asarray(X))
    np.testing.assert_allclose(gradient, by_jax)
    np.testing.assert_allclose(tracegrad.grad(lambda x: np.trace(x, -1))(X), np.eye(3, k=-1))


def test_traced_repeat_counts_are_refused():
    message = traced_error(lambda x, n: np.repeat(x, n), X, np.array([1, 2, 0]))
    assert "np.repeat with traced repeats" in message and "shape" in message


def test_dunders_without_a_concrete_value():
    assert "np.any(x == v)" in advice(lambda x: 1.0 in x, X)
    assert "format it outside" in advice(lambda x: f"{x.sum():.3f}", X)
    assert "np.concatenate" in advice(lambda x: x.__delitem__(0), X)
    assert "power of 2" in advice(lambda x: x.astype(np.int64) << 1, X)
    assert "pickle the result" in advice(lambda x: pickle.dumps(x), X)
    assert "np.round(x)" in advice(lambda x: round(x[0, 0]), X)
    assert "np.floor" in advice(lambda x: math.trunc(x[0, 0]), X)
    assert "np.floor" in advice(lambda x: math.floor(x[0, 0]), X)
    np.testing.assert_allclose(tracegrad.jit(lambda x: round(x, 1))(X), np.round(X, 1))

    def f(x):
        assert f"{x}" == repr(x)
        return copy.deepcopy(x) + copy.copy(x)  # a deep copy does not copy the trace

    np.testing.assert_allclose(tracegrad.jit(f)(X), 2 * X)


# --- 3. writing a traced value into a NumPy array -----------------------------------------


def write_item(x):
    h = np.zeros(3)
    h[0] = x[0, 0]
    return h


def write_slice(x):
    h = np.zeros(3)
    h[1:] = x[0, 1:]
    return h


def write_row(x):
    h = np.zeros((3, 3))
    h[:] = x
    return h


def write_int(x):
    h = np.zeros(3, dtype=np.int64)
    h[0] = x.astype(np.int64)[0, 0]
    return h


def write_bool(x):
    h = np.zeros(3, dtype=bool)
    h[0] = x[0, 0] > 0
    return h


def write_fill(x):
    h = np.zeros(3)
    h.fill(x[0, 0])
    return h


def write_copyto(x):
    h = np.zeros((3, 3))
    np.copyto(h, x)
    return h


@pytest.mark.parametrize(
    "fn", [write_item, write_slice, write_row, write_int, write_bool, write_fill, write_copyto]
)
def test_writing_into_an_array_the_function_made_is_numpys(fn):
    np.testing.assert_array_equal(tracegrad.jit(fn)(X), fn(X))
    if fn(X).dtype.kind == "f":
        want = central_difference_grad(lambda x: fn(x).sum(), (X,))
        got = tracegrad.grad(lambda x: fn(x).sum())(X)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)


def write_into_a_result(x):
    h = np.tile(np.zeros(1), 3)  # a NumPy function's array on constants: it stays NumPy's
    h[0] = x[0, 0]
    return h


def write_into_a_captured(x):
    CAPTURED[0] = x[0, 0]
    return CAPTURED


CAPTURED = np.zeros(3)


@pytest.mark.parametrize("fn", [write_into_a_result, write_into_a_captured])
@pytest.mark.parametrize("transform", [tracegrad.jit, tracegrad.grad])
def test_writing_into_a_numpy_array_names_the_pattern_and_the_fix(fn, transform):
    def wrapped(x):
        return fn(x).sum()

    with pytest.raises(TracegradError) as caught:
        transform(wrapped)(X)
    message = str(caught.value)
    assert message.startswith(f"{__file__}:"), message
    assert "writing a traced value into a NumPy array" in message, message
    assert "h" in message.splitlines()[1] or "CAPTURED" in message.splitlines()[1]
    assert "np.stack" in message and "np.concatenate" in message and "np.where" in message
    np.testing.assert_array_equal(CAPTURED, np.zeros(3))


def write_at_traced_index(x):
    h = np.zeros(3)
    h[x.argmax(axis=None)] = 1.0
    return h


def one_hot_of_the_largest(x):
    h = np.zeros(x.size)
    h[x.argmax(axis=None)] = 1.0
    return h


def test_a_write_at_a_traced_position_is_a_scatter_checked_when_it_runs():
    np.testing.assert_array_equal(
        tracegrad.jit(one_hot_of_the_largest)(X), one_hot_of_the_largest(X)
    )
    with pytest.raises(TracegradError) as caught:  # NumPy's IndexError, at the line
        tracegrad.jit(write_at_traced_index)(X)
    assert "out of bounds" in caught.value.message and "traced index" in caught.value.message
    assert caught.value.loc.file == __file__


def test_the_suggested_constructions_work():
    def f(x):
        v = x[0, 0]
        h = np.zeros(3)
        by_position = np.concatenate([h[:1], v[None], h[2:]])
        by_mask = np.where(np.arange(3) == 1, v, h)
        by_stack = np.stack([h[0], v, h[2]])
        filled = np.zeros_like(x) + v
        return by_position + by_mask + by_stack + filled[0] + (np.zeros(3) + x[0])

    expected = np.array([0.0, 3 * X[0, 0], 0.0]) + X[0, 0] + X[0]
    np.testing.assert_allclose(tracegrad.jit(f)(X), expected)


# --- 5. conversions ---------------------------------------------------------------------


@pytest.mark.parametrize("use, fragment, hint", [
    (lambda x: ARRAY([x[0, 0], x[1, 1]]), "converting to a NumPy array", "np.stack([a, b"),
    (lambda x: ASARRAY([x[0], x[1]]), "from numpy import array", "np.array([a, b])"),
    (lambda x: ARRAY(x), "converting to a NumPy array", "np.stack"),
    (lambda x: ARRAY([x[0, 0], x[1, 1]], dtype=float), "", "np.stack"),
    (lambda x: float(x[0, 0]), "float()", "np.sin"),
    (lambda x: int(x[0, 0]), "int()", "astype"),
    (lambda x: list(x[0, 0]), "iterating over a 0-d", "np.stack"),
    (lambda x: x[0, 0].item(), "x.item()", "array"),
    (lambda x: x.tolist(), "x.tolist()", "x[i] for i in range"),
])  # fmt: skip
def test_conversions_name_the_line_and_the_fix(use, fragment, hint):
    def f(x):
        use(x)
        return x

    message = traced_error(f, X)
    assert "lambda x:" in message and fragment in message and hint in message, message


# --- 6. static facts, the advised way to ask what a value is --------------------------------


def test_ndim_shape_and_size_work_on_traced_and_plain_values():
    def f(x):
        assert not isinstance(x, np.ndarray)  # the sharp bit: a traced value is no ndarray
        assert np.ndim(x) == tnp.ndim(x) == 2 and np.ndim(x[0, 0]) == 0
        assert np.shape(x) == tnp.shape(x) == (3, 3) and tnp.shape(x[0]) == (3,)
        assert np.size(x) == tnp.size(x) == 9 and tnp.size(x, 1) == np.size(x, -1) == 3
        return x * 2 if tnp.ndim(x) == 2 else x

    np.testing.assert_allclose(tracegrad.jit(f)(X), 2 * X)
    assert tnp.ndim(X) == 2 and tnp.shape(2.0) == () and tnp.size(X, 0) == 3
    assert {"ndim", "shape", "size", "all", "any", "repeat", "diagonal", "trace"} <= set(
        tnp.__all__
    )


def set_shape(x):
    x.shape = (9,)


def set_real(x):
    x.real = 0.0


@pytest.mark.parametrize("fn, hint", [(set_shape, "x.reshape"), (set_real, "new array")])
def test_setting_an_array_attribute_is_refused(fn, hint):
    message = traced_error(lambda x: fn(x) or x, X)
    assert "setting x." in message and "in place" in message and hint in message


def test_real_parts_of_python_numbers_stay_python_numbers():
    def f(x, a):
        assert a.real is a and a.conj() is a and tnp.imag(a) == 0.0
        return x * np.real(a) + np.conj(x)

    np.testing.assert_allclose(tracegrad.jit(f)(X, 2.0), 3 * X)


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_the_control_flow_hints_np_all_and_np_any_work(backend):
    def f(x):
        y = tracegrad.cond(np.all(x > 0), lambda x: x * 2, lambda x: -x, x)
        return tracegrad.while_loop(lambda c: np.any(np.abs(c) < 10), lambda c: c * 2, y)

    run = tracegrad.jit(f, backend=backend)
    np.testing.assert_allclose(run(np.ones(2)), [16.0, 16.0])
    np.testing.assert_allclose(run(np.array([1.0, -3.0])), [-16.0, 48.0])
