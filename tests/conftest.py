"""Shared test settings: hypothesis profiles ("ci" by default; HYPOTHESIS_PROFILE=thorough),
and the fixture that runs jax in float64 mode."""

import os

import pytest
from hypothesis import settings

settings.register_profile("ci", max_examples=25, deadline=None)
settings.register_profile("thorough", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def float64_jax():
    """jax in float64 mode for one test (restored after it), so it computes what NumPy does."""
    jax = pytest.importorskip("jax")
    with jax.enable_x64(True):
        yield
