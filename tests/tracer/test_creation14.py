"""Arrays built from traced values (issue 14): what the operation table cannot say, the
interception of np.array / np.asarray / np.r_ / np.c_ and of Python's max, min and sum
(tracer/intercept.py: in place only while a trace runs), the refusals, and emitted text."""

from __future__ import annotations

import builtins
import threading

import numpy as np
import pytest

import tracegrad
from tracegrad import TraceError
from tracegrad.tracer import intercept
from tracegrad.tracer.tracer import Tracer

V = np.linspace(0.2, 0.8, 4)
ORIGINALS = {
    "array": np.array,
    "asarray": np.asarray,
    "asanyarray": np.asanyarray,
    "r_": np.r_,
    "c_": np.c_,
    "max": builtins.max,
    "min": builtins.min,
    "sum": builtins.sum,
}


def current() -> dict[str, object]:
    return {
        name: getattr(builtins if name in intercept.BUILTINS else np, name) for name in ORIGINALS
    }


def originals_in_place() -> bool:
    return all(current()[name] is original for name, original in ORIGINALS.items())


def refusal(fn, *args) -> TraceError:
    with pytest.raises(TraceError) as caught:
        tracegrad.jit(fn)(*args)
    assert caught.value.loc is not None and caught.value.loc.file == __file__
    assert caught.value.hint
    return caught.value


# --- the mechanism ----------------------------------------------------------------------


def test_the_wrappers_are_in_place_only_while_the_function_runs():
    seen = {}

    def f(x):
        seen.update(current())
        return np.array([x[0], 1.0])

    assert originals_in_place()
    tracegrad.jit(f)(V)
    assert originals_in_place()
    assert all(seen[name] is not ORIGINALS[name] for name in ORIGINALS)
    assert seen["array"].__name__ == "array" and seen["max"].__name__ == "max"


def test_an_exception_inside_the_traced_function_restores_them():
    def f(x):
        np.array([x[0], 1.0])
        raise RuntimeError("the user's own bug")

    with pytest.raises(RuntimeError, match="the user's own bug"):
        tracegrad.jit(f)(V)
    assert originals_in_place() and intercept.Installation.count == 0


def test_nested_traces_and_control_flow_bodies_restore_them_once():
    def inner(x):
        return np.array([max(x[0], x[1]), x[2]]).sum()

    def f(x):
        y = tracegrad.cond(x[0] > 0.5, lambda v: np.asarray([v[1], v[0]]), lambda v: v[:2], x)
        return tracegrad.grad(inner)(x) * np.sum(y)

    expected = np.array([0.0, 1.0, 1.0, 0.0]) * (V[0] + V[1])
    np.testing.assert_allclose(tracegrad.jit(f)(V), expected)
    assert originals_in_place() and intercept.Installation.count == 0


