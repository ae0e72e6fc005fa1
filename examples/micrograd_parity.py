"""micrograd's demo, in plain NumPy: a neuron and an MLP learn two moons with a max-margin loss.

    python examples/micrograd_parity.py
    python examples/micrograd_parity.py --steps 200

Andrej Karpathy's micrograd builds a graph of scalar `Value`s and walks it backwards with
closures. tracegrad traces the same model written with NumPy arrays, and its backward pass is
code you can print: this script prints the single neuron's. Where the `micrograd` package is
installed (`pip install micrograd`), the gradients are compared with micrograd's, number for
number, on the same weights.
"""

import argparse
import math

import numpy as np

import tracegrad

ALPHA = 1e-4  # weight of the L2 penalty, as in micrograd's demo


def make_moons(n: int, noise: float, rng: np.random.Generator):
    """Two interleaving half circles with labels -1 and +1 (what sklearn's make_moons draws)."""
    upper, lower = n // 2, n - n // 2
    angle_upper, angle_lower = np.linspace(0, np.pi, upper), np.linspace(0, np.pi, lower)
    x = np.concatenate(
        [
            np.stack([np.cos(angle_upper), np.sin(angle_upper)], axis=1),
            np.stack([1 - np.cos(angle_lower), 0.5 - np.sin(angle_lower)], axis=1),
        ]
    )
    y = np.concatenate([-np.ones(upper), np.ones(lower)])
    x = x + noise * rng.standard_normal(x.shape)
    order = rng.permutation(n)
    return x[order], y[order]


# The models: plain NumPy. `params` is a dict of arrays, the gradient a dict of the same shape.


def neuron(params, x):
    """One tanh neuron: a linear boundary, bent through tanh."""
    return np.tanh(x @ params["w"] + params["b"])


def mlp(params, x):
    """2 -> 16 -> 16 -> 1: two tanh layers, then a linear score (as micrograd's MLP(2, [16, 16, 1])
    has, with relu in place of tanh)."""
    h1 = np.tanh(x @ params["W1"] + params["b1"])
    h2 = np.tanh(h1 @ params["W2"] + params["b2"])
    return h2 @ params["w3"] + params["b3"]


def max_margin_loss(scores, params, y):
    """micrograd's demo loss: SVM hinge loss, mean over the points, plus ALPHA * sum of w**2."""
    data_loss = np.mean(np.maximum(0, 1 - y * scores))
    reg_loss = ALPHA * sum(np.sum(p * p) for p in params.values())
    return data_loss + reg_loss


def neuron_loss(params, x, y):
    return max_margin_loss(neuron(params, x), params, y)


def mlp_loss(params, x, y):
    return max_margin_loss(mlp(params, x), params, y)


def init_neuron(rng: np.random.Generator) -> dict:
    return {"w": rng.uniform(-1, 1, 2), "b": np.zeros(())}


def init_mlp(rng: np.random.Generator) -> dict:
    """Weights uniform in [-1, 1] and zero biases, as micrograd's `Neuron` starts."""
    return {
        "W1": rng.uniform(-1, 1, (2, 16)),
        "b1": np.zeros(16),
        "W2": rng.uniform(-1, 1, (16, 16)),
        "b2": np.zeros(16),
        "w3": rng.uniform(-1, 1, 16),
        "b3": np.zeros(()),
    }


def accuracy(model, params, x, y) -> float:
    return float(np.mean((model(params, x) > 0) == (y > 0)))


