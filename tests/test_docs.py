"""docs/api.md documents every public name, docs/numpy-support.md every traced NumPy callable,
and both are what docs/generate.py writes now."""

import importlib.util
import inspect
import re
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


def test_readme_links_the_architecture_document():
    readme = (DOCS.parent / "README.md").read_text()
    assert "](docs/architecture.md)" in readme
    assert "../shared/" not in readme  # a link outside the repository is broken for users


def test_architecture_names_only_files_that_exist():
    """Every module or folder docs/architecture.md names (`ad/interpreter.py`,
    `tests/golden/`) is there, so the document cannot silently drift from the layout."""
    root = DOCS.parent
    named = re.findall(r"`([\w./]+(?:\.py|/))`", (DOCS / "architecture.md").read_text())
    paths = [name for name in named if "/" in name.rstrip("/") or name.endswith(".py")]
    assert len(paths) > 20
    missing = [
        name
        for name in paths
        if not any((base / name).exists() for base in (root, root / "src", root / "src/ir"))
    ]
    assert not missing, f"docs/architecture.md names missing files: {missing}"


def test_numpy_support_table_is_current():
    assert (DOCS / "numpy-support.md").read_text() == generator().render_support(), (
        "docs/numpy-support.md is out of date: run `python docs/generate.py`"
    )


def test_numpy_support_table_counts_every_registered_callable():
    from tracegrad.tracer.functions.registry import DETAILS, FUNCTIONS, UFUNCS

    text = (DOCS / "numpy-support.md").read_text()
    assert set(DETAILS) == set(FUNCTIONS) | set(UFUNCS)
    assert f"The {len(DETAILS)} NumPy (and SciPy) callables tracegrad traces" in text
    assert text.count("\n| `np.") + text.count("\n| `scipy.") == len(DETAILS)
