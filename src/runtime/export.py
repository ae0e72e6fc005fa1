"""Runtime layer: `export` writes a function's emitted module to a file that runs without
tracegrad. For a gradient the file also holds the primal function and, under
`if __name__ == "__main__":`, a self-check against central finite differences of it.

The self-check draws random arguments of the recorded shapes and dtypes: floats uniformly in
[0.5, 1.5) (inside the domain of log, sqrt and division, away from the kinks of abs and
maximum at 0), integer arrays between the smallest and largest example value (so indices
stay valid), booleans at random; Python ints and bools keep the example's value, since they
are often sizes or flags. It compares up to 32 random entries of each differentiated leaf
and prints the worst relative error, |AD - FD| / max(1, |AD|, |FD|) (so entries near zero do
not divide by zero), and exits with status 1 when that exceeds the module's tolerance.
"""

from __future__ import annotations

import ast
import io
import os
import string
import tokenize
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import BackendError
from ..ir.naming import Namespace
from ..ir.types import TensorType
from .compiled import Compiled, Staged
from .gradients import Gradient
from .tracebacks import api_boundary

CHECKED_ENTRIES = 32

SELF_CHECK = string.Template('''

def _arguments(leaves):
    """The arguments of $gradient, built around a flat list of leaves."""
    return $arguments


def _random_leaves(rng):
    """Random leaves of the recorded shapes and dtypes."""
    return [
$draws
    ]


def _gradient_leaves(result):
    """The gradients in the result of $gradient, one per differentiated leaf."""
    return [$gradients]


def _value(result):
    """The number $primal returns."""
    return $value


_DIFFERENTIATED = $differentiated  # which leaves $gradient differentiates
_TOLERANCE = $tolerance


def _shifted(leaf, index, step):
    """`leaf` with its entry at `index` moved by about `step`, and the step really taken."""
    if isinstance(leaf, np.ndarray):
        moved = leaf.copy()
        moved[index] += step
        return moved, float(moved[index]) - float(leaf[index])
    moved = type(leaf)(leaf + step)
    return moved, float(moved) - float(leaf)


def _check_gradient(seed=0, entries=$entries):
    """The worst relative error of $gradient against central finite differences of $primal,
    over up to `entries` random entries of each differentiated leaf, at random arguments."""
    rng = np.random.default_rng(seed)
    leaves = _random_leaves(rng)
    computed = _gradient_leaves($gradient(*_arguments(leaves)))
    worst = 0.0
    for leaf_index, gradient in zip(_DIFFERENTIATED, computed):
        leaf = leaves[leaf_index]
        gradient = np.asarray(gradient, dtype=np.float64)
        size = int(np.prod(np.shape(leaf)))
        picked = range(size) if size <= entries else sorted(rng.choice(size, entries, False))
        for flat in picked:
            index = np.unravel_index(flat, np.shape(leaf))
            step = np.finfo(np.result_type(leaf)).eps ** (1 / 3)
            step *= max(1.0, abs(float(np.asarray(leaf)[index])))
            values, steps = [], []
            for direction in (step, -step):
                moved_leaves = list(leaves)
                moved_leaves[leaf_index], taken = _shifted(leaf, index, direction)
                values.append(float(np.asarray(_value($primal(*_arguments(moved_leaves))))))
                steps.append(taken)
            numerical = (values[0] - values[1]) / (steps[0] - steps[1])
            automatic = float(gradient[index])
            error = abs(automatic - numerical) / max(1.0, abs(automatic), abs(numerical))
            worst = max(worst, error)
    return worst


if __name__ == "__main__":
$prologue    worst = _check_gradient()
    verdict = "ok" if worst <= _TOLERANCE else "FAILED"
    print(f"$gradient against central finite differences of $primal: worst relative error "
          f"{worst:.3g} ({verdict}, tolerance {_TOLERANCE:g})")
    raise SystemExit(0 if worst <= _TOLERANCE else 1)
''')


