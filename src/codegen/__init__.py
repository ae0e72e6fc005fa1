"""Codegen layer: Graph -> Python source text, one module per backend."""

from .jax import emit_jax
from .numpy import emit_numpy

__all__ = ["emit_jax", "emit_numpy"]
