"""What docs/numpy-support.md says of each function's derivative agrees with the table.

The registry's `derivative=` is what the support table shows users; here it meets the rows:
a function said to have no derivative has no derivative checked anywhere, and one said to
have a zero derivative gets exactly zero from tracegrad.grad on every float sample.
"""

import operator

import numpy as np
import pytest

import tracegrad
from tests.ops.cases import cases, row_ids, weighted_loss
from tests.ops.table import ROWS, OpRow
from tracegrad.tracer.functions.registry import DETAILS

# The indexing rows (x[key]) are the ndarray's subscript, not a function the table lists.
FUNCTION_ROWS = tuple(row for row in ROWS if row.function is not operator.getitem)


def derivative_of(row: OpRow) -> str:
    return DETAILS[row.function].derivative


@pytest.mark.parametrize("row", FUNCTION_ROWS, ids=row_ids)
def test_every_row_is_in_the_support_table(row: OpRow) -> None:
    assert row.function in DETAILS, f"{row.label}: registered without Details"


@pytest.mark.parametrize(
    "row", [row for row in FUNCTION_ROWS if derivative_of(row) == "none"], ids=row_ids
)
def test_no_derivative_means_none_is_checked(row: OpRow) -> None:
    assert not row.derivative, f"{row.label}: the table checks a derivative it says is absent"


@pytest.mark.parametrize(
    "row",
    [row for row in FUNCTION_ROWS if derivative_of(row) == "zero" and row.dtype == "float64"],
    ids=row_ids,
)
def test_zero_derivative_is_zero(row: OpRow) -> None:
    for call, operands in cases(row):
        loss = weighted_loss(call, operands)
        for gradient in tracegrad.grad(loss, argnums=row.differentiable)(*operands):
            np.testing.assert_array_equal(gradient, np.zeros_like(gradient))
