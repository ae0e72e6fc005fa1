"""docs/api.md documents every public name and is what docs/generate.py writes now."""

import importlib.util
import inspect
from pathlib import Path

import tracegrad

DOCS = Path(__file__).parent.parent / "docs"


def generator():
    spec = importlib.util.spec_from_file_location("generate", DOCS / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_api_reference_is_current():
    assert (DOCS / "api.md").read_text() == generator().render(), (
        "docs/api.md is out of date: run `python docs/generate.py`"
    )


def test_every_public_name_has_a_docstring_and_an_entry():
    text = (DOCS / "api.md").read_text()
    for name in tracegrad.__all__:
        obj = getattr(tracegrad, name)
        assert inspect.getdoc(obj), f"tracegrad.{name} has no docstring"
        assert f"## `{name}`" in text
