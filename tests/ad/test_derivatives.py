"""The derivatives both modes share (src/ad/derivatives.py): a `Quotient`'s reverse-mode
partials and forward-mode total agree with each other and with the hand-derived formula, and
the rules both modes build from the shared entries emit the short forms."""

import itertools

import numpy as np
import pytest

import tracegrad
from tracegrad.ad import derivatives
from tracegrad.ad.jvp_rules import jvp_rules
from tracegrad.ad.vjp_rules import vjp_rules
from tracegrad.ir.primitives import elementwise

RNG = np.random.default_rng(0)
X, Y = RNG.uniform(0.5, 2.0, 4), RNG.uniform(0.5, 2.0, 4)
TX, TY = RNG.normal(size=4), RNG.normal(size=4)

# Hand-derived: d(x / y) = dx / y - x dy / y^2; d arctan2(x, y) = (y dx - x dy) / (x^2 + y^2).
FORMULAS = {
    elementwise.divide: (np.divide, lambda x, y: (1 / y, -x / y**2)),
    elementwise.arctan2: (np.arctan2, lambda x, y: (y / (x * x + y * y), -x / (x * x + y * y))),
}


@pytest.mark.parametrize("op", list(derivatives.QUOTIENTS), ids=lambda op: op.name)
def test_quotient_partials_and_total_match_the_formula(op):
    quotient = derivatives.QUOTIENTS[op]
    function, formula = FORMULAS[op]
    out = function(X, Y)
    dx, dy = formula(X, Y)
    partial_x, partial_y = quotient.partials(TX, TY, X, Y, out)
    np.testing.assert_allclose(partial_x, TX * dx, rtol=1e-14)
    np.testing.assert_allclose(partial_y, TY * dy, rtol=1e-14)
    for tx, ty in [(TX, TY), (TX, None), (None, TY)]:
        expected = (0 if tx is None else tx * dx) + (0 if ty is None else ty * dy)
        np.testing.assert_allclose(quotient.total(tx, ty, X, Y, out), expected, rtol=1e-14)


def test_each_shared_entry_gives_both_modes_a_rule():
    shared = [
        *derivatives.UNARY,
        *derivatives.BINARY,
        *derivatives.QUOTIENTS,
        *derivatives.WINS,
    ]
    for op in shared:
        assert op in vjp_rules and op in jvp_rules, op.name
    tables = [derivatives.UNARY, derivatives.BINARY, derivatives.QUOTIENTS, derivatives.WINS]
    for first, second in itertools.combinations(tables, 2):
        assert not set(first) & set(second)  # one derivative per primitive


def jvp_source(fn, tangents):
    x, y = np.array([1.0, 2.0]), np.array([0.5, 3.0])
    return tracegrad.JVP(fn).source((x, y), tangents)


def test_quotient_jvp_divides_once_and_subtracts_without_a_negation():
    both = (np.ones(2), np.ones(2))
    for fn in (np.divide, np.arctan2):
        body = jvp_source(fn, both).split("def ", 1)[1]
        # the primal's division (arctan2 has none) and the tangent's one
        assert body.count(" / ") == (2 if fn is np.divide else 1), body
        assert "(-" not in body and "= -" not in body, body
        assert " - " in body


def test_quotient_vjp_negates_the_second_cotangent_once():
    source = tracegrad.grad(lambda x, y: np.sum(np.arctan2(x, y)), argnums=(0, 1)).source(
        np.array([1.0, 2.0]), np.array([0.5, 3.0])
    )
    body = source.split("def ", 1)[1]
    assert body.count(" / ") == 2  # one division per operand's cotangent
    assert body.count("-") == 1, body


@pytest.mark.parametrize("op", list(derivatives.WINS), ids=lambda op: op.name)
def test_extrema_share_a_tie_evenly_in_both_modes(op):
    function = np.maximum if op is elementwise.maximum else np.minimum
    x = np.array([1.0, 2.0, 3.0])
    y = np.array([1.0, 0.0, 4.0])  # a tie, x wins (max), y wins (max)
    dx, dy = tracegrad.grad(lambda x, y: np.sum(function(x, y)), argnums=(0, 1))(x, y)
    x_wins = (x > y) if op is elementwise.maximum else (x < y)
    np.testing.assert_array_equal(dx, np.where(x == y, 0.5, np.where(x_wins, 1.0, 0.0)))
    np.testing.assert_array_equal(dx + dy, np.ones(3))
    tx, ty = np.array([2.0, 3.0, 5.0]), np.array([4.0, 7.0, 11.0])
    _, tangent = tracegrad.jvp(function, (x, y), (tx, ty))
    np.testing.assert_array_equal(tangent, dx * tx + dy * ty)  # the VJP's transpose
