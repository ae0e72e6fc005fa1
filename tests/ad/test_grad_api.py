"""The gradient API: argnums, pytrees, aux values, decorators, composition, and the errors a
user meets, each naming their function and line."""

import inspect

import numpy as np
import pytest

import tracegrad


def line_of(fn, text):
    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, line in enumerate(lines) if text in line)


def loss(W, b, x):
    h = np.tanh(x @ W + b)
    return np.sum(h * h)


def hand_gradients(W, b, x):
    h = np.tanh(x @ W + b)
    d_pre = 2 * h * (1 - h * h)
    return x.T @ d_pre, d_pre.sum(axis=0), d_pre @ W.T


RNG = np.random.default_rng(0)
W, B, X = RNG.standard_normal((3, 2)), RNG.standard_normal(2), RNG.standard_normal((4, 3))


def test_argnums_int_and_tuple():
    dW, db, dx = hand_gradients(W, B, X)
    np.testing.assert_allclose(tracegrad.grad(loss)(W, B, X), dW, rtol=1e-12)
    np.testing.assert_allclose(tracegrad.grad(loss, argnums=2)(W, B, X), dx, rtol=1e-12)
    both = tracegrad.grad(loss, argnums=(0, 1))(W, B, X)
    assert isinstance(both, tuple) and len(both) == 2
    np.testing.assert_allclose(both[1], db, rtol=1e-12)
    np.testing.assert_allclose(tracegrad.grad(loss, argnums=-1)(W, B, X), dx, rtol=1e-12)


def test_pytree_argument_gets_gradient_of_same_structure():
    def model(params, x):
        return loss(params["W"], params["layers"][0], x)

    params = {"W": W, "layers": [B]}
    gradient = tracegrad.grad(model)(params, X)
    assert list(gradient) == ["W", "layers"] and isinstance(gradient["layers"], list)
    dW, db, _ = hand_gradients(W, B, X)
    np.testing.assert_allclose(gradient["W"], dW, rtol=1e-12)
    np.testing.assert_allclose(gradient["layers"][0], db, rtol=1e-12)


def test_value_and_grad_and_aux():
    value, dW = tracegrad.value_and_grad(loss)(W, B, X)
    assert value == pytest.approx(loss(W, B, X), rel=1e-14)

    def with_aux(W, b, x):
        h = np.tanh(x @ W + b)
        return np.sum(h * h), {"h": h}

    dW_aux, aux = tracegrad.grad(with_aux, has_aux=True)(W, B, X)
    np.testing.assert_allclose(dW_aux, dW, rtol=1e-12)
    np.testing.assert_allclose(aux["h"], np.tanh(X @ W + B), rtol=1e-14)
    (value2, aux2), dW2 = tracegrad.value_and_grad(with_aux, has_aux=True)(W, B, X)
    assert value2 == pytest.approx(value) and list(aux2) == ["h"]
    np.testing.assert_allclose(dW2, dW, rtol=1e-12)


def test_decorators():
    @tracegrad.grad
    def f(x):
        return np.sum(x**3)

    @tracegrad.grad(argnums=1)
    def g(x, y):
        return np.sum(x * y)

    np.testing.assert_allclose(f(np.array([1.0, 2.0])), [3.0, 12.0])
    np.testing.assert_allclose(g(np.array([1.0, 2.0]), np.ones(2)), [1.0, 2.0])


def test_grad_under_jit_and_jit_under_grad():
    dW = hand_gradients(W, B, X)[0]
    compiled = tracegrad.jit(tracegrad.grad(loss))
    np.testing.assert_allclose(compiled(W, B, X), dW, rtol=1e-12)
    source = compiled.source(W, B, X)
    assert source.count("def ") == 1, "the gradient is inlined into one function"
    assert "def grad_loss(W, b, x):" in source  # named for what it computes
    assert "np.tanh" in source
    through_jit = tracegrad.grad(tracegrad.jit(loss))
    np.testing.assert_allclose(through_jit(W, B, X), dW, rtol=1e-12)


def test_grad_of_grad_gives_the_second_derivative():
    def f(x):
        return np.sin(x) * x**3

    x = 0.7
    second = tracegrad.grad(tracegrad.grad(f))(x)
    expected = -np.sin(x) * x**3 + 6 * x**2 * np.cos(x) + 6 * x * np.sin(x)
    assert second == pytest.approx(expected, rel=1e-12)


def test_unrelated_argument_gets_zeros_of_its_shape_and_dtype():
    gradient = tracegrad.grad(lambda x, y: np.sum(y * 2.0))(np.ones((2, 3), np.float32), 1.0)
    assert gradient.shape == (2, 3) and gradient.dtype == np.float32
    assert not gradient.any()


