"""Hypothesis strategies for the test-suite, in one module: dtypes, shapes, arrays, scalars.

Values are small and exactly representable (multiples of 1/4 up to 4, integers up to 5), so
sums and products come out exact in float32 and int32, a generated function and NumPy agree
to the last bit wherever they compute the same thing, and nothing overflows. `positive`
keeps values where log, sqrt and a divisor need them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

DTYPES = tuple(np.dtype(d) for d in (np.bool_, np.int32, np.int64, np.float32, np.float64))
FLOAT_DTYPES = tuple(d for d in DTYPES if d.kind == "f")
NUMERIC_DTYPES = tuple(d for d in DTYPES if d.kind != "b")
PYTHON_SCALAR_TYPES = (bool, int, float)

MAX_DIMS = 3
MAX_SIDE = 4
QUARTERS = 16  # floats are k / 4 with |k| <= QUARTERS
INTEGER_BOUND = 5


def dtypes(kinds: str = "bif") -> st.SearchStrategy[np.dtype]:
    """One of float32, float64, int32, int64 and bool whose kind is in `kinds`."""
    return st.sampled_from([d for d in DTYPES if d.kind in kinds])


def shapes(
    min_dims: int = 0, max_dims: int = MAX_DIMS, min_side: int = 1, max_side: int = MAX_SIDE
) -> st.SearchStrategy[tuple[int, ...]]:
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def broadcastable_shapes(
    count: int, min_dims: int = 0, max_dims: int = MAX_DIMS
) -> st.SearchStrategy[tuple[tuple[int, ...], ...]]:
    """`count` shapes that broadcast together (pairs, triples...)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=count, min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=MAX_SIDE
    ).map(lambda shapes: shapes.input_shapes)


def elements(dtype: np.dtype, positive: bool = False) -> st.SearchStrategy[Any]:
    """Python values for one element: exactly representable in `dtype`, small, and > 0
    (True for bool) when `positive`."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return st.just(True) if positive else st.booleans()
    if dtype.kind in "iu":
        return st.integers(1 if positive else -INTEGER_BOUND, INTEGER_BOUND)
    return st.integers(1 if positive else -QUARTERS, QUARTERS).map(lambda k: k / 4)


def arrays(
    dtype: np.dtype, shape: tuple[int, ...], positive: bool = False
) -> st.SearchStrategy[np.ndarray]:
    """An array of this dtype and shape with safe values (see `elements`)."""
    return hnp.arrays(np.dtype(dtype), shape, elements=elements(dtype, positive))


def python_scalars(
    kinds: tuple[type, ...] = PYTHON_SCALAR_TYPES, positive: bool = False
) -> st.SearchStrategy[bool | int | float]:
    """A Python bool, int or float (a weak scalar in NumPy 2) with a safe value."""
    choices = {bool: np.dtype(np.bool_), int: np.dtype(np.int64), float: np.dtype(np.float64)}
    return st.one_of(*(elements(choices[kind], positive).map(kind) for kind in kinds))


def index_arrays(size: int, shape: tuple[int, ...]) -> st.SearchStrategy[np.ndarray]:
    """Integer index arrays valid for an axis of `size`, negative positions included."""
    return hnp.arrays(np.dtype(np.int64), shape, elements=st.integers(-size, size - 1))


# --- values for gradient checks -------------------------------------------------------------
# Finite differences need values away from kinks, branch cuts and ties. Hypothesis's own floats
# seek exactly those (0.0, repeated values), so these draw a seed and let NumPy pick
# continuous values; hypothesis still chooses (and shrinks) the shapes around them.


def smooth_arrays(
    shape: tuple[int, ...], low: float = -2.0, high: float = 2.0
) -> st.SearchStrategy[np.ndarray]:
    """float64 values uniform in [low, high)."""
    return st.integers(0, 2**32 - 1).map(
        lambda seed: np.asarray(np.random.default_rng(seed).uniform(low, high, shape))
    )


def nonzero_arrays(
    shape: tuple[int, ...], low: float = 0.25, high: float = 2.0
) -> st.SearchStrategy[np.ndarray]:
    """float64 values of either sign with magnitudes in [low, high): divisors, abs, prod."""

    def draw(seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        return np.asarray(rng.choice([-1.0, 1.0], shape) * rng.uniform(low, high, shape))

    return st.integers(0, 2**32 - 1).map(draw)


def distinct_arrays(
    shape: tuple[int, ...], low: float = -2.0, high: float = 2.0
) -> st.SearchStrategy[np.ndarray]:
    """float64 values in [low, high), pairwise at least (high - low) / (2 * size) apart: no
    ties for max, min and sorting. Each value sits in the middle half of its own bin."""

    def draw(seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        size = int(np.prod(shape))
        bins = rng.permutation(size) + rng.uniform(0.25, 0.75, size)
        return (low + (high - low) * bins / size).reshape(shape)

    return st.integers(0, 2**32 - 1).map(draw)


def reduction_axes(ndim: int) -> st.SearchStrategy[int | tuple[int, ...] | None]:
    """An `axis=` argument for an array of `ndim` dimensions: None, an int (negative too) or a
    tuple of distinct axes (empty included)."""
    if ndim == 0:
        return st.none()
    axis = st.integers(-ndim, ndim - 1)
    axes = st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim).flatmap(
        lambda chosen: st.tuples(*(st.sampled_from([a, a - ndim]) for a in chosen))
    )
    return st.one_of(st.none(), axis, axes)
