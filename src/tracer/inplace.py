"""Tracer layer: in-place operators (`b += 1`) on traced values, kept exactly NumPy's or refused.

Until writes into arrays are supported, `b += 1` rebinds `b` to a new value. That is what
NumPy computes only when nothing else sees the old array: no other name or container holds
it, no view shares its memory, and it is not the caller's (an argument, which NumPy would
change and tracegrad never does) or an enclosing function's. Anything else raises, at the
user's line, with the rebinding to write instead. So that the answer is NumPy's, the result
keeps the left operand's dtype (cast with casting='same_kind') and its shape.

The "no other holder" test is NumPy's own for eliding temporaries: the Tracer's reference
count, calibrated at import on an object going through the same calls (`calibrate`).
Python numbers (weak values) and NumPy scalars (0-d values computed in the function) are
immutable in NumPy too, so rebinding them is always exact.
"""

from __future__ import annotations

import ast
import sys
import weakref
from collections.abc import Callable, Sequence
from itertools import count
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import TraceError
from ..ir import Primitive, Var
from ..ir.primitives import indexing, shapes
from .source import caller_location

if TYPE_CHECKING:
    from .context import Trace
    from .tracer import Tracer

LATER = "writing into arrays comes in a later version of tracegrad"

# Primitives whose result is a view of their first operand in NumPy (reshape may copy, but
# counting it as a view can only refuse more). Basic indexing down to 0-d gives a NumPy
# scalar, a copy, so those are not views (see `note_views`).
VIEWS: frozenset[Primitive] = frozenset(
    {
        shapes.reshape,
        shapes.transpose,
        shapes.broadcast_to,
        indexing.index,
    }
)


class Aliases:
    """Per trace: which values share memory through views, and which inputs the loop owns."""

    def __init__(self) -> None:
        self.buffer: dict[Var, int] = {}  # a value made or viewed by a view -> its buffer
        self.members: dict[int, list[weakref.ref[Tracer]]] = {}  # buffer -> its Tracers
        self.foreign: set[int] = set()  # buffers that include another trace's value
        self.callers: set[int] = set()  # buffers that include an argument (the caller's)
        self.numbers = count()
        # Inputs of a loop body or branch passed to it directly: the loop's own values, and
        # the references tracegrad holds to them while the body runs.
        self.held: dict[Var, int] = {}
        # Tracers standing for a copy NumPy would make (`a * 1`, `+a`) where the tracer
        # records no node: a new object for the same value, its own array as far as
        # `b += 1` is concerned.
        self.copies: dict[Var, list[weakref.ref[Tracer]]] = {}

    def join(self, base: Tracer, view: Tracer, trace: Trace) -> None:
        number = self.buffer.get(base.ir_var)
        if number is None:
            number = self.buffer[base.ir_var] = next(self.numbers)
            self.members[number] = [weakref.ref(base)]
        self.buffer[view.ir_var] = number
        self.members[number].append(weakref.ref(view))
        if base._trace is not trace:
            self.foreign.add(number)
        elif base.ir_var in trace.builder.inputs and base.ir_var not in self.held:
            self.callers.add(number)

    def others_alive(self, tracer: Tracer) -> bool:
        number = self.buffer[tracer.ir_var]
        return any(ref() is not None and ref() is not tracer for ref in self.members[number])


def note_views(
    trace: Trace, op: Primitive, operands: Sequence[Any], outputs: Sequence[Tracer]
) -> None:
    """Called for each recorded view (an op in VIEWS): remember what it is a view of."""
    if op is indexing.index and outputs[0].ir_var.type.ndim == 0:
        return
    base = operands[0]
    if getattr(base, "ir_var", None) is not None:
        trace.aliases.join(base, outputs[0], trace)


def note_loop_inputs(trace: Trace, arguments: list[Any]) -> None:
    """Called right before a body runs on `arguments`: each one passed directly is the loop's
    own value; count the references tracegrad holds to it (in `arguments` and elsewhere)."""
    for argument in arguments:
        if getattr(argument, "ir_var", None) is not None and argument._trace is trace:
            trace.aliases.held[argument.ir_var] = sys.getrefcount(argument) - MEASURING