def test_float32_gradient_keeps_float32():
    x = np.linspace(0.1, 1.0, 5).astype(np.float32)
    gradient = tracegrad.grad(lambda x: np.sum(np.exp(x) * 0.5))(x)
    assert gradient.dtype == np.float32
    np.testing.assert_allclose(gradient, 0.5 * np.exp(x), rtol=1e-6)


def test_vjp_of_a_non_scalar_function():
    def f(x, W):
        return np.tanh(x @ W), np.sum(x * 2.0)

    out, vjp_fn = tracegrad.vjp(f, X, W)
    np.testing.assert_allclose(out[0], np.tanh(X @ W))
    cotangent = (RNG.standard_normal((4, 2)), 1.0)
    dx, dW = vjp_fn(cotangent)
    d_pre = cotangent[0] * (1 - np.tanh(X @ W) ** 2)
    np.testing.assert_allclose(dx, d_pre @ W.T + 2.0, rtol=1e-12)
    np.testing.assert_allclose(dW, X.T @ d_pre, rtol=1e-12)
    assert "def vjp_f(x, W, cotangent)" in vjp_fn.source(cotangent)


def test_source_is_one_readable_numpy_function():
    source = tracegrad.grad(loss).source(W, B, X)
    assert source.count("\ndef ") == 1 and "def grad_loss(W, b, x):" in source
    assert [line for line in source.splitlines() if "import" in line] == ["import numpy as np"]
    assert "d_h" in source and "return d_W" in source
    graph = tracegrad.grad(loss).ir(W, B, X)
    assert str(tracegrad.parse_graph(str(graph))) == str(graph)


def test_check_grads_passes_and_reports_the_worst_entry():
    result = tracegrad.check_grads(loss, W, B, X)
    assert result.error < 1e-6 and "argument 0" in str(result)
    tracegrad.check_grads(lambda x: np.sum(np.sin(x) * x**2), X[0], order=2)


def test_check_grads_catches_a_wrong_rule(monkeypatch):
    from tracegrad.ad import vjp_rules
    from tracegrad.ir.primitives import elementwise

    monkeypatch.setitem(vjp_rules, elementwise.sin, lambda ct, x, out: [ct * np.sin(x)])
    with pytest.raises(tracegrad.GradientCheckError, match=r"worst entry argument 0\[\d\]"):
        tracegrad.check_grads(lambda x: np.sum(np.sin(x)), np.array([0.3, 1.0, 2.0]))


# --- bad input -----------------------------------------------------------------------------


def test_gradient_with_respect_to_integers_is_an_error():
    def count(n, x):
        return np.sum(n * x)

    with pytest.raises(tracegrad.TraceError) as error:
        tracegrad.grad(count)(np.arange(3), np.ones(3))
    message = str(error.value)
    # the call's line, not the def's: the call is what passes the integers
    call = line_of(test_gradient_with_respect_to_integers_is_an_error, "grad(count)(")
    assert f"{__file__}:{call}: " in message and "integer" in message
    assert "i64[3]" in message and "argnums" in message


def test_argnums_out_of_range():
    with pytest.raises(tracegrad.TraceError) as error:
        tracegrad.grad(loss, argnums=3)(W, B, X)
    assert "argnums=3 is out of range" in str(error.value)
    call = line_of(test_argnums_out_of_range, "argnums=3)(")
    assert f"{__file__}:{call}: " in str(error.value)


def test_non_scalar_output_names_its_shape_and_suggests_vjp():
    def features(x):
        return np.tanh(x) * 2.0

    with pytest.raises(tracegrad.TraceError) as error:
        tracegrad.grad(features)(np.ones(3))
    message = str(error.value)
    assert "f64[3]" in message and "tracegrad.vjp" in message
    assert f"{__file__}:{line_of(features, 'return np.tanh')}" in message


def test_has_aux_needs_a_pair():
    def single(x):
        return np.sum(x)

    with pytest.raises(tracegrad.TraceError) as error:
        tracegrad.grad(single, has_aux=True)(np.ones(3))
    assert "has_aux=True" in str(error.value)
    call = line_of(test_has_aux_needs_a_pair, "has_aux=True)(")
    assert f"{__file__}:{call}: " in str(error.value)


def test_arguments_are_never_modified():
    params = {"W": W.copy(), "b": B.copy()}
    for array in params.values():
        array.setflags(write=False)
    x = X.copy()
    x.setflags(write=False)
    tracegrad.grad(lambda p, x: loss(p["W"], p["b"], x))(params, x)
    np.testing.assert_array_equal(params["W"], W)
    np.testing.assert_array_equal(x, X)
