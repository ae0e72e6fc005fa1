"""The per-function cache is bounded (least recently used out) and an evicted module's lines
leave linecache, while what is cached keeps its tracebacks."""

import copy
import gc
import linecache
import pickle

import numpy as np
import pytest

import tracegrad
from tracegrad.runtime import cache as cache_module
from tracegrad.runtime.cache import LRUCache
from tracegrad.tracer.pytree import flatten


def double(x):
    return x * 2.0


def counted(calls):
    def f(x):
        calls.append(x.shape)
        return x * 2.0

    return f


def scaled_for_the_cache_test(x):  # a source no other test emits
    return x * 3.25


def module_of(entry):
    return entry.function.__code__.co_filename


def test_many_shapes_keep_at_most_the_bound_and_release_their_lines(monkeypatch):
    monkeypatch.setattr(cache_module, "CACHE_SIZE", 8)
    f = tracegrad.jit(scaled_for_the_cache_test)
    modules = []
    for n in range(1, 101):
        np.testing.assert_array_equal(f(np.ones(n)), np.full(n, 3.25))
        modules.append(module_of(next(reversed(f.cache.values()))))
    assert len(f.cache) == 8 and len(set(modules)) == 100
    cached = {module_of(entry) for entry in f.cache.values()}
    assert cached == set(modules[-8:])
    assert all(m in linecache.cache for m in cached)  # tracebacks still show these
    assert not any(m in linecache.cache for m in modules[:-8])  # evicted: lines released
    del f
    gc.collect()
    assert not any(m in linecache.cache for m in modules)


def test_the_default_bound_is_documented_and_used():
    assert tracegrad.jit(double).cache.maxsize == cache_module.CACHE_SIZE == 128


def test_least_recently_used_goes_first():
    calls = []
    f = tracegrad.jit(counted(calls))
    f.cache.maxsize = 2
    a, b, c = np.ones(1), np.ones(2), np.ones(3)
    f(a), f(b), f(a), f(c)  # b is the least recently used when c comes
    assert len(calls) == 3
    f(a)
    assert len(calls) == 3  # still cached
    f(b)
    assert len(calls) == 4  # evicted, traced again


def test_a_cached_module_keeps_its_traceback_lines():
    f = tracegrad.jit(lambda x, i: np.sin(x) + i)
    f(np.ones(3), 1.0)
    (entry,) = f.cache.values()
    filename = entry.function.__code__.co_filename
    assert "np.sin(x)" in "".join(linecache.getlines(filename))


def test_cache_mapping_interface():
    cache = LRUCache(2)
    cache["a"], cache["b"] = 1, 2
    assert cache.get("a") == 1 and cache.get("missing") is None
    cache["c"] = 3
    assert list(cache) == ["a", "c"] and "b" not in cache and len(cache) == 2


@pytest.mark.parametrize(
    "make",
    [
        lambda: tracegrad.jit(double),
        lambda: tracegrad.grad(lambda_free_loss),
        lambda: tracegrad.value_and_grad(lambda_free_loss),
    ],
)
def test_pickle_and_deepcopy_keep_the_function_and_drop_the_code(make):
    staged = make()
    x = np.arange(3.0)
    expected = staged(x)
    for clone in (pickle.loads(pickle.dumps(staged)), copy.deepcopy(staged), copy.copy(staged)):
        assert len(clone.cache) == 0
        got, want = flatten(clone(x))[0], flatten(expected)[0]
        for a, b in zip(got, want, strict=True):
            np.testing.assert_allclose(a, b)
    assert len(staged.cache) == 1  # the original keeps its compiled code


def lambda_free_loss(x):
    return np.sum(np.sin(x) * x)


def test_pickle_of_a_lambda_is_pickles_own_error():
    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(tracegrad.jit(lambda x: x))


def test_pickle_of_a_jax_staged_function_rebuilds_its_execution():
    pytest.importorskip("jax")
    staged = tracegrad.jit(double, backend="jax", device="cpu")
    x = np.ones(3, np.float32)
    np.testing.assert_array_equal(np.asarray(staged(x)), 2 * x)
    clone = pickle.loads(pickle.dumps(staged))
    assert len(clone.cache) == 0 and clone.execution is not staged.execution
    np.testing.assert_array_equal(np.asarray(clone(x)), 2 * x)
