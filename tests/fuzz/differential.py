"""The checks of the differential fuzz test, run on one `Program`.

`check_program` compares, on the program's example inputs:
  - tracegrad.jit (NumPy backend) with eager NumPy: values, shapes, dtypes, Python types;
  - tracegrad.jit(backend="jax") with eager NumPy: values, shapes, dtypes;
  - tracegrad.grad of `loss` (sum over outputs of np.sum(output * weight)) with central
    differences of the program's float64 twin, and with jax.grad of the same source on jax.numpy.
Each difference raises `Disagreement(kind, detail)`, `kind` naming the check, so a long run can
count and group them.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import sys
import tempfile
import types
from pathlib import Path
from typing import Any

import numpy as np

import tracegrad

from .programs import Program

try:
    import jax
except ImportError:  # the JAX checks are skipped without jax
    jax = None

# NumPy returns some 0-d results as NumPy scalars and others as 0-d arrays; tracegrad follows
# it (ir/result_kinds.py), so every 0-d result's Python type is compared, like every result's
# shape, dtype and value. TRACEGRAD_FUZZ_ZERO_D_TYPES=0 turns that off for one run.
CHECK_ZERO_D_TYPES = os.environ.get("TRACEGRAD_FUZZ_ZERO_D_TYPES") != "0"

FOLDER = Path(tempfile.mkdtemp(prefix="tracegrad_fuzz_"))


class Disagreement(AssertionError):
    def __init__(self, kind: str, detail: str, program: Program):
        super().__init__(f"{kind}: {detail}\n{program}")
        self.kind = kind
        self.detail = detail
        self.program = program


def load(source: str) -> types.ModuleType:
    """The source as a module read from a real file, so tracegrad finds the user's lines."""
    name = "fuzz_" + hashlib.sha1(source.encode()).hexdigest()[:16]
    path = FOLDER / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def jax_float64():
    with jax.enable_x64(True):  # restores the previous setting after the block
        yield


def tolerance(program: Program) -> float:
    return 2e-4 if program.uses_float32 else 1e-9


def scale_of(values: Any) -> float:
    return max([1.0, *(float(np.max(np.abs(np.asarray(v, np.float64)))) for v in values)])


def python_type(value: Any) -> type:
    """What a result is to its user: ndarray, a NumPy scalar type, or a Python number."""
    return np.ndarray if isinstance(value, np.ndarray) else type(value)


def compare(
    kind: str, ours: Any, expected: Any, rtol: float, program: Program, types_too: bool = True
) -> None:
    if not isinstance(ours, tuple) or len(ours) != len(expected):
        raise Disagreement(f"{kind}-structure", f"got {ours!r}", program)
    scale = scale_of(expected)
    for i, (a, b) in enumerate(zip(ours, expected, strict=True)):
        if (
            types_too
            and python_type(a) is not python_type(b)
            and (CHECK_ZERO_D_TYPES or np.ndim(b) != 0)
        ):
            raise Disagreement(
                f"{kind}-type",
                f"output {i}: {python_type(a).__name__}, NumPy gives {python_type(b).__name__}",
                program,
            )
        if np.shape(a) != np.shape(b):
            raise Disagreement(
                f"{kind}-shape", f"output {i}: {np.shape(a)}, NumPy gives {np.shape(b)}", program
            )
        if np.result_type(np.asarray(a)) != np.result_type(b):
            raise Disagreement(
                f"{kind}-dtype",
                f"output {i}: {np.asarray(a).dtype}, NumPy gives {np.result_type(b)}",
                program,
            )
        close = np.allclose(
            np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=rtol, atol=rtol * scale
        )
        if not close:
            raise Disagreement(f"{kind}-value", f"output {i}: {a!r}, NumPy gives {b!r}", program)


def run(kind: str, program: Program, fn: Any, *args: Any) -> Any:
    """Call fn; an exception becomes a Disagreement named after its class (a TracegradError
    is tracegrad refusing; anything else is an internal error reaching the user)."""
    try:
        return fn(*args)
    except Exception as error:
        what = "refused" if isinstance(error, tracegrad.TracegradError) else "crash"
        message = str(error).splitlines()[0] if str(error) else ""
        raise Disagreement(
            f"{kind}-{what}", f"{type(error).__name__}: {message}", program
        ) from error


