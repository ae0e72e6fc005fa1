"""Tracer layer: the state a traced function reads besides its arguments.

An array the function reaches through its closure, its globals, its defaults, its bound
`self`, or the containers and attributes inside those is not frozen into the code: it
becomes an input of the Graph, found again by the same path and read at every call (so
`X *= 0` and `X = other` are both seen). Every other value the code reads by name (a
number, a string, a function, an object) is guarded: when the name is rebound, the function
is traced again. `discover` finds all of this before the function runs.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .source import internal

# Bounds on the search, so a function reaching a large object graph stays cheap to trace.
MAX_DEPTH = 4
MAX_OBJECTS = 4096
MISSING = object()

IMMUTABLE_SCALARS = (bool, int, float, complex, str, bytes, type(None), np.generic)
RANDOM_STATES = (np.random.RandomState, np.random.Generator, np.random.BitGenerator)


@dataclass(frozen=True, slots=True)
class Path:
    """How to reach a value from a fixed root object: `steps` of ("item", key), ("attr",
    name) and ("cell", None); `name` is what the emitted code calls it (`X`, `self_W`)."""

    root: Any
    steps: tuple[tuple[str, Any], ...]
    name: str

    @property
    def key(self) -> tuple:
        return (id(self.root), self.steps)

    def read(self) -> Any:
        """The value at the end of the path now, or MISSING when the path is broken."""
        value = self.root
        try:
            for kind, key in self.steps:
                if kind == "item":
                    value = value[key]
                elif kind == "attr":
                    value = getattr(value, key)
                elif kind == "cell":
                    value = value.cell_contents
                else:
                    value = rebuild_view(value, *key)
        except (KeyError, IndexError, AttributeError, ValueError, TypeError):
            return MISSING
        return value

    def then(self, kind: str, key: Any, name: str) -> Path:
        return Path(self.root, (*self.steps, (kind, key)), name)


@dataclass(frozen=True, slots=True)
class Guard:
    """A name the function's code reads, and the value it had when the function was traced."""

    path: Path
    value: Any

    def holds(self) -> bool:
        now = self.path.read()
        if now is self.value:
            return True
        # Numbers and strings are compared by value: `lr = 0.1` rebound to an equal 0.1 keeps
        # the code (a new float object each time is common).
        return (
            isinstance(now, IMMUTABLE_SCALARS)
            and type(now) is type(self.value)
            and bool(now == self.value)
        )


@dataclass(frozen=True, slots=True)
class ContentGuard:
    """A captured array whose values shaped the code (a boolean mask index), and a copy of
    them: the code holds while the values are the same."""

    path: Path
    value: np.ndarray

    def holds(self) -> bool:
        now = self.path.read()
        return (
            type(now) is np.ndarray
            and now.shape == self.value.shape
            and now.dtype == self.value.dtype
            and np.array_equal(now, self.value)
        )


@dataclass(frozen=True, slots=True)
class CapturedState:
    """What a compiled function reads besides its arguments: the arrays that are inputs of
    its Graph (after the arguments, in order) with the type each was traced with, and the
    guards on the names its code reads."""

    paths: tuple[Path, ...]
    types: tuple[tuple[tuple[int, ...], np.dtype], ...]
    guards: tuple[Guard | ContentGuard, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(path.name for path in self.paths)

    def read(self) -> tuple[np.ndarray, ...] | None:
        """The captured arrays as they are now, or None when the code traced no longer fits:
        a guarded name was rebound, or a captured array has another shape or dtype."""
        for guard in self.guards:
            if not guard.holds():
                return None
        values = []
        for path, (shape, dtype) in zip(self.paths, self.types, strict=True):
            value = path.read()
            if type(value) is not np.ndarray or value.shape != shape or value.dtype != dtype:
                return None
            values.append(value)
        return tuple(values)


@dataclass(slots=True)
class Discovery:
    """What one function can reach: arrays by identity, guards on the names it reads, and
    the random number generators among them (whose state a draw would change)."""

    arrays: dict[int, tuple[np.ndarray, Path]] = field(default_factory=dict)
    guards: list[Guard] = field(default_factory=list)
    generators: list[Any] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)
    visited: int = 0

    owners: dict[int, list[tuple[np.ndarray, Path]]] | None = None

    def path_of(self, array: np.ndarray) -> Path | None:
        found = self.arrays.get(id(array))
        return found[1] if found is not None and found[0] is array else None

    def sharing(self, owner: Any) -> list[tuple[np.ndarray, Path]]:
        """The captured arrays whose memory belongs to `owner` (views of one buffer)."""
        if self.owners is None:
            self.owners = {}
            for array, path in self.arrays.values():
                base = array if array.base is None else array.base
                self.owners.setdefault(id(base), []).append((array, path))
        return self.owners.get(id(owner), [])


