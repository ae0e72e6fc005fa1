"""IR layer: the static type of every value, a shape and a NumPy dtype.

A *weak* type is a Python scalar (`float`, `int`, `bool`, `complex`): NumPy 2 (NEP 50) lets
it take the dtype of the array it meets, so the IR keeps the distinction to type exactly
as NumPy does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import IRError

# Short printed names, in the spirit of jaxpr: f64[32,128], i64[], bool[4].
DTYPE_NAMES: dict[np.dtype, str] = {
    np.dtype(np.bool_): "bool",
    np.dtype(np.int8): "i8",
    np.dtype(np.int16): "i16",
    np.dtype(np.int32): "i32",
    np.dtype(np.int64): "i64",
    np.dtype(np.uint8): "u8",
    np.dtype(np.uint16): "u16",
    np.dtype(np.uint32): "u32",
    np.dtype(np.uint64): "u64",
    np.dtype(np.float16): "f16",
    np.dtype(np.float32): "f32",
    np.dtype(np.float64): "f64",
    np.dtype(np.complex64): "c64",
    np.dtype(np.complex128): "c128",
}
DTYPES_BY_NAME: dict[str, np.dtype] = {name: dtype for dtype, name in DTYPE_NAMES.items()}
DTYPE_CLASSES = frozenset(type(dtype) for dtype in DTYPE_NAMES)

# A weak scalar's dtype is the default one of its Python kind; it prints as the Python type.
WEAK_PYTHON_TYPES: dict[np.dtype, type] = {
    np.dtype(np.bool_): bool,
    np.dtype(np.int64): int,
    np.dtype(np.float64): float,
    np.dtype(np.complex128): complex,
}
WEAK_TYPES_BY_NAME: dict[str, np.dtype] = {t.__name__: d for d, t in WEAK_PYTHON_TYPES.items()}


def supported_dtype(dtype: np.dtype) -> bool:
    return np.dtype(dtype) in DTYPE_NAMES


@dataclass(frozen=True, slots=True)
class TensorType:
    """The static type of a value: `f64[3,4]`; weak scalars print as `float`, `int`..."""

    shape: tuple[int, ...]
    dtype: np.dtype
    weak: bool = False

    def __post_init__(self) -> None:
        if type(self.dtype) not in DTYPE_CLASSES:
            object.__setattr__(self, "dtype", np.dtype(self.dtype))
        if type(self.shape) is not tuple or not all(type(d) is int for d in self.shape):
            object.__setattr__(self, "shape", tuple(int(d) for d in self.shape))
        if self.dtype not in DTYPE_NAMES:
            raise IRError(f"unsupported dtype {self.dtype}")
        if self.weak and (self.shape != () or self.dtype not in WEAK_PYTHON_TYPES):
            raise IRError(f"a weak type must be a 0-d default dtype, got {self.dtype}{self.shape}")

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def python_type(self) -> type:
        """The Python scalar type a weak value has (`float` for a weak f64)."""
        return WEAK_PYTHON_TYPES[self.dtype]

    def with_dtype(self, dtype: np.dtype) -> TensorType:
        return TensorType(self.shape, dtype)

    def __str__(self) -> str:
        if self.weak:
            return self.python_type.__name__
        return f"{DTYPE_NAMES[self.dtype]}[{','.join(str(d) for d in self.shape)}]"


def parse_type(text: str) -> TensorType:
    """The inverse of `str(TensorType)`."""
    if text in WEAK_TYPES_BY_NAME:
        return TensorType((), WEAK_TYPES_BY_NAME[text], weak=True)
    name, bracket, rest = text.partition("[")
    if not bracket or not rest.endswith("]") or name not in DTYPES_BY_NAME:
        raise IRError(f"not a type: {text!r} (expected something like f64[3,4] or float)")
    dims = rest[:-1]
    try:
        shape = tuple(int(d) for d in dims.split(",")) if dims else ()
    except ValueError:
        raise IRError(f"not a type: {text!r} (dimensions must be integers)") from None
    return TensorType(shape, DTYPES_BY_NAME[name])


def dtype_name(dtype: np.dtype) -> str:
    return DTYPE_NAMES[np.dtype(dtype)]


def broadcasts_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    """Whether an array of `shape` broadcasts to exactly `target` (NumPy's rule)."""
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False
