"""Runtime layer: the per-function cache of compiled signatures, bounded and least recently
used first out.

A function called with ever new shapes (a growing sequence, a batch size that varies) would
otherwise keep every Graph and module it ever compiled, and their `linecache` lines, for the
life of the process. An evicted signature is compiled again if it comes back; the lines of
an evicted module leave `linecache` when its code is no longer held (see loader.py).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

# Signatures kept per staged function. A training loop or a served model uses a handful
# (the batch sizes, train and eval); JAX's own per-function cache and torch.compile's
# recompile limit are the same order of magnitude. Change it for one function with
# `f.cache.maxsize = n`, for all functions created afterwards here.
CACHE_SIZE = 128


class LRUCache(OrderedDict):
    """A dict of signatures -> compiled entries holding at most `maxsize` of them, the least
    recently used evicted first. Recency is recorded once the cache is half full (the
    object becomes a RecentFirstCache): below that nothing is evicted soon, and a hit costs
    a plain dictionary look-up, as before the cache had a bound."""

    def __init__(self, maxsize: int | None = None):
        super().__init__()
        self.maxsize = CACHE_SIZE if maxsize is None else maxsize

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        if 2 * len(self) >= self.maxsize:
            self.__class__ = RecentFirstCache
        while len(self) > max(self.maxsize, 1):
            self.popitem(last=False)

    def __repr__(self) -> str:
        return f"<LRUCache {len(self)} of at most {self.maxsize} signatures>"

    def __reduce__(self) -> Any:
        # Compiled code is never pickled or copied: a copy starts empty and compiles again.
        return (LRUCache, (self.maxsize,))


class RecentFirstCache(LRUCache):
    """An LRUCache that records recency: `get` (what a call does) moves the entry to the
    end, at the cost of a Python call (~60 ns a hit)."""

    def get(self, key: Any, default: Any = None) -> Any:
        try:
            self.move_to_end(key)
        except KeyError:
            return default
        return self[key]
