"""The traced result's shape and dtype equal NumPy's on each sample of each row."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tracegrad
from tests.ops.cases import cases, row_ids
from tests.ops.numpy_calls import TypeDraw, check
from tests.ops.table import CHECKED, ROWS, OpRow


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


TYPE_DRAWN = tuple((row, draw) for row in ROWS for draw in row.type_draws)


@pytest.mark.parametrize("case", TYPE_DRAWN, ids=lambda case: case[1].text)
@given(data=st.data())
def test_drawn_call_agrees_with_numpy(case: tuple[OpRow, TypeDraw], data: st.DataObject) -> None:
    """dtypes, Python scalars (traced or constant) and invalid arguments: the traced type and
    the generated values are NumPy's, and where NumPy raises, tracing raises a TraceError."""
    check(case[1].draw(data))


REJECTED = tuple(row for row in ROWS if row.rejected)


@pytest.mark.parametrize("row", REJECTED, ids=row_ids)
def test_rejected_rows_raise_a_trace_error_naming_the_line(row: OpRow) -> None:
    for call, operands in cases(row):
        with pytest.raises(tracegrad.TraceError) as error:
            tracegrad.trace(call, *operands)
        assert "table.py" in str(error.value), row.rejected  # the user's file: the row's fn
