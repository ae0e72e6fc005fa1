"""The `tracegrad` command: the IR and the emitted code of a function in a file, from the shell.

    tracegrad show model.py:loss --arg W=f64[3,4] --arg x=f64[8,3] --arg y=i64[8] --ir
    tracegrad show model.py:loss --arg ... --grad 0 --ir --backend jax
    tracegrad export model.py:loss --arg ... --grad 0 -o grad_loss.py

Arguments are random values of the types given as the IR prints them (`f64[3,4]`, `f32[]`,
`i64[8]`, `bool[2]`; `float`, `int`, `bool` for Python scalars). Floats are standard normal;
integers are drawn in [0, 8), so they can index an axis of 8 or more. Bad arguments print one
line to stderr and exit with status 2; an error while importing or tracing exits with 1.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from .errors import IRError, TracegradError
from .ir.types import TensorType, parse_type
from .runtime import export, grad, jit
from .runtime.execution import BACKENDS
from .runtime.source_text import highlight_terminal

INTEGER_BOUND = 8  # integers are drawn in [0, 8)


class UsageError(Exception):
    """A bad command line: reported in one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def add_function_arguments(command: argparse.ArgumentParser) -> None:
    """What both commands take: the function, its parameters' types, backend and gradient."""
    command.add_argument("target", metavar="FILE.py:FUNCTION")
    command.add_argument(
        "--arg",
        action="append",
        default=[],
        metavar="NAME=TYPE",
        help="a parameter and its type, e.g. x=f64[32,64], n=int",
    )
    command.add_argument("--backend", default="numpy", choices=BACKENDS)
    command.add_argument(
        "--grad",
        metavar="ARGNUMS",
        help="the gradient instead, with respect to these arguments "
        "(positions or names, comma-separated: 0, or 0,1, or W,b)",
    )


def build_parser() -> Parser:
    parser = Parser(
        prog="tracegrad",
        description="Show or export the code tracegrad emits for a function in a Python file.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    show = commands.add_parser("show", help="print the emitted source (and the IR with --ir)")
    export_command = commands.add_parser("export", help="write the emitted module to a file")
    for command in (show, export_command):
        add_function_arguments(command)
    show.add_argument("--ir", action="store_true", help="print the IR too (and the adjoint's)")
    show.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="highlight the source (auto: on a terminal, with pygments)",
    )
    export_command.add_argument("-o", "--output", required=True, metavar="PATH")
    return parser


def load_function(target: str) -> Callable:
    """Import FILE.py and return its FUNCTION."""
    file, colon, name = target.rpartition(":")
    if not colon or not file or not name:
        raise UsageError(f"expected FILE.py:FUNCTION, got {target!r}")
    path = Path(file)
    if not path.is_file():
        raise UsageError(f"no such file: {file}")
    module_name = path.stem if path.stem.isidentifier() else "tracegrad_target"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot import {file} (is it a Python file?)")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.resolve().parent))  # so the file can import its neighbours
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    fn = getattr(module, name, None)
    if not callable(fn):
        defined = sorted(
            k
            for k, v in vars(module).items()
            if inspect.isfunction(v) and v.__module__ == module_name
        )
        listing = f" (it defines {', '.join(defined)})" if defined else ""
        raise UsageError(f"{file} has no function {name!r}{listing}")
    return fn


def parse_argument_type(text: str) -> tuple[str, TensorType]:
    name, equals, type_text = text.partition("=")
    if not equals or not name.isidentifier():
        raise UsageError(f"--arg {text!r}: expected NAME=TYPE, e.g. x=f64[32,64]")
    try:
        return name, parse_type(type_text.replace(" ", ""))
    except IRError as error:
        raise UsageError(f"--arg {text!r}: {error.message}") from None


def random_value(type_: TensorType, rng: np.random.Generator) -> Any:
    """A random value of `type_`: a Python scalar for a weak type, else an array."""
    kind = type_.dtype.kind
    shape = type_.shape
    if kind == "f":
        value = rng.standard_normal(shape)
    elif kind == "c":
        value = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    elif kind == "b":
        value = rng.integers(0, 2, shape) == 1
    else:
        value = rng.integers(0, INTEGER_BOUND, shape)
    if type_.weak:
        return type_.python_type(np.asarray(value).item())
    return np.asarray(value, dtype=type_.dtype)