# --- the in-place operators -----------------------------------------------------------


def update(tracer: Tracer, other: Any, operation: Callable[[Any, Any], Any], symbol: str) -> Any:
    """`tracer <symbol>= other` (the Tracer's in-place dunders call this)."""
    references = sys.getrefcount(tracer)  # first: nothing of this call may hold it yet
    if immutable(tracer):  # `x += 1` is `x = x + 1`, with the result's own type
        return operation(tracer, other)
    problem = alias_problem(tracer, references)
    if problem is not None:
        raise refusal(problem, symbol)
    return kept_type(tracer, operation(tracer, other), symbol)


def immutable(tracer: Tracer) -> bool:
    """A Python number, or a NumPy scalar: a 0-d value computed here that is no view (NumPy's
    ufuncs, reductions and `x[i]` give scalars, not 0-d arrays)."""
    var = tracer.ir_var
    if var.type.weak:
        return True
    return (
        var.type.ndim == 0
        and var not in tracer._trace.aliases.buffer
        and var not in tracer._trace.builder.inputs
    )


def alias_problem(tracer: Tracer, references: int) -> str | None:
    """Why rebinding would differ from NumPy writing into the array, or None."""
    from .context import running_trace

    trace, var = tracer._trace, tracer.ir_var
    running = running_trace()
    if running is None or not (trace is running or trace.encloses(running)):
        return None  # tracegrad's own code (a derivative rule): values, never aliases
    if trace is not running:
        return "it belongs to the enclosing function, and NumPy would change that function's array"
    aliases: Aliases = trace.aliases
    number = aliases.buffer.get(var)
    if number is not None and (number in aliases.foreign or aliases.others_alive(tracer)):
        return (
            "a view shares its memory (a reshape, transpose, slice or `.T` of it, or it "
            "is one of another array), and NumPy would change both"
        )
    copied = any(ref() is tracer for ref in aliases.copies.get(var, ()))
    if not copied and (
        number in aliases.callers or (var in trace.builder.inputs and var not in aliases.held)
    ):
        return (
            "it is an argument (or a view of one): NumPy would change the caller's "
            "array, and tracegrad never changes what it is given"
        )
    # The references an unaliased local has, and those tracegrad holds to a loop's input.
    allowed = BASELINE + (aliases.held[var] + CALL_EXTRA if var in aliases.held else 0)
    if references > allowed:
        return (
            "another name or container also refers to this array, and NumPy would "
            "change what it sees too"
        )
    return None


def kept_type(tracer: Tracer, result: Any, symbol: str) -> Any:
    """The result in the left operand's dtype and shape, or NumPy's error for them."""
    from . import functions

    left, right = tracer.ir_var.type, functions.type_of(result)
    if right.shape != left.shape:
        raise TraceError(
            f"`{symbol}` would make the array a new shape {right.shape} (it has shape "
            f"{left.shape}); NumPy refuses to broadcast into it too",
            loc=caller_location(),
            hint=f"{rebinding(symbol)} (a new array of the broadcast shape), or give the other "
            "operand this array's shape",
        )
    if right.dtype == left.dtype:
        return result
    if not np.can_cast(right.dtype, left.dtype, casting="same_kind"):
        raise TraceError(
            f"`{symbol}` computes {right.dtype} values, which NumPy cannot store in this "
            f"{left.dtype} array (casting='same_kind'; NumPy raises UFuncTypeError too)",
            loc=caller_location(),
            hint=f"{rebinding(symbol)} (a new {right.dtype} array), or convert the array "
            f"first with .astype(np.{right.dtype})",
        )
    return functions.astype(result, left.dtype)


def copy_of(value: Any) -> Any:
    """A copy of `value` where NumPy makes one but tracing records no node (`a * 1`): for
    a Tracer, a new Tracer of the same value (so `b = a * 1; b += 1` leaves `a` alone)."""
    from .context import running_trace

    var = getattr(value, "ir_var", None)
    if var is None or var.type.weak or value._trace is not running_trace():
        return value  # tracegrad's own code (a derivative rule) writes nothing in place
    fresh = type(value)(var, value._trace)
    value._trace.aliases.copies.setdefault(var, []).append(weakref.ref(fresh))
    return fresh


