"""Handwritten digits: a small MLP on scikit-learn's 8x8 digits, on the NumPy or the JAX backend.

    python examples/digits.py                       # NumPy backend
    python examples/digits.py --backend jax         # the same loss, compiled by XLA
    python examples/digits.py --epochs 30 --out plots

The 1,797 images ship with scikit-learn (no download). The loss is plain NumPy; tracegrad
derives its gradient and runs it as generated NumPy code or, with `--backend jax`, as one XLA
program: `tracegrad.jit(tracegrad.value_and_grad(loss), backend="jax")`. The script shows a
progress bar over the epochs, writes the loss curve to DIR/digits_loss_<backend>.png and
prints the accuracy on the held-out quarter of the images.

Needs the examples extra: pip install -e ".[examples]" (and ".[jax]" for --backend jax).
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # write files; never open a window

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from tqdm import tqdm

import tracegrad


def logits(params, x):
    """64 pixels -> 64 tanh units -> 10 class scores."""
    h = np.tanh(x @ params["W1"] + params["b1"])
    return h @ params["W2"] + params["b2"]


def loss(params, x, y):
    """Softmax cross-entropy, with the largest score subtracted so that exp never overflows."""
    scores = logits(params, x)
    z = scores - scores.max(axis=1, keepdims=True)
    log_probabilities = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(log_probabilities[np.arange(x.shape[0]), y])


def accuracy(params, x, y) -> float:
    return float(np.mean(np.argmax(logits(params, x), axis=1) == y))


def init(rng: np.random.Generator, hidden: int = 64) -> dict:
    return {
        "W1": rng.normal(0, 1 / np.sqrt(64), (64, hidden)),
        "b1": np.zeros(hidden),
        "W2": rng.normal(0, 1 / np.sqrt(hidden), (hidden, 10)),
        "b2": np.zeros(10),
    }


def make_step(backend: str):
    """The function that returns (loss, gradient): generated NumPy code, or one XLA program."""
    if backend == "jax":
        return tracegrad.jit(tracegrad.value_and_grad(loss), backend="jax")
    return tracegrad.value_and_grad(loss)


def train(
    step,
    params: dict,
    x_train,
    y_train,
    x_test,
    y_test,
    epochs: int,
    rng: np.random.Generator,
    batch: int = 64,
    learning_rate: float = 0.1,
    momentum: float = 0.9,
):
    """Minibatch SGD with momentum. Every batch has the same shape (the last, partial one is
    left out), so the loss is traced and compiled once."""
    velocity = {key: np.zeros_like(value) for key, value in params.items()}
    history = {"train": [], "test": []}
    batches = len(x_train) // batch
    progress = tqdm(range(epochs), desc="epochs", unit="epoch")
    for _ in progress:
        order = rng.permutation(len(x_train))
        epoch_loss = 0.0
        for i in range(batches):
            chosen = order[i * batch : (i + 1) * batch]
            value, grads = step(params, x_train[chosen], y_train[chosen])
            epoch_loss += float(value) / batches
            for key in params:  # np.asarray: a JAX array becomes a NumPy array
                velocity[key] = momentum * velocity[key] - learning_rate * np.asarray(grads[key])
                params[key] = params[key] + velocity[key]
        history["train"].append(epoch_loss)
        history["test"].append(float(loss(params, x_test, y_test)))
        progress.set_postfix(
            loss=f"{epoch_loss:.4f}", test_accuracy=f"{accuracy(params, x_test, y_test):.3f}"
        )
    return params, history


def plot(history: dict, backend: str, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"digits_loss_{backend}.png"
    figure, axes = plt.subplots(figsize=(6, 4))
    epochs = np.arange(1, len(history["train"]) + 1)
    axes.plot(epochs, history["train"], label="training (mean over the epoch's batches)")
    axes.plot(epochs, history["test"], label="test (after the epoch)")
    axes.set(
        xlabel="epoch",
        ylabel="cross-entropy",
        yscale="log",
        title=f"8x8 digits, tracegrad on the {backend} backend",
    )
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["numpy", "jax"], default="numpy")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for the PNG")
    args = parser.parse_args(argv)

    digits = load_digits()
    x = digits.data / 16.0  # pixels are 0..16
    x_train, x_test, y_train, y_test = train_test_split(
        x, digits.target, test_size=0.25, random_state=0, stratify=digits.target
    )
    print(f"{len(x_train)} training images, {len(x_test)} test images, backend: {args.backend}")

    rng = np.random.default_rng(0)
    params, history = train(
        make_step(args.backend), init(rng), x_train, y_train, x_test, y_test, args.epochs, rng
    )
    path = plot(history, args.backend, args.out)
    print(f"loss curve written to {path}")
    test_accuracy = accuracy(params, x_test, y_test)
    print(f"final training loss {history['train'][-1]:.4f}")
    print(f"test accuracy: {test_accuracy:.4f}")
    return test_accuracy


if __name__ == "__main__":
    main()