@api_boundary
def export(
    fn: Callable, *example_args: Any, path: str | os.PathLike[str], backend: str = "numpy"
) -> Path:
    """Write the module `backend` emits for `fn` called with `example_args` to `path`.

    `fn` may be a plain function, `jit(f)`, `grad(f)`, `value_and_grad(f)`, `jit(grad(f))`...
    The module imports only numpy (or jax, for backend="jax"), never tracegrad. For a gradient
    it also holds the primal function and a self-check: `python path` compares the gradient
    with central finite differences of the primal at random arguments of the example's
    shapes and dtypes, prints the worst relative error, and exits with status 1 above the
    tolerance (1e-5 in float64, 1e-2 in float32). Returns the path written.

    Arrays the function reads besides its arguments (a global `X`, `self.W`) are written, as
    they are now, to a NumPy file beside the module (`path` with the suffix .npz), which
    the module loads; its functions take them as parameters after the user's, with those
    values as defaults, so `loss(w)` runs as traced and `loss(w, X=other)` on other data.
    """
    path = Path(path)
    staged = staged_for(fn, backend)
    text = str(staged.source(*example_args))
    captured = captured_values(staged, example_args)
    gradient = inner_gradient(staged)
    if gradient is not None:
        text, primal_captured = with_primal_and_check(text, gradient, example_args, backend)
        captured += primal_captured
    if captured:
        text = load_captured(text, dict(captured), path.with_suffix(".npz"))
    path.write_text(text, encoding="utf-8")
    return path


def with_primal_and_check(
    text: str, gradient: Gradient, example_args: tuple, backend: str
) -> tuple[str, list[tuple[str, np.ndarray]]]:
    """The gradient's module `text` with the primal function and the self-check appended,
    and the arrays the primal reads besides its arguments."""
    primal = Compiled(gradient.fn, backend, gradient.static_argnums)
    gradient_name = function_name(text)
    text, primal_name = combine(text, str(primal.source(*example_args)))
    captured = captured_values(primal, example_args)
    text += self_check(
        gradient,
        example_args,
        gradient_name,
        primal_name,
        primal.ir(*example_args).output_types[0].dtype,
        backend,
    )
    check_top_level(text)
    return text, captured


def captured_values(staged: Staged, example_args: tuple) -> list[tuple[str, np.ndarray]]:
    """The arrays the emitted function reads besides its arguments, by parameter name."""
    entry = staged.lookup(example_args, {})
    state = entry.interface.state
    values = () if state is None else state.read()
    names = entry.interface.captured
    return list(zip(names, values or (), strict=False))


def load_captured(text: str, captured: dict[str, np.ndarray], data_path: Path) -> str:
    """The module with its captured arrays read from `data_path` (written here), and
    given as the defaults of the parameters that take them."""
    np.savez(data_path, **captured)
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("def ") and line.endswith("):") and not line.startswith("def _"):
            head, params = line[: line.index("(") + 1], line[line.index("(") + 1 : -2]
            names = params.split(", ") if params else []
            names = [f"{n}=CAPTURED[{n!r}]" if n in captured else n for n in names]
            lines[i] = f"{head}{', '.join(names)}):"
    last_import = max(i for i, line in enumerate(lines) if is_import(line))
    loader = [
        "",
        f"# Arrays {', '.join(sorted(captured))} were read by the traced function besides its",
        f"# arguments; their values at export time are in {data_path.name}, beside this file.",
        "CAPTURED = dict(np.load(__file__.removesuffix('.py') + '.npz'))",
    ]
    if "import numpy as np" not in lines:
        loader.insert(1, "import numpy as np")
    lines[last_import + 1 : last_import + 1] = loader
    return "\n".join(lines)


def staged_for(fn: Callable, backend: str) -> Staged:
    """`fn` staged for `backend`: itself where it already is, else wrapped in `jit`."""
    if isinstance(fn, Staged) and fn.backend == backend:
        return fn
    return Compiled(fn, backend, getattr(fn, "static_argnums", ()))


def inner_gradient(staged: Staged) -> Gradient | None:
    """The `grad`/`value_and_grad` a staged function computes, through any `jit` around it."""
    while isinstance(staged, Compiled) and isinstance(staged.fn, Staged):
        staged = staged.fn
    return staged if isinstance(staged, Gradient) else None


def function_name(source: str) -> str:
    """The name of the one function an emitted module defines."""
    (name,) = [s.name for s in ast.parse(source).body if isinstance(s, ast.FunctionDef)]
    return name


def is_import(line: str) -> bool:
    return line.startswith(("import ", "from "))


def top_level_names(source: str) -> set[str]:
    names: set[str] = set()
    for statement in ast.parse(source).body:
        if isinstance(statement, ast.FunctionDef):
            names.add(statement.name)
        elif isinstance(statement, ast.Assign):
            names.update(t.id for t in statement.targets if isinstance(t, ast.Name))
    return names


