"""Expressions and their precedence (codegen/expressions.py): where the policy parenthesises
an operand, where it leaves it bare, and that the text always means the intended tree."""

from __future__ import annotations

import itertools
import operator

import pytest

from tracegrad.codegen.expressions import (
    OPERAND,
    Expr,
    Precedence,
    attribute,
    binary,
    call,
    from_literal,
    method,
    moved,
    subscript,
    unary,
)

a, b, c = Expr("a"), Expr("b"), Expr("c")


def test_a_sum_under_a_product_is_wrapped():
    assert binary("*", binary("+", a, b), c).text == "(a + b) * c"
    assert binary("*", c, binary("-", a, b)).text == "c * (a - b)"


def test_every_compound_operand_is_wrapped_even_where_python_needs_no_parentheses():
    # The policy (OPERAND = PRIMARY): the reader never needs Python's precedence table.
    assert OPERAND is Precedence.PRIMARY
    assert binary("+", binary("@", a, b), c).text == "(a @ b) + c"
    assert binary("+", a, binary("*", b, c)).text == "a + (b * c)"


def test_a_call_under_anything_is_not_wrapped():
    exp = call("np.exp(x)")
    assert binary("*", exp, b).text == "np.exp(x) * b"
    assert unary("-", exp).text == "-np.exp(x)"
    assert binary("**", exp, a).text == "np.exp(x) ** a"
    assert method(exp, "sum").text == "np.exp(x).sum()"
    assert subscript(exp, "0").text == "np.exp(x)[0]"


def test_unary_minus_under_power_and_a_negative_number_beside_an_operator():
    assert binary("**", unary("-", a), Expr("2")).text == "(-a) ** 2"
    assert binary("**", a, from_literal("-2.0")).text == "a ** (-2.0)"
    assert binary("*", from_literal("-0.05"), a).text == "(-0.05) * a"
    assert unary("-", unary("-", a)).text == "-(-a)"
    assert from_literal("2.0").precedence is Precedence.PRIMARY


def test_a_postfix_wraps_any_operator_expression():
    assert method(binary("+", a, b), "sum", "axis=0").text == "(a + b).sum(axis=0)"
    assert attribute(binary("@", a, b), "T").text == "(a @ b).T"
    assert subscript(unary("-", a), "t").text == "(-a)[t]"


def test_arguments_are_never_wrapped():
    total = binary("+", a, b)
    assert f"np.tanh({total})" == "np.tanh(a + b)"
    assert f"np.where({binary('>', a, b)}, a, {unary('-', b)})" == "np.where(a > b, a, -b)"
    assert str(total) == "a + b"


def test_a_long_primary_moved_into_its_reader_is_wrapped_a_short_one_is_not():
    y = Expr("y")
    assert binary("*", moved(subscript(Expr("x"), ":, None")), y).text == "(x[:, None]) * y"
    assert binary("*", moved(subscript(Expr("xs"), "t")), y).text == "xs[t] * y"
    assert binary("*", moved(call("np.exp(x)")), y).text == "np.exp(x) * y"
    long_call = moved(call("np.maximum(x, np.float64(0.0))"))
    assert binary("+", long_call, y).text == "(np.maximum(x, np.float64(0.0))) + y"
    assert binary("+", moved(call("x[:, 0].sum()")), y).text == "x[:, 0].sum() + y"
    # A rule's own conversion of its operand is part of the operand, not moved: bare.
    converted = method(binary("-", Expr("1"), y), "astype", "jnp.float64")
    assert binary("*", converted, Expr("log")).text == "(1 - y).astype(jnp.float64) * log"
    # An operator expression moved keeps its precedence (and so its parentheses).
    assert moved(binary("+", a, b)).precedence is Precedence.ADDITIVE


OPERATORS = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
    "<": operator.lt,
}


@pytest.mark.parametrize("outer", sorted(OPERATORS))
def test_the_text_means_the_intended_tree(outer):
    """Every operator under every operator, either side, with and without a unary minus:
    Python evaluates the written text to the value of the tree it was built from."""
    values = {"a": 3.0, "b": 2.0, "c": 5.0}
    leaves = [(Expr(name), value) for name, value in values.items()]
    trees = [*leaves, *((unary("-", e), -v) for e, v in leaves)]
    for inner, (left, lv), (right, rv) in itertools.product(OPERATORS, trees, trees):
        inner_tree = (binary(inner, left, right), OPERATORS[inner](lv, rv))
        for (x, xv), (y, yv) in ((inner_tree, (c, 5.0)), ((c, 5.0), inner_tree)):
            try:
                expected = OPERATORS[outer](xv, yv)
            except (ZeroDivisionError, OverflowError):
                continue
            written = binary(outer, x, y)
            assert eval(written.text, {}, values) == expected, written.text
            assert eval(unary("-", written).text, {}, values) == -expected
