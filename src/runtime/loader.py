"""Runtime layer: turn emitted source into a live function.

The source is registered with `linecache` under a stable name, so tracebacks and
`inspect.getsource` show the generated lines.
"""

from __future__ import annotations

import hashlib
import linecache
from collections.abc import Callable


def module_filename(function_name: str, source: str) -> str:
    digest = hashlib.sha1(source.encode()).hexdigest()[:10]
    return f"<tracegrad {function_name} {digest}>"


def load_function(source: str, function_name: str) -> Callable:
    """Compile `source` and return its function `function_name`."""
    filename = module_filename(function_name, source)
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    namespace: dict = {"__name__": filename}
    exec(compile(source, filename, "exec"), namespace)
    return namespace[function_name]
