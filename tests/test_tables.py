"""Completeness of the per-concern tables: every primitive has a type rule, a NumPy and a JAX
emission rule, a VJP and a JVP rule, and every NumPy ufunc or function the tracer routes has a
target. Adding a primitive is a checklist: this test names what is missing."""

from tracegrad.ad import jvp_rules, vjp_rules
from tracegrad.codegen.jax import jax_rules
from tracegrad.codegen.numpy import numpy_rules
from tracegrad.ir.primitive import Group
from tracegrad.ir.primitives import primitives
from tracegrad.tracer.dispatch import FUNCTIONS, UFUNCS

TABLES = {
    "NumPy emission": numpy_rules,
    "JAX emission": jax_rules,
    "VJP rule": vjp_rules,
    "JVP rule": jvp_rules,
}


def test_every_primitive_has_an_entry_in_every_table():
    holes = [
        f"{name:<16} missing: {table}"
        for name, op in sorted(primitives.items())
        for table, rules in TABLES.items()
        if op not in rules
    ]
    assert not holes, "primitives without an entry:\n" + "\n".join(holes)


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