def argument_types(specs: Sequence[str]) -> dict[str, TensorType]:
    """The type each --arg option gives its parameter."""
    types: dict[str, TensorType] = {}
    for text in specs:
        name, type_ = parse_argument_type(text)
        if name in types:
            raise UsageError(f"--arg {name} is given twice")
        types[name] = type_
    return types


def positional_parameters(
    fn: Callable, types: dict[str, TensorType], name: str
) -> list[inspect.Parameter]:
    """The parameters a positional argument can fill; each --arg must name one of them."""
    parameters = [
        p
        for p in inspect.signature(fn).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    known = {p.name for p in parameters}
    unknown = [n for n in types if n not in known]
    if unknown:
        raise UsageError(
            f"{name} has no parameter {unknown[0]!r} (its parameters: "
            f"{', '.join(p.name for p in parameters) or 'none'})"
        )
    return parameters


def arguments_for(fn: Callable, specs: Sequence[str]) -> tuple[list[str], tuple]:
    """The parameter names and the random positional arguments the --arg options describe."""
    types = argument_types(specs)
    name = getattr(fn, "__name__", "the function")
    parameters = positional_parameters(fn, types, name)
    given = [i for i, p in enumerate(parameters) if p.name in types]
    rng = np.random.default_rng(0)
    names, values = [], []
    for p in parameters[: given[-1] + 1 if given else 0]:
        if p.name in types:
            values.append(random_value(types[p.name], rng))
        elif p.default is not p.empty:
            values.append(p.default)
        else:
            raise UsageError(f"missing --arg {p.name}=TYPE for {name}({p.name}, ...)")
        names.append(p.name)
    missing = [p.name for p in parameters[len(names) :] if p.default is p.empty]
    if missing:
        raise UsageError(f"missing --arg {missing[0]}=TYPE for {name}({missing[0]}, ...)")
    return names, tuple(values)


def parse_argnums(text: str, names: list[str]) -> int | tuple[int, ...]:
    """`0` -> 0, `0,2` -> (0, 2); parameter names count as their positions."""
    positions = []
    for part in text.split(","):
        part = part.strip()
        if part in names:
            positions.append(names.index(part))
        elif part.lstrip("-").isdigit():
            positions.append(int(part))
        else:
            raise UsageError(
                f"--grad {text!r}: expected argument positions or names, e.g. 0 or 0,1 or W,b"
            )
    return positions[0] if len(positions) == 1 and "," not in text else tuple(positions)


def use_colour(choice: str) -> bool:
    if choice != "auto":
        return choice == "always"
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def show(fn: Callable, values: tuple, argnums: Any, options: argparse.Namespace) -> None:
    sections = []
    if options.ir:
        sections.append(str(jit(fn).ir(*values)))
        if argnums is not None:
            sections.append(str(grad(fn, argnums).ir(*values)))
    staged = (
        jit(fn, backend=options.backend)
        if argnums is None
        else (jit(grad(fn, argnums), backend=options.backend))
    )
    source = str(staged.source(*values))
    sections.append(highlight_terminal(source) if use_colour(options.color) else source)
    sys.stdout.write("\n\n".join(s.rstrip("\n") for s in sections) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for a bad command line)."""
    try:
        options = build_parser().parse_args(argv)
        fn = load_function(options.target)
        names, values = arguments_for(fn, options.arg)
        argnums = None if options.grad is None else parse_argnums(options.grad, names)
    except UsageError as error:
        print(f"tracegrad: error: {error}", file=sys.stderr)
        return 2
    except SystemExit as done:  # --help
        return done.code if isinstance(done.code, int) else 0
    except Exception:  # the user's file raised while it was imported
        traceback.print_exc()
        return 1
    try:
        if options.command == "show":
            show(fn, values, argnums, options)
        else:
            target = fn if argnums is None else grad(fn, argnums)
            path = export(target, *values, path=options.output, backend=options.backend)
            print(f"wrote {path}")
    except TracegradError as error:
        print(f"tracegrad: {error}", file=sys.stderr)
        return 1
    except Exception:  # the user's function raised while it was traced
        traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
