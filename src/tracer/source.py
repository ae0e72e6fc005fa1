"""Tracer layer: where in the user's code an operation was called.

The first frame outside tracegrad and NumPy is the user's. Nodes traced from one execution
of one line share one SourceLoc object, which is how the builder knows which value the
line assigns (`h = np.tanh(x @ W)` names the tanh `h`, not the matmul).
"""

from __future__ import annotations

import ast
import dis
import functools
import linecache
import os
import sys
from types import FrameType

import numpy as np

from ..errors import SourceLoc

PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
NUMPY_DIR = os.path.dirname(os.path.abspath(np.__file__)) + os.sep


@functools.lru_cache(maxsize=1024)
def internal(filename: str) -> bool:
    """Asked for each frame above every node traced: judged once per file."""
    return filename.startswith((PACKAGE_DIR, NUMPY_DIR)) or filename.startswith("<frozen")


def user_frame() -> FrameType | None:
    frame = sys._getframe(1)
    while frame is not None and internal(frame.f_code.co_filename):
        frame = frame.f_back
    return frame


@functools.lru_cache(maxsize=4096)
def assignment_target(text: str) -> str | None:
    """`h` for `h = ...`, `h: T = ...` and `h += ...`; None for anything else."""
    try:
        tree = ast.parse(text.strip())
    except SyntaxError:
        return None
    if len(tree.body) != 1:
        return None
    statement = tree.body[0]
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
    elif isinstance(statement, ast.AugAssign | ast.AnnAssign):
        target = statement.target
    else:
        return None
    return target.id if isinstance(target, ast.Name) else None


def location_of(frame: FrameType) -> SourceLoc:
    filename, line = frame.f_code.co_filename, frame.f_lineno
    text = linecache.getline(filename, line).rstrip("\n")
    return SourceLoc(filename, line, text, assignment_target(text) if text else None)


class LocationTracker:
    """Gives the user's location for each new node, one SourceLoc object per line run."""

    def __init__(self) -> None:
        self.last: tuple[int, int, int, int] | None = None  # frame, line, offset, call
        self.last_loc: SourceLoc | None = None

    def current(self, call: int) -> SourceLoc | None:
        """`call` numbers the user-level call the node belongs to (see Trace.calls)."""
        frame = user_frame()
        if frame is None:
            return None
        key = (id(frame), frame.f_lineno, frame.f_lasti, call)
        last = self.last
        self.last = key
        # One run of a line: same frame and line, and either a later call in the line
        # (bytecode offsets grow) or more nodes of the same call. A loop that runs the line
        # again starts at a lower or equal offset with a new call, and so a new run.
        if (
            last is not None
            and last[:2] == key[:2]
            and (key[2] > last[2] or (key[2] == last[2] and key[3] == last[3]))
        ):
            return self.last_loc
        self.last_loc = location_of(frame)
        return self.last_loc


def caller_location() -> SourceLoc | None:
    """The user's line that is calling into tracegrad right now (for error messages)."""
    frame = user_frame()
    return location_of(frame) if frame is not None else None


# The instructions of `h[i] = v` (and, from Python 3.12, `h[a:b] = v`).
STORE_ITEM = frozenset(
    dis.opmap[name] for name in ("STORE_SUBSCR", "STORE_SLICE") if name in dis.opmap
)


def storing_item() -> bool:
    """True while the user's line is assigning into an item (`h[i] = v`): a NumPy array
    asking a Tracer for its value there is being written into."""
    frame = user_frame()
    return (
        frame is not None
        and frame.f_lasti >= 0
        and frame.f_code.co_code[frame.f_lasti] in STORE_ITEM
    )
