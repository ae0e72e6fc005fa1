"""tracegrad.export: the emitted module in a file that runs without tracegrad, and for a
gradient a self-check against central finite differences of the primal."""

import ast
import os
import runpy
import subprocess
import sys
import venv
from pathlib import Path

import numpy as np
import pytest

import tracegrad


def mlp(params, x, y):
    h = np.tanh(x @ params["W1"] + params["b1"])
    logits = h @ params["W2"]
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(logp[np.arange(x.shape[0]), y])


def weighted(x, scale):
    weights = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0])
    return np.sum(x * weights * scale) + np.sum(np.log(x) * (weights + 1))


def with_aux(x, y):
    value = np.sum(np.tanh(x) * y)
    return value, x * 2


def power(x, n):
    return np.sum(x**n)


def scalar(a, b):
    return a * b + np.sin(a) / b


def rest(a, *more):
    return np.sum(a * more[0] * np.exp(more[1]))


def wave(x):
    return np.sin(x) * x


def waves(x):
    return np.sum(np.sin(x) * x)


RNG = np.random.default_rng(1)
PARAMS = {"W1": RNG.standard_normal((5, 6)), "b1": np.zeros(6), "W2": RNG.standard_normal((6, 3))}
X = RNG.standard_normal((4, 5))
LABELS = np.array([0, 2, 1, 2])
ONES = np.ones(3)


def run_module(path: Path, capsys) -> tuple[int, str]:
    """Run an exported file as a script, here (it imports only numpy)."""
    with pytest.raises(SystemExit) as done:
        runpy.run_path(str(path), run_name="__main__")
    return done.value.code, capsys.readouterr().out


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.add(node.module)
    return found


@pytest.fixture(scope="module")
def numpy_only_python(tmp_path_factory) -> Path:
    """A virtual environment whose only package is numpy (linked from this one: no index is
    needed and it takes a moment), without tracegrad, jinja2 or anything else."""
    root = tmp_path_factory.mktemp("numpy-only")
    venv.create(root / "venv", with_pip=False, symlinks=os.name != "nt")
    python = root / "venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = subprocess.run(
        [python, "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    installed = Path(np.__file__).parent.parent
    for entry in installed.iterdir():
        if entry.name == "numpy" or entry.name.startswith(("numpy.libs", "numpy-")):
            (Path(purelib) / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    return python


def test_an_exported_gradient_checks_itself_with_only_numpy(tmp_path, numpy_only_python):
    path = tracegrad.export(tracegrad.grad(mlp), PARAMS, X, LABELS, path=tmp_path / "grad_mlp.py")
    assert path == tmp_path / "grad_mlp.py"
    assert imports(path) == {"numpy"}

    def run(*args: str) -> subprocess.CompletedProcess:
        # -I: no PYTHONPATH, no user site, not the current folder; cwd: a folder of nothing
        return subprocess.run(
            [numpy_only_python, "-I", *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=60,
        )

    assert run("-c", "import numpy").returncode == 0
    for absent in ("tracegrad", "jinja2"):
        assert run("-c", f"import {absent}").returncode != 0, f"{absent} is importable"
    done = run(str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        "grad_mlp against central finite differences of mlp: worst relative error "
    )
    assert "(ok, tolerance 1e-05)" in done.stdout
    worst = float(done.stdout.split("worst relative error ")[1].split()[0])
    assert worst < 1e-7


def test_the_self_check_catches_a_wrong_gradient(tmp_path, capsys):
    path = tracegrad.export(tracegrad.grad(waves), np.ones(4), path=tmp_path / "grad_waves.py")
    text = path.read_text()
    assert text.count("    return d_x\n") == 1  # the gradient's
    path.write_text(text.replace("    return d_x\n", "    return d_x * 1.01\n"))
    code, out = run_module(path, capsys)
    assert code == 1 and "(FAILED, tolerance 1e-05)" in out


def test_a_plain_function_exports_its_module(tmp_path):
    path = tracegrad.export(mlp, PARAMS, X, LABELS, path=tmp_path / "mlp.py")
    assert path.read_text() == tracegrad.jit(mlp).source(PARAMS, X, LABELS)
    assert "__main__" not in path.read_text()
    exported = runpy.run_path(str(path))["mlp"]
    assert np.isclose(exported(PARAMS, X, LABELS), mlp(PARAMS, X, LABELS))


@pytest.mark.parametrize(
    "fn, args, primal_name",
    [
        (tracegrad.value_and_grad(weighted, argnums=(0, 1)), (np.ones(10), 2.0), "weighted"),
        (tracegrad.value_and_grad(with_aux, has_aux=True), (ONES, ONES), "with_aux"),
        (tracegrad.grad(with_aux, argnums=(0, 1), has_aux=True), (ONES, ONES), "with_aux"),
        (tracegrad.grad(power, static_argnums=1), (ONES, 3), "power"),
        (tracegrad.grad(scalar), (1.0, 2.0), "scalar"),
        (tracegrad.grad(rest, argnums=(0, 2)), (ONES, ONES, ONES), "rest"),
        (tracegrad.jit(tracegrad.grad(mlp)), (PARAMS, X, LABELS), "mlp"),
        # the primal of grad(grad(wave)) is grad(wave), emitted as grad_wave like its gradient
        (tracegrad.grad(tracegrad.grad(wave)), (0.7,), "PRIMAL_grad_wave"),
    ],
)
def test_gradients_of_every_kind_check_themselves(fn, args, primal_name, tmp_path, capsys):
    path = tracegrad.export(fn, *args, path=tmp_path / "module.py")
    code, out = run_module(path, capsys)
    assert code == 0, out
    assert f"against central finite differences of {primal_name}: " in out
    assert "(ok, tolerance 1e-05)" in out


def test_clashing_constants_of_the_primal_are_renamed(tmp_path):
    path = tracegrad.export(
        tracegrad.grad(weighted), np.ones(10), 2.0, path=tmp_path / "grad_weighted.py"
    )
    text = path.read_text()
    assert "\nCONSTANT = " in text and "\nPRIMAL_CONSTANT = " in text
    assert text.count("import numpy as np\n") == 1


def test_float32_gets_a_float32_tolerance(tmp_path, capsys):
    args = (np.ones((2, 3), np.float32), np.ones((2, 3), np.float32))
    path = tracegrad.export(tracegrad.grad(with_aux, has_aux=True), *args, path=tmp_path / "f32.py")
    assert "dtype=np.float32),  # x: f32[2,3]" in path.read_text()
    code, out = run_module(path, capsys)
    assert code == 0 and "(ok, tolerance 0.01)" in out


def test_a_jax_export_checks_itself(tmp_path):
    pytest.importorskip("jax")
    path = tracegrad.export(
        tracegrad.grad(power, static_argnums=1),
        ONES,
        3,
        path=tmp_path / "grad_power_jax.py",
        backend="jax",
    )
    assert imports(path) == {"jax", "jax.numpy", "numpy"}
    # A subprocess: the check turns on JAX's 64-bit mode, which must not leak into this one.
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "(ok, tolerance 1e-05)" in done.stdout
