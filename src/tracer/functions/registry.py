"""Tracer layer: the one place a NumPy callable meets its tracing function.

`@implements(np.sum, method="sum")` on a tracing function records, at import: the NumPy
callable -> function entry `dispatch.py` routes NumPy's protocol calls through (`UFUNCS`,
`FUNCTIONS`), the `tracegrad.numpy` name (NumPy's own, plus `aliases`), and the Tracer's
ndarray method or attribute that simply forwards to it (`x.sum(axis)` is `np.sum(x, axis)`).
A callable, name or method registered twice, or a callable that is not NumPy's, fails here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..context import find_trace

__all__ = [
    "ATTRIBUTES",
    "DERIVATIVES",
    "DETAILS",
    "FUNCTIONS",
    "METHODS",
    "NAMES",
    "UFUNCS",
    "Details",
    "RegistrationError",
    "implements",
    "ndarray_methods",
    "traced",
]

# Read by dispatch.py on every NumPy call on a Tracer: one dict get each.
UFUNCS: dict[np.ufunc, Callable] = {}
FUNCTIONS: dict[Callable, Callable] = {}
# The `tracegrad.numpy` names, and the Tracer's forwarding methods and attributes.
NAMES: dict[str, Callable] = {}
METHODS: dict[str, Callable] = {}
ATTRIBUTES: dict[str, Callable] = {}


# What a registration says about its derivative, as docs/numpy-support.md words it.
DERIVATIVES: dict[str, str] = {
    "yes": "differentiable",
    "zero": "zero derivative (piecewise constant)",
    "none": "no derivative (an integer or boolean result)",
}


@dataclass(frozen=True, slots=True)
class Details:
    """What the support table says of one NumPy callable: its derivative (a DERIVATIVES key)
    and a note on what it does not do as NumPy does (a keyword it refuses, say)."""

    derivative: str = "yes"
    note: str = ""


# The NumPy callable -> its Details, for docs/numpy-support.md and the tests that check it.
DETAILS: dict[Callable, Details] = {}
# Set once the Tracer class has taken the methods: a later method registration would be lost.
sealed: list[bool] = []


class RegistrationError(Exception):
    """A mistake in tracegrad's own registrations, raised while tracegrad is imported."""


def traced(numpy_function: Callable, view: bool | str = False) -> Callable[[Callable], Callable]:
    """Run the tracing version when any argument is traced, else NumPy's own function. The
    result of the user's call is a new array unless NumPy documents a view (`view`: True, or
    "read-only"): see tracer/inplace.py."""
    from .. import inplace, masked
    from ..masked import Selection

    settle = {False: inplace.fresh, True: None, "read-only": inplace.read_only}[view]

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            found = find_trace(args) or (kwargs and find_trace(list(kwargs.values())))
            if not found:
                return numpy_function(*args, **kwargs)
            for a in args:  # a loop, not any(): every traced call passes here
                if type(a) is Selection:  # x[mask] of a traced mask
                    return masked.call(numpy_function, args, kwargs)
            # One call from the user's code (see Trace.calls; Trace.one_call, spelled out on
            # this path, which every traced call takes).
            if found.depth == 0:
                found.calls += 1
            found.depth += 1
            try:
                result = fn(*args, **kwargs)
            finally:
                found.depth -= 1
            return result if settle is None or found.depth else settle(result, args)

        wrapper.numpy_function = numpy_function  # type: ignore[attr-defined]
        return wrapper

    return decorate


def is_numpy_callable(candidate: Any) -> bool:
    if isinstance(candidate, np.ufunc):
        return True
    module = getattr(candidate, "__module__", None) or ""
    return callable(candidate) and module.split(".")[0] in ("numpy", "scipy")


def describe(fn: Any) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', fn)}"


def as_names(names: str | tuple[str, ...] | None) -> tuple[str, ...]:
    return () if names is None else (names,) if isinstance(names, str) else tuple(names)


