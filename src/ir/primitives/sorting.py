"""IR layer: sorting along one axis, and the searches that read sorted values.

argsort and argpartition give the permutation (int64 indices, no derivative); sort and
partition are composites: each is one call in the emitted code (`np.sort(x, axis=0)`), and
each is differentiated through its decomposition, a gather of `x` along the permutation
(ad/decompositions.py), so the cotangent is scattered back through the permutation.
searchsorted gives, for each value of `v`, where it would go in the sorted vector `a`.

`axis` is one non-negative axis (the front end flattens for NumPy's axis=None); `stable`
keeps equal elements in their order (kind='stable'); `kth` is a tuple of non-negative
positions along the axis.
"""

from __future__ import annotations

import numpy as np

from ...errors import TypeRuleError
from ..primitive import Group, Trait, declare
from ..types import TensorType

INDEX_DTYPE = np.dtype(np.intp)


def check_sortable(name: str, x: TensorType, axis: int) -> None:
    if x.dtype.kind not in "biuf":
        raise TypeRuleError(f"{name}: needs real numbers or booleans, got {x}")
    if not isinstance(axis, int) or not 0 <= axis < x.ndim:
        raise TypeRuleError(f"{name}: axis {axis!r} is not an axis of {x}")


def check_kth(name: str, x: TensorType, axis: int, kth: tuple[int, ...]) -> None:
    size = x.shape[axis]
    if not isinstance(kth, tuple) or not all(isinstance(k, int) and 0 <= k < size for k in kth):
        raise TypeRuleError(f"{name}: kth {kth!r} must be positions 0..{size - 1} along axis")


def permutation_rule(name: str):
    def rule(types: tuple[TensorType, ...], axis: int, stable: bool):
        (x,) = types
        check_sortable(name, x, axis)
        return (TensorType(x.shape, INDEX_DTYPE),)

    return rule


def sorted_rule(types: tuple[TensorType, ...], axis: int, stable: bool):
    (x,) = types
    check_sortable("sort", x, axis)
    return (TensorType(x.shape, x.dtype),)


def argpartition_rule(types: tuple[TensorType, ...], axis: int, kth: tuple[int, ...]):
    (x,) = types
    check_sortable("argpartition", x, axis)
    check_kth("argpartition", x, axis, kth)
    return (TensorType(x.shape, INDEX_DTYPE),)


def partition_rule(types: tuple[TensorType, ...], axis: int, kth: tuple[int, ...]):
    (x,) = types
    check_sortable("partition", x, axis)
    check_kth("partition", x, axis, kth)
    return (TensorType(x.shape, x.dtype),)


def searchsorted_rule(types: tuple[TensorType, ...], side: str):
    a, v = types
    if a.ndim != 1:
        raise TypeRuleError(f"searchsorted: the sorted values must be a vector, got {a}")
    for t in (a, v):
        if t.dtype.kind not in "biuf":
            raise TypeRuleError(f"searchsorted: needs real numbers, got {t}")
    if side not in ("left", "right"):
        raise TypeRuleError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    return (TensorType(v.shape, INDEX_DTYPE),)


def kind_of(stable: bool) -> str | None:
    return "stable" if stable else None


argsort = declare(
    "argsort",
    Group.SORTING,
    permutation_rule("argsort"),
    "the indices that sort x along an axis",
    traits={Trait.PIECEWISE_CONSTANT},
    reference=lambda x, axis, stable: np.argsort(x, axis=axis, kind=kind_of(stable)),
    axis_params=("axis",),
)
sort = declare(
    "sort",
    Group.SORTING,
    sorted_rule,
    "x sorted along an axis",
    reference=lambda x, axis, stable: np.sort(x, axis=axis, kind=kind_of(stable)),
    axis_params=("axis",),
)
argpartition = declare(
    "argpartition",
    Group.SORTING,
    argpartition_rule,
    "indices that put the kth elements of x in their sorted place along an axis",
    traits={Trait.PIECEWISE_CONSTANT},
    reference=lambda x, axis, kth: np.argpartition(x, kth, axis=axis),
    axis_params=("axis",),
)
partition = declare(
    "partition",
    Group.SORTING,
    partition_rule,
    "x with its kth elements in their sorted place along an axis",
    reference=lambda x, axis, kth: np.partition(x, kth, axis=axis),
    axis_params=("axis",),
)
searchsorted = declare(
    "searchsorted",
    Group.SORTING,
    searchsorted_rule,
    "where each value of v goes in the sorted vector a",
    traits={Trait.PIECEWISE_CONSTANT},
    reference=lambda a, v, side: np.searchsorted(a, v, side=side),
)
