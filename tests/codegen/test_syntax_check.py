"""The emitter checks every module's syntax before anyone compiles it, without building an
`ast` tree (for a long function that tree costs more time and memory than compiling)."""

import ast

import numpy as np
import pytest

import tracegrad
from tracegrad import BackendError
from tracegrad.codegen import numpy as numpy_backend
from tracegrad.ir.primitives import primitives


def test_emitting_builds_no_ast_tree(monkeypatch):
    graph = tracegrad.trace(lambda x: np.sin(x) * 2.0, np.ones(3))  # tracing may parse lines
    parsed = []
    monkeypatch.setattr(ast, "parse", lambda *args, **kwargs: parsed.append(args))
    source = numpy_backend.emit_numpy(graph)
    monkeypatch.undo()
    assert not parsed
    assert "np.sin(x0) * 2.0" in source


def test_a_rule_writing_invalid_code_is_a_backend_error(monkeypatch):
    monkeypatch.setitem(
        numpy_backend.NUMPY_BACKEND.rules,
        primitives["sin"],
        lambda node, args: f"np.sin({args[0]}))",
    )  # one ")" too many
    with pytest.raises(BackendError, match=r"emitted invalid numpy code .*please report it"):
        tracegrad.jit(lambda x: np.sin(x) + 1.0).source(np.ones(3))