def test_plain_lists_inside_a_traced_function_stay_numpy_constants():
    kinds = []

    def f(x):
        table = np.array([[1.0, 2.0], [3.0, 4.0]])
        # an array the function made (a Buffer, writable with traced values later): concrete
        concrete = type(np.asarray(table)) is np.ndarray and not isinstance(table, Tracer)
        kinds.append((concrete, max([3, 1, 2]), sum([1, 2]), min(4, 5)))
        return x[:2] @ table

    np.testing.assert_allclose(tracegrad.jit(f)(V), V[:2] @ np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert kinds == [(True, 3, 3, 4)]


def test_another_thread_meanwhile_gets_the_originals_results():
    results = []
    started, release = threading.Event(), threading.Event()

    def f(x):
        started.set()
        release.wait(5)
        return np.asarray([x[0], 2.0])

    def other():
        started.wait(5)
        results.append((np.array([1, 2]).dtype, max(1, 7), sum([1.5, 1.5])))
        release.set()

    thread = threading.Thread(target=other)
    thread.start()
    tracegrad.jit(f)(V)
    thread.join()
    assert results == [(np.dtype(np.int64), 7, 3.0)] and originals_in_place()


def test_a_name_bound_before_tracing_keeps_numpy_and_says_so():
    bound = ORIGINALS["array"]  # as `from numpy import array` binds it
    error = refusal(lambda x: bound([x[0], 1.0]), V)
    assert "from numpy import array" in str(error)


# --- np.array and np.asarray --------------------------------------------------------------


def test_a_list_of_a_traced_number_and_python_numbers_is_a_float64_vector():
    f = tracegrad.jit(lambda x: np.array([x[0], 2.0, 3]))
    result = f(V.astype(np.float32))
    assert result.dtype == np.float64 and result.shape == (3,)  # Python numbers: not weak here
    np.testing.assert_allclose(result, [np.float32(V[0]), 2.0, 3.0])


def test_a_python_number_argument_becomes_an_array():
    np.testing.assert_allclose(tracegrad.grad(lambda s: np.array([s, 2 * s]).sum())(1.5), 3.0)
    result = tracegrad.jit(lambda s: np.asarray(s))(2.0)
    assert isinstance(result, np.ndarray) and result.dtype == np.float64 and result.shape == ()


def test_asarray_is_the_value_and_array_a_copy():
    def f(x):
        same = np.asarray(x) is x and np.asarray(x, dtype=x.dtype) is x
        copied = np.array(x)
        copied += 1.0  # writes into the copy only, as NumPy does
        return copied, x, same

    copied, x, same = tracegrad.jit(f)(V)
    np.testing.assert_allclose(copied, V + 1.0)
    np.testing.assert_allclose(x, V)
    assert same


def test_dtype_converts_and_integer_lists_stay_integer():
    assert tracegrad.jit(lambda x: np.array([x, x], dtype=np.float32))(V).dtype == np.float32
    ints = tracegrad.jit(lambda x: np.array([x[0], 7]))(np.arange(3))
    assert ints.dtype == np.int64
    np.testing.assert_array_equal(ints, [0, 7])


@pytest.mark.parametrize(
    "fn, fragment",
    [
        (lambda x: np.array([x, x[:2]]), "different shapes"),
        (lambda x: np.array([[x[0]], [x[1], 1.0]]), "different shapes"),
        (lambda x: np.array([x[0], "a"]), "<U1"),
        (lambda x: np.array([x[0], None]), "object"),
        (lambda x: np.array([x[0], 1.0], copy=False), "copy=False"),
        (lambda x: np.array(x, ndmax=1), "ndmax"),
        (lambda x: np.array(x, dtype="no such dtype"), "not a NumPy dtype"),
    ],
)
def test_what_numpy_refuses_or_tracing_cannot_do_is_a_trace_error(fn, fragment):
    assert fragment in str(refusal(fn, V))


def test_emitted_code_stacks_the_entries():
    source = tracegrad.jit(lambda x: np.array([x[0], 2.0, x[1]])).source(V)
    assert "np.stack([x[0], 2.0, x[1]])" in source
    jax_source = tracegrad.jit(lambda x: np.array([x[0], 2.0]), backend="jax").source(V)
    assert "jnp.stack(" in jax_source


# --- np.r_ and np.c_ --------------------------------------------------------------------


def test_r_and_c_read_the_index_as_numpy_does():
    cases = [
        lambda x: np.r_[x, 1.0, 0:3, [7.0]],
        lambda x: np.r_[x, 0:1:3j],
        lambda x: np.r_["0,2", x, x],
        lambda x: np.r_["-1,2,0", x, x],
        lambda x: np.c_[x, 2 * x, 0:4],
        lambda x: np.r_[x.astype(np.float32), 1.0],  # a Python number promotes weakly
    ]
    for case in cases:
        result, expected = tracegrad.jit(case)(V), case(V)
        assert result.dtype == expected.dtype
        np.testing.assert_allclose(result, expected)


def test_r_emits_a_concatenate():
    assert "np.concatenate([x, np.ones((1,))])" in tracegrad.jit(lambda x: np.r_[x, 1.0]).source(V)


@pytest.mark.parametrize(
    "fn, fragment",
    [
        (lambda x: np.r_["r", x, x], "np.matrix"),
        (lambda x: np.r_[x, "0"], "first entry"),
        (lambda x: np.r_["a,b", x], "unknown"),
    ],
)
def test_r_directives_it_cannot_follow(fn, fragment):
    assert fragment in str(refusal(fn, V))


# --- ranges and grids -------------------------------------------------------------------


def test_linspace_of_traced_bounds_agrees_to_the_last_bit_and_differentiates():
    for kwargs in ({}, {"endpoint": False}, {"axis": -1}):
        f = lambda x, kw=kwargs: np.linspace(x[:2], x[2:], 7, **kw)  # noqa: E731
        np.testing.assert_array_equal(tracegrad.jit(f)(V), f(V))
    # d/dstart of the k-th of n samples is 1 - k/(n-1), d/dstop is k/(n-1)
    d_x = tracegrad.grad(lambda x: np.linspace(x[0], x[1], 5)[1])(V)
    np.testing.assert_allclose(d_x, [0.75, 0.25, 0.0, 0.0])


def test_linspace_retstep_and_integer_dtype():
    _y, step = tracegrad.jit(lambda x: np.linspace(x[0], x[1], 4, retstep=True))(V)
    np.testing.assert_allclose(step, (V[1] - V[0]) / 3)
    ints = tracegrad.jit(lambda x: np.linspace(x[0] * 10, 9.0, 4, dtype=int))(V)
    np.testing.assert_array_equal(ints, np.linspace(V[0] * 10, 9.0, 4, dtype=int))


@pytest.mark.parametrize(
    "fn, fragment",
    [
        (lambda x: np.linspace(x[0], x[1], -1), "non-negative"),
        (lambda x: np.linspace(x[0], x[1], 2.5), "num must be an integer"),
        (lambda x: np.meshgrid(x, indexing="yx"), "'xy' and 'ij'"),
    ],
)
def test_range_arguments_it_refuses(fn, fragment):
    assert fragment in str(refusal(fn, V))


def test_meshgrid_copies_may_be_written_into():
    def f(x):
        grid_x, grid_y = np.meshgrid(x, x[:2])
        grid_x += 1.0  # NumPy's copy=True grids are arrays of their own
        return grid_x, grid_y

    grid_x, grid_y = tracegrad.jit(f)(V)
    expected_x, expected_y = np.meshgrid(V, V[:2])
    np.testing.assert_allclose(grid_x, expected_x + 1.0)
    np.testing.assert_allclose(grid_y, expected_y)


def test_size_only_constructors_give_constants_and_refuse_traced_sizes():
    def f(x):
        grid = np.indices((2, 2)).reshape(2, 4).astype(float)
        return np.eye(4, k=1) @ x + np.tri(4, 4, -1) @ x + np.identity(4) @ x + grid[1] * x

    expected = np.eye(4, k=1) @ V + np.tri(4, 4, -1) @ V + V + np.array([0.0, 1, 0, 1]) * V
    np.testing.assert_allclose(tracegrad.jit(f)(V), expected)
    assert "Python index, size" in str(refusal(lambda x: np.eye(x[0]), V))


# --- Python's max, min, sum and abs -----------------------------------------------------


def test_max_of_traced_numbers_is_np_maximum_and_splits_a_tie():
    f = lambda x, y: max(x, y, 0.5)  # noqa: E731
    assert "np.maximum(" in tracegrad.jit(f).source(1.0, 2.0)
    np.testing.assert_allclose(tracegrad.jit(f)(0.25, 0.3), 0.5)
    np.testing.assert_allclose(tracegrad.grad(f, argnums=(0, 1))(0.75, 0.75), (0.5, 0.5))
    np.testing.assert_allclose(tracegrad.grad(lambda x: min([x[0], x[1], x[2]]))(V), [1, 0, 0, 0])


def test_max_over_a_vector_and_a_generator():
    np.testing.assert_allclose(tracegrad.jit(lambda x: max(x))(V), V.max())
    np.testing.assert_allclose(tracegrad.jit(lambda x: min(x[i] * 2 for i in range(3)))(V), 0.4)


def test_sum_of_a_traced_array_is_one_reduction_over_the_first_axis():
    matrix = V.reshape(2, 2)
    source = tracegrad.jit(lambda x: sum(x)).source(matrix)
    assert "x.sum(axis=0)" in source or "np.sum(x, axis=0)" in source, source
    np.testing.assert_allclose(tracegrad.jit(lambda x: sum(x, 1.0))(matrix), matrix.sum(0) + 1)
    small = np.array([100, 100], np.int8)
    result = tracegrad.jit(lambda x: sum(x))(small)  # wraps around in int8, as `+` does
    assert result.dtype == np.int8 and result == -56  # 200 in int8
    assert tracegrad.jit(lambda x: sum(x > 0.5))(V).dtype == np.int64


def test_abs_and_sum_of_a_list_need_nothing_new():
    np.testing.assert_allclose(tracegrad.grad(lambda x: np.sum(abs(x - 0.5)))(V), [-1, -1, 1, 1])
    np.testing.assert_allclose(tracegrad.jit(lambda x: sum([x[0], x[1]]))(V), V[0] + V[1])


@pytest.mark.parametrize(
    "fn, fragment",
    [
        (lambda x: max(x[0], x[1], key=abs), "key="),
        (lambda x: max([x[0], x[1]], default=0.0), "default="),
        (lambda x: min(x, x), "shapes"),
        (lambda x: max(x.reshape(2, 2)), "rows"),
        (lambda x: max(x[:0]), "empty"),
        (lambda x: max(x[0]), "0-d"),
    ],
)
def test_what_python_could_not_compare_is_a_trace_error(fn, fragment):
    assert fragment in str(refusal(fn, V))


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: np.mean([x, x + 2]),
        lambda x: np.sum([x[0], 3.0]),
        lambda x: np.max([x[1], x[0]]),
        lambda x: np.std((x, 2 * x), axis=0),
        lambda x: np.linalg.norm([x[0], x[1]]),
        lambda x: np.average([x[0], x[1]], weights=[1.0, 3.0]),
        lambda x: np.append([x[0], 1.0], [x[1], x[0]]),
    ],
)
def test_a_list_of_traced_values_where_numpy_takes_one_array(fn):
    # NumPy's protocol does not look inside such a list: the list is the array np.array makes
    x = np.array([0.5, 1.5])
    np.testing.assert_allclose(tracegrad.jit(fn)(x), fn(x))
    gradient = tracegrad.grad(lambda v: np.sum(fn(v)))(x)
    step = 1e-6
    numeric = [
        (np.sum(fn(x + step * e)) - np.sum(fn(x - step * e))) / (2 * step) for e in np.eye(2)
    ]
    np.testing.assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-8)


def test_numpys_functions_are_its_own_again_outside_a_trace():
    mean = np.mean
    tracegrad.jit(lambda x: np.mean([x, x]))(np.ones(2))
    assert np.mean is mean and np.linalg.norm.__module__ == "numpy.linalg"
