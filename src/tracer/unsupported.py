"""Tracer layer: what a traced value cannot do that an ndarray can, and what to write instead.

One table of reasons serves the Tracer's attribute fallback (`x.cumsum()`) and NumPy's
functions that reach `__array_function__` without a tracing rule (`np.cumsum(x)`), so both
spellings get the same explanation. Writes into a NumPy array (`h[i] = traced`) get theirs.
"""

from __future__ import annotations

import numpy as np

from ..errors import SourceLoc, TraceError
from .source import caller_location

# Every public attribute and method of np.ndarray: the Tracer's fallback explains these, and
# leaves any other name a plain AttributeError (so `hasattr` works as for any object).
NDARRAY_NAMES = frozenset(name for name in dir(np.ndarray) if not name.startswith("_"))

IN_PLACE = "it changes the array in place, which tracegrad traces as item assignment only"
MEMORY = (
    "it reads the array's memory, and a traced value has no memory while tracing (it is a "
    "value in the Graph, not a buffer)"
)
FACTS_HINT = "use what is known while tracing: x.shape, x.dtype, x.size, x.nbytes"
SAVE_HINT = "return the value from the traced function and save or convert it outside"

DATA_SHAPE = (
    "its result's shape depends on the data (on how many entries are nonzero or distinct), and "
    "shapes must be known while tracing"
)
KEEP_SHAPE = (
    "keep the shape: select with np.where(mask, a, b), reduce what is kept with "
    "np.sum(np.where(mask, x, 0)), or count with np.sum(mask)"
)
# Functions whose result's size depends on the data: they work on concrete arrays (NumPy runs
# them), never on traced ones.
DATA_SHAPED: dict[str, tuple[str, str]] = {
    "nonzero": (DATA_SHAPE, KEEP_SHAPE),
    "argwhere": (DATA_SHAPE, KEEP_SHAPE),
    "flatnonzero": (DATA_SHAPE, KEEP_SHAPE),
    "extract": (DATA_SHAPE, KEEP_SHAPE),
    "unique": (
        DATA_SHAPE,
        "compute the distinct values outside the traced function and pass them in, or "
        "compare against known candidates: np.sum(x[:, None] == values, axis=0) counts each",
    ),
}

# name -> (why it cannot work on a traced value, what to write instead)
REASONS: dict[str, tuple[str, str]] = {
    **DATA_SHAPED,
    "resize": (
        IN_PLACE,
        "use x.reshape(...) for the same number of elements, slicing or "
        "np.concatenate to change it",
    ),
    "flags": (MEMORY, FACTS_HINT),
    "base": (MEMORY, FACTS_HINT),
    "ctypes": (MEMORY, FACTS_HINT),
    "data": (MEMORY, FACTS_HINT),
    "strides": (MEMORY, FACTS_HINT),
    "setflags": (MEMORY, FACTS_HINT),
    "view": (MEMORY, "use x itself, or x.astype(dtype) to convert the values"),
    "getfield": (MEMORY, "use x.astype(dtype) to convert the values"),
    "setfield": (MEMORY, "build a new array instead"),
    "byteswap": (MEMORY, SAVE_HINT),
    "tobytes": (MEMORY, SAVE_HINT),
    "tofile": (MEMORY, SAVE_HINT),
    "dump": (MEMORY, SAVE_HINT),
    "dumps": (MEMORY, SAVE_HINT),
    "item": ("it needs a concrete value, but this value is traced", "keep the value as an array"),
    "tolist": (
        "it needs a concrete value, but this value is traced",
        "keep the value as an "
        "array, or build a list by indexing: [x[i] for i in range(x.shape[0])]",
    ),
    "device": (
        "it is not known while tracing: the backend places the compiled function",
        "choose the device outside the traced function (backend=, jax.default_device)",
    ),
    "to_device": (
        "it is not known while tracing: the backend places the compiled function",
        "choose the device outside the traced function (backend=, jax.default_device)",
    ),
}


def attribute_error(name: str) -> TraceError:
    """The error for `x.<name>`, an ndarray attribute the Tracer does not offer."""
    why, hint = REASONS.get(
        name,
        (
            "it is not supported on traced values",
            "write it with the supported functions (see tracegrad.numpy), or open an issue asking "
            "for it",
        ),
    )
    return TraceError(f"x.{name}: {why}", loc=caller_location(), hint=hint)


def function_error(name: str) -> TraceError | None:
    """The error for `np.<name>(traced, ...)`, when the table knows why it cannot work."""
    if name in WRITERS:
        return write_error(caller_location(), f"np.{name}")
    if name not in REASONS:
        return None
    why, hint = REASONS[name]
    return TraceError(
        f"np.{name}: {why.replace('the array', 'an array')}", loc=caller_location(), hint=hint
    )


# NumPy functions that write into their first argument.
WRITERS = frozenset({"put", "place", "putmask"})

WRITE_HINT = (
    "build the array from traced values instead of writing into a NumPy one: np.stack([a, b, "
    "c]) for elements, np.concatenate([h[:i], v[None], h[i + 1:]]) for a position, "
    "np.where(mask, v, h) for a mask, np.zeros_like(x) + v for a filled array"
)


def write_error(loc: SourceLoc | None, function: str | None = None) -> TraceError:
    """The error for writing a traced value into a NumPy array (or at a traced index), which
    would need the value now: the array holds concrete numbers."""
    where = f"{function}: " if function else ""
    return TraceError(
        f"{where}writing a traced value into a NumPy array, or at a traced index (`h[i] = v`, "
        "`h[:] = v`, h.fill(v), np.copyto(h, v)): a NumPy array holds concrete numbers, and "
        "this value is traced (it depends on the inputs)",
        loc=loc,
        hint=WRITE_HINT,
    )


def unwrap_numpy_error(error: BaseException) -> TraceError | None:
    """Our error, when NumPy replaced it by its own: storing a Tracer into an array element
    calls float() (or int()) on it, and NumPy turns the failure into "setting an array element
    with a sequence" (a Tracer has __getitem__), keeping ours as the cause."""
    cause = error.__cause__
    if (
        isinstance(error, ValueError)
        and isinstance(cause, TraceError)
        and str(error).startswith("setting an array element")
    ):
        return write_error(cause.loc)
    return None
