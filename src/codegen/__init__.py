"""Codegen layer: Graph -> Python source text, one module per backend."""

from .numpy import emit_numpy

__all__ = ["emit_numpy"]
