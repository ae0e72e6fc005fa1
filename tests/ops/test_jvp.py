"""tracegrad.jvp of each row against a central finite difference along the tangent.

Tangents go on every differentiable operand at once and on each one alone: a JVP rule of its
own (divide's, multiply's) has a branch for an operand without a tangent (a symbolic zero),
and a wrong partial there shows only when the other operand carries none."""

import numpy as np
import pytest

import tracegrad
from tests.ops.cases import cases, row_ids
from tests.ops.table import CHECKED, OpRow

DIFFERENTIABLE = tuple(row for row in CHECKED if row.derivative)


def tangent_sets(row: OpRow) -> list[tuple[int, ...]]:
    """All differentiable operands together, then each alone (where there are several)."""
    alone = [(position,) for position in row.differentiable]
    return [row.differentiable, *(alone if len(alone) > 1 else [])]


def check_jvp(row: OpRow, call, operands, on: tuple[int, ...]) -> None:
    rng = np.random.default_rng(3)
    tangents = tuple(
        rng.normal(size=np.shape(x)) if i in on else np.zeros(np.shape(x))
        for i, x in enumerate(operands)
    )
    tangent_args = tuple(t if i in on else None for i, t in enumerate(tangents))

    def along(sign: float):
        return call(*(x + sign * row.step * t for x, t in zip(operands, tangents, strict=True)))

    value, derivative = tracegrad.jvp(call, operands, tangent_args)
    np.testing.assert_allclose(value, call(*operands), rtol=1e-12)
    expected = (along(1.0) - along(-1.0)) / (2 * row.step)
    np.testing.assert_allclose(
        derivative, expected, rtol=row.rtol, atol=row.rtol / 100, err_msg=f"tangents on {on}"
    )


@pytest.mark.parametrize("row", DIFFERENTIABLE, ids=row_ids)
def test_jvp_matches_finite_differences(row: OpRow) -> None:
    for call, operands in cases(row):
        for on in tangent_sets(row):
            check_jvp(row, call, operands, on)
