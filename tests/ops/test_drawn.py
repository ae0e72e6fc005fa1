"""The rows' hypothesis draws, each checked in both modes: tracegrad.grad of a weighted sum and
tracegrad.jvp along a random tangent, against central finite differences. Both modes see the
same calls, so a primitive with a JVP rule of its own (divide, power, maximum...) cannot hide a
wrong partial from one of them. Draws stay away from kinks, jumps and ties: focused tests in
tests/ad hold those.

Every hypothesis test of the table has `drawn` in its name: `pytest tests/ops -k "not drawn"`
runs the fixed samples alone (the quick loop while writing a row).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tracegrad
from tests.catalog.numerics import central_difference_grad
from tests.ops.checks import (
    ATOL,
    RTOL,
    assert_grad_matches_fd,
    assert_jvp_matches_fd,
    cotangent_weights,
)
from tests.ops.draws import Draw, Drawn
from tests.ops.table import CHECKED, OpRow

DRAWN = tuple((row, draw) for row in CHECKED for draw in row.draws)
FLOAT32 = tuple(row for row in CHECKED if row.float32_draws)
SCALAR = tuple(row for row in CHECKED if row.scalar is not None)


def drawn_id(case: tuple[OpRow, Draw]) -> str:
    row, draw = case
    return f"{row.label}[{draw.text}]"


def tangent_positions(data: st.DataObject, case: Drawn) -> tuple[int, ...]:
    """Any non-empty subset of the differentiable operands: a missing one is a symbolic zero."""
    chosen = st.lists(st.sampled_from(case.differentiable), min_size=1, unique=True)
    return tuple(sorted(data.draw(chosen, label="tangents on")))


def away_from_kinks(case: Drawn, gap: float) -> None:
    if case.margin is not None:
        assume(case.margin(*case.operands) > gap)


@pytest.mark.parametrize("case", DRAWN, ids=drawn_id)
@given(data=st.data())
def test_drawn_calls_in_both_modes(case: tuple[OpRow, Draw], data: st.DataObject) -> None:
    drawn = case[1].draw(data)
    away_from_kinks(drawn, 1e-3)
    assert_grad_matches_fd(drawn.call, *drawn.operands, argnums=drawn.differentiable)
    positions = tangent_positions(data, drawn)
    assert_jvp_matches_fd(drawn.call, *drawn.operands, argnums=positions)


def in_float32(data: st.DataObject, drawn: Drawn) -> tuple:
    """The first operand in float32, the second too or left in float64."""
    first, second = drawn.operands
    both = data.draw(st.booleans(), label="both float32")
    return first.astype(np.float32), second.astype(np.float32) if both else second


@pytest.mark.parametrize("row", FLOAT32, ids=lambda row: row.label)
@given(data=st.data())
def test_drawn_float32_operands_keep_their_dtype(row: OpRow, data: st.DataObject) -> None:
    """float32 operands, alone or with float64: each derivative keeps its operand's dtype.
    Differences are taken in float64 (the arguments upcast); float32 rounding bounds the rest."""
    drawn = row.draws[0].draw(data)
    operands = in_float32(data, drawn)
    away_from_kinks(Drawn(drawn.call, operands, margin=drawn.margin), 1e-2)
    assert_grad_matches_fd(drawn.call, *operands, argnums=(0, 1), rtol=1e-4, atol=1e-4)
    positions = tangent_positions(data, drawn)
    assert_jvp_matches_fd(drawn.call, *operands, argnums=positions, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("row", SCALAR, ids=lambda row: row.label)
def test_python_float_operands(row: OpRow) -> None:
    if row.arity == 1:
        check_python_float_argument(row)
        return
    x = np.random.default_rng(0).uniform(0.5, 2.0, (2, 3))
    for call in (lambda x: row.fn(x, row.scalar), lambda x: row.fn(row.scalar, x)):
        assert_grad_matches_fd(call, x)
        assert_jvp_matches_fd(call, x)


def check_python_float_argument(row: OpRow) -> None:
    """A traced Python float: its gradient is a float, its tangent matches differences."""

    def call(x):
        return row.fn(x) * 1.5

    gradient = tracegrad.grad(call)(row.scalar)
    assert isinstance(gradient, float), row.label  # a Python float or np.float64
    numerical = central_difference_grad(call, (row.scalar,))
    assert math.isclose(gradient, numerical, rel_tol=RTOL, abs_tol=ATOL), row.label
    assert_jvp_matches_fd(call, row.scalar)


@pytest.mark.parametrize("row", FLOAT32, ids=lambda row: row.label)
@given(data=st.data())
def test_drawn_vjp_with_a_cotangent_equals_grad_of_weighted_sum(row: OpRow, data) -> None:
    drawn = row.draws[0].draw(data)
    away_from_kinks(drawn, 1e-3)
    x, y = drawn.operands
    out, vjp_fn = tracegrad.vjp(drawn.call, x, y)
    np.testing.assert_allclose(out, drawn.call(x, y), rtol=1e-15)
    w = cotangent_weights(np.shape(out))
    dx, dy = vjp_fn(w)
    gx, gy = tracegrad.grad(lambda x, y: np.sum(drawn.call(x, y) * w), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(dx, gx, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(dy, gy, rtol=1e-13, atol=1e-15)
