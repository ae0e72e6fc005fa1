"""Runtime layer: a TracegradError's traceback shows the user's frames, not tracegrad's own.

An error found deep inside tracing (a type rule, a missing NumPy function) passes through
twenty frames of the tracer, the AD pass and the cache before it reaches the user. The
public entry points are boundaries: a TracegradError leaving one keeps the user's frames
and the frame that raised it, and drops tracegrad's others (JAX's traceback_util does the
same for its own frames). TRACEGRAD_TRACEBACK=full keeps every frame; the whole traceback
is also kept on the error, as `error.unfiltered_traceback`. Any other exception is a bug
and keeps all its frames.
"""

from __future__ import annotations

import functools
import os
import types
from collections.abc import Callable
from typing import Any, TypeVar

from ..errors import TracegradError
from ..tracer.source import PACKAGE_DIR

ENVIRONMENT_VARIABLE = "TRACEGRAD_TRACEBACK"
F = TypeVar("F", bound=Callable[..., Any])


def filtering() -> bool:
    """Read at each error (not at import), so the variable can be set in a running session."""
    return os.environ.get(ENVIRONMENT_VARIABLE, "filtered").lower() not in ("full", "all", "1")


def ours(entry: types.TracebackType) -> bool:
    return entry.tb_frame.f_code.co_filename.startswith(PACKAGE_DIR)


def filtered_traceback(traceback: types.TracebackType | None) -> types.TracebackType | None:
    """The traceback without tracegrad's frames, except the last one: the raise itself."""
    found = entries(traceback)
    return chain([e for i, e in enumerate(found) if not ours(e) or i == len(found) - 1])


def entries(traceback: types.TracebackType | None) -> list[types.TracebackType]:
    found = []
    while traceback is not None:
        found.append(traceback)
        traceback = traceback.tb_next
    return found


def chain(kept: list[types.TracebackType]) -> types.TracebackType | None:
    rebuilt = None
    for entry in reversed(kept):
        rebuilt = types.TracebackType(rebuilt, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return rebuilt


def unfiltered(error: TracegradError) -> types.TracebackType | None:
    """The whole traceback: an inner boundary (grad inside jit) filtered the part below it,
    and kept that part on the error; the frames since then are prepended to it."""
    current = entries(error.__traceback__)
    head = getattr(error, "filtered_head", None)
    if head is None or head not in current:
        return error.__traceback__
    prefix = current[: current.index(head)]
    return chain(prefix + entries(error.unfiltered_traceback))


def api_boundary(fn: F) -> F:
    """Mark a public entry point: TracegradErrors leave it with the user's frames only."""

    @functools.wraps(fn)
    def boundary(*args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True  # pytest hides this frame too
        try:
            return fn(*args, **kwargs)
        except TracegradError as error:
            if not filtering():
                raise
            error.unfiltered_traceback = unfiltered(error)
            kept = filtered_traceback(error.__traceback__)
            error.filtered_head = kept  # where the next boundary out finds what it dropped
            # A plain raise keeps the error's own cause and context as they were.
            raise error.with_traceback(kept)  # noqa: B904

    return boundary  # type: ignore[return-value]
