"""Second order: grad(grad(f)) of scalar functions and Hessians of vector functions (reverse over
reverse, the AD pass run on its own output) against second derivatives derived by hand."""

from __future__ import annotations

import numpy as np
import pytest

import tracegrad

# --- scalar functions of a Python float: f and f'' written out --------------------------------


def sech2(x):
    return 1.0 / np.cosh(x) ** 2


SCALAR = {
    # f = x^3 sin x; f' = 3x^2 sin x + x^3 cos x
    "x3_sin": (
        lambda x: np.sin(x) * x**3,
        lambda x: -(x**3) * np.sin(x) + 6 * x**2 * np.cos(x) + 6 * x * np.sin(x),
    ),
    # f = exp(-x^2); f' = -2x f
    "gaussian": (
        lambda x: np.exp(-x * x),
        lambda x: (4 * x * x - 2) * np.exp(-x * x),
    ),
    # f = log(1 + x^2); f' = 2x / (1 + x^2)
    "log1p_square": (
        lambda x: np.log1p(x * x),
        lambda x: 2 * (1 - x * x) / (1 + x * x) ** 2,
    ),
    # f = x tanh x; f' = tanh x + x sech^2 x; (sech^2)' = -2 sech^2 tanh
    "x_tanh": (
        lambda x: x * np.tanh(x),
        lambda x: 2 * sech2(x) * (1 - x * np.tanh(x)),
    ),
    # f = u / x with u = arctan x: f'' = u''/x - 2u'/x^2 + 2u/x^3, u' = 1/(1+x^2), u'' = -2x u'^2
    "arctan_over_x": (
        lambda x: np.arctan(x) / x,
        lambda x: -2 / (1 + x * x) ** 2 - 2 / (x * x * (1 + x * x)) + 2 * np.arctan(x) / x**3,
    ),
    # f = s = sqrt(1 + x^2); f' = x / s; f'' = 1/s - x^2/s^3 = 1/s^3
    "hypot_one": (
        lambda x: np.sqrt(1 + x * x),
        lambda x: (1 + x * x) ** -1.5,
    ),
    # f = x^x = exp(x log x) (power with a traced exponent); f' = f (log x + 1)
    "x_to_the_x": (
        lambda x: x**x,
        lambda x: x**x * ((np.log(x) + 1) ** 2 + 1 / x),
    ),
    # f = cos^2 x / (1 + x^2) = c / d; f'' = c''/d - 2c'd'/d^2 + c(2d'^2/d^3 - d''/d^2)
    "cos2_over": (
        lambda x: np.cos(x) ** 2 / (1 + x * x),
        lambda x: (
            (-2 * np.cos(2 * x)) / (1 + x * x)
            + 2 * np.sin(2 * x) * 2 * x / (1 + x * x) ** 2
            + np.cos(x) ** 2 * (8 * x * x / (1 + x * x) ** 3 - 2 / (1 + x * x) ** 2)
        ),
    ),
}
POINTS = (-1.3, -0.4, 0.7, 1.9)


