"""Every primitive is complete in the IR and the NumPy backend: a type rule, a group and an
emission rule; and every NumPy ufunc or function the tracer routes reaches a callable. A
failure prints one table with a row per hole, so adding a primitive is a checklist.
(tests/test_tables.py checks the VJP table as well.)"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tracegrad.codegen.numpy import numpy_rules
from tracegrad.ir.primitive import Group
from tracegrad.ir.primitives import elementwise, primitives
from tracegrad.tracer.dispatch import FUNCTIONS, UFUNCS


def table(title: str, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = [
        " | ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    ]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return f"{title}\n" + "\n".join(lines)


def mark(present: bool) -> str:
    return "ok" if present else "MISSING"


def test_every_primitive_has_a_type_rule_a_group_and_numpy_emission() -> None:
    rows = []
    for name, op in sorted(primitives.items()):
        row = (
            name,
            op.group.value if isinstance(op.group, Group) else "MISSING",
            mark(callable(op.type_rule)),
            mark(op in numpy_rules),
        )
        if "MISSING" in row:
            rows.append(row)
    assert not rows, table(
        "primitives with holes:", ("primitive", "group", "type rule", "NumPy emission"), rows
    )


def test_the_numpy_backend_emits_only_registered_primitives() -> None:
    strays = [op for op in numpy_rules if primitives.get(op.name) is not op]
    assert not strays, f"NumPy emission rules for unregistered primitives: {strays}"


def test_every_ufunc_primitive_is_reachable_from_numpy() -> None:
    """np.tanh(tracer) reaches the tanh primitive only if dispatch routes the ufunc."""
    rows = [
        (op.name, f"np.{ufunc.__name__}")
        for op, ufunc in elementwise.UFUNCS.items()
        if ufunc not in UFUNCS
    ]
    assert not rows, table(
        "primitives whose ufunc is not routed by tracer.dispatch.UFUNCS:",
        ("primitive", "ufunc"),
        rows,
    )


def describe(value: object) -> str:
    return getattr(value, "__name__", None) or repr(value)


def dispatch_holes(name: str, routes: dict, key_kind: Callable[[object], bool]) -> list:
    return [
        (name, describe(numpy_callable), describe(target))
        for numpy_callable, target in routes.items()
        if not key_kind(numpy_callable) or not callable(target)
    ]


def test_every_routed_numpy_callable_maps_to_a_callable() -> None:
    rows = [
        *dispatch_holes("UFUNCS", UFUNCS, lambda key: isinstance(key, np.ufunc)),
        *dispatch_holes("FUNCTIONS", FUNCTIONS, callable),
    ]
    assert not rows, table(
        "dispatch entries that cannot be called:", ("table", "NumPy", "routed to"), rows
    )
