"""The two finite-difference checks every derivative test shares: reverse mode (grad of a
weighted sum) and forward mode (jvp along a random tangent), both against central differences
in float64. The drawn checks of the table and the focused tests in tests/ad use them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import tracegrad
from tests.catalog.numerics import (
    as_float64,
    assert_same_structure,
    central_difference_grad,
    tree_leaves,
)

EPS = 1e-6
RTOL = 1e-5
ATOL = 1e-7  # times the largest derivative entry (at least 1): FD rounding scales with it


def cotangent_weights(shape: tuple[int, ...]) -> np.ndarray:
    """The fixed random `w` of a check: the same for every op of this output shape."""
    return np.random.default_rng(20240917).standard_normal(shape)


def assert_grad_matches_fd(op, *args, argnums=0, eps=EPS, rtol=RTOL, atol=ATOL) -> None:
    """tracegrad.grad of sum(op(*args) * w) equals central differences for each argnum, with
    the shape and dtype of its argument."""
    w = cotangent_weights(np.shape(op(*args)))

    def loss(*call_args):
        return np.sum(op(*call_args) * w)

    gradients = tracegrad.grad(loss, argnums=argnums)(*args)
    if isinstance(argnums, int):
        argnums, gradients = (argnums,), (gradients,)
    assert isinstance(gradients, tuple) and len(gradients) == len(argnums)
    for argnum, gradient in zip(argnums, gradients, strict=True):
        argument = args[argnum]
        assert np.shape(gradient) == np.shape(argument), f"argument {argnum}"
        assert np.result_type(gradient) == np.result_type(argument), f"argument {argnum}"
        numerical = central_difference_grad(loss, args, argnum, eps=eps)
        scale = max(1.0, float(np.max(np.abs(numerical), initial=0.0)))
        np.testing.assert_allclose(
            gradient,
            numerical,
            rtol=rtol,
            atol=atol * scale,
            err_msg=f"gradient of argument {argnum}",
        )


def random_tangent(x, seed: int):
    """A tangent for x: standard normal values of x's shape and dtype (a float for a float)."""
    t = np.random.default_rng(seed).standard_normal(np.shape(x))
    if isinstance(x, float):
        return float(t)
    return t.astype(np.result_type(x))


def directional_difference(op: Callable, args, tangents, eps: float) -> list[np.ndarray]:
    """Central differences of op along the tangents, in float64, leaf by leaf."""
    args = as_float64(tuple(args))

    def moved(sign):
        return [
            x if t is None else x + sign * eps * np.asarray(t, np.float64)
            for x, t in zip(args, tangents, strict=True)
        ]

    plus, minus = tree_leaves(op(*moved(1.0))), tree_leaves(op(*moved(-1.0)))
    return [
        (np.asarray(p, np.float64) - np.asarray(m, np.float64)) / (2 * eps)
        for p, m in zip(plus, minus, strict=True)
    ]


def assert_jvp_matches_fd(op, *args, argnums=0, eps=EPS, rtol=RTOL, atol=ATOL) -> None:
    """jvp's value is op's; its tangent has the value's structure, shapes and dtypes and
    equals central differences along the tangent. `op` may return a dict of results (one per
    rule under test): a failure names the key."""
    argnums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    tangents = tuple(
        random_tangent(x, 11 + i) if i in argnums else None for i, x in enumerate(args)
    )
    value, tangent = tracegrad.jvp(op, args, tangents)
    expected = op(*args)
    keys = list(expected) if isinstance(expected, dict) else [None]
    assert_same_structure(value, expected)
    assert_same_structure(tangent, expected)
    numerical = directional_difference(op, args, tangents, eps)
    leaves = zip(
        keys,
        tree_leaves(value),
        tree_leaves(tangent),
        tree_leaves(expected),
        numerical,
        strict=True,
    )
    for key, v, t, e, n in leaves:
        assert_tangent_leaf(key, v, t, e, n, rtol, atol)


def assert_tangent_leaf(key, value, tangent, expected, numerical, rtol: float, atol: float) -> None:
    assert np.result_type(value) == np.result_type(expected), key
    np.testing.assert_allclose(value, expected, rtol=1e-6, atol=1e-12, err_msg=f"{key}: value")
    assert np.result_type(tangent) == np.result_type(expected), f"{key}: tangent dtype"
    scale = max(1.0, float(np.max(np.abs(numerical), initial=0.0)))
    np.testing.assert_allclose(
        tangent,
        numerical,
        rtol=rtol,
        atol=atol * scale,
        err_msg=f"{key}: tangent against central differences",
    )


def all_of(ops: dict, arity: int) -> Callable:
    """One function applying every op to its own operands (`arity` each), returning a dict
    by op name: a single trace checks a whole family of rules on every example."""

    def apply(*operands):
        return {
            name: op(*operands[arity * k : arity * (k + 1)])
            for k, (name, op) in enumerate(ops.items())
        }

    return apply
