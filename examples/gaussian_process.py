"""Fit a Gaussian process's kernel by the gradient of its marginal likelihood.

    python examples/gaussian_process.py

Noisy samples of a smooth function; an RBF kernel with a length scale, a signal variance and
a noise variance, all learned on a log scale. The negative log marginal likelihood is written
as the textbook writes it (a Cholesky factor, two triangular solves, the log-determinant from
the factor's diagonal), and tracegrad differentiates it: the script prints the gradient's
code, checks it against the closed form 0.5 tr((K^-1 - a a^T) dK), fits by gradient
descent, and predicts at new points.
"""

import argparse

import numpy as np

import tracegrad


def kernel(log_params, x1, x2):
    length, signal = np.exp(log_params[0]), np.exp(log_params[1])
    d = x1[:, None] - x2[None, :]
    return signal * np.exp(-0.5 * (d / length) ** 2)


def negative_log_likelihood(log_params, x, y):
    """-log p(y | x, params) of a zero-mean GP with an RBF kernel and Gaussian noise."""
    n = x.shape[0]
    noise = np.exp(log_params[2])
    k = kernel(log_params, x, x) + (noise + 1e-8) * np.eye(n)
    chol = np.linalg.cholesky(k)
    z = np.linalg.solve(chol, y)  # L z = y
    fit = 0.5 * z @ z  # 0.5 y^T K^-1 y
    log_det = np.sum(np.log(np.diagonal(chol)))  # 0.5 log |K|
    return fit + log_det + 0.5 * n * np.log(2 * np.pi)


def closed_form_gradient(log_params, x, y):
    """The textbook gradient: 0.5 tr((K^-1 - a a^T) dK/dθ) for each log-parameter θ."""
    n = x.shape[0]
    rbf = kernel(log_params, x, x)
    d2 = (x[:, None] - x[None, :]) ** 2
    noise = np.exp(log_params[2])
    k = rbf + (noise + 1e-8) * np.eye(n)
    inverse = np.linalg.inv(k)
    a = inverse @ y
    inner = inverse - np.outer(a, a)
    derivatives = [rbf * d2 / np.exp(2 * log_params[0]), rbf, noise * np.eye(n)]
    return np.array([0.5 * np.sum(inner * dk) for dk in derivatives])


def predict(log_params, x, y, x_new):
    noise = np.exp(log_params[2])
    k = kernel(log_params, x, x) + (noise + 1e-8) * np.eye(x.shape[0])
    return kernel(log_params, x_new, x) @ np.linalg.solve(k, y)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=40)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(-3, 3, args.points))
    y = np.sin(2 * x) + 0.1 * rng.standard_normal(args.points)
    log_params = np.log(np.array([2.0, 0.5, 0.5]))  # length, signal, noise: a poor start

    gradient = tracegrad.grad(negative_log_likelihood)
    print("The gradient of the negative log marginal likelihood, as tracegrad wrote it:\n")
    print(gradient.source(log_params, x, y))
    difference = np.max(np.abs(gradient(log_params, x, y) - closed_form_gradient(log_params, x, y)))
    print(f"against 0.5 tr((K^-1 - a a^T) dK): largest difference {difference:.1e}\n")

    step = tracegrad.value_and_grad(negative_log_likelihood)
    start = negative_log_likelihood(log_params, x, y)
    for k in range(args.steps):
        value, grads = step(log_params, x, y)
        if k % max(1, args.steps // 5) == 0:
            print(f"step {k:>4}  negative log likelihood {value:.3f}")
        log_params = log_params - 0.01 * grads
    final = negative_log_likelihood(log_params, x, y)
    length, signal, noise = np.exp(log_params)
    print(f"fitted: length scale {length:.3f}, signal variance {signal:.3f}, noise {noise:.4f}")
    x_new = np.linspace(-2.5, 2.5, 5)
    error = np.max(np.abs(predict(log_params, x, y, x_new) - np.sin(2 * x_new)))
    print(f"negative log likelihood {start:.3f} -> {final:.3f}; prediction error {error:.3f}")
    return {"start": start, "final": final, "error": error, "noise": noise}


if __name__ == "__main__":
    main()
