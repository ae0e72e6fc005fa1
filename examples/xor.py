"""XOR: what a single perceptron cannot learn and a network with one hidden layer can.

    python examples/xor.py

XOR is true when exactly one input is. No straight line puts (0, 1) and (1, 0) on one side and
(0, 0) and (1, 1) on the other, so a linear model (a perceptron, logistic regression) gets at
most 3 of the 4 points right; trained on all four, the best it can do is answer 0.5 everywhere.
One hidden layer of tanh units bends the boundary, and the same loss, differentiated by
tracegrad, reaches 100%.
"""

import argparse

import numpy as np

import tracegrad

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = np.array([0.0, 1.0, 1.0, 0.0])


def cross_entropy(logits, y):
    """Binary cross-entropy from logits, written so that exp never overflows."""
    return np.mean(np.maximum(logits, 0) - logits * y + np.log1p(np.exp(-np.abs(logits))))


def linear(params, x):
    """A perceptron's score: one weight per input and a bias."""
    return x @ params["w"] + params["b"]


def two_layer(params, x):
    """Four tanh hidden units, then a linear score."""
    h = np.tanh(x @ params["W1"] + params["b1"])
    return h @ params["w2"] + params["b2"]


def linear_loss(params, x, y):
    return cross_entropy(linear(params, x), y)


def two_layer_loss(params, x, y):
    return cross_entropy(two_layer(params, x), y)


def fit(loss, params: dict, steps: int, learning_rate: float) -> dict:
    """Full-batch gradient descent on the four points."""
    step = tracegrad.value_and_grad(loss)
    for k in range(steps):
        value, grads = step(params, X, Y)
        if k % max(1, steps // 4) == 0:
            print(f"  step {k:>4}  loss {value:.4f}")
        params = {key: params[key] - learning_rate * grads[key] for key in params}
    return params


def report(name: str, model, loss, params: dict) -> float:
    """Print each point's predicted probability; return the accuracy."""
    probability = 1 / (1 + np.exp(-model(params, X)))
    for point, target, p in zip(X, Y, probability, strict=True):
        print(f"  {point.astype(int)} -> p(1) = {p:.3f}   (want {target:.0f})")
    accuracy = float(np.mean((probability > 0.5) == (Y == 1)))
    print(f"{name}: loss {loss(params, X, Y):.4f}, accuracy {accuracy:.0%}")
    return accuracy


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)

    print("A perceptron (linear model) trained on XOR:")
    params = fit(
        linear_loss, {"w": rng.normal(0, 0.5, 2), "b": np.zeros(())}, args.steps, learning_rate=1.0
    )
    linear_accuracy = report("perceptron", linear, linear_loss, params)
    print(
        f"  The loss is stuck at ln 2 = {np.log(2):.4f}, that of answering 0.5 everywhere:"
        " no line does better,\n  and no line gets more than 3 of the 4 points right."
    )

    print("\nA two-layer network, 2 -> 4 (tanh) -> 1, trained the same way:")
    params = {
        "W1": rng.normal(0, 1, (2, 4)),
        "b1": np.zeros(4),
        "w2": rng.normal(0, 1, 4),
        "b2": np.zeros(()),
    }
    params = fit(two_layer_loss, params, args.steps, learning_rate=1.0)
    network_accuracy = report("two-layer network", two_layer, two_layer_loss, params)
    return {"perceptron": linear_accuracy, "two_layer": network_accuracy}


if __name__ == "__main__":
    main()
