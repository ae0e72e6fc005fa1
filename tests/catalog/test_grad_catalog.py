"""Every catalog gradient, three ways: tracegrad.grad against the hand-derived gradient, against
central finite differences, and against jax.grad of the very same function run on jax.numpy.
Plus value_and_grad's value, and the emitted gradient module (deterministic, NumPy only).
"""

from __future__ import annotations

import ast
import contextlib
import types

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import tracegrad

from . import functions as catalog
from .functions import CATALOG, CatalogEntry
from .numerics import (
    assert_same_structure,
    central_difference_grad,
    tree_copy,
    tree_equal,
    tree_leaves,
    tree_map,
)

GRAD_ENTRIES = {entry.name: entry for entry in CATALOG if entry.grad is not None}
NAMES = sorted(GRAD_ENTRIES)

# Catalog entries jax.numpy cannot run, each with the reason. `test_jax_still_cannot_run`
# fails as soon as jax accepts one of them, so the entry is then moved back into the comparison.
JAX_CANNOT_RUN: dict[str, str] = {}

FD_RTOL = 1e-6  # float64: tracegrad against central differences
FD_RTOL_FLOAT32 = 1e-3  # a float32 gradient against differences of the float64 function
JAX_RTOL = 1e-10  # float64: the same function through two AD systems


def make_args(entry: CatalogEntry, seed: int = 0) -> tuple:
    return entry.make_args(np.random.default_rng(seed))


def assert_gradients_close(ours, reference, rtol: float, what: str) -> None:
    """Same structure, leaf shapes and dtypes; values within rtol of the reference, and an
    absolute slack of rtol times the largest reference entry (cancellation makes tiny
    entries noisy in any method)."""
    assert_same_structure(ours, reference)
    leaves, expected = tree_leaves(ours), tree_leaves(reference)
    scale = max(1.0, max(float(np.max(np.abs(e), initial=0.0)) for e in expected))
    for i, (a, b) in enumerate(zip(leaves, expected, strict=True)):
        assert np.shape(a) == np.shape(b), f"{what}: leaf {i} shape"
        np.testing.assert_allclose(
            np.asarray(a, dtype=np.float64),
            np.asarray(b, np.float64),
            rtol=rtol,
            atol=rtol * scale,
            err_msg=f"{what}: leaf {i}",
        )


def assert_same_dtypes(ours, reference) -> None:
    for i, (a, b) in enumerate(zip(tree_leaves(ours), tree_leaves(reference), strict=True)):
        assert np.result_type(a) == np.result_type(b), f"leaf {i}"


# --- (a) the hand-derived gradient ---------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_grad_equals_hand_derived(name):
    entry = GRAD_ENTRIES[name]
    for seed in (0, 1):
        args = make_args(entry, seed)
        snapshot = tree_copy(args)
        ours = tracegrad.grad(entry.fn)(*args)
        reference = entry.grad(*args)
        assert_same_dtypes(ours, reference)
        assert_gradients_close(ours, reference, entry.rtol, "tracegrad vs hand-derived")
        assert tree_equal(args, snapshot), "the arguments were modified"


# --- (b) central differences ---------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_grad_agrees_with_central_differences(name):
    entry = GRAD_ENTRIES[name]
    args = make_args(entry)
    ours = tracegrad.grad(entry.fn)(*args)
    numerical = central_difference_grad(entry.fn, args)
    rtol = FD_RTOL if entry.rtol == 1e-10 else FD_RTOL_FLOAT32
    assert_gradients_close(ours, numerical, rtol, "tracegrad vs central differences")


# --- (c) jax.grad of the same source on jax.numpy -----------------------------------------


def rebind_to_jax(module: types.ModuleType) -> dict:
    """A copy of `module`'s namespace where `np` is jax.numpy, with every function of the
    module rebuilt over that namespace, so helpers called from a function are rebound too."""
    namespace = dict(vars(module))
    namespace["np"] = jnp
    for name, value in vars(module).items():
        if isinstance(value, types.FunctionType) and value.__module__ == module.__name__:
            rebuilt = types.FunctionType(
                value.__code__, namespace, value.__name__, value.__defaults__, value.__closure__
            )
            rebuilt.__kwdefaults__ = value.__kwdefaults__
            namespace[name] = rebuilt
    return namespace


JAX_NAMESPACE = rebind_to_jax(catalog)


def jax_version_of(entry: CatalogEntry):
    rebound = JAX_NAMESPACE[entry.fn.__name__]
    assert rebound.__code__ is entry.fn.__code__ and rebound.__globals__["np"] is jnp
    return rebound