def rename(source: str, renames: dict[str, str]) -> str:
    """`source` with the identifiers in `renames` renamed (tokens, never comments or text)."""
    lines = source.splitlines(keepends=True)
    found = [
        token
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.NAME and token.string in renames
    ]
    for token in reversed(found):  # right to left, so earlier columns stay valid
        row, start = token.start
        _, end = token.end
        line = lines[row - 1]
        lines[row - 1] = line[:start] + renames[token.string] + line[end:]
    return "".join(lines)


def combine(gradient_source: str, primal_source: str) -> tuple[str, str]:
    """One module of the gradient's and the primal's, and the primal function's name in it:
    imports once, at the top (numpy's too, which the self-check uses); the primal's
    module-level names renamed where the gradient's module uses the same ones."""
    primal_source = without_clashes(primal_source, gradient_source)
    lines = gradient_source.rstrip("\n").split("\n")
    primal_lines = primal_source.rstrip("\n").split("\n")
    wanted = [*(line for line in primal_lines if is_import(line)), "import numpy as np"]
    missing = list(dict.fromkeys(line for line in wanted if line not in lines))
    last_import = max(i for i, line in enumerate(lines) if is_import(line))
    lines[last_import + 1 : last_import + 1] = missing
    primal_body = [line for line in primal_lines if not is_import(line)]
    text = (
        "\n".join(
            [
                *lines,
                "",
                "",
                "# The function differentiated above, so that the self-check below can compare the",
                "# gradient with central finite differences of it.",
                *primal_body,
            ]
        )
        + "\n"
    )
    return text, function_name(primal_source)


def without_clashes(primal_source: str, gradient_source: str) -> str:
    """The primal's module with each module-level name the gradient's module also defines
    renamed (`PRIMAL_x`, fresh among the names either module uses)."""
    clashes = top_level_names(gradient_source) & top_level_names(primal_source)
    if not clashes:
        return primal_source
    every_name = {
        t.string
        for source in (gradient_source, primal_source)
        for t in tokenize.generate_tokens(io.StringIO(source).readline)
        if t.type == tokenize.NAME
    }
    namespace = Namespace(frozenset(every_name))
    return rename(
        primal_source, {name: namespace.fresh(f"PRIMAL_{name}") for name in sorted(clashes)}
    )


def check_top_level(text: str) -> None:
    """Each module-level name defined once: the gradient, the primal and the check share the
    module, and a second definition would silently replace the first."""
    seen: set[str] = set()
    for statement in ast.parse(text).body:
        names = (
            [statement.name]
            if isinstance(statement, ast.FunctionDef)
            else [t.id for t in statement.targets if isinstance(t, ast.Name)]
            if isinstance(statement, ast.Assign)
            else []
        )
        for name in names:
            if name in seen:  # a bug of export's, never the user's: say so plainly
                raise BackendError(f"export wrote `{name}` twice at module level; please report it")
            seen.add(name)


class Leaves:
    """The leaves of the arguments in pytree order, each with its key path, and the
    expression that rebuilds the arguments around `leaves[i]`."""

    def __init__(self, arguments: tuple):
        self.values: list[Any] = []
        self.paths: list[tuple] = []
        self.expression = self.rebuild(arguments, ())

    def rebuild(self, tree: Any, path: tuple) -> str:
        if tree is None:
            return "None"
        if isinstance(tree, tuple) and not hasattr(tree, "_fields"):
            items = [self.rebuild(t, (*path, i)) for i, t in enumerate(tree)]
            return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
        if isinstance(tree, list):
            return f"[{', '.join(self.rebuild(t, (*path, i)) for i, t in enumerate(tree))}]"
        if isinstance(tree, dict):
            items = [f"{k!r}: {self.rebuild(v, (*path, k))}" for k, v in tree.items()]
            return "{" + ", ".join(items) + "}"
        self.values.append(tree)
        self.paths.append(path)
        return f"leaves[{len(self.values) - 1}]"