def weights_for(program: Program, outputs: tuple) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(len(program.steps))
    return tuple(rng.uniform(0.5, 1.5, np.shape(out)) for out in outputs)


def check_numpy(program: Program, module: types.ModuleType, expected: tuple) -> None:
    ours = run("jit", program, tracegrad.jit(module.f), *program.values)
    compare("jit", ours, expected, tolerance(program), program)


def check_jax(program: Program, module: types.ModuleType, expected: tuple) -> None:
    """JAX gives jax.Arrays: values, shapes and dtypes are compared, not Python types."""
    ours = run("jax", program, tracegrad.jit(module.f, backend="jax"), *program.values)
    compare("jax", ours, expected, tolerance(program), program, types_too=False)


def check_gradients(program: Program, module: types.ModuleType, outputs: tuple) -> None:
    """Gradients of `loss` for every input: shapes and dtypes as the inputs', values as the
    float64 twin's central differences and as jax.grad of the same source."""
    weights = weights_for(program, outputs)
    argnums = tuple(range(len(program.inputs)))
    ours = run(
        "grad", program, tracegrad.grad(module.loss, argnums=argnums), *program.values, *weights
    )
    if not isinstance(ours, tuple) or len(ours) != len(argnums):
        raise Disagreement("grad-structure", f"got {ours!r}", program)
    for i, (g, x) in enumerate(zip(ours, program.values, strict=True)):
        if np.shape(g) != np.shape(x):
            raise Disagreement(
                "grad-shape",
                f"d{program.names[i]}: {np.shape(g)} for an input of shape {np.shape(x)}",
                program,
            )
        if isinstance(x, (np.ndarray, np.generic)) and np.asarray(g).dtype != x.dtype:
            raise Disagreement(
                "grad-dtype",
                f"d{program.names[i]}: {np.asarray(g).dtype} for a {x.dtype} input",
                program,
            )
    twin = load(program.source(float64=True))
    wide = program.float64_inputs()
    differences = tuple(
        central_difference(twin.loss, (*wide, *weights), argnum) for argnum in argnums
    )
    rtol = 2e-3 if program.uses_float32 else 1e-6
    compare_gradients("grad-fd", ours, differences, rtol, program)
    if jax is not None:
        with jax_float64():
            reference = load(program.source("jax.numpy"))
            expected = jax.jit(jax.grad(reference.loss, argnums))(*program.values, *weights)
        compare_gradients("grad-jax", ours, expected, tolerance(program), program)


def central_difference(fn: Any, args: tuple, argnum: int, eps: float = 1e-6) -> np.ndarray:
    """d fn / d args[argnum] by central differences, each argument keeping its Python type
    (a NumPy scalar stays one: the program may call its methods)."""
    x = args[argnum]
    base = np.array(x, dtype=np.float64)
    grad = np.zeros(base.shape)

    def at(point: np.ndarray) -> float:
        value = point if isinstance(x, np.ndarray) else type(x)(point[()])
        return float(fn(*args[:argnum], value, *args[argnum + 1 :]))

    for j in range(base.size):
        h = eps * max(1.0, abs(float(base.flat[j])))
        plus, minus = base.copy(), base.copy()
        plus.flat[j] += h
        minus.flat[j] -= h
        grad.flat[j] = (at(plus) - at(minus)) / (2 * h)
    return grad


def compare_gradients(
    kind: str, ours: tuple, expected: tuple, rtol: float, program: Program
) -> None:
    scale = scale_of(expected)
    for i, (a, b) in enumerate(zip(ours, expected, strict=True)):
        if not np.allclose(
            np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=rtol, atol=rtol * scale
        ):
            raise Disagreement(
                kind, f"d{program.names[i]}: {np.asarray(a)!r}, expected {np.asarray(b)!r}", program
            )


def check_program(program: Program, found: list[Disagreement] | None = None) -> None:
    """Raise the first Disagreement; with `found`, collect one per stage (values on NumPy,
    values on JAX, gradients) instead, so a long run counts each."""
    module = load(program.source())
    expected = module.f(*program.values)
    stages = [
        lambda: check_numpy(program, module, expected),
        lambda: check_gradients(program, module, expected),
    ]
    if jax is not None:
        stages.insert(1, lambda: check_jax(program, module, expected))
    for stage in stages:
        try:
            stage()
        except Disagreement as error:
            if found is None:
                raise
            found.append(error)
