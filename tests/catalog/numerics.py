"""Numerical helpers shared by the test-suite (NumPy only, no tracegrad import).

Pytrees here are nested dicts, lists and tuples whose leaves are NumPy arrays, NumPy scalars or
Python numbers.  `central_difference_grad` differentiates a scalar function with respect to one
argument (a pytree) by central finite differences and returns the gradient with the same
structure: arrays for array leaves, Python floats for scalar leaves.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = [
    "as_float64",
    "assert_same_structure",
    "assert_tree_allclose",
    "central_difference_grad",
    "tree_copy",
    "tree_equal",
    "tree_flatten",
    "tree_leaves",
    "tree_map",
    "tree_max_abs",
]


def _is_namedtuple(tree: Any) -> bool:
    return isinstance(tree, tuple) and hasattr(tree, "_fields")


def tree_flatten(tree: Any) -> tuple[list[Any], Callable[[list[Any]], Any]]:
    """Leaves in a fixed order (dicts in insertion order) and a function rebuilding the tree."""
    if isinstance(tree, dict):
        keys = list(tree)
        parts = [tree_flatten(tree[k]) for k in keys]
    elif isinstance(tree, (list, tuple)):
        keys = None
        parts = [tree_flatten(t) for t in tree]
    else:
        return [tree], lambda leaves: leaves[0]

    counts = [len(leaves) for leaves, _ in parts]
    leaves = [leaf for part, _ in parts for leaf in part]
    kind = type(tree)

    def rebuild(new_leaves: list[Any]) -> Any:
        if len(new_leaves) != sum(counts):
            raise ValueError(f"expected {sum(counts)} leaves, got {len(new_leaves)}")
        children, start = [], 0
        for (_, sub_rebuild), count in zip(parts, counts, strict=True):
            children.append(sub_rebuild(list(new_leaves[start : start + count])))
            start += count
        if keys is not None:
            return dict(zip(keys, children, strict=True))
        if _is_namedtuple(tree):
            return kind(*children)
        return kind(children)

    return leaves, rebuild


def tree_leaves(tree: Any) -> list[Any]:
    return tree_flatten(tree)[0]


def tree_map(fn: Callable[[Any], Any], tree: Any) -> Any:
    leaves, rebuild = tree_flatten(tree)
    return rebuild([fn(leaf) for leaf in leaves])


def tree_copy(tree: Any) -> Any:
    """Deep copy of the arrays in a pytree (scalars are immutable and kept)."""
    return tree_map(lambda x: x.copy() if isinstance(x, np.ndarray) else x, tree)


def as_float64(tree: Any) -> Any:
    """Cast every floating array / NumPy float scalar leaf to float64; other leaves unchanged."""

    def cast(x: Any) -> Any:
        if isinstance(x, (np.ndarray, np.generic)) and np.issubdtype(x.dtype, np.floating):
            return x.astype(np.float64)
        return x

    return tree_map(cast, tree)


def _structure(tree: Any) -> Any:
    if isinstance(tree, dict):
        return ("dict", tuple((k, _structure(v)) for k, v in tree.items()))
    if isinstance(tree, (list, tuple)):
        return (type(tree).__name__, tuple(_structure(t) for t in tree))
    return "leaf"


def assert_same_structure(a: Any, b: Any, *, shapes: bool = True) -> None:
    """Same containers (dict keys, list vs tuple, lengths) and, optionally, same leaf shapes."""
    sa, sb = _structure(a), _structure(b)
    if sa != sb:
        raise AssertionError(f"pytree structures differ:\n  {sa}\n  {sb}")
    if shapes:
        for i, (x, y) in enumerate(zip(tree_leaves(a), tree_leaves(b), strict=True)):
            if np.shape(x) != np.shape(y):
                raise AssertionError(f"leaf {i}: shape {np.shape(x)} != {np.shape(y)}")


def tree_equal(a: Any, b: Any) -> bool:
    """Exact equality of structure, leaf types, dtypes, shapes and values."""
    if _structure(a) != _structure(b):
        return False
    for x, y in zip(tree_leaves(a), tree_leaves(b), strict=True):
        if type(x) is not type(y):
            return False
        if isinstance(x, (np.ndarray, np.generic)):
            if x.dtype != y.dtype or x.shape != y.shape:
                return False
            if not np.array_equal(x, y, equal_nan=np.issubdtype(x.dtype, np.inexact)):
                return False
        elif x != y and not (x != x and y != y):  # NaN-aware for Python floats
            return False
    return True


def tree_max_abs(tree: Any) -> float:
    leaves = [np.abs(np.asarray(x, dtype=np.float64)).max(initial=0.0) for x in tree_leaves(tree)]
    return float(max(leaves, default=0.0))


def assert_tree_allclose(actual: Any, expected: Any, *, rtol: float, atol: float = 0.0) -> None:
    """Leafwise `np.testing.assert_allclose` after checking the two structures match."""
    assert_same_structure(actual, expected)
    leaves_a, leaves_e = tree_leaves(actual), tree_leaves(expected)
    for i, (x, y) in enumerate(zip(leaves_a, leaves_e, strict=True)):
        np.testing.assert_allclose(
            np.asarray(x, dtype=np.float64),
            np.asarray(y, dtype=np.float64),
            rtol=rtol,
            atol=atol,
            err_msg=f"pytree leaf {i}",
        )


def _scalar(value: Any) -> float:
    out = np.asarray(value)
    if out.ndim != 0 or not np.issubdtype(out.dtype, np.floating):
        raise TypeError(f"function must return a real floating scalar, got {out.dtype}{out.shape}")
    return float(out)


def central_difference_grad(
    fn: Callable[..., Any],
    args: tuple,
    argnum: int = 0,
    eps: float = 1e-6,
    *,
    upcast: bool = True,
) -> Any:
    """Gradient of the scalar `fn(*args)` with respect to `args[argnum]` by central differences.

    The step for element x is `eps * max(1, |x|)`.  With `upcast` (the default) every floating
    leaf of every argument is first cast to float64, so float32 functions are differenced in
    double precision; the returned gradient is float64 then.  Array leaves give arrays, scalar
    leaves (Python or NumPy floats) give Python floats.  Integer or boolean leaves of the
    differentiated argument raise `TypeError`.
    """
    args = tuple(args)
    if upcast:
        args = tuple(as_float64(a) for a in args)
    leaves, rebuild = tree_flatten(args[argnum])

    def evaluate(new_leaves: list[Any]) -> float:
        call_args = list(args)
        call_args[argnum] = rebuild(new_leaves)
        return _scalar(fn(*call_args))

    grads: list[Any] = []
    for i, leaf in enumerate(leaves):
        if isinstance(leaf, np.ndarray):
            if not np.issubdtype(leaf.dtype, np.floating):
                raise TypeError(f"cannot differentiate leaf {i} of dtype {leaf.dtype}")
            grad = np.zeros(leaf.shape, dtype=np.float64)
            base = leaf.copy()
            for j in range(base.size):
                x0 = base.flat[j]
                h = eps * max(1.0, abs(float(x0)))
                plus, minus = base.copy(), base.copy()
                plus.flat[j] = x0 + h
                minus.flat[j] = x0 - h
                f_plus = evaluate([*leaves[:i], plus, *leaves[i + 1 :]])
                f_minus = evaluate([*leaves[:i], minus, *leaves[i + 1 :]])
                grad.flat[j] = (f_plus - f_minus) / (2.0 * h)
            grads.append(grad)
        elif isinstance(leaf, (numbers.Real, np.floating)) and not isinstance(
            leaf, (bool, np.bool_, numbers.Integral)
        ):
            x0 = float(leaf)
            h = eps * max(1.0, abs(x0))
            f_plus = evaluate([*leaves[:i], x0 + h, *leaves[i + 1 :]])
            f_minus = evaluate([*leaves[:i], x0 - h, *leaves[i + 1 :]])
            grads.append((f_plus - f_minus) / (2.0 * h))
        else:
            raise TypeError(f"cannot differentiate leaf {i} of type {type(leaf).__name__}")
    return rebuild(grads)
