"""IR passes: pure Graph -> Graph functions, each documented with what it may change."""

from .dce import eliminate_dead_code

__all__ = ["eliminate_dead_code"]
