"""The interpreter every Graph -> Graph transform runs, and its rule tables: a typo in a
table is refused at import, single-output rules are adapted to the list convention, and the
traits stand for the rules they make unnecessary."""

from __future__ import annotations

import pytest

from tracegrad.ad import jvp_rules, vjp_rules
from tracegrad.ad.interpreter import RuleTable, single_output_vjp
from tracegrad.ir.primitive import Group, Primitive, Trait
from tracegrad.ir.primitives import elementwise, primitives


def test_a_table_refuses_what_is_not_a_declared_primitive():
    table = RuleTable("VJP", single_output_vjp)
    with pytest.raises(TypeError, match="not a declared primitive"):
        table["sin"] = lambda ct, x, out: [ct]
    stray = Primitive("sin", Group.UNARY, elementwise.sin.type_rule)  # not the declared one
    with pytest.raises(TypeError, match="not a declared primitive"):
        table[stray] = lambda ct, x, out: [ct]


def test_a_single_output_rule_is_adapted_to_the_list_convention():
    table = RuleTable("VJP", single_output_vjp)
    table[elementwise.sin] = lambda ct, x, out: [ct * 2.0 + out]
    assert table[elementwise.sin]([1.0], 3.0, outs=[4.0]) == [6.0]
    adapted = table[elementwise.sin]
    table[elementwise.sin] = adapted  # put back (as monkeypatch does): not adapted twice
    assert table[elementwise.sin]([1.0], 3.0, outs=[4.0]) == [6.0]


def test_rules_exist_only_where_a_trait_does_not_make_them_unnecessary():
    for op in primitives.values():
        if op.has(Trait.PIECEWISE_CONSTANT):
            assert op not in vjp_rules and op not in jvp_rules, op.name
    assert primitives["reshape"] not in jvp_rules  # linear: its own JVP
