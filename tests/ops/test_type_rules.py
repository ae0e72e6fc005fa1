"""The traced result's shape and dtype equal NumPy's on each sample of each row."""

import numpy as np
import pytest

import tracegrad
from tests.ops.cases import cases, row_ids
from tests.ops.table import CHECKED, OpRow


@pytest.mark.parametrize("row", CHECKED, ids=row_ids)
def test_traced_value_matches_numpy(row: OpRow) -> None:
    for call, operands in cases(row):
        result = tracegrad.jit(call)(*operands)
        expected = np.asarray(call(*operands))
        assert np.shape(result) == expected.shape
        assert np.asarray(result).dtype == expected.dtype
        np.testing.assert_allclose(result, expected, rtol=1e-12)


FLOAT_ROWS = tuple(row for row in CHECKED if row.dtype == "float64")


@pytest.mark.parametrize("row", FLOAT_ROWS, ids=row_ids)
def test_float32_samples_keep_numpy_dtype(row: OpRow) -> None:
    for call, operands in cases(row):
        single = tuple(x.astype(np.float32) for x in operands)
        result = tracegrad.jit(call)(*single)
        expected = np.asarray(call(*single))
        assert np.shape(result) == expected.shape
        assert np.asarray(result).dtype == expected.dtype
        np.testing.assert_allclose(result, expected, rtol=1e-5)