def address(array: np.ndarray) -> int:
    return array.__array_interface__["data"][0]


def view_of(found: Discovery, view: np.ndarray) -> tuple[Path, np.ndarray, tuple | None] | None:
    """A captured array `view` is a view of, and how: None for its transpose (`X.T`), ()
    for the array itself, else the layout `rebuild_view` takes. NumPy computes `X.T`,
    `X[:, :3]` or `X[None]` of a captured X before tracegrad sees them; read again from X at
    each call, they follow X as it changes."""
    if view.base is None:
        return None
    for base, path in found.sharing(view.base):
        layout = view_layout(base, view)
        if layout is not False:
            return path, base, layout
    return None


def view_layout(base: np.ndarray, view: np.ndarray) -> tuple | bool | None:
    contiguous = base.flags.c_contiguous or base.flags.f_contiguous
    if view.dtype != base.dtype or not contiguous or base.size == 0:
        return False
    offset = address(view) - address(base)
    low, high = np.lib.array_utils.byte_bounds(view)
    base_low, base_high = np.lib.array_utils.byte_bounds(base)
    if offset % base.itemsize or low < base_low or high > base_high:
        return False
    if offset == 0 and view.shape == base.shape and view.strides == base.strides:
        return ()
    if (
        offset == 0
        and view.ndim > 1
        and view.shape == base.shape[::-1]
        and view.strides == base.strides[::-1]
    ):
        return None
    return (offset // base.itemsize, base.shape, base.strides, view.shape, view.strides)


def rebuild_view(
    base: Any, offset: int, base_shape: tuple, base_strides: tuple, shape: tuple, strides: tuple
) -> np.ndarray:
    """The view of `base` at `offset` elements with this shape and these strides, where
    `base` still has the layout it had when traced (else the path is broken)."""
    if type(base) is not np.ndarray or base.shape != base_shape or base.strides != base_strides:
        raise ValueError("the array a view was taken of changed its layout")
    flat = base.ravel(order="K")  # a view: base is contiguous
    return np.lib.stride_tricks.as_strided(flat[offset:], shape, strides, writeable=False)


def is_staged(value: Any) -> bool:
    return type(value).__module__.startswith("tracegrad.") and callable(getattr(value, "fn", None))


def library_code(filename: str) -> bool:
    """Code of tracegrad, NumPy or an installed package: its globals are no user's data."""
    return internal(filename) or "site-packages" in filename or "dist-packages" in filename


def code_names(code: types.CodeType) -> set[str]:
    """The global and attribute names a code object (and the code nested in it) reads."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= code_names(const)
    return names


def discover(fn: Callable) -> Discovery:
    found = Discovery()
    visit_function(found, fn, None, 0)
    return found


def function_roots(fn: Any) -> Iterator[tuple[Path, Any]]:
    """The names a plain Python function reads, each with its path and current value."""
    code = fn.__code__
    names = code_names(code)
    module_globals = fn.__globals__
    for name in sorted(names):
        if name in module_globals:
            yield Path(module_globals, (("item", name),), name), module_globals[name]
    for name, cell in zip(code.co_freevars, fn.__closure__ or (), strict=False):
        try:
            value = cell.cell_contents
        except ValueError:  # a cell not yet filled (a function defined later in the scope)
            continue
        yield Path(cell, (("cell", None),), name), value
    parameters = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    defaults = fn.__defaults__ or ()
    positional = code.co_varnames[code.co_argcount - len(defaults) : code.co_argcount]
    for index, (name, value) in enumerate(zip(positional, defaults, strict=True)):
        yield Path(fn, (("attr", "__defaults__"), ("item", index)), name), value
    for name, value in (fn.__kwdefaults__ or {}).items():
        if name in parameters:
            yield Path(fn, (("attr", "__kwdefaults__"), ("item", name)), name), value


def visit_function(found: Discovery, fn: Any, path: Path | None, depth: int) -> None:
    """Follow what `fn` reads: its names (guarded), and the arrays inside them."""
    if id(fn) in found.seen or depth > MAX_DEPTH:
        return
    found.seen.add(id(fn))
    if is_staged(fn):  # a tracegrad staged function (jit, grad...): what it wraps
        visit_function(found, fn.fn, path, depth)
        return
    if isinstance(fn, types.MethodType):
        root = Path(fn, (("attr", "__self__"),), "self")
        visit(found, fn.__self__, root, depth + 1, guarded=False, names=set())
        visit_function(found, fn.__func__, path, depth)
        return
    if hasattr(fn, "func") and hasattr(fn, "keywords"):  # functools.partial
        visit_function(found, fn.func, path, depth)
        return
    try:
        fn = inspect.unwrap(fn)
    except ValueError:
        return
    if not isinstance(fn, types.FunctionType) or library_code(fn.__code__.co_filename):
        return
    names = code_names(fn.__code__)
    for root, value in function_roots(fn):
        visit(found, value, root, depth + 1, guarded=True, names=names)


def visit(
    found: Discovery, value: Any, path: Path, depth: int, guarded: bool, names: set[str]
) -> None:
    """Record `value`, reached by `path`: an array is captured, a named value guarded."""
    found.visited += 1
    if found.visited > MAX_OBJECTS:
        return
    if isinstance(value, np.ndarray):
        found.arrays.setdefault(id(value), (value, path))
        return
    if isinstance(value, types.ModuleType):
        visit_module(found, value, path, depth, names)
        return
    if guarded:
        found.guards.append(Guard(path, value))
    if isinstance(value, IMMUTABLE_SCALARS) or depth > MAX_DEPTH:
        return
    if isinstance(value, RANDOM_STATES):
        found.generators.append(value)
        return
    if id(value) in found.seen:
        return
    if isinstance(value, types.FunctionType | types.MethodType) or is_staged(value):
        visit_function(found, value, path, depth)
        return
    found.seen.add(id(value))
    for key, item, name in contents(value, path.name):
        visit(found, item, path.then(*key, name), depth + 1, guarded=False, names=names)


def visit_module(
    found: Discovery, module: types.ModuleType, path: Path, depth: int, names: set[str]
) -> None:
    """A module is never rebound in practice and holds far too much to follow: only the
    attributes the code names (`config.X`) are followed."""
    if depth > MAX_DEPTH:
        return
    for name in sorted(names):
        attribute = getattr(module, name, MISSING)
        if attribute is not MISSING and not isinstance(attribute, types.ModuleType):
            then = path.then("attr", name, name)
            visit(found, attribute, then, depth + 1, guarded=False, names=names)


def contents(value: Any, name: str) -> Iterator[tuple[tuple[str, Any], Any, str]]:
    """The items of a container, or the attributes of a plain object, with their names."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str | int):
                yield ("item", key), item, f"{name}_{key}"
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield ("item", index), item, f"{name}_{index}"
    elif not isinstance(value, type) and isinstance(getattr(value, "__dict__", None), dict):
        for key, item in vars(value).items():
            yield ("attr", key), item, f"{name}_{key}"


def random_states(found: Discovery) -> list[Any]:
    """The state of NumPy's global generator and of every generator the function reaches."""
    states = [np.random.get_state(legacy=False)]
    states.extend(state_of(g) for g in found.generators)
    return states


def state_of(generator: Any) -> Any:
    if isinstance(generator, np.random.Generator):
        return generator.bit_generator.state
    if isinstance(generator, np.random.RandomState):
        return generator.get_state(legacy=False)
    return generator.state


def same_state(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return (
            isinstance(b, dict) and a.keys() == b.keys() and all(same_state(a[k], b[k]) for k in a)
        )
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and np.array_equal(a, b)
    return bool(a == b)


def restore_states(found: Discovery, states: list[Any]) -> None:
    """Put every generator back as it was before the trace (the user's stream of random
    numbers does not depend on tracegrad tracing)."""
    np.random.set_state(states[0])
    for generator, state in zip(found.generators, states[1:], strict=True):
        if isinstance(generator, np.random.Generator):
            generator.bit_generator.state = state
        elif isinstance(generator, np.random.RandomState):
            generator.set_state(state)
        else:
            generator.state = state
