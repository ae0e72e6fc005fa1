"""Captured state is never frozen: arrays read besides the arguments are inputs read at each
call, names the code reads are guarded, and random draws inside a traced function raise."""

import subprocess
import sys

import numpy as np
import pytest

import tracegrad
from tracegrad import TraceError, grad, jit

W = np.arange(3.0)


def test_a_global_array_is_read_at_each_call_in_place_and_rebound():
    global DATA
    DATA = np.ones((4, 3))

    def loss(w):
        return np.mean((DATA @ w) ** 2)

    g = grad(loss)
    for change in (lambda: DATA.__imul__(0.5), lambda: globals().update(DATA=np.eye(4, 3))):
        before = g(W)
        change()
        after = g(W)
        expected = 2 * DATA.T @ (DATA @ W) / 4  # d/dw mean((Xw)^2), derived by hand
        np.testing.assert_allclose(after, expected)
        assert not np.allclose(before, after)


def test_closure_default_attribute_and_container_arrays_are_live():
    def make():
        a = np.ones(3)
        return (lambda w: np.sum(a * w)), a

    closure, a = make()

    def with_default(w, b=np.ones(3)):  # noqa: B008  (a default array, as users write)
        return np.sum(b * w)

    class Model:
        def __init__(self):
            self.weights = np.ones(3)

        def loss(self, w):
            return np.sum(self.weights * w)

    model = Model()
    table = {"v": np.ones(3)}

    def from_container(w):
        return np.sum(table["v"] * w)

    cases = [
        (closure, lambda: a.__setitem__(slice(None), 2.0)),
        (with_default, lambda: with_default.__defaults__[0].__setitem__(slice(None), 2.0)),
        (model.loss, lambda: setattr(model, "weights", np.full(3, 2.0))),
        (from_container, lambda: table.__setitem__("v", np.full(3, 2.0))),
    ]
    for fn, change in cases:
        compiled, gradient = jit(fn), grad(fn)
        assert compiled(W) == 3.0
        np.testing.assert_array_equal(gradient(W), np.ones(3))
        change()
        assert compiled(W) == 6.0 == fn(W)
        np.testing.assert_array_equal(gradient(W), np.full(3, 2.0))


def test_a_captured_array_is_an_input_named_after_the_variable_never_a_literal():
    global BIG
    BIG = np.random.default_rng(0).standard_normal((300, 300))

    def f(w):
        return np.sum(BIG @ w)

    source = jit(f).source(np.ones(300))
    assert "def f(w, BIG):" in source
    assert "BIG: f64[300,300] (captured: read at each call)" in source
    assert len(source) < 1000  # no 1.8 MB literal
    ir = str(tracegrad.trace(f, np.ones(300)))
    assert "BIG: f64[300,300]" in ir.splitlines()[0]


def test_another_shape_of_a_captured_array_retraces():
    global SHAPED
    SHAPED = np.ones(3)

    def f(w):
        return np.sum(SHAPED) * w

    compiled = jit(f)
    assert compiled(2.0) == 6.0
    SHAPED = np.ones(5)
    assert compiled(2.0) == 10.0
    assert "5.0 * w" in compiled.source(2.0)  # computed by NumPy alone: guarded by value


def test_views_of_a_captured_array_follow_it():
    global X
    X = np.arange(6.0).reshape(2, 3)

    def f(w):
        return np.sum(X[:, 1:] @ w[:2]) + np.sum(X[1] * w) + np.sum(X.T @ w[:2])

    compiled = jit(f)
    assert compiled(W) == f(W)
    X *= -1.5
    assert compiled(W) == f(W)
    assert "X.T @" in compiled.source(W)  # a transpose is written as one


def test_a_captured_uniform_array_is_not_folded_into_a_number():
    global OFFSET
    OFFSET = np.zeros(3)

    def f(w):
        return np.sum((w - OFFSET) * np.ones_like(w)) + np.sum(w * OFFSET)

    compiled = jit(f)
    assert compiled(W) == 3.0
    OFFSET[:] = 1.0
    assert compiled(W) == f(W) == 3.0


def test_captured_masks_and_index_arrays():
    global MASK, INDEX
    MASK, INDEX = np.array([True, False, True]), np.array([0, 0])

    def masked(w):
        return np.sum(w[MASK])

    def indexed(w):
        return np.sum(w[INDEX])

    compiled_mask, compiled_index = jit(masked), jit(indexed)
    assert compiled_mask(W) == 2.0 and compiled_index(W) == 0.0
    MASK[1] = True  # the positions shape the code: it is traced again
    INDEX[:] = 2  # an index array is an input like any other
    assert compiled_mask(W) == 3.0 and compiled_index(W) == 4.0


