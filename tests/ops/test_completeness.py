"""Every NumPy entry the tracer dispatches has a row in tests/ops/table.py, or is listed below
with the reason it has none: a new function without a row fails here."""

import numpy as np

from tests.ops.table import ROWS
from tracegrad.tracer import dispatch

# Entries with no row, each with why. Keep it short: a row is the default (a constant output
# has one, and a function tracegrad refuses has one with `rejected`).
EXEMPT: dict[object, str] = {
    np.shape: "static: answers from the type with a Python tuple, no traced value to check",
    np.ndim: "static: a Python int",
    np.size: "static: a Python int",
}


def dispatched() -> set[object]:
    return set(dispatch.UFUNCS) | set(dispatch.FUNCTIONS)


def test_every_dispatched_entry_has_a_row() -> None:
    covered = {row.function for row in ROWS} | set(EXEMPT)
    missing = sorted(getattr(entry, "__name__", str(entry)) for entry in dispatched() - covered)
    assert not missing, f"add a row to tests/ops/table.py for: {missing}"


def test_exempt_entries_are_dispatched_and_have_no_row() -> None:
    listed = set(EXEMPT)
    assert listed <= dispatched(), "an exempt entry is no longer dispatched: remove it"
    assert not listed & {row.function for row in ROWS}, "an exempt entry has a row: remove it"
