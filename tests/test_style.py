"""The tree stays as `ruff` formats and lints it, so a contributor's diff shows only what they
meant to change (the configuration is pyproject.toml's [tool.ruff])."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PATHS = ["src", "tests", "bench", "examples"]


def ruff(*args: str) -> subprocess.CompletedProcess:
    executable = shutil.which("ruff")
    if executable is None:
        pytest.fail("ruff is missing: pip install -e '.[dev]' installs it")
    return subprocess.run(
        [executable, *args, *PATHS], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_tree_is_formatted():
    result = ruff("format", "--check")
    assert result.returncode == 0, "run `ruff format`:\n" + result.stdout + result.stderr


def test_tree_passes_the_linter():
    result = ruff("check")
    assert result.returncode == 0, result.stdout + result.stderr
