"""tracegrad.jit on the JAX backend (float64 mode) equals NumPy's own result for each row."""

import numpy as np
import pytest

import tracegrad
from tests.ops.cases import cases, row_ids
from tests.ops.table import CHECKED, OpRow

jax = pytest.importorskip("jax")


@pytest.mark.parametrize("row", CHECKED, ids=row_ids)
def test_jax_backend_matches_numpy(row: OpRow, float64_jax) -> None:
    for call, operands in cases(row):
        result = np.asarray(tracegrad.jit(call, backend="jax")(*operands))
        expected = np.asarray(call(*operands))
        assert result.shape == expected.shape
        assert result.dtype == expected.dtype
        np.testing.assert_allclose(result, expected, rtol=1e-12)
