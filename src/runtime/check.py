"""Runtime layer: `check_grads`, reverse mode against central finite differences.

Order 1 compares every entry of the gradient with a central difference of the function;
order 2 compares the derivative of the gradient along a random direction (a Hessian-vector
product, by reverse over reverse) with a central difference of the gradient.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
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
        return (
            f"worst entry {self.where}: reverse mode {self.automatic:.10g}, finite "
            f"differences {self.numerical:.10g}, error {self.error:.3g}"
        )


def perturbed(
    args: tuple, argnum: int, leaves: list, treedef: Any, k: int, index: tuple, delta: float
) -> tuple:
    """`args` with one entry of one leaf of argument `argnum` moved by `delta`."""
    moved = list(leaves)
    leaf = moved[k]
    if np.ndim(leaf) == 0:
        moved[k] = type(leaf)(leaf + delta) if isinstance(leaf, float) else leaf + delta
    else:
        copy = np.array(leaf, dtype=np.result_type(leaf), copy=True)
        copy[index] += delta
        moved[k] = copy
    return (*args[:argnum], unflatten(treedef, moved), *args[argnum + 1 :])


def entries(leaf: Any) -> list[tuple]:
    return [()] if np.ndim(leaf) == 0 else list(np.ndindex(np.shape(leaf)))


def target_and_gradient(
    fn: Callable, args: tuple, argnum: int, order: int, seed: int, leaves: list
) -> tuple[Callable, Any]:
    """The function whose derivative is checked (`fn`, or for order 2 the gradient of `fn`
    along a random direction) and tracegrad's gradient of it at `args`."""
    if order == 1:
        return fn, grad(fn, argnums=argnum)(*args)
    rng = np.random.default_rng(seed)
    direction = [rng.standard_normal(np.shape(leaf)) for leaf in leaves]
    first = grad(fn, argnums=argnum)

    def target(*call_args):
        gradient_leaves, _ = flatten(first(*call_args))
        return sum(np.sum(g * d) for g, d in zip(gradient_leaves, direction, strict=True))

    return target, grad(target, argnums=argnum)(*args)


def entry_checks(
    target: Callable, args: tuple, argnum: int, automatic: Any, eps: float
) -> Iterator[GradientCheck]:
    """Each entry of argument `argnum`: tracegrad's derivative beside the central difference."""
    leaves, treedef = flatten(args[argnum])
    automatic_leaves, _ = flatten(automatic)
    for k, (leaf, path) in enumerate(zip(leaves, leaf_paths(treedef), strict=True)):
        for index in entries(leaf):
            step = eps * max(1.0, abs(float(np.asarray(leaf)[index])))
            plus = target(*perturbed(args, argnum, leaves, treedef, k, index, step))
            minus = target(*perturbed(args, argnum, leaves, treedef, k, index, -step))
            numerical = float((plus - minus) / (2 * step))
            value = float(np.asarray(automatic_leaves[k])[index])
            where = "".join(f"[{p!r}]" for p in path) + (str(list(index)) if index else "")
            yield GradientCheck(
                f"argument {argnum}{where}", value, numerical, abs(value - numerical)
            )


def worst_and_failed(
    checks: Iterable[GradientCheck], rtol: float, atol: float
) -> tuple[GradientCheck, GradientCheck | None]:
    """The entry with the largest error, and the worst of those beyond the tolerance."""
    worst = GradientCheck("(none)", 0.0, 0.0, -np.inf)
    failed: GradientCheck | None = None
    for check in checks:
        if check.error > worst.error:
            worst = check
        if check.error > atol + rtol * abs(check.numerical) and (
            failed is None or check.error > failed.error
        ):
            failed = check
    return worst, failed


@api_boundary
def check_grads(
    fn: Callable,
    *args: Any,
    order: int = 1,
    argnum: int = 0,
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    seed: int = 0,
) -> GradientCheck:
    """Check `grad(fn, argnum)` (order 1) or its derivative (order 2) against central finite
    differences at `args`. Returns the worst entry; raises GradientCheckError (an
    AssertionError) naming it when |AD - FD| > atol + rtol * |FD| anywhere."""
    if order not in (1, 2):
        raise ValueError(f"order must be 1 or 2, got {order!r}")
    leaves, _ = flatten(args[argnum])
    target, automatic = target_and_gradient(fn, args, argnum, order, seed, leaves)
    checks = entry_checks(target, args, argnum, automatic, eps)
    worst, failed = worst_and_failed(checks, rtol, atol)
    if failed is not None:
        raise GradientCheckError(
            f"order-{order} gradient check failed: {failed}",
            hint="a VJP rule is wrong, or eps/tolerances need changing "
            "(a kink or a float32 function needs looser ones)",
        )
    return worst
