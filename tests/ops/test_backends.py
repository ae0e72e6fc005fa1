"""tracegrad.jit on the JAX backend (float64 mode) equals NumPy's own result for each row.

The whole table runs as one joined call (one trace, one XLA compile; tests/ops/joint.py); a
row runs alone where that fails."""

import functools

import numpy as np
import pytest

import tracegrad
from tests.ops.cases import cases, joined, row_ids
from tests.ops.joint import concatenated
from tests.ops.table import CHECKED, OpRow

jax = pytest.importorskip("jax")


def on_jax(rows: tuple[OpRow, ...]) -> dict[int, tuple]:
    """Each row's results (one per case) from a single tracegrad.jit(backend="jax")."""
    parts = [joined(row)[:2] for row in rows]
    call, flat = concatenated(parts)
    with jax.enable_x64(True):
        results = tracegrad.jit(call, backend="jax")(*flat)
    return {id(row): result for row, result in zip(rows, results, strict=True)}


@functools.cache
def jointly() -> dict[int, tuple]:
    try:
        return on_jax(CHECKED)
    except Exception:  # a failing row is then named by its own test
        return {}


@pytest.mark.parametrize("row", CHECKED, ids=row_ids)
def test_jax_backend_matches_numpy(row: OpRow, float64_jax) -> None:
    results = jointly().get(id(row)) or on_jax((row,))[id(row)]
    for result, (one, operands) in zip(results, cases(row), strict=True):
        result, expected = np.asarray(result), np.asarray(one(*operands))
        assert result.shape == expected.shape
        assert result.dtype == expected.dtype
        np.testing.assert_allclose(result, expected, rtol=1e-12)
