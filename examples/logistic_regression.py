"""Logistic regression on synthetic data: the gradient tracegrad derives is the textbook one.

    python examples/logistic_regression.py

The data are drawn from a known logistic model; gradient descent on the mean cross-entropy
recovers its weights. The script prints the generated gradient code, which computes
X.T @ (sigmoid(X @ w + b) - y) / n in its own words, and checks it against that formula.
"""

import argparse

import numpy as np

import tracegrad


def loss(params, x, y):
    """Mean binary cross-entropy of a linear model, from logits (exp never overflows)."""
    logits = x @ params["w"] + params["b"]
    return np.mean(np.maximum(logits, 0) - logits * y + np.log1p(np.exp(-np.abs(logits))))


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def make_data(rng: np.random.Generator, n: int, features: int):
    """Points from a standard normal; labels drawn with probability sigmoid(x @ w_true + b_true)."""
    w_true = rng.normal(0, 2, features)
    b_true = 0.5
    x = rng.standard_normal((n, features))
    y = (rng.uniform(size=n) < sigmoid(x @ w_true + b_true)).astype(np.float64)
    return x, y, w_true, b_true


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--points", type=int, default=2000)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(42)
    x, y, w_true, b_true = make_data(rng, args.points, features=4)
    params = {"w": np.zeros(4), "b": np.zeros(())}

    gradient = tracegrad.grad(loss)
    print("The gradient of the loss, as tracegrad wrote it:\n")
    print(gradient.source(params, x, y))

    ours = gradient(params, x, y)
    error = sigmoid(x @ params["w"] + params["b"]) - y
    textbook = {"w": x.T @ error / len(y), "b": np.mean(error)}
    difference = max(np.max(np.abs(ours[key] - textbook[key])) for key in params)
    print(f"against X.T @ (sigmoid(X @ w + b) - y) / n: largest difference {difference:.1e}\n")

    step = tracegrad.value_and_grad(loss)
    for k in range(args.steps):
        value, grads = step(params, x, y)
        if k % max(1, args.steps // 5) == 0:
            print(f"step {k:>4}  loss {value:.4f}")
        params = {key: params[key] - 1.0 * grads[key] for key in params}

    accuracy = float(np.mean((x @ params["w"] + params["b"] > 0) == (y == 1)))
    best = float(np.mean((x @ w_true + b_true > 0) == (y == 1)))
    print(
        f"final loss {loss(params, x, y):.4f}, training accuracy {accuracy:.1%} "
        f"(the true model's: {best:.1%})"
    )
    print(f"weights learned: {np.array2string(params['w'], precision=2)}  b = {params['b']:.2f}")
    print(f"weights true:    {np.array2string(w_true, precision=2)}  b = {b_true:.2f}")
    return {
        "accuracy": accuracy,
        "true_accuracy": best,
        "gradient_difference": difference,
        "w": params["w"],
        "w_true": w_true,
    }


if __name__ == "__main__":
    main()
