"""The differential fuzz test: random straight-line NumPy programs (programs.py) run eagerly,
through tracegrad.jit on the NumPy and the JAX backend, and differentiated by tracegrad.grad,
central differences and jax.grad must agree (differential.py says what is compared).

Derandomized, so CI runs the same programs every time; TRACEGRAD_FUZZ_EXAMPLES sets how many
(150 by default). `python -m tests.fuzz.run_many N` runs N seeded programs and groups what
disagrees, for the long runs.
"""

from __future__ import annotations

import os
from collections import Counter

import numpy as np
from hypothesis import HealthCheck, given, settings

from .differential import check_program
from .programs import KINDS, Program, RandomChooser, make_program, programs

EXAMPLES = int(os.environ.get("TRACEGRAD_FUZZ_EXAMPLES", "150"))


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(programs())
def test_tracegrad_agrees_with_numpy_jax_and_differences(program: Program) -> None:
    check_program(program)


MARKERS = (
    "keepdims=True",
    "axis=(",
    "...",
    "None",
    "np.array([",
    "@",
    "np.dot",
    "astype(np.float32",
    "astype(np.float64",
    "np.where",
    "**",
    ".reshape(",
    ".T",
    "np.swapaxes",
    "np.maximum",
    "np.prod",
    ".max(",
    "np.float32(",
    "/",
    "std(",
    "np.linalg.norm",
    "np.stack",
    "np.concatenate",
    "np.clip",
    "np.broadcast_to",
    "np.einsum",
    ") * ",
)


def features(program: Program) -> Counter:
    """What a program exercises, from its text and its inputs."""
    text = program.body()
    found = Counter(marker for marker in MARKERS if marker in text)
    for value in program.values:
        if isinstance(value, np.ndarray):
            found["input: 0-d array" if value.ndim == 0 else "input: array"] += 1
        else:
            found[f"input: {type(value).__name__}"] += 1  # float, float32, float64
        found[f"dtype: {np.result_type(value)}"] += 1
    return found


def test_the_generator_covers_what_it_should() -> None:
    """Over 300 seeded programs every kind of step and input appears, and programs are long
    enough to combine them (a generator that silently lost a kind would pass everything)."""
    built = [make_program(RandomChooser(seed)) for seed in range(300)]
    seen = sum((features(p) for p in built), Counter())
    required = [
        *MARKERS,
        "input: array",
        "input: 0-d array",
        "input: float",
        "input: float32",
        "input: float64",
        "dtype: float32",
        "dtype: float64",
    ]
    missing = [name for name in required if seen[name] < 5]
    assert not missing, f"in fewer than 5 of 300 programs: {missing}"
    assert sum(len(p.steps) for p in built) / len(built) >= 3
    assert len(set(KINDS)) == 13


def test_programs_are_deterministic() -> None:
    first = [str(make_program(RandomChooser(seed))) for seed in range(20)]
    assert first == [str(make_program(RandomChooser(seed))) for seed in range(20)]
