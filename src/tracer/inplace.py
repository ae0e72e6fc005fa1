"""Tracer layer: writes into traced arrays (`y[i] = v`, `b += 1`), with NumPy's semantics.

A Tracer is an array's current value: an SSA variable of the IR, which never changes. A write
makes a new variable (the `index_set` or `gather_set` primitive, or the operation of `+=`)
and points the Tracer at it, so every name and container holding that Tracer sees the new
value, as they would see the ndarray change.

Views alias as in NumPy. A Tracer made by a view operation (basic indexing, reshape,
transpose, flip: VIEW_OPS) keeps a `Link` to its base and the step that made it, and the
base keeps weak references to its views. Writing into a view writes the base (each step's
inverse, up to the array that owns the memory), and then every live view of that array is
recomputed from its new value. Functions NumPy documents as returning copies give fresh
Tracers (`fresh`, applied by the registry), so a write into their result touches nothing else.

What tracegrad never does is change what it was given: a write into an argument (or a view
of one), into a captured array, or into a value of an enclosing function from inside a loop
body or branch raises, at the user's line, with the copy to write first. Read-only views
(np.broadcast_to, np.diagonal) raise NumPy's own error.

Python numbers (weak values) and NumPy scalars (0-d values computed in the function that are
no view) are immutable in NumPy too: `s += 1` rebinds them.
"""

from __future__ import annotations

import ast
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import TraceError
from ..ir import Primitive
from ..ir.primitives import calls, indexing, shapes
from .source import caller_location

if TYPE_CHECKING:
    from .context import Trace
    from .tracer import Tracer

# Whose memory a Tracer is, where writing into it is refused.
ARGUMENT = "it is an argument (or a view of one): NumPy would change the caller's array"
CAPTURED = "it is an array the function captured: NumPy would change that array"
READ_ONLY = "a read-only view (NumPy raises 'assignment destination is read-only')"


class Link:
    """How a Tracer shares memory: the view it is (base Tracer, view op and params; None for
    the array that owns the memory), the views made of it, and whose memory it is."""

    __slots__ = ("base", "name", "op", "owner", "params", "views")

    def __init__(self, base=None, op=None, params=None, owner: str | None = None, name=None):
        self.base: Tracer | None = base
        self.op: Primitive | None = op
        self.params: dict = params or {}
        self.views: list[weakref.ref[Tracer]] = []
        self.owner = owner
        self.name: str | None = name  # a Buffer's: the line that made it named it so


def link_of(tracer: Tracer) -> Link:
    if tracer._link is None:
        tracer._link = Link()
    return tracer._link


def mark_owner(tracer: Tracer, owner: str) -> Tracer:
    """An argument's or a captured array's Tracer: writes into it (or its views) raise."""
    link_of(tracer).owner = owner
    return tracer


# Primitives whose NumPy result is a view of their first operand, which the tracer follows.
# broadcast_to's view is read-only. Basic indexing down to 0-d gives a NumPy scalar, a copy.
VIEW_OPS: frozenset[Primitive] = frozenset(
    {indexing.index, shapes.reshape, shapes.transpose, shapes.broadcast_to, calls.flip}
)


def note_view(trace: Trace, op: Primitive, operands: list, params: dict, out: Tracer) -> None:
    """Called for each recorded view op: remember what `out` is a view of."""
    from .tracer import Tracer

    base = operands[0]
    if not isinstance(base, Tracer):  # a constant
        return
    if op is indexing.index and out.ir_var.type.ndim == 0:
        return
    owner = READ_ONLY if op is shapes.broadcast_to else owner_of(base)
    out._link = Link(base, op, params, owner)
    link_of(base).views.append(weakref.ref(out))


def owner_of(tracer: Tracer) -> str | None:
    link = tracer._link
    while link is not None:
        if link.owner is not None:
            return link.owner
        link = link.base._link if link.base is not None else None
    return None


def fresh(result: Any, args: tuple) -> Any:
    """The result of a NumPy function that returns a new array: a Tracer of its own, never
    a view nor one of the arguments (np.concatenate([x]) is a copy of x)."""
    if type(result) is tracer_type():  # every traced call passes here: kept cheap
        if result._link is None:
            for a in args:
                if a is result:
                    break
            else:
                return result
        return copy_of(result)
    if isinstance(result, tuple | list):
        items = [fresh(r, args) for r in result]
        return type(result)(*items) if hasattr(result, "_fields") else type(result)(items)
    return result


