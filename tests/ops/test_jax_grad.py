"""tracegrad.grad of each row equals jax.grad of the same source run on jax.numpy.

A row's cases make one loss (the sum of each case's weighted loss, over disjoint operands, so
each operand's gradient is its own case's), and the rows' losses are summed into one: one
tracegrad.grad and one XLA compile for the table (tests/ops/joint.py); a row runs alone where
that fails."""

import functools

import numpy as np
import pytest

import tracegrad
from tests.ops.cases import joined, joined_positions
from tests.ops.joint import offsets, split, summed
from tests.ops.table import CHECKED, OpRow, rebind

jax = pytest.importorskip("jax")
jax_numpy = pytest.importorskip("jax.numpy")

COMPARED = tuple(row for row in CHECKED if row.derivative and row.jax)


def random_weights(call, flat: tuple) -> list[np.ndarray]:
    """Fixed random weights shaped like each case's result (NumPy computes the shapes)."""
    rng = np.random.default_rng(2)
    return [rng.normal(size=np.shape(result)) for result in call(*flat)]


def weighted_sum(call, weights: list[np.ndarray]):
    """sum over cases of sum(result * w): its gradient is the VJP of each case along its w."""

    def loss(*values):
        results = call(*values)
        return sum((result * w).sum() for result, w in zip(results, weights, strict=True))

    return loss


def losses(row: OpRow) -> tuple[tuple, tuple, tuple[int, ...]]:
    """The row's loss on NumPy and on jax.numpy (the same source, the same weights), as
    (call, operands) parts, and the differentiable positions among its operands."""
    call, flat, operand_sets = joined(row)
    jax_call, _, _ = joined(row, rebind(row.fn, jax_numpy))
    weights = random_weights(call, flat)
    ours, theirs = weighted_sum(call, weights), weighted_sum(jax_call, weights)
    return (ours, flat), (theirs, flat), joined_positions(row, operand_sets)


def gradients(rows: tuple[OpRow, ...]) -> dict[int, tuple[list, list]]:
    """Each row's gradients, ours and JAX's, from one tracegrad.grad and one jax.jit."""
    ours, theirs, positions = zip(*(losses(row) for row in rows), strict=True)
    counts = [len(flat) for _, flat in ours]
    argnums = offsets(positions, counts)
    (loss, flat), (jax_loss, _) = summed(ours), summed(theirs)
    mine = tracegrad.grad(loss, argnums=argnums)(*flat)
    with jax.enable_x64(True):
        reference = jax.jit(jax.grad(jax_loss, argnums=argnums))(*flat)
    sizes = [len(own) for own in positions]
    pairs = zip(split(mine, sizes), split(reference, sizes), strict=True)
    return {id(row): pair for row, pair in zip(rows, pairs, strict=True)}


@functools.cache
def jointly() -> dict[int, tuple[list, list]]:
    try:
        return gradients(COMPARED)
    except Exception:  # a failing row is then named by its own test
        return {}


@pytest.mark.parametrize("row", COMPARED, ids=lambda row: row.label)
def test_grad_matches_jax_grad(row: OpRow, float64_jax) -> None:
    assert rebind(row.fn, jax_numpy).__code__ is row.fn.__code__  # the same source, only `np`
    ours, theirs = jointly().get(id(row)) or gradients((row,))[id(row)]
    assert len(ours) == len(theirs) == len(row.differentiable) * len(list(joined(row)[2]))
    for mine, reference in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine, np.asarray(reference), rtol=1e-10, atol=1e-12)
