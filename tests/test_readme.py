"""Every code block of the README runs: the Python blocks in order, in one namespace (as a
reader pastes them into one session), and the shell lines that use tracegrad itself."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).parent.parent / "README.md"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)

# Shell lines the test does not run, and why: installing and running the test suite are what
# CI itself does; the benchmark takes minutes (tests/test_bench.py runs its machinery).
NOT_RUN = ("python -m pip install", "python -m pytest", "python bench/run.py")

MODEL = """import numpy as np


def loss(W, x):
    return np.sum(np.tanh(x @ W) ** 2)
"""


def blocks(language: str) -> list[str]:
    return [code for lang, code in BLOCK.findall(README.read_text()) if lang == language]


def test_the_python_blocks_run_in_order(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for i, code in enumerate(blocks("python")):
        try:
            exec(compile(code, f"README.md python block {i + 1}", "exec"), namespace)
        except Exception as error:  # name the block that broke
            pytest.fail(
                f"README python block {i + 1} raised {type(error).__name__}: {error}\n{code}"
            )
    out = capsys.readouterr().out
    assert "def grad_mlp_loss(params, x, y):" in out and "graph loss(" in out
    assert namespace["H"].shape == (3, 3) and namespace["d_params"].keys() == {"W1", "b1", "W2"}


def shell_lines() -> list[str]:
    """Each command of the bash blocks (`a && b` is two), comments dropped."""
    commands = [
        part.strip()
        for code in blocks("bash")
        for line in code.splitlines()
        for part in line.split("  #")[0].split(" && ")
    ]
    return [command for command in commands if command and not command.startswith(NOT_RUN)]


@pytest.mark.parametrize("line", shell_lines())
def test_the_shell_lines_run(line, tmp_path):
    (tmp_path / "model.py").write_text(MODEL)
    words = shlex.split(line)
    if words[0] == "python":
        words = [sys.executable, *words[1:]]
        if words[1].startswith(("examples/", "bench/")):
            words[1] = str(README.parent / words[1])
    else:
        words = [sys.executable, "-m", "tracegrad.cli", *words[1:]]
    result = subprocess.run(
        words,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert result.returncode == 0, result.stderr
