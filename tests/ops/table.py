"""One row per NumPy operation the tracer supports, in the spirit of PyTorch's OpInfo.

Generic checks in tests/ops/test_*.py are parametrised over ROWS. Later a batching (vmap)
check joins: a row will then gain a `batchable` flag, the other fields stay as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class OpRow:
    name: str
    reference: Callable
    low: float = -2.0  # the domain the samples are drawn from (avoids poles and kinks)
    high: float = 2.0
    shapes: tuple[tuple[int, ...], ...] = ((3,), (2, 3))


def sample(row: OpRow, shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(row.low, row.high, size=shape)


ROWS: tuple[OpRow, ...] = (
    OpRow("sin", np.sin),
    OpRow("cos", np.cos),
    OpRow("tanh", np.tanh),
    OpRow("exp", np.exp),
    OpRow("log", np.log, low=0.5, high=3.0),
    OpRow("sqrt", np.sqrt, low=0.5, high=3.0),
    OpRow("arcsin", np.arcsin, low=-0.9, high=0.9),
)
