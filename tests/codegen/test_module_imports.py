"""The codegen modules import at the top only: an import inside a function hides a cycle
between modules (the nested Emitter once did), which is to be removed, not deferred."""

import ast
from pathlib import Path

import pytest

import tracegrad.codegen

CODEGEN = Path(tracegrad.codegen.__file__).parent
MODULES = sorted(CODEGEN.glob("*.py"))


def imports_in_functions(tree: ast.AST) -> list[int]:
    """The lines of imports written inside a function body (at any depth)."""
    lines = []
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    lines.append(node.lineno)
    return sorted(set(lines))


def test_modules_are_found():
    assert CODEGEN / "emitter.py" in MODULES


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_no_import_inside_a_function(path: Path):
    assert imports_in_functions(ast.parse(path.read_text())) == [], path


def test_the_check_sees_a_nested_import():
    source = "import os\n\ndef f():\n    def g():\n        from . import emitter\n    return g\n"
    assert imports_in_functions(ast.parse(source)) == [5]
