"""Tracing from several threads at once: each thread has its own running traces."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator

import numpy as np
import pytest

import tracegrad

# Distinct shapes on purpose (each call traces): the retrace warning is expected here.
pytestmark = pytest.mark.filterwarnings("ignore::tracegrad.TracegradWarning")


@pytest.fixture
def frequent_switches() -> Iterator[None]:
    """Switch threads every few bytecodes, so traces interleave as they would under load."""
    saved = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(saved)


def branchy(x):
    y = tracegrad.cond(np.sum(x) > 0, lambda v: np.sin(v) * 2, lambda v: np.cos(v), x)
    return np.sum(y * y)


def run_threads(work: Callable[[int], None], n_threads: int = 8) -> list[str]:
    errors: list[str] = []

    def guarded(t: int) -> None:
        try:
            work(t)
        except Exception as error:  # collected: an exception in a thread would be lost
            errors.append(f"thread {t}: {error!r}")

    threads = [threading.Thread(target=guarded, args=(t,)) for t in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_grad_with_cond_traced_from_8_threads_at_once(frequent_switches):
    gradient = tracegrad.grad(branchy)

    def work(t: int) -> None:
        for i in range(20):  # a distinct shape per call: every call traces
            x = np.linspace(0.1, 1.0, t * 20 + i + 1)
            np.testing.assert_allclose(gradient(x), 8 * np.sin(x) * np.cos(x), rtol=1e-12)

    assert run_threads(work) == []
    assert len(gradient.cache) == min(160, gradient.cache.maxsize)  # the bounded LRU cache


def test_jit_of_scan_from_threads_each_with_its_own_function(frequent_switches):
    def work(t: int) -> None:
        def cumulative(xs):
            def body(c, x):
                c = c + x * t
                return c, c

            return tracegrad.scan(body, np.float64(0.0), xs)[1]

        compiled = tracegrad.jit(cumulative)
        for i in range(10):
            xs = np.arange(1.0, i + 2)
            np.testing.assert_allclose(compiled(xs), np.cumsum(xs * t))

    assert run_threads(work) == []