TRACER: type | None = None


def tracer_type() -> type:
    """The Tracer class (tracer.py imports this module: it is looked up once)."""
    global TRACER
    if TRACER is None:
        from .tracer import Tracer

        TRACER = Tracer
    return TRACER


def read_only(result: Any, args: tuple = ()) -> Any:
    """The result of a NumPy function that returns a read-only view (np.diagonal); `args`
    as `fresh` takes them (the registry calls either)."""
    from .tracer import Tracer

    if isinstance(result, Tracer):
        result = Tracer(result.ir_var, result._trace)
        link_of(result).owner = READ_ONLY
    elif isinstance(result, tuple | list):
        return type(result)(read_only(r) for r in result)
    return result


# --- writing ----------------------------------------------------------------------------


def replace(tracer: Tracer, value: Tracer) -> None:
    """Point `tracer` at `value` (same type), writing through to the array it is a view of,
    then bring every view of that array up to date."""
    link = tracer._link
    if link is not None and link.base is not None:
        base = link.base
        replace(base, written_back(link, base, value))
        return
    tracer.ir_var = value.ir_var
    refresh(tracer)


def written_back(link: Link, base: Tracer, value: Tracer) -> Tracer:
    """The base's new value when its view (made by `link`'s step) becomes `value`."""
    from . import functions

    op, params = link.op, link.params
    if op is shapes.reshape:
        return functions.reshape(value, base.shape)
    if op is shapes.transpose:
        return functions.transpose(value, tuple(np.argsort(params["axes"])))
    if op is calls.flip:
        return functions.flip(value, params["axis"])
    index = params["index"]  # basic indexing: drop the axes None added, then write
    kept = tuple(item for item in index if item is not None)
    if len(kept) != len(index):
        (selected,) = indexing.index_rule((base.ir_var.type,), kept)
        value = functions.reshape(value, selected.shape)
    return written(base, indexing.index_set, [base, value], index=kept)


def written(array: Tracer, op: Primitive, operands: list, **params: Any) -> Tracer:
    """The write `op` records, its new value named as the array it writes (`h` after
    `h[t] = v`, `z` after `z[mask] = v`, a select)."""
    (out,) = array._trace.bind_many(op, operands, hints=[name_of(array)], **params)
    return out


def name_of(array: Tracer) -> str | None:
    """The array's name: the line that made it named it so (`z = x.copy()`), else its
    value's."""
    link = array._link
    return link.name if link is not None and link.name else array.ir_var.hint


def refresh(tracer: Tracer) -> None:
    """Recompute every live view of `tracer` (and theirs) from its current value."""
    link = tracer._link
    if link is None or not link.views:
        return
    alive = []
    for ref in list(link.views):
        view = ref()
        if view is None:
            continue
        alive.append(ref)
        view_link = view._link
        trace = tracer._trace
        with trace.unlinked():  # named as a view is, not after the line's target
            (out,) = trace.bind_many(
                view_link.op, [tracer], hints=[view_link.op.name], **view_link.params
            )
        view.ir_var = out.ir_var
        refresh(view)
    link.views = alive


def check_writable(tracer: Tracer, symbol: str) -> None:
    """Raise where NumPy would change an array tracegrad must not (see the module's doc)."""
    from .context import running_trace

    running = running_trace()
    if tracer._trace is not running:
        problem = (
            "it belongs to the enclosing function, and NumPy would change that function's "
            "array from inside the loop body or branch"
        )
    else:
        problem = owner_of(tracer)
    if problem is None:
        return
    if problem is READ_ONLY:
        raise TraceError(
            f"`{symbol}` writes into {READ_ONLY}",
            loc=caller_location(),
            hint="write into a copy: `y = x.copy()` first",
        )
    raise TraceError(
        f"`{symbol}` writes into a traced array that tracegrad must not change: {problem}, "
        "and tracegrad never changes what it is given",
        loc=caller_location(),
        hint=f"copy it first and write into the copy: {copy_line()}",
    )


def copy_line() -> str:
    """`x = x.copy()` for the array the user's line writes into."""
    statement = user_statement()
    target = None
    if isinstance(statement, ast.AugAssign | ast.Assign):
        node = statement.target if isinstance(statement, ast.AugAssign) else statement.targets[0]
        while isinstance(node, ast.Subscript | ast.Attribute):
            node = node.value
        target = ast.unparse(node) if isinstance(node, ast.Name) else None
    return f"`{target} = {target}.copy()`" if target else "`x = x.copy()`"


