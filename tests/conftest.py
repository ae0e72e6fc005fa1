"""Shared test settings: hypothesis profiles ("ci" by default; HYPOTHESIS_PROFILE=thorough)."""

import os

from hypothesis import settings

settings.register_profile("ci", max_examples=25, deadline=None)
settings.register_profile("thorough", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
