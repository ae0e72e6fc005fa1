"""The one exception hierarchy of tracegrad, a leaf module every layer may import.

Each message says what happened, at which line of the user's code, and what to do instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class SourceLoc:
    """Where in the user's code something happened: file, line and the line's text; `rule`
    names the user's custom_vjp rule (`logsumexp_bwd`) a line was emitted from, if any."""

    file: str
    line: int
    text: str = ""
    # The simple-assignment target of the line (`h` in `h = np.tanh(a)`), used to name values.
    target: str | None = None
    rule: str | None = None

    @property
    def short(self) -> str:
        """`model.py:7`, or `model.py:12 (logsumexp_bwd)` for a line of a custom_vjp rule:
        the base name keeps emitted code identical across machines."""
        base = self.file.replace("\\", "/").rsplit("/", 1)[-1]
        where = f"{base}:{self.line}"
        return where if self.rule is None else f"{where} ({self.rule})"


class TracegradError(Exception):
    """Base of every error tracegrad raises on purpose."""

    def __init__(self, message: str, *, loc: SourceLoc | None = None, hint: str | None = None):
        self.message = message
        self.loc = loc
        self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        parts = []
        if self.loc is not None:
            parts.append(f"{self.loc.file}:{self.loc.line}: {self.message}")
            if self.loc.text:
                parts.append(f"    {self.loc.text.strip()}")
        else:
            parts.append(self.message)
        if self.hint:
            parts.append(f"Instead: {self.hint}")
        return "\n".join(parts)

    def located(self, loc: SourceLoc | None) -> TracegradError:
        """The same error, pinned to the user's line (when it had none yet)."""
        if self.loc is not None or loc is None:
            return self
        return type(self)(self.message, loc=loc, hint=self.hint)


class TraceError(TracegradError):
    """The user's function did something that cannot be traced."""


class TypeRuleError(TraceError):
    """A primitive was applied to operands of the wrong shape or dtype."""


class IRError(TracegradError):
    """A Graph is malformed: failed verification or IR text that does not parse."""


class BackendError(TracegradError):
    """A backend cannot run or emit what it was given."""


class IndexOutOfBoundsError(TracegradError, IndexError):
    """A traced index was out of bounds when the emitted code ran (an IndexError too, so
    code that catches NumPy's keeps working)."""


class LinAlgError(TracegradError, np.linalg.LinAlgError):
    """NumPy refused a matrix when the emitted code ran (singular, not positive definite): a
    np.linalg.LinAlgError too, so code that catches NumPy's keeps working."""


class TracegradWarning(RuntimeWarning):
    """Something works but costs more than it should (a function traced again and again)."""
