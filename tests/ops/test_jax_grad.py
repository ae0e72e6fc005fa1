"""tracegrad.grad of each row equals jax.grad of the same source run on jax.numpy."""

import numpy as np
import pytest

import tracegrad
from tests.ops.cases import bound, row_ids, weighted_loss
from tests.ops.table import CHECKED, OpRow, rebind, sample

jax = pytest.importorskip("jax")
jax_numpy = pytest.importorskip("jax.numpy")

COMPARED = tuple(row for row in CHECKED if row.derivative and row.jax)


@pytest.mark.parametrize("row", COMPARED, ids=row_ids)
def test_grad_matches_jax_grad(row: OpRow, float64_jax) -> None:
    on_jax = rebind(row.fn, jax_numpy)
    assert on_jax.__code__ is row.fn.__code__  # the very same source, only `np` differs
    for kwargs in row.kwargs:
        for shapes in row.samples:
            operands = sample(row, shapes)
            ours = tracegrad.grad(
                weighted_loss(bound(row.fn, kwargs), operands), argnums=row.differentiable
            )(*operands)
            theirs = jax.jit(
                jax.grad(weighted_loss(bound(on_jax, kwargs), operands), argnums=row.differentiable)
            )(*operands)
            for mine, reference in zip(ours, theirs, strict=True):
                np.testing.assert_allclose(mine, np.asarray(reference), rtol=1e-10, atol=1e-12)
