"""Train a small MLP with the same plain-NumPy loss on the NumPy and the JAX backends.

    python examples/train_jax.py               # one device
    python examples/train_jax.py --devices 8   # data parallel over 8 devices (on a CPU: the
                                               # script asks XLA for 8 simulated devices)

Both backends run the gradient tracegrad derived from `loss`; the loss curves agree.
"""

import argparse
import os
import sys


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1, help="devices to shard the batch over")
    parser.add_argument("--steps", type=int, default=30)
    return parser.parse_args()


ARGS = parse()
if ARGS.devices > 1 and "XLA_FLAGS" not in os.environ:  # must be set before JAX starts
    os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={ARGS.devices}"

import jax  # noqa: E402
import numpy as np  # noqa: E402
from jax.sharding import Mesh, NamedSharding, PartitionSpec  # noqa: E402

import tracegrad  # noqa: E402


def loss(params, x, y):
    """Softmax cross-entropy of a two-layer tanh network: plain NumPy."""
    h = np.tanh(x @ params["W1"] + params["b1"])
    logits = h @ params["W2"] + params["b2"]
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(logp[np.arange(x.shape[0]), y])


def data(rng: np.random.Generator, n: int = 256):
    """Two classes of points: inside or outside the unit circle."""
    x = rng.uniform(-1.5, 1.5, size=(n, 2))
    return x, (np.sum(x * x, axis=1) > 1.0).astype(np.int64)


def train(step, params, x, y, steps: int, lr: float = 0.5) -> list[float]:
    losses = []
    for _ in range(steps):
        value, grads = step(params, x, y)
        losses.append(float(value))
        params = {k: np.asarray(params[k] - lr * np.asarray(grads[k])) for k in params}
    return losses


def main() -> None:
    rng = np.random.default_rng(0)
    x, y = data(rng)
    params = {
        "W1": rng.standard_normal((2, 16)),
        "b1": np.zeros(16),
        "W2": rng.standard_normal((16, 2)) * 0.1,
        "b2": np.zeros(2),
    }
    step_numpy = tracegrad.value_and_grad(loss)
    options = {}
    if ARGS.devices > 1:
        devices = jax.devices()[: ARGS.devices]
        if len(devices) < ARGS.devices or len(x) % ARGS.devices:
            sys.exit(f"need {ARGS.devices} devices and a batch divisible by them")
        mesh = Mesh(np.array(devices), ("batch",))
        replicated = NamedSharding(mesh, PartitionSpec())
        by_batch = NamedSharding(mesh, PartitionSpec("batch"))
        options = {"in_shardings": (replicated, by_batch, by_batch), "out_shardings": replicated}
    step_jax = tracegrad.jit(tracegrad.value_and_grad(loss), backend="jax", **options)

    curve_numpy = train(step_numpy, params, x, y, ARGS.steps)
    curve_jax = train(step_jax, params, x, y, ARGS.steps)
    print(f"{'step':>4}  {'numpy':>10}  {'jax':>10}   (devices: {ARGS.devices})")
    for i in range(0, ARGS.steps, max(1, ARGS.steps // 10)):
        print(f"{i:>4}  {curve_numpy[i]:>10.6f}  {curve_jax[i]:>10.6f}")
    worst = max(abs(a - b) for a, b in zip(curve_numpy, curve_jax, strict=True))
    print(f"largest difference between the curves: {worst:.2e}")
    assert worst < 1e-9, "the backends disagree"


if __name__ == "__main__":
    main()