@contextlib.contextmanager
def jax_float64():
    """float64 in jax inside the block; the previous setting is restored after it."""
    with jax.enable_x64(True):  # restores the previous setting after the block
        yield


@pytest.fixture
def jax_x64():
    with jax_float64():
        yield


def to_numpy(tree):
    return tree_map(np.asarray, tree)


def in_key_order_of(tree, template):
    """`tree` with its dicts in `template`'s key order (jax sorts dict keys; the key sets
    must still match)."""
    if isinstance(tree, dict):
        assert isinstance(template, dict) and set(tree) == set(template), (tree, template)
        return {key: in_key_order_of(tree[key], template[key]) for key in template}
    if isinstance(tree, list | tuple) and isinstance(template, list | tuple):
        return type(tree)(in_key_order_of(t, s) for t, s in zip(tree, template, strict=True))
    return tree


def test_rebinding_reaches_helpers():
    """The rebound functions run on jax, helpers included (attention calls softmax)."""
    assert JAX_NAMESPACE["softmax"].__globals__ is JAX_NAMESPACE
    assert JAX_NAMESPACE["attention"].__globals__["softmax"] is JAX_NAMESPACE["softmax"]
    assert catalog.np is np, "the catalog module itself is untouched"


@pytest.mark.parametrize("name", [n for n in NAMES if n not in JAX_CANNOT_RUN])
def test_grad_agrees_with_jax(name, jax_x64):
    entry = GRAD_ENTRIES[name]
    args = make_args(entry)
    ours = tracegrad.grad(entry.fn)(*args)
    # jit: one XLA compilation instead of one per operation (4 s instead of 25 s in all).
    theirs = jax.jit(jax.grad(jax_version_of(entry)))(*args)
    theirs = in_key_order_of(to_numpy(theirs), ours)
    assert_same_dtypes(ours, theirs)
    rtol = JAX_RTOL if entry.rtol == 1e-10 else entry.rtol
    assert_gradients_close(ours, theirs, rtol, "tracegrad vs jax.grad")


def test_jax_still_cannot_run(jax_x64):
    """Each listed entry still fails in jax; once jax runs one, this fails: remove it."""
    for name, reason in JAX_CANNOT_RUN.items():
        assert name in GRAD_ENTRIES and reason, name
        entry = GRAD_ENTRIES[name]
        with pytest.raises(Exception):  # noqa: B017 (whatever jax raises; the reason is listed)
            jax.grad(jax_version_of(entry))(*make_args(entry))


@pytest.mark.parametrize("before", [False, True])
def test_jax_float64_restores_the_setting(before):
    previous = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", before)
    try:
        with pytest.raises(KeyError), jax_float64():
            assert jax.config.read("jax_enable_x64") is True
            assert jnp.asarray(1.0).dtype == jnp.float64
            raise KeyError  # restored on the way out of a failing test too
        assert jax.config.read("jax_enable_x64") is before
    finally:
        jax.config.update("jax_enable_x64", previous)


# --- (d) value_and_grad ------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_value_and_grad(name):
    entry = GRAD_ENTRIES[name]
    args = make_args(entry)
    value, gradient = tracegrad.value_and_grad(entry.fn)(*args)
    expected = entry.fn(*args)
    assert np.shape(value) == () and np.result_type(value) == np.result_type(expected)
    np.testing.assert_allclose(value, expected, rtol=1e-12 if entry.rtol == 1e-10 else 1e-5)
    assert tree_equal(gradient, tracegrad.grad(entry.fn)(*args))


# --- (e) the emitted gradient module ---------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_gradient_source_is_deterministic_and_numpy_only(name):
    entry = GRAD_ENTRIES[name]
    args = make_args(entry)
    first = tracegrad.grad(entry.fn).source(*args)
    second = tracegrad.grad(entry.fn).source(*args)
    assert first == second
    tree = ast.parse(first)
    imported = [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]
    # `math` (the standard library) where every value is a number: Python-float code.
    assert [ast.unparse(node) for node in imported] in (
        ["import numpy as np"],
        ["import math", "import numpy as np"],
    )
    assert "tracegrad" not in first.split("\n", 1)[1]
    # The module runs without tracegrad: only numpy in its namespace.
    namespace: dict = {}
    exec(compile(first, f"<{name}>", "exec"), namespace)
    function = next(v for v in namespace.values() if isinstance(v, types.FunctionType))
    assert tree_equal(function(*args), tracegrad.grad(entry.fn)(*args))