def user_statement() -> ast.stmt | None:
    """The statement on the user's line being traced, where it parses alone."""
    loc = caller_location()
    try:
        return ast.parse(loc.text.strip()).body[0] if loc is not None else None
    except (SyntaxError, IndexError):
        return None


def update(tracer: Tracer, other: Any, operation: Callable[[Any, Any], Any], symbol: str) -> Any:
    """`tracer <symbol>= other` (the Tracer's in-place dunders call this)."""
    from .context import running_trace

    if immutable(tracer) or running_trace() is None:
        # A Python number or NumPy scalar, or tracegrad's own code (a derivative rule):
        # `x += 1` is `x = x + 1`, with the result's own type.
        return operation(tracer, other)
    check_writable(tracer, symbol)
    replace(tracer, kept_type(tracer, operation(tracer, other), symbol))
    return tracer


def immutable(tracer: Tracer) -> bool:
    """A Python number, or a NumPy scalar: a 0-d value computed here that is no view (NumPy's
    ufuncs, reductions and `x[i]` give scalars, not 0-d arrays)."""
    var = tracer.ir_var
    if var.type.weak:
        return True
    return var.type.ndim == 0 and tracer._link is None


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
    if right.dtype != left.dtype and not np.can_cast(right.dtype, left.dtype, "same_kind"):
        raise TraceError(
            f"`{symbol}` computes {right.dtype} values, which NumPy cannot store in this "
            f"{left.dtype} array (casting='same_kind'; NumPy raises UFuncTypeError too)",
            loc=caller_location(),
            hint=f"{rebinding(symbol)} (a new {right.dtype} array), or convert the array "
            f"first with .astype(np.{right.dtype})",
        )
    return result if right.dtype == left.dtype else functions.astype(result, left.dtype)


def copy_of(value: Any) -> Any:
    """A copy of `value` where NumPy makes one but tracing records no node (`a * 1`): for
    a Tracer, a new Tracer of the same value (so `b = a * 1; b += 1` leaves `a` alone)."""
    from .context import running_trace
    from .tracer import Tracer

    if not isinstance(value, Tracer) or value.ir_var.type.weak:
        return value
    if value._trace is not running_trace():
        return value  # tracegrad's own code (a derivative rule) writes nothing in place
    copied = Tracer(value.ir_var, value._trace)
    loc = caller_location()
    if loc is not None and loc.target:  # `z = x.copy()`: a write into it is named z
        copied._link = Link(name=loc.target)
    return copied


def copy(tracer: Tracer) -> Tracer:
    """`x.copy()`: a new array, so writing into it touches nothing else; a value of an
    enclosing function copied in a loop body or branch becomes that body's own."""
    from . import functions
    from .context import running_trace

    running = running_trace()
    if running is not None and tracer._trace is not running:
        return functions.astype(tracer, tracer.dtype)  # recorded in the body: its own value
    return copy_of(tracer)


# --- messages -------------------------------------------------------------------------


def rebinding(symbol: str) -> str:
    """`b = b + 1` for the user's line `b += 1` (or a template for other lines)."""
    operator = symbol.removesuffix("=")
    statement = user_statement()
    if isinstance(statement, ast.AugAssign):
        target = ast.unparse(statement.target)
        return f"`{target} = {target} {operator} {ast.unparse(statement.value)}`"
    return f"`b = b {operator} value` for `b {symbol} value`"


NOT_MADE = (
    "the NumPy array was not made by the function with np.zeros, np.empty, np.full, a *_like "
    "function, np.array or np.copy (the arrays tracegrad lets it fill with traced values)"
)


def out_refused(ufunc: np.ufunc) -> TraceError:
    """A ufunc's `out=` into a plain ndarray: NumPy's `array += traced` lands here too."""
    loc = caller_location()
    symbol = next((s for s in SYMBOLS.get(ufunc.__name__, ()) if loc and s in loc.text), None)
    what = (
        f"`{symbol}` on a NumPy array writes a traced value into it"
        if symbol is not None
        else f"np.{ufunc.__name__}(..., out=...) is not supported: it writes into an array"
    )
    return TraceError(
        f"{what}; {NOT_MADE}",
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
