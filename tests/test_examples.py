"""The examples a newcomer starts from run, and say what they show."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent.parent / "examples"


def test_quickstart_runs_and_agrees_with_numpy():
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "quickstart.py")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert "graph loss(" in result.stdout
    assert "def loss(params, x, y):" in result.stdout
    assert "They agree." in result.stdout


def run_example(name: str, *args: str) -> str:
    """Run examples/<name> as a newcomer would, in a fresh interpreter; return what it printed."""
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"{name} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def printed_number(pattern: str, text: str) -> float:
    """The number the first group of `pattern` matches in `text` (a `%` means a percentage)."""
    match = re.search(pattern, text)
    assert match, f"nothing matches {pattern!r} in:\n{text}"
    number = match.group(1)
    return float(number[:-1]) / 100 if number.endswith("%") else float(number)


def test_micrograd_parity_trains_and_agrees_with_micrograd_where_installed():
    out = run_example("micrograd_parity.py")
    assert "def grad_neuron_loss(params, x, y):" in out  # the neuron's gradient, as source
    # the neuron trains first, then the MLP
    neuron, network = (int(n) / 100 for n in re.findall(r"after 100 steps: .*accuracy (\d+)%", out))
    assert 0.75 < neuron < 0.95  # a line separates the moons only roughly
    assert network == 1.0
    if importlib.util.find_spec("micrograd") is None:
        assert "micrograd is not installed" in out
    else:  # micrograd is in the examples and dev extras
        assert "tracegrad and micrograd agree to 1e-9" in out
        assert (
            printed_number(r"MLP: 337 partial derivatives, largest difference (\S+)", out) <= 1e-9
        )


def test_micrograd_parity_says_so_when_micrograd_is_missing():
    script = str(EXAMPLES / "micrograd_parity.py")
    hide_micrograd = (
        "import runpy, sys; sys.modules['micrograd'] = None; "  # import fails
        f"sys.argv = [{script!r}, '--steps', '5']; "
        f"runpy.run_path({script!r}, run_name='__main__')"
    )
    result = subprocess.run(
        [sys.executable, "-c", hide_micrograd],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    assert "micrograd is not installed (pip install micrograd)" in result.stdout


def test_xor_defeats_the_perceptron_and_not_the_two_layer_network():
    out = run_example("xor.py")
    assert printed_number(r"perceptron: loss (\S+),", out) > 0.69  # ln 2: it answers 0.5
    assert printed_number(r"perceptron: .*accuracy (\d+%)", out) < 1.0
    assert printed_number(r"two-layer network: .*accuracy (\d+%)", out) == 1.0


def test_logistic_regression_prints_the_textbook_gradient_and_learns():
    out = run_example("logistic_regression.py")
    assert "def grad_loss(params, x, y):" in out
    assert printed_number(r"against X.T @ .*largest difference (\S+)", out) < 1e-12
    learned = printed_number(r"training accuracy (\S+%)", out)
    true_model = printed_number(r"the true model's: (\S+%)", out)
    assert abs(learned - true_model) < 0.02


def test_gaussian_process_fits_its_kernel_by_the_traced_gradient():
    """Issue 16's example: Cholesky, triangular solves and the log-determinant, differentiated
    to the closed form, fitted, and predicting the function it was sampled from."""
    out = run_example("gaussian_process.py")
    assert "def grad_negative_log_likelihood(log_params, x, y):" in out
    assert "np.linalg.cholesky(k)" in out and "CONSTANT" not in out
    assert printed_number(r"largest difference (\S+)", out) < 1e-10
    start = printed_number(r"negative log likelihood (\S+) ->", out)
    final = printed_number(r"-> (\S+);", out)
    assert final < start - 40
    assert printed_number(r"prediction error (\S+)", out) < 0.2
    assert 0.005 < printed_number(r"fitted: .*noise (\S+)", out) < 0.02  # the data's: 0.1 ** 2


def digits_test_accuracy(backend: str, out_dir: Path) -> float:
    for module in ("sklearn", "tqdm", "matplotlib"):  # installed by the examples and dev extras
        pytest.importorskip(module)
    out = run_example("digits.py", "--backend", backend, "--epochs", "20", "--out", str(out_dir))
    png = out_dir / f"digits_loss_{backend}.png"
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    return printed_number(r"test accuracy: (\S+)", out)


@pytest.mark.heavy
def test_digits_on_the_numpy_backend(tmp_path):
    assert digits_test_accuracy("numpy", tmp_path / "plots") >= 0.95


@pytest.mark.heavy
def test_digits_on_the_jax_backend(tmp_path):
    pytest.importorskip("jax")
    assert digits_test_accuracy("jax", tmp_path / "plots") >= 0.95
