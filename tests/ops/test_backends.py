"""tracegrad.jit on the JAX backend (float64 mode) equals NumPy's own result for each row."""

import numpy as np
import pytest

import tracegrad
from tests.ops.table import ROWS, OpRow, sample

jax = pytest.importorskip("jax")


@pytest.fixture
def float64_jax():
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", previous)


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.name)
def test_jax_backend_matches_numpy(row: OpRow, float64_jax) -> None:
    for shape in row.shapes:
        x = sample(row, shape)
        result = np.asarray(tracegrad.jit(row.reference, backend="jax")(x))
        expected = row.reference(x)
        assert result.shape == expected.shape
        assert result.dtype == expected.dtype
        np.testing.assert_allclose(result, expected, rtol=1e-12)
