"""Runtime layer: emitted source as `.source(...)` returns it, a `str` that notebooks show as
code, and the highlighting the command line shares.

Pygments colours the code where it is installed; without it the text is shown plain
(escaped in HTML). tracegrad never requires it.
"""

from __future__ import annotations

import html
from typing import Any


class Source(str):
    """Emitted source text. It *is* a `str` (equal to the plain text, with every str method);
    Jupyter shows it highlighted (`_repr_html_`) and IPython prints it as it reads
    (`_repr_pretty_`), instead of as a quoted one-line repr."""

    __slots__ = ()

    def _repr_html_(self) -> str:
        return highlight_html(str(self))

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


def highlight_html(code: str) -> str:
    """Python code as HTML: coloured by pygments (inline styles, so no stylesheet is needed),
    or escaped in a <pre> without it."""
    try:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import PythonLexer
    except ImportError:
        return f"<pre>{html.escape(code)}</pre>"
    return highlight(code, PythonLexer(), HtmlFormatter(noclasses=True))


def highlight_terminal(code: str) -> str:
    """Python code with ANSI colours for a terminal, or unchanged without pygments."""
    try:
        from pygments import highlight
        from pygments.formatters import TerminalFormatter
        from pygments.lexers import PythonLexer
    except ImportError:
        return code
    return highlight(code, PythonLexer(), TerminalFormatter())