@pytest.mark.parametrize("name", sorted(SCALAR))
@pytest.mark.parametrize("x", POINTS)
def test_second_derivative_of_scalar_function(name, x):
    f, second = SCALAR[name]
    if name == "x_to_the_x":
        x = abs(x)
    value = tracegrad.grad(tracegrad.grad(f))(x)
    assert isinstance(value, float)
    np.testing.assert_allclose(value, second(x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(SCALAR))
def test_check_grads_order_2_on_scalar_functions(name):
    f, _ = SCALAR[name]
    for x in (0.7, 1.9):
        tracegrad.check_grads(f, x, order=1)
        tracegrad.check_grads(f, x, order=2)


def test_third_derivative():
    # f = x^3 sin x: f''' = -x^3 cos x - 9x^2 sin x + 18x cos x + 6 sin x
    f = SCALAR["x3_sin"][0]
    third = tracegrad.grad(tracegrad.grad(tracegrad.grad(f)))
    for x in POINTS:
        expected = -(x**3) * np.cos(x) - 9 * x**2 * np.sin(x) + 18 * x * np.cos(x) + 6 * np.sin(x)
        np.testing.assert_allclose(third(x), expected, rtol=1e-11)


# --- Hessians of functions of a small vector, row by row -------------------------------------

RNG = np.random.default_rng(7)
A = RNG.standard_normal((4, 4))
W = RNG.standard_normal((3, 4)) * 0.6


def quadratic_form(x):
    return x @ A @ x


def quadratic_form_hessian(x):
    return A + A.T


def exp_sum_times_sum(x):
    return np.sum(np.exp(x)) * np.sum(x)


def exp_sum_times_sum_hessian(x):
    # g_i = e_i S + E (S = sum x, E = sum e); H_ij = delta_ij e_i S + e_i + e_j
    e = np.exp(x)
    return np.diag(e * np.sum(x)) + e[:, None] + e[None, :]


def log_sum_exp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def log_sum_exp_hessian(x):
    # g = p = softmax(x); H = diag(p) - p p^T
    p = np.exp(x - x.max())
    p /= p.sum()
    return np.diag(p) - np.outer(p, p)


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def rosenbrock_hessian(x):
    n = x.size
    H = np.zeros((n, n))
    for i in range(n - 1):
        # the term 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2
        H[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        H[i + 1, i + 1] += 200
        H[i, i + 1] -= 400 * x[i]
        H[i + 1, i] -= 400 * x[i]
    return H


def tanh_layer(x):
    return np.sum(np.tanh(W @ x))


def tanh_layer_hessian(x):
    # g = W^T (1 - t^2); H = W^T diag(-2 t (1 - t^2)) W
    t = np.tanh(W @ x)
    return W.T @ np.diag(-2 * t * (1 - t * t)) @ W


def normalized_cubic(x):
    return np.sum(x**3) / (1.0 + x @ x)


def normalized_cubic_hessian(x):
    # f = c / d, c = sum x^3, d = 1 + |x|^2: H = C''/d - (c' d'^T + d' c'^T)/d^2
    #   + c (2 d' d'^T / d^3 - d''/d^2), c' = 3x^2, C'' = diag(6x), d' = 2x, d'' = 2I
    c, d = np.sum(x**3), 1.0 + x @ x
    dc, dd = 3 * x**2, 2 * x
    return (
        np.diag(6 * x) / d
        - (np.outer(dc, dd) + np.outer(dd, dc)) / d**2
        + c * (2 * np.outer(dd, dd) / d**3 - 2 * np.eye(x.size) / d**2)
    )


HESSIANS = {
    "quadratic_form": (quadratic_form, quadratic_form_hessian),
    "exp_sum_times_sum": (exp_sum_times_sum, exp_sum_times_sum_hessian),
    "log_sum_exp": (log_sum_exp, log_sum_exp_hessian),
    "rosenbrock": (rosenbrock, rosenbrock_hessian),
    "tanh_layer": (tanh_layer, tanh_layer_hessian),
    "normalized_cubic": (normalized_cubic, normalized_cubic_hessian),
}


def hessian_by_rows(f, x):
    gradient = tracegrad.grad(f)
    rows = [tracegrad.grad(lambda x, i=i: gradient(x)[i])(x) for i in range(x.size)]
    return np.stack(rows)


@pytest.mark.parametrize("name", sorted(HESSIANS))
@pytest.mark.parametrize("seed", [0, 1])
def test_hessian_row_by_row(name, seed):
    f, hessian = HESSIANS[name]
    x = np.random.default_rng(seed).uniform(-1.2, 1.2, 4)
    H = hessian_by_rows(f, x)
    assert H.shape == (4, 4) and H.dtype == np.float64
    np.testing.assert_allclose(H, hessian(x), rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("name", sorted(HESSIANS))
def test_check_grads_order_2_on_vector_functions(name):
    f, _ = HESSIANS[name]
    x = np.random.default_rng(2).uniform(-1.2, 1.2, 4)
    tracegrad.check_grads(f, x, order=1)
    worst = tracegrad.check_grads(f, x, order=2)
    assert worst.error < 1e-5 * max(1.0, abs(worst.numerical))


def test_hessian_of_elementwise_function_is_diagonal():
    x = np.array([0.3, -0.8, 1.1])
    hessian = hessian_by_rows(lambda x: np.sum(np.sin(x) * x), x)
    np.testing.assert_array_equal(hessian, np.diag(np.diag(hessian)))
    np.testing.assert_allclose(np.diag(hessian), 2 * np.cos(x) - x * np.sin(x), rtol=1e-12)
