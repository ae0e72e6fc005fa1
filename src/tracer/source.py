"""Tracer layer: where in the user's code an operation was called.

The first frame outside tracegrad and NumPy is the user's. Nodes traced from one execution
of one line share one SourceLoc object, which is how the builder knows which value the
line assigns (`h = np.tanh(x @ W)` names the tanh `h`, not the matmul).
"""

from __future__ import annotations

import ast
import functools
import linecache
import os
import sys
from types import FrameType

import numpy as np

from ..errors import SourceLoc

PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
NUMPY_DIR = os.path.dirname(os.path.abspath(np.__file__)) + os.sep


def internal(filename: str) -> bool:
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
        self.last_key: tuple[int, int] | None = None
        self.last_offset = -1
        self.last_loc: SourceLoc | None = None

    def current(self) -> SourceLoc | None:
        frame = user_frame()
        if frame is None:
            return None
        key = (id(frame), frame.f_lineno)
        # Within one execution of a line, bytecode offsets only grow; a loop that runs the
        # line again starts lower, and so starts a new run.
        if key == self.last_key and frame.f_lasti > self.last_offset:
            self.last_offset = frame.f_lasti
            return self.last_loc
        self.last_key, self.last_offset = key, frame.f_lasti
        self.last_loc = location_of(frame)
        return self.last_loc


def caller_location() -> SourceLoc | None:
    """The user's line that is calling into tracegrad right now (for error messages)."""
    frame = user_frame()
    return location_of(frame) if frame is not None else None
