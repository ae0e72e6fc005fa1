"""Runtime layer: turn emitted source into a live function.

The source is registered with `linecache` under a stable name, so tracebacks and
`inspect.getsource` show the generated lines, for as long as a function loaded from it
lives: when the last one is gone (its signature evicted from the cache, its staged function
deleted), the lines leave `linecache` too.
"""

from __future__ import annotations

import hashlib
import linecache
import threading
import weakref
from collections.abc import Callable

from ..ir.naming import function_name

# How many live functions were loaded from each registered module (two staged functions
# with the same source share one name, so the first to go must leave the lines be).
_loaded: dict[str, int] = {}
_lock = threading.Lock()


def module_filename(name: str, source: str) -> str:
    digest = hashlib.sha1(source.encode()).hexdigest()[:10]
    return f"<tracegrad {name} {digest}>"


def load_function(source: str, name: str) -> Callable:
    """Compile `source` and return the function it emitted for the user's `name`."""
    filename = module_filename(name, source)
    namespace: dict = {"__name__": filename}
    exec(compile(source, filename, "exec"), namespace)
    # Taken out of its module's globals, the function is freed as soon as no one holds it
    # (left in, function and globals form a cycle that only the collector would break).
    function = namespace.pop(function_name(name))
    register_lines(filename, source)
    weakref.finalize(function, release_lines, filename)
    return function


def register_lines(filename: str, source: str) -> None:
    with _lock:
        linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
        _loaded[filename] = _loaded.get(filename, 0) + 1


def release_lines(filename: str) -> None:
    with _lock:
        count = _loaded.get(filename, 0) - 1
        if count > 0:
            _loaded[filename] = count
            return
        _loaded.pop(filename, None)
        linecache.cache.pop(filename, None)


def loaded_modules() -> int:
    """How many emitted modules have their lines in `linecache` now (for tests)."""
    return len(_loaded)
