"""Fixtures the generic checks of the operation table share."""

import pytest


@pytest.fixture
def float64_jax():
    """jax in float64 mode for one test (restored after it), so it computes what NumPy does."""
    jax = pytest.importorskip("jax")
    with jax.enable_x64(True):
        yield
