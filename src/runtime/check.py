"""Runtime layer: `check_grads`, reverse mode against central finite differences.

Order 1 compares every entry of the gradient with a central difference of the function;
order 2 compares the derivative of the gradient along a random direction (a Hessian-vector
product, by reverse over reverse) with a central difference of the gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import TracegradError
from ..tracer.pytree import flatten, leaf_paths, unflatten
from .gradients import grad
from .tracebacks import api_boundary


class GradientCheckError(TracegradError, AssertionError):
    """Reverse mode and finite differences disagree beyond the tolerance."""


@dataclass(frozen=True, slots=True)
class GradientCheck:
    """The worst disagreement found: where, the two values, and the error."""

    where: str
    automatic: float
    numerical: float
    error: float

    def __str__(self) -> str:
        return (f"worst entry {self.where}: reverse mode {self.automatic:.10g}, finite "
                f"differences {self.numerical:.10g}, error {self.error:.3g}")


def perturbed(args: tuple, argnum: int, leaves: list, treedef: Any, k: int, index: tuple,
              delta: float) -> tuple:
    """`args` with one entry of one leaf of argument `argnum` moved by `delta`."""
    moved = list(leaves)
    leaf = moved[k]
    if np.ndim(leaf) == 0:
        moved[k] = type(leaf)(leaf + delta) if isinstance(leaf, float) else leaf + delta
    else:
        copy = np.array(leaf, dtype=np.result_type(leaf), copy=True)
        copy[index] += delta
        moved[k] = copy
    return (*args[:argnum], unflatten(treedef, moved), *args[argnum + 1:])


def entries(leaf: Any) -> list[tuple]:
    return [()] if np.ndim(leaf) == 0 else list(np.ndindex(np.shape(leaf)))


@api_boundary
def check_grads(
    fn: Callable, *args: Any, order: int = 1, argnum: int = 0, eps: float = 1e-6,
    rtol: float = 1e-5, atol: float = 1e-8, seed: int = 0,
) -> GradientCheck:
    """Check `grad(fn, argnum)` (order 1) or its derivative (order 2) against central finite
    differences at `args`. Returns the worst entry; raises GradientCheckError (an
    AssertionError) naming it when |AD - FD| > atol + rtol * |FD| anywhere."""
    if order not in (1, 2):
        raise ValueError(f"order must be 1 or 2, got {order!r}")
    leaves, treedef = flatten(args[argnum])
    if order == 1:
        target = fn
        automatic = grad(fn, argnums=argnum)(*args)
    else:
        rng = np.random.default_rng(seed)
        direction = [rng.standard_normal(np.shape(leaf)) for leaf in leaves]
        first = grad(fn, argnums=argnum)

        def target(*call_args):
            gradient_leaves, _ = flatten(first(*call_args))
            return sum(np.sum(g * d) for g, d in zip(gradient_leaves, direction, strict=True))

        automatic = grad(target, argnums=argnum)(*args)
    automatic_leaves, _ = flatten(automatic)
    paths = leaf_paths(treedef)
    worst = GradientCheck("(none)", 0.0, 0.0, -np.inf)
    failed: GradientCheck | None = None
    for k, (leaf, path) in enumerate(zip(leaves, paths, strict=True)):
        for index in entries(leaf):
            step = eps * max(1.0, abs(float(np.asarray(leaf)[index])))
            plus = target(*perturbed(args, argnum, leaves, treedef, k, index, step))
            minus = target(*perturbed(args, argnum, leaves, treedef, k, index, -step))
            numerical = float((plus - minus) / (2 * step))
            value = float(np.asarray(automatic_leaves[k])[index])
            error = abs(value - numerical)
            where = "".join(f"[{p!r}]" for p in path) + (str(list(index)) if index else "")
            check = GradientCheck(f"argument {argnum}{where}", value, numerical, error)
            if error > worst.error:
                worst = check
            if error > atol + rtol * abs(numerical) and (failed is None or error > failed.error):
                failed = check
    if failed is not None:
        raise GradientCheckError(f"order-{order} gradient check failed: {failed}",
                                 hint="a VJP rule is wrong, or eps/tolerances need changing "
                                 "(a kink or a float32 function needs looser ones)")
    return worst
