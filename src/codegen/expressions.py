"""Codegen layer: expressions that know how tightly they bind, so an operand is parenthesised
by its precedence, not by searching its text (only `moved`, the inlining's readability rule,
counts the brackets of a primary moved into its reader).

An emission rule receives its operands as `Expr`s and returns an `Expr` (or, for a call, the
plain text: `np.tanh(x)`). Written into an f-string an Expr is bare, as an argument, list item
or subscript needs it (`np.tanh({x})`); beside an operator or before a postfix it is written
`x.within(OPERAND)`, which adds the parentheses the policy below asks for.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum


class Precedence(IntEnum):
    """How tightly an expression binds, loosest first, in Python's order."""

    LOWEST = 0  # no operand position asks for less: a statement's expression, an argument
    COMPARISON = 1  # a < b, a == b
    ADDITIVE = 2  # a + b, a - b
    MULTIPLICATIVE = 3  # a * b, a / b, a // b, a % b, a @ b
    UNARY = 4  # -a, and a negative number
    POWER = 5  # a ** b (tighter than a unary minus on its left: -a ** 2 is -(a ** 2))
    # A primary that reads as several tokens (`x[:, None]`, `x.reshape(())`), moved into
    # the node that reads it: see `moved`.
    COMPOUND = 6
    PRIMARY = 7  # a name, a number, a call, a subscript, an attribute: x, np.exp(x), xs[t], x.T


# The policy: how tightly an operand must bind to be written bare beside an operator (either
# side of `+`, `@`, `**`, after a unary `-`) or before a postfix (`.sum()`, `.T`, `[i]`).
# Python asks less (`x @ W + b` parses as `(x @ W) + b`); tracegrad writes, as it always has,
# every compound operand in parentheses, so no reader needs Python's precedence table:
# `(x @ W) + b`, `(-x) ** 2`, `x ** (-2.0)`. Only a primary stands bare. Arguments, list
# items and subscripts ask for nothing (Precedence.LOWEST).
OPERAND = Precedence.PRIMARY

BINARY_PRECEDENCE: dict[str, Precedence] = {
    "+": Precedence.ADDITIVE, "-": Precedence.ADDITIVE,
    "*": Precedence.MULTIPLICATIVE, "/": Precedence.MULTIPLICATIVE,
    "//": Precedence.MULTIPLICATIVE, "%": Precedence.MULTIPLICATIVE,
    "@": Precedence.MULTIPLICATIVE, "**": Precedence.POWER,
    "==": Precedence.COMPARISON, "!=": Precedence.COMPARISON, "<": Precedence.COMPARISON,
    "<=": Precedence.COMPARISON, ">": Precedence.COMPARISON, ">=": Precedence.COMPARISON,
}  # fmt: skip


class Expr:
    """Python source of one expression and its precedence. Cheap: one per operand read."""

    __slots__ = ("precedence", "text")

    def __init__(self, text: str, precedence: Precedence = Precedence.PRIMARY):
        self.text = text
        self.precedence = precedence

    def within(self, required: Precedence) -> str:
        """The text where the reader needs at least `required`: parenthesised if looser."""
        return self.text if self.precedence >= required else f"({self.text})"

    def __str__(self) -> str:
        return self.text

    def __format__(self, spec: str) -> str:
        return self.text  # in an f-string: an argument, which needs no parentheses

    def __repr__(self) -> str:
        return f"Expr({self.text!r}, {self.precedence.name})"


def call(text: str) -> Expr:
    """A call (`np.exp(x)`, `x.sum(axis=0)`). A rule returning a `str` returns a call."""
    return Expr(text, Precedence.PRIMARY)


def subscript(subject: Expr | str, key: str) -> Expr:
    subject_text = subject.within(OPERAND) if isinstance(subject, Expr) else subject
    return Expr(f"{subject_text}[{key}]", Precedence.PRIMARY)


def attribute(subject: Expr, name: str) -> Expr:
    return Expr(f"{subject.within(OPERAND)}.{name}", Precedence.PRIMARY)


def method(subject: Expr, name: str, arguments: str = "") -> Expr:
    """`subject.name(arguments)`: `x.sum(axis=0)`, `(a + b).astype(jnp.float32)`."""
    return Expr(f"{subject.within(OPERAND)}.{name}({arguments})", Precedence.PRIMARY)


def binary(symbol: str, left: Expr, right: Expr) -> Expr:
    text = f"{left.within(OPERAND)} {symbol} {right.within(OPERAND)}"
    return Expr(text, BINARY_PRECEDENCE[symbol])


def unary(symbol: str, operand: Expr) -> Expr:
    return Expr(f"{symbol}{operand.within(OPERAND)}", Precedence.UNARY)


def from_literal(text: str) -> Expr:
    """A literal as written: a negative number binds as a unary minus (`x ** (-2.0)`)."""
    return Expr(text, Precedence.UNARY if text.startswith("-") else Precedence.PRIMARY)


def arguments(items: Iterable[Expr | str]) -> str:
    """Items separated by commas, each bare (call arguments, list items, subscript keys)."""
    return ", ".join(map(str, items))


def as_expression(result: Expr | str) -> Expr:
    """A rule's expression result: a returned `str` is a call (see `call`)."""
    return result if isinstance(result, Expr) else Expr(result, Precedence.PRIMARY)


def moved(expression: Expr) -> Expr:
    """A value written into the node that reads it, instead of on a line of its own. The
    policy: it stands bare beside an operator only where it reads as one token (a name, a
    call on plain arguments `np.exp(x)`, `xs[t]`); a longer primary, moved from elsewhere,
    is parenthesised so the eye finds where it ends: `(x[:, None]) * y`,
    `(np.maximum(x, np.float64(0.0))) + b`. (A rule's own conversion of an operand,
    `x.astype(jnp.float32) * y`, is part of the operand and stands bare.)"""
    if expression.precedence != Precedence.PRIMARY or one_token(expression.text):
        return expression
    return Expr(expression.text, Precedence.COMPOUND)


def one_token(text: str) -> bool:
    """A primary with at most one parenthesised group, its own call's (`x[t].sum()`), and
    no space outside a call's parentheses (`xs[t]`, not `x[:, 0]`)."""
    if "(" in text:
        return text.endswith(")") and text.count("(") == 1
    return " " not in text