def implements(
    *numpy_callables: Any,
    aliases: tuple[str, ...] = (),
    method: str | tuple[str, ...] | None = None,
    attribute: str | None = None,
    static: bool = False,
    derivative: str = "yes",
    note: str = "",
    view: bool | str = False,
    name: str | None = None,
) -> Callable[[Callable], Callable]:
    """Register the decorated function as the tracing version of `numpy_callables` (the first
    one also runs it on untraced arguments and names it in `tracegrad.numpy`; the others,
    np.amax for np.max, route to it too). `aliases`: further `tracegrad.numpy` names;
    `method`: the Tracer methods that forward to it (`x.sum(...)`); `attribute`: a Tracer
    property that calls it on the value alone (`x.T`). `static`: the function answers from
    the type (np.shape) and records nothing, so it runs as it is, with no tracing wrapper.
    `derivative`, `note`: what docs/numpy-support.md says of it (see Details). `view`: NumPy
    returns a view of (or the very) first argument (True), or a read-only view ("read-only");
    otherwise the result is a new array, whatever the tracing version returned. `name`: the
    `tracegrad.numpy` name where NumPy's own would clash (scipy.linalg.cholesky's)."""
    check_callables(numpy_callables)
    if derivative not in DERIVATIVES:
        raise RegistrationError(f"derivative={derivative!r}: one of {sorted(DERIVATIVES)}")
    names = (name or numpy_callables[0].__name__, *aliases)

    def register(fn: Callable) -> Callable:
        function = fn if static else traced(numpy_callables[0], view)(fn)
        entries = entries_of(numpy_callables, names, as_names(method), as_names(attribute))
        check_entries(entries, fn)
        for table, key, _ in entries:
            table[key] = function
        for numpy_callable in numpy_callables:
            DETAILS[numpy_callable] = Details(derivative, note)
        return function

    return register


def check_callables(numpy_callables: tuple) -> None:
    if not numpy_callables:
        raise RegistrationError("@implements() needs the NumPy callable it implements")
    for candidate in numpy_callables:
        if not is_numpy_callable(candidate):
            raise RegistrationError(
                f"@implements({candidate!r}): not a NumPy function or ufunc (register the "
                "NumPy callable itself, e.g. np.cumsum)"
            )


def entries_of(
    numpy_callables: tuple,
    names: tuple[str, ...],
    methods: tuple[str, ...],
    attributes: tuple[str, ...],
) -> list[tuple[dict, Any, str]]:
    """(table, key, what it is) for each entry one registration writes."""
    entries = [
        (UFUNCS if isinstance(c, np.ufunc) else FUNCTIONS, c, f"the NumPy callable {c!r}")
        for c in numpy_callables
    ]
    entries += [(NAMES, name, f"the name tracegrad.numpy.{name}") for name in names]
    entries += [(METHODS, name, f"the Tracer method x.{name}") for name in methods]
    entries += [(ATTRIBUTES, name, f"the Tracer attribute x.{name}") for name in attributes]
    return entries


def check_entries(entries: list[tuple[dict, Any, str]], fn: Callable) -> None:
    """Every entry new (nothing is written unless all are), and no method after the Tracer
    took its methods."""
    for table, key, what in entries:
        if key in table:
            raise RegistrationError(
                f"{what} is registered twice: by {describe(table[key])} and by {describe(fn)}"
            )
        if sealed and (table is METHODS or table is ATTRIBUTES):
            raise RegistrationError(
                f"{what} ({describe(fn)}) is registered after the Tracer "
                "class was built: import its module from functions/"
            )


def ndarray_methods() -> type:
    """A base class for the Tracer holding every registered forwarding method and attribute:
    called once, when tracer.py defines the Tracer."""
    sealed.append(True)
    namespace: dict[str, Any] = {"__slots__": (), **METHODS}
    namespace.update({name: property(fn) for name, fn in ATTRIBUTES.items()})
    namespace["__doc__"] = "The ndarray methods that forward to a tracegrad.numpy function."
    return type("NdarrayMethods", (), namespace)