def test_rebinding_a_guarded_name_retraces():
    global SCALE, HELPER
    SCALE = 2.0

    def HELPER(v):
        return v * 10

    def f(w):
        return HELPER(w * SCALE)

    compiled = jit(f)
    assert compiled(1.0) == 20.0
    SCALE = 3.0
    assert compiled(1.0) == 30.0

    def HELPER(v):  # noqa: F811
        return v * 100

    assert compiled(1.0) == 300.0


def test_a_closure_number_rebound_retraces():
    def make():
        rate = 1.0

        def f(w):
            return w * rate

        def set_rate(value):
            nonlocal rate
            rate = value

        return f, set_rate

    f, set_rate = make()
    compiled = grad(f)
    assert compiled(1.0) == 1.0
    set_rate(4.0)
    assert compiled(1.0) == 4.0


def test_a_staged_function_inside_another_keeps_reading_its_arrays():
    global INNER
    INNER = np.ones(3)
    inner = jit(lambda w: np.sum(INNER * w))

    def outer(w):
        return inner(w) * 2

    compiled, gradient = jit(outer), grad(outer)
    assert compiled(W) == 6.0
    INNER = np.full(3, 3.0)
    assert compiled(W) == 18.0
    np.testing.assert_array_equal(gradient(W), np.full(3, 6.0))


def test_a_loop_body_reading_a_captured_array():
    global STEP
    STEP = np.ones(3)

    def f(w):
        return tracegrad.fori_loop(0, 3, lambda i, c: c + STEP * w, np.zeros(3)).sum()

    compiled = jit(f)
    assert compiled(W) == 9.0
    STEP[:] = 2.0
    assert compiled(W) == 18.0


def test_captured_arrays_on_the_jax_backend():
    pytest.importorskip("jax")
    global JX
    JX = np.ones((2, 3))

    def loss(w):
        return np.sum(np.tanh(JX @ w))

    step = jit(grad(loss), backend="jax")
    first = np.asarray(step(W))
    JX = JX * 0.5
    expected = JX.T @ (1 - np.tanh(JX @ W) ** 2)
    np.testing.assert_allclose(np.asarray(step(W)), expected, rtol=1e-12)
    assert not np.allclose(first, expected)


def test_export_writes_captured_arrays_beside_the_module(tmp_path):
    global EXPORTED
    EXPORTED = np.arange(6.0).reshape(3, 2)

    def loss(w):
        return np.mean((EXPORTED @ w - 1.0) ** 2)

    path = tracegrad.export(grad(loss), np.ones(2), path=tmp_path / "exported.py")
    assert (tmp_path / "exported.npz").exists()
    check = subprocess.run([sys.executable, str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    script = (
        f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import numpy as np; "
        "import exported; print(exported.grad_loss(np.ones(2)).tolist())"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert eval(run.stdout) == grad(loss)(np.ones(2)).tolist()


def test_random_draws_inside_a_traced_function_raise_at_their_line():
    rng = np.random.default_rng(0)

    def legacy(w):
        noise = np.random.rand(3)  # the line the error names
        return np.sum(w * noise)

    def generator(w):
        return np.sum(w * rng.normal(size=3))

    legacy_state = np.random.get_state(legacy=False)["state"]["key"].copy()
    generator_state = rng.bit_generator.state
    for fn, line in ((legacy, "noise = np.random.rand(3)"), (generator, "rng.normal")):
        for transform in (jit, grad):
            with pytest.raises(TraceError, match="draws random numbers") as error:
                transform(fn)(W)
            assert line in str(error.value)
            assert "test_captured_state.py:" in str(error.value)
            assert "as an argument" in str(error.value)
    # tracing left every generator as it was
    np.testing.assert_array_equal(np.random.get_state(legacy=False)["state"]["key"], legacy_state)
    assert rng.bit_generator.state == generator_state


def test_a_seeded_generator_made_inside_is_deterministic_and_allowed():
    def f(w):
        return np.sum(w * np.random.default_rng(1).normal(size=3))

    np.testing.assert_allclose(jit(f)(W), f(W))


def test_the_line_of_a_draw_is_found_in_the_source_when_watching_finds_none(monkeypatch):
    from tracegrad.tracer import trace as trace_module

    monkeypatch.setattr(trace_module, "first_random_call", lambda run, found: None)

    def legacy(w):
        scaled = w * 2.0
        return np.sum(scaled * np.random.standard_normal(3))

    with pytest.raises(TraceError, match="draws random numbers") as error:
        jit(legacy)(W)
    assert "np.random.standard_normal(3)" in str(error.value)


def test_a_view_that_is_the_whole_captured_array_reads_that_array():
    values = [np.array([1.0, 2.0])]

    def f(a):
        return np.concatenate([a, values[0]], axis=None)  # ravels values[0]: a whole view

    compiled = jit(f)
    np.testing.assert_array_equal(compiled(np.zeros(1)), [0.0, 1.0, 2.0])
    values[0][:] = 5.0
    np.testing.assert_array_equal(compiled(np.zeros(1)), [0.0, 5.0, 5.0])
    assert "values_0" in compiled.source(np.zeros(1))
