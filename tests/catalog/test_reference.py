"""Checks of the reference catalog itself (NumPy only; tracegrad is not imported).

The hand-derived gradients are compared with central finite differences, which is what makes
them trustworthy references for the backend tests.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from .functions import CATALOG, CatalogEntry
from .numerics import (
    assert_same_structure,
    assert_tree_allclose,
    central_difference_grad,
    tree_copy,
    tree_equal,
    tree_leaves,
    tree_max_abs,
)

GRAD_ENTRIES = [entry for entry in CATALOG if entry.grad is not None]
SEEDS = (0, 1, 2)
FD_RTOL = 1e-6  # float64 hand gradients vs central differences


def _ids(entries):
    return [entry.name for entry in entries]


def _args(entry: CatalogEntry, seed: int = 0) -> tuple:
    return entry.make_args(np.random.default_rng(seed))


def _is_float32_entry(entry: CatalogEntry) -> bool:
    leaves = tree_leaves(_args(entry))
    return any(isinstance(x, np.ndarray) and x.dtype == np.float32 for x in leaves)


def test_catalog_shape():
    names = [entry.name for entry in CATALOG]
    assert len(CATALOG) >= 28
    assert len(set(names)) == len(names), "entry names must be unique"
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", name) for name in names)
    assert sum(not entry.scalar_output for entry in CATALOG) >= 5
    assert sum(_is_float32_entry(entry) for entry in CATALOG) >= 2
    for entry in CATALOG:
        assert (entry.grad is None) == (not entry.scalar_output), entry.name
        assert entry.rtol == (1e-4 if _is_float32_entry(entry) else 1e-10), entry.name


@pytest.mark.parametrize("entry", CATALOG, ids=_ids(CATALOG))
def test_make_args_is_deterministic(entry):
    first, second = _args(entry, 0), _args(entry, 0)
    assert isinstance(first, tuple)
    assert tree_equal(first, second)
    assert not tree_equal(first, _args(entry, 1)), "make_args should draw from the rng"


@pytest.mark.parametrize("entry", CATALOG, ids=_ids(CATALOG))
def test_fn_does_not_modify_arguments(entry):
    args = _args(entry)
    snapshot = tree_copy(args)
    entry.fn(*args)
    assert tree_equal(args, snapshot)
    if entry.grad is not None:
        entry.grad(*args)
        assert tree_equal(args, snapshot)


@pytest.mark.parametrize("entry", CATALOG, ids=_ids(CATALOG))
def test_output_kind(entry):
    out = entry.fn(*_args(entry))
    leaves = tree_leaves(out)
    for leaf in leaves:
        assert np.all(np.isfinite(np.asarray(leaf, dtype=np.float64)))
    if entry.scalar_output:
        value = np.asarray(out)
        assert value.ndim == 0 and np.issubdtype(value.dtype, np.floating)
        if _is_float32_entry(entry):
            assert value.dtype == np.float32
    else:
        assert any(np.ndim(leaf) >= 1 for leaf in leaves)


@pytest.mark.parametrize("seed", SEEDS, ids=[f"seed{s}" for s in SEEDS])
@pytest.mark.parametrize("entry", GRAD_ENTRIES, ids=_ids(GRAD_ENTRIES))
def test_hand_gradient_matches_finite_differences(entry, seed):
    args = _args(entry, seed)
    grad = entry.grad(*args)

    # same pytree structure, shapes and leaf kinds as argument 0
    assert_same_structure(grad, args[0])
    for g, x in zip(tree_leaves(grad), tree_leaves(args[0]), strict=True):
        if isinstance(x, np.ndarray):
            assert isinstance(g, np.ndarray) and g.dtype == x.dtype
        else:
            assert type(g) is float

    expected = central_difference_grad(entry.fn, args, argnum=0, eps=1e-6)
    tol = max(entry.rtol, FD_RTOL)
    assert_tree_allclose(grad, expected, rtol=tol, atol=tol * max(tree_max_abs(expected), 1e-3))


def test_central_difference_grad_pytrees():
    def fn(params, scale):
        return scale * (np.sum(params["a"] ** 2) + params["b"][0] * params["b"][1][0][0, 0] ** 3)

    params = {"a": np.array([1.0, -2.0]), "b": [3.0, (np.array([[0.5]]),)]}
    grad = central_difference_grad(fn, (params, 2.0))
    assert_same_structure(grad, params)
    assert type(grad["b"][0]) is float and isinstance(grad["b"][1], tuple)
    np.testing.assert_allclose(grad["a"], [4.0, -8.0], rtol=1e-8)
    np.testing.assert_allclose(grad["b"][0], 2.0 * 0.125, rtol=1e-8)
    np.testing.assert_allclose(grad["b"][1][0], [[2.0 * 3.0 * 3.0 * 0.25]], rtol=1e-8)
    np.testing.assert_allclose(central_difference_grad(fn, (params, 2.0), argnum=1), 5.375)

    with pytest.raises(TypeError):
        central_difference_grad(lambda n: np.sum(n * 1.0), (np.arange(3),))