def copy(tracer: Tracer) -> Tracer:
    """`x.copy()`: a new value (a node of its own), so writing into it touches nothing else."""
    from . import functions

    return tracer._trace.bind(shapes.convert, [tracer], dtype=functions.type_of(tracer).dtype)


# --- messages -------------------------------------------------------------------------


def refusal(problem: str, symbol: str) -> TraceError:
    return TraceError(
        f"in-place `{symbol}` on a traced array cannot be done as NumPy does it: {problem}; "
        f"{LATER}",
        loc=caller_location(),
        hint=f"{rebinding(symbol)}: a new array (the other names keep the old one)",
    )


def rebinding(symbol: str) -> str:
    """`b = b + 1` for the user's line `b += 1` (or a template for other lines)."""
    loc = caller_location()
    operator = symbol.removesuffix("=")
    try:
        statement = ast.parse(loc.text.strip()).body[0] if loc is not None else None
    except (SyntaxError, IndexError):
        statement = None
    if isinstance(statement, ast.AugAssign):
        target = ast.unparse(statement.target)
        return f"`{target} = {target} {operator} {ast.unparse(statement.value)}`"
    return f"`b = b {operator} value` for `b {symbol} value`"


def out_refused(ufunc: np.ufunc) -> TraceError:
    """A ufunc's `out=`: NumPy's `array += traced` lands here too."""
    loc = caller_location()
    symbol = next((s for s in SYMBOLS.get(ufunc.__name__, ()) if loc and s in loc.text), None)
    what = (
        f"`{symbol}` on a NumPy array writes a traced value into it"
        if symbol is not None
        else f"np.{ufunc.__name__}(..., out=...) is not supported: it writes into an array"
    )
    return TraceError(
        f"{what}; {LATER}",
        loc=loc,
        hint=rebinding(symbol)
        if symbol is not None
        else f"assign the result instead: `y = np.{ufunc.__name__}(...)`",
    )


SYMBOLS: dict[str, tuple[str, ...]] = {
    "add": ("+=",),
    "subtract": ("-=",),
    "multiply": ("*=",),
    "divide": ("/=",),
    "true_divide": ("/=",),
    "floor_divide": ("//=",),
    "remainder": ("%=",),
    "power": ("**=",),
    "matmul": ("@=",),
    "bitwise_and": ("&=",),
    "bitwise_or": ("|=",),
    "bitwise_xor": ("^=",),
    "left_shift": ("<<=",),
    "right_shift": (">>=",),
}


# --- calibration ----------------------------------------------------------------------


class Probe:
    """Goes through the same calls as a Tracer's in-place operator (dunder -> `measure`)."""

    __slots__ = ("__weakref__",)
    measured = 0

    def __iadd__(self, other: Any) -> Probe:
        return measure(self, other, None, "+=")


def measure(tracer: Any, other: Any, operation: Any, symbol: str) -> Any:
    Probe.measured = sys.getrefcount(tracer)  # the same first line as `update`
    return tracer


def calibrate() -> tuple[int, int, int]:
    """The reference counts of an unaliased local in `b += 1`, what `note_loop_inputs`
    counts for itself, and what calling a body adds (the arguments' tuple)."""

    def local() -> None:
        b = Probe()
        b += 1

    local()
    baseline = Probe.measured

    def counted(arguments: list[Any]) -> int:
        for argument in arguments:
            return sys.getrefcount(argument)
        return 0

    measuring = counted([Probe()]) - 1  # the list holds one reference

    def body(h: Probe) -> None:
        h += 1

    arguments = [Probe()]
    held = counted(arguments) - measuring
    body(*arguments)
    return baseline, measuring, Probe.measured - baseline - held


BASELINE, MEASURING, CALL_EXTRA = calibrate()