def train(name: str, model, loss, params: dict, x, y, steps: int) -> float:
    """Full-batch gradient descent with micrograd's learning-rate decay; returns the accuracy."""
    step = tracegrad.value_and_grad(loss)
    print(f"\n{name}")
    for k in range(steps):
        value, grads = step(params, x, y)
        if k % max(1, steps // 5) == 0:
            print(f"  step {k:>3}  loss {value:.4f}  accuracy {accuracy(model, params, x, y):.0%}")
        learning_rate = 1.0 - 0.9 * k / steps
        params = {key: params[key] - learning_rate * grads[key] for key in params}
    final = accuracy(model, params, x, y)
    print(f"  after {steps} steps: loss {loss(params, x, y):.4f}  accuracy {final:.0%}")
    return final


# micrograd's side: the same models written with micrograd's scalar Values, one point at a time.


def micrograd_tanh(v):
    """tanh as a micrograd node. The PyPI release (0.1.0) has relu but not tanh; this is the
    tanh of micrograd's lecture version: forward math.tanh, backward (1 - t**2)."""
    from micrograd.engine import Value

    t = math.tanh(v.data)
    out = Value(t, (v,), "tanh")

    def _backward():
        v.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def micrograd_layer(W, b, inputs, activation=None):
    """One dense layer: output j = activation(sum_i inputs[i] * W[i][j] + b[j])."""
    outputs = []
    for j in range(len(b)):
        total = sum((xi * W[i][j] for i, xi in enumerate(inputs)), b[j])
        outputs.append(activation(total) if activation else total)
    return outputs


def micrograd_neuron(p, row):
    return micrograd_layer([[w] for w in p["w"]], [p["b"]], row, micrograd_tanh)[0]


def micrograd_mlp(p, row):
    h1 = micrograd_layer(p["W1"], p["b1"], row, micrograd_tanh)
    h2 = micrograd_layer(p["W2"], p["b2"], h1, micrograd_tanh)
    return micrograd_layer([[w] for w in p["w3"]], [p["b3"]], h2)[0]


def micrograd_gradients(model, params: dict, x, y) -> dict:
    """The max-margin loss and its backward pass in micrograd, as its demo computes them."""
    from micrograd.engine import Value

    values = {key: np.vectorize(Value, otypes=[object])(array) for key, array in params.items()}
    p = {key: (v.tolist() if v.ndim else v.item()) for key, v in values.items()}
    scores = [model(p, row) for row in x.tolist()]
    losses = [(1 + -yi * score).relu() for yi, score in zip(y.tolist(), scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(w * w for v in values.values() for w in v.flat)
    total = data_loss + reg_loss
    total.backward()
    return {key: np.vectorize(lambda w: w.grad, otypes=[float])(v) for key, v in values.items()}


def compare_with_micrograd(x, y, rng: np.random.Generator) -> float | None:
    """Largest difference between tracegrad's and micrograd's gradients, or None if absent."""
    try:
        import micrograd  # noqa: F401
    except ImportError:
        print("\nmicrograd is not installed (pip install micrograd): no comparison made.")
        return None
    worst = 0.0
    print("\nThe same gradients from micrograd, on the same weights:")
    for name, micrograd_model, loss, params in [
        ("neuron", micrograd_neuron, neuron_loss, init_neuron(rng)),
        ("MLP", micrograd_mlp, mlp_loss, init_mlp(rng)),
    ]:
        ours = tracegrad.grad(loss)(params, x, y)
        theirs = micrograd_gradients(micrograd_model, params, x, y)
        difference = max(np.max(np.abs(ours[key] - theirs[key])) for key in params)
        count = sum(p.size for p in params.values())
        print(f"  {name}: {count} partial derivatives, largest difference {difference:.1e}")
        worst = max(worst, difference)
    verdict = "agree" if worst <= 1e-9 else "DISAGREE"
    print(f"tracegrad and micrograd {verdict} to 1e-9 (largest difference {worst:.1e}).")
    return worst


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="gradient steps per model")
    parser.add_argument("--points", type=int, default=100, help="two-moons points")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(1337)
    x, y = make_moons(args.points, noise=0.1, rng=rng)

    print("The neuron's gradient, as the NumPy code tracegrad generated for it:\n")
    params = init_neuron(rng)
    print(tracegrad.grad(neuron_loss).source(params, x, y))

    results = {
        "neuron": train(
            "A single tanh neuron (a linear boundary)",
            neuron,
            neuron_loss,
            params,
            x,
            y,
            args.steps,
        ),
        "mlp": train(
            "An MLP 2 -> 16 -> 16 -> 1 (tanh)", mlp, mlp_loss, init_mlp(rng), x, y, args.steps
        ),
    }
    results["micrograd_difference"] = compare_with_micrograd(x, y, rng)
    return results


if __name__ == "__main__":
    main()
