"""Quickstart: trace a plain-NumPy function, read its IR and generated code, run it.

python examples/quickstart.py
"""

import numpy as np

import tracegrad


def loss(params, x, y):
    """Softmax cross-entropy of a one-layer network: plain NumPy, nothing else."""
    logits = x @ params["W"] + params["b"]
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    n = x.shape[0]
    return -np.mean(logp[np.arange(n), y])


def main() -> None:
    rng = np.random.default_rng(0)
    params = {"W": rng.standard_normal((4, 3)), "b": np.zeros(3)}
    x = rng.standard_normal((5, 4))
    y = rng.integers(0, 3, size=5)

    compiled = tracegrad.jit(loss)
    print("The typed IR tracegrad recorded:\n")
    print(compiled.ir(params, x, y))
    print("\nThe NumPy module it generated:\n")
    print(compiled.source(params, x, y))

    ours, reference = compiled(params, x, y), loss(params, x, y)
    print(f"generated code: {ours:.12f}")
    print(f"plain NumPy:    {reference:.12f}")
    assert np.isclose(ours, reference, rtol=1e-12), "the generated code disagrees with NumPy"
    print("They agree.")


if __name__ == "__main__":
    main()