def draw(leaf: Any) -> str:
    """The expression that draws a random leaf like `leaf` (see the module docstring)."""
    if isinstance(leaf, bool | int | complex) and not isinstance(leaf, np.generic):
        return repr(leaf)
    if isinstance(leaf, float):
        return "float(rng.uniform(0.5, 1.5))"
    array = np.asarray(leaf)
    dtype = f"np.{array.dtype.name}"
    shape = array.shape
    if isinstance(leaf, np.generic):
        if array.dtype.kind in "fc":
            return f"{dtype}(rng.uniform(0.5, 1.5))"
        return f"{dtype}({leaf.item()!r})"
    if array.dtype.kind == "f":
        return f"np.asarray(rng.uniform(0.5, 1.5, {shape}), dtype={dtype})"
    if array.dtype.kind == "c":
        return (
            f"np.asarray(rng.uniform(0.5, 1.5, {shape}) + 1j * rng.uniform(0.5, 1.5, "
            f"{shape}), dtype={dtype})"
        )
    if array.dtype.kind == "b":
        return f"np.asarray(rng.random({shape}) < 0.5)"
    low, high = (int(array.min()), int(array.max())) if array.size else (0, 0)
    return f"np.asarray(rng.integers({low}, {high + 1}, {shape}), dtype={dtype})"


def describe(leaf: Any, path: tuple, params: tuple[str, ...]) -> str:
    """`params['W1']: f64[3,4]`, for the comment beside a drawn leaf (types as the IR and the
    module's header print them)."""
    where = params[path[0]] + "".join(f"[{key!r}]" for key in path[1:])
    if isinstance(leaf, bool | int | float | complex) and not isinstance(leaf, np.generic):
        return f"{where}: {type(leaf).__name__}"
    array = np.asarray(leaf)
    return f"{where}: {TensorType(array.shape, array.dtype)}"


def tolerance(dtypes: list[np.dtype]) -> float:
    bits = min(np.finfo(d).bits for d in dtypes)
    return 1e-5 if bits >= 64 else 1e-2 if bits >= 32 else 1e-1


def gradient_accessors(
    gradient: Gradient, call: Any, leaves: Leaves
) -> tuple[list[int], list[str]]:
    """Which argument leaves are differentiated, and where the gradient module's result holds
    each one's gradient (`result[0]['W1']`)."""
    part = "result[1]" if gradient.with_value else "result[0]" if gradient.has_aux else "result"
    differentiated: list[int] = []
    accessors: list[str] = []
    for j, (position, k) in enumerate(gradient.positions(call)):
        base = (position,) if k is None else (position, k)
        prefix = part if isinstance(gradient.argnums, int) else f"{part}[{j}]"
        for i, path in enumerate(leaves.paths):
            if path[: len(base)] == base:
                differentiated.append(i)
                accessors.append(prefix + "".join(f"[{key!r}]" for key in path[len(base) :]))
    return differentiated, accessors


def self_check(
    gradient: Gradient,
    example_args: tuple,
    gradient_name: str,
    primal_name: str,
    value_dtype: np.dtype,
    backend: str,
) -> str:
    """The code that checks the gradient module against finite differences of the primal."""
    call = gradient.bind(example_args, {})
    params = tuple(call.names[i] for i in call.dynamic)
    leaves = Leaves(tuple(call.values[i] for i in call.dynamic))
    differentiated, accessors = gradient_accessors(gradient, call, leaves)
    draws = "\n".join(
        f"        {draw(leaf)},  # {describe(leaf, path, params)}"
        for leaf, path in zip(leaves.values, leaves.paths, strict=True)
    )
    float_dtypes = [np.result_type(leaves.values[i]) for i in differentiated]
    return SELF_CHECK.substitute(
        gradient=gradient_name,
        primal=primal_name,
        arguments=leaves.expression,
        draws=draws,
        gradients=", ".join(accessors),
        value="result[0]" if gradient.has_aux else "result",
        differentiated=repr(differentiated),
        tolerance=repr(tolerance([*float_dtypes, value_dtype])),
        entries=CHECKED_ENTRIES,
        prologue=x64_prologue(leaves, backend),
    )


def x64_prologue(leaves: Leaves, backend: str) -> str:
    """JAX computes in 32 bits unless told otherwise: a check of 64-bit arguments turns
    64 bits on first."""
    wide = any(
        np.result_type(v).itemsize >= 8 and np.result_type(v).kind in "iufc" for v in leaves.values
    )
    if backend == "jax" and wide:
        return '    jax.config.update("jax_enable_x64", True)  # float64 and int64 as recorded\n'
    return ""
