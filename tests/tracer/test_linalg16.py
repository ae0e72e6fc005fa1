"""np.linalg's solves and factorizations (issue 16, part 1) beyond the operation table: a
Gaussian likelihood's gradient three ways (by hand, finite differences, jax.grad of the same
source), the triangle NumPy reads on both backends, what stays defined at repeated
eigenvalues, and NumPy's errors at the user's line."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import tracegrad as tg

from ..catalog.numerics import central_difference_grad
from ..catalog.test_grad_catalog import jax_float64
from ..ops.table import rebind

RNG = np.random.default_rng(16)
X = np.linspace(0.0, 1.0, 7)
Y = np.sin(4 * X) + 0.1 * RNG.standard_normal(7)
A = RNG.standard_normal((4, 4))


def gaussian_nll(log_scale, x, y):
    """A Gaussian process's negative log marginal likelihood, as one writes it."""
    d = x[:, None] - x[None, :]
    k = np.exp(-0.5 * d**2 / np.exp(2 * log_scale)) + 0.1 * np.eye(x.shape[0])
    alpha = np.linalg.solve(k, y)
    _, logdet = np.linalg.slogdet(k)
    return 0.5 * y @ alpha + 0.5 * logdet + 0.5 * x.shape[0] * np.log(2 * np.pi)


def gaussian_nll_by_hand(log_scale, x, y):
    """d/dθ = 0.5 tr((K^-1 - α α^T) dK/dθ), dK/dθ = K_rbf * d² / ℓ²."""
    d = x[:, None] - x[None, :]
    scale2 = np.exp(2 * log_scale)
    rbf = np.exp(-0.5 * d**2 / scale2)
    k = rbf + 0.1 * np.eye(x.shape[0])
    alpha = np.linalg.solve(k, y)
    d_k = rbf * d**2 / scale2
    return 0.5 * np.sum((np.linalg.inv(k) - np.outer(alpha, alpha)) * d_k)


def test_a_gaussian_likelihood_gradient_three_ways():
    gradient = tg.grad(gaussian_nll)(0.3, X, Y)
    np.testing.assert_allclose(gradient, gaussian_nll_by_hand(0.3, X, Y), rtol=1e-10)
    numerical = central_difference_grad(lambda t: gaussian_nll(t, X, Y), (np.float64(0.3),))
    np.testing.assert_allclose(gradient, numerical, rtol=1e-6)
    on_jax = rebind(gaussian_nll, jnp)  # the same source over jax.numpy
    with jax_float64():
        want = jax.grad(on_jax)(0.3, X, Y)
        ours_on_jax = tg.jit(tg.grad(gaussian_nll), backend="jax")(0.3, X, Y)
    np.testing.assert_allclose(gradient, float(want), rtol=1e-10)
    np.testing.assert_allclose(float(ours_on_jax), float(want), rtol=1e-10)


def test_the_gradient_reads_as_the_maths():
    body = str(tg.grad(gaussian_nll).source(0.3, X, Y)).split("def grad_gaussian_nll")[1]
    assert "np.linalg.solve(k, y)" in body and "np.linalg.inv(k).T" in body
    assert "(0.1 * np.eye(7))" in body and "CONSTANT" not in body


def one_triangle(a):
    spd = a @ a.T + np.eye(4)
    w, v = np.linalg.eigh(spd + np.triu(a, 1))  # NumPy reads the lower triangle only
    return np.linalg.cholesky(spd + np.triu(a, 1)), w, np.abs(v)


def test_both_backends_read_the_triangle_numpy_reads():
    with jax_float64():
        got = tg.jit(one_triangle, backend="jax")(A)
        source = str(tg.jit(one_triangle, backend="jax").source(A))
    for g, w in zip(got, one_triangle(A), strict=True):
        np.testing.assert_allclose(np.asarray(g), w, rtol=1e-10, atol=1e-12)
    assert "symmetrize_input=False" in source


