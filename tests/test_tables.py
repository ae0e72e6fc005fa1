"""Completeness of the per-concern tables: every primitive has a type rule, a NumPy and a JAX
emission rule, a way to differentiate it in each mode (a rule, a decomposition, or a trait that
makes one unnecessary), and every NumPy ufunc or function the tracer routes has a target.
Adding a primitive is a checklist: this test names what is missing."""

from tracegrad.ad import decompositions, jvp_rules, vjp_rules
from tracegrad.codegen.jax import jax_rules
from tracegrad.codegen.numpy import numpy_rules
from tracegrad.ir.primitive import Group, Trait
from tracegrad.ir.primitives import primitives
from tracegrad.tracer.dispatch import FUNCTIONS, UFUNCS

TABLES = {
    "NumPy emission": numpy_rules,
    "JAX emission": jax_rules,
    "VJP rule": vjp_rules,
    "JVP rule": jvp_rules,
    "decomposition": decompositions,
}

# What differentiates a primitive in each mode: its rule, else its decomposition, else a trait
# that says none is needed (a linear primitive is its own JVP; through a piecewise-constant
# one no derivative flows).
DIFFERENTIATION = {
    "VJP rule": (vjp_rules, {Trait.PIECEWISE_CONSTANT}),
    "JVP rule": (jvp_rules, {Trait.PIECEWISE_CONSTANT, Trait.LINEAR}),
}


def missing(op, mode: str) -> bool:
    rules, traits = DIFFERENTIATION[mode]
    return op not in rules and op not in decompositions and not any(map(op.has, traits))


def test_every_primitive_has_an_entry_in_every_emission_table():
    holes = [
        f"{name:<16} missing: {table}"
        for name, op in sorted(primitives.items())
        for table in ("NumPy emission", "JAX emission")
        if op not in TABLES[table]
    ]
    assert not holes, "primitives without an entry:\n" + "\n".join(holes)


def test_every_primitive_has_a_rule_or_a_decomposition_in_each_mode():
    holes = [
        f"{name:<16} missing: {mode} (or a decomposition)"
        for name, op in sorted(primitives.items())
        for mode in DIFFERENTIATION
        if missing(op, mode)
    ]
    assert not holes, "primitives that cannot be differentiated:\n" + "\n".join(holes)


def test_the_check_fails_for_a_primitive_with_nothing(monkeypatch):
    sin = primitives["sin"]
    monkeypatch.delitem(vjp_rules, sin)
    assert missing(sin, "VJP rule") and not missing(primitives["reshape"], "JVP rule")


def test_every_primitive_declares_a_rule_group_and_doc():
    for name, op in primitives.items():
        assert callable(op.type_rule), name
        assert isinstance(op.group, Group), name
        assert op.doc, f"{name} has no one-line description"


def test_tables_hold_nothing_but_primitives():
    for table, rules in TABLES.items():
        strays = [op for op in rules if primitives.get(op.name) is not op]
        assert not strays, f"{table} has entries for unregistered primitives: {strays}"


def test_dispatch_tables_route_to_callables():
    for table in (UFUNCS, FUNCTIONS):
        for numpy_callable, target in table.items():
            assert callable(numpy_callable) and callable(target), numpy_callable
