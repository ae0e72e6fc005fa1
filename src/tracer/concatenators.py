"""Tracer layer: np.r_ and np.c_ given traced values: NumPy's own reading of the index
(slices, scalars, arrays and a leading directive string), joined by a traced concatenate.

They are objects, not functions, so no protocol reaches them: tracer/intercept.py puts a
`Concatenator` in their place while a trace runs.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..errors import TraceError
from . import functions
from .context import find_trace
from .source import caller_location, internal


@dataclass(frozen=True, slots=True)
class Settings:
    """What np.r_ (axis 0, at least 1-d) or np.c_ (axis -1, at least 2-d, 1-d inputs as
    columns) does, as a leading string such as '0,2,1' may change it."""

    axis: int
    ndmin: int
    trans1d: int


class Concatenator:
    """Stands in for np.r_ or np.c_ (`original`): a key holding a traced value is joined
    here, any other key by NumPy itself."""

    __slots__ = ("original",)

    def __init__(self, original: Any):
        self.original = original

    def __getitem__(self, key: Any) -> Any:
        # tracegrad's own code and NumPy's keep NumPy's object exactly.
        if find_trace([key]) is None or internal(sys._getframe(1).f_code.co_filename):
            return self.original[key]
        settings = Settings(self.original.axis, self.original.ndmin, self.original.trans1d)
        return concatenated(key if isinstance(key, tuple) else (key,), settings)

    def __len__(self) -> int:
        return 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.original, name)


def directive_error(item: str, problem: str) -> TraceError:
    return TraceError(
        f"np.r_ / np.c_: the directive {item!r} {problem}",
        loc=caller_location(),
        hint="a leading string 'axis' or 'axis,ndmin[,trans1d]' (e.g. '1', '0,2,1'); "
        "build matrices with np.stack or np.concatenate",
    )


def directive(item: str, settings: Settings) -> Settings:
    """The settings a leading string gives (NumPy's rules; 'r' and 'c' build np.matrix,
    which traced values never are)."""
    if item in ("r", "c"):
        raise directive_error(item, "builds an np.matrix, which tracegrad does not trace")
    try:
        numbers = [int(part) for part in item.split(",")]
    except ValueError:
        raise directive_error(item, "is unknown (NumPy raises ValueError)") from None
    if len(numbers) == 1:
        return replace(settings, axis=numbers[0])
    if len(numbers) in (2, 3):
        trans1d = numbers[2] if len(numbers) == 3 else settings.trans1d
        return Settings(numbers[0], numbers[1], trans1d)
    raise directive_error(item, "is unknown (NumPy raises ValueError)")


def piece(item: Any, settings: Settings) -> Any:
    """One entry made an array of at least `ndmin` dimensions, a 1-d one placed along
    `trans1d` (np.c_ makes columns of vectors)."""
    if isinstance(item, slice):
        return constant_range(item, settings)
    ndim = functions.ndim(item)
    value = functions.array(item, copy=None, ndmin=settings.ndmin)
    if settings.trans1d == -1 or ndim >= settings.ndmin:
        return value
    added = settings.ndmin - ndim
    first = settings.trans1d + added + 1 if settings.trans1d < 0 else settings.trans1d
    axes = list(range(settings.ndmin))
    return functions.transpose(value, axes[:first] + axes[added:] + axes[first:added])


def constant_range(item: slice, settings: Settings) -> np.ndarray:
    """`np.r_[0:5]` is np.arange(0, 5); an imaginary step `0:1:5j` counts samples of
    np.linspace (NumPy's reading)."""
    start = 0 if item.start is None else item.start
    step = 1 if item.step is None else item.step
    if isinstance(step, complex | np.complexfloating):
        values = np.linspace(start, item.stop, num=int(abs(step)))
    else:
        values = np.arange(start, item.stop, step)
    if settings.ndmin <= 1:
        return values
    values = np.array(values, copy=None, ndmin=settings.ndmin)
    return values if settings.trans1d == -1 else values.swapaxes(-1, settings.trans1d)


def concatenated(key: tuple, settings: Settings) -> Any:
    pieces, kinds = [], []
    for position, item in enumerate(key):
        if isinstance(item, str):
            if position != 0:
                raise directive_error(item, "must be the first entry (NumPy raises ValueError)")
            settings = directive(item, settings)
            continue
        scalar = type(item) in np.ScalarType
        pieces.append(item if scalar else piece(item, settings))
        kinds.append(item if scalar else functions.type_of(pieces[-1]).dtype)
    # Python numbers promote weakly, as in NumPy's r_: np.r_[float32_values, 1.0] is float32.
    dtype = np.result_type(*kinds)
    arrays = [functions.array(x, copy=None, ndmin=settings.ndmin, dtype=dtype) for x in pieces]
    return functions.concatenate(arrays, axis=settings.axis)