def test_eigenvalue_derivatives_stay_defined_at_a_repeated_eigenvalue():
    """At A = I every eigenvalue repeats: the eigenvectors' derivative is undefined (inf or
    nan, as documented), the eigenvalues' is not: d sum(w * c) / dA = V diag(c) V^T."""
    c = np.array([1.0, 2.0, 3.0])
    for values in (
        lambda a: np.linalg.eigh(a)[0],
        lambda a: np.linalg.eigvalsh(a),
    ):
        gradient = tg.grad(lambda a, f=values: np.sum(np.sort(f(a)) * c))(np.eye(3))
        assert np.all(np.isfinite(gradient))
        _, v = np.linalg.eigh(np.eye(3))
        np.testing.assert_allclose(gradient, (v * c) @ v.T, atol=1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        vectors = tg.grad(lambda a: np.sum(np.linalg.eigh(a)[1] ** 3))(np.eye(3))
    assert not np.all(np.isfinite(vectors))


def singular_inverse(a):
    return np.linalg.inv(a - a)  # HERE


def test_a_singular_matrix_is_numpys_error_at_the_line():
    with pytest.raises(np.linalg.LinAlgError) as caught:
        tg.jit(singular_inverse)(A)
    error = caught.value
    assert isinstance(error, tg.TracegradError), type(error)
    assert "Singular matrix" in error.message and error.loc.file == __file__
    assert "# HERE" in error.loc.text
    with pytest.raises(np.linalg.LinAlgError):
        tg.jit(lambda a: np.linalg.cholesky(-a @ a.T))(A)


def test_a_matrix_that_is_not_square_is_an_error_at_the_line():
    with pytest.raises(tg.TraceError) as caught:
        tg.jit(lambda a: np.linalg.solve(a[:3], a[0]))(A)
    assert "must be square" in caught.value.message and caught.value.loc.file == __file__


def test_results_are_numpys_named_tuples():
    def f(a):
        result = np.linalg.slogdet(a @ a.T + np.eye(4))
        eig = np.linalg.eigh(a + a.T)
        return result.sign, result.logabsdet, eig.eigenvalues

    for got, want in zip(tg.jit(f)(A), f(A), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_singular_value_derivatives_stay_defined_where_they_repeat():
    """An orthogonal matrix's singular values all equal 1: U's and V's derivative is
    undefined there, the singular values' (U V^T, for their sum) is not; nor the nuclear
    norm's or pinv's (its own rule, not through the factors)."""
    q, _ = np.linalg.qr(A)
    gradient = tg.grad(lambda a: np.sum(np.linalg.svd(a, compute_uv=False)))(q)
    np.testing.assert_allclose(gradient, q, atol=1e-12)  # U V^T = Q for Q = Q I I
    nuclear = tg.grad(lambda a: np.linalg.norm(a, "nuc"))(q)
    np.testing.assert_allclose(nuclear, q, atol=1e-12)
    numerical = central_difference_grad(lambda a: np.sum(np.linalg.pinv(a) * A), (q,))
    np.testing.assert_allclose(
        tg.grad(lambda a: np.sum(np.linalg.pinv(a) * A))(q), numerical, rtol=1e-6, atol=1e-8
    )


def test_the_full_factors_of_a_rectangle_have_no_derivative_and_say_so():
    def loss(a):
        return np.sum(np.linalg.svd(a)[0] ** 3)  # HERE

    with pytest.raises(tg.TraceError) as caught:
        tg.grad(loss)(A[:, :3])
    assert "full_matrices=False" in caught.value.hint and caught.value.loc.file == __file__
    values_only = tg.grad(lambda a: np.sum(np.linalg.svd(a)[1]))(A[:, :3])  # defined
    u, _, vh = np.linalg.svd(A[:, :3], full_matrices=False)
    np.testing.assert_allclose(values_only, u @ vh, atol=1e-12)


def test_hermitian_is_refused_at_the_line():
    with pytest.raises(tg.TraceError) as caught:
        tg.jit(lambda a: np.linalg.svd(a, hermitian=True))(A)
    assert "hermitian=True" in caught.value.message and caught.value.loc.file == __file__


def test_the_qr_of_a_wide_matrix_has_no_derivative_and_says_what_to_do():
    def loss(a):
        return np.sum(np.linalg.qr(a)[1])  # HERE

    np.testing.assert_allclose(tg.jit(loss)(A[:2]), loss(A[:2]))  # the values are NumPy's
    with pytest.raises(tg.TraceError) as caught:
        tg.grad(loss)(A[:2])
    assert "m >= n" in caught.value.message and "a.T" in caught.value.hint
    assert caught.value.loc.file == __file__
