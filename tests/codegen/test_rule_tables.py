"""The backends' emission tables are keyed by Primitive objects: a name string or a stale
primitive is refused when the table is built (at import), however the entry is added."""

import dataclasses

import pytest

from tracegrad.codegen import jax, numpy, python_floats
from tracegrad.codegen.array_api import EmitTable, array_api_rules, build_rules
from tracegrad.ir.primitive import Primitive, primitives
from tracegrad.ir.primitives import reductions, shapes


def rule(node, args):
    return args[0]


@pytest.mark.parametrize(
    "build",
    [
        lambda: EmitTable({"sum": rule}),
        lambda: EmitTable([(reductions.sum_, rule), ("reshape", rule)]),
        lambda: EmitTable().__setitem__("sum", rule),
        lambda: EmitTable().update({"sum": rule}),
        lambda: EmitTable().update(sum=rule),
        lambda: EmitTable({reductions.sum_: rule}) | {"prod": rule},
        lambda: EmitTable().setdefault("sum", rule),
        lambda: build_rules({}, {"sum": rule}),
    ],
    ids=["constructor", "pairs", "setitem", "update", "keywords", "or", "setdefault", "build"],
)
def test_a_name_string_key_is_refused(build):
    with pytest.raises(TypeError, match=r"not a declared primitive|are names, not primitives"):
        build()


def test_a_primitive_that_is_not_the_declared_one_is_refused():
    stale = dataclasses.replace(reductions.sum_)  # same name, not the declared object
    assert primitives["sum"] is reductions.sum_
    with pytest.raises(TypeError, match="not a declared primitive"):
        EmitTable({stale: rule})


def test_a_backend_difference_replaces_the_shared_rule():
    shared = array_api_rules("np")
    table = shared | {shapes.reshape: rule}
    assert isinstance(table, EmitTable)
    assert table[shapes.reshape] is rule
    assert shared[shapes.reshape] is not rule  # the shared table itself is left as it was
    assert set(table) == set(shared)


@pytest.mark.parametrize(
    "table",
    [
        numpy.numpy_rules,
        jax.jax_rules,
        numpy.SPECIAL_RULES,
        jax.SPECIAL_RULES,
        python_floats.RULES,
    ],
    ids=["numpy", "jax", "numpy special", "jax special", "python floats"],
)
def test_every_key_of_a_backend_table_is_a_declared_primitive(table):
    assert isinstance(table, EmitTable)
    assert table
    strays = [op for op in table if not isinstance(op, Primitive) or primitives[op.name] is not op]
    assert strays == []


def test_both_backends_start_from_the_shared_table():
    shared = set(array_api_rules("np"))
    assert shared <= set(numpy.SPECIAL_RULES)
    assert shared <= set(jax.SPECIAL_RULES)
    assert set(array_api_rules("jnp")) == shared


def test_python_floats_write_the_array_backends_operators():
    """One operator table: where Python floats write an operator, NumPy writes the same one."""
    from tracegrad.codegen.common import ARITHMETIC_OPERATORS, OPERATORS

    assert ARITHMETIC_OPERATORS.items() <= OPERATORS.items()
    assert set(ARITHMETIC_OPERATORS) <= set(python_floats.RULES)
