"""IR layer: how a flat Graph meets the user's function, as plain data.

A Graph takes and returns flat lists of values; the user's function takes parameters that
may be pytrees (nested tuples, lists and dicts) and returns one. The backends read this to
emit a function with the user's own signature and result structure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import SourceLoc

# A key path into a pytree parameter: dict keys and sequence positions, outermost first.
KeyPath = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Interface:
    name: str  # the user's function name
    params: tuple[str, ...]  # the traced (non-static) parameters, in call order
    # For each graph input: which parameter holds it and where inside that parameter.
    input_paths: tuple[tuple[int, KeyPath], ...]
    # The result's structure: nested tuples, lists and dicts (and None) whose leaves are
    # ints, each the position of a graph output.
    output_tree: Any
    origin: SourceLoc | None = None  # where the user's function is defined
    static: tuple[tuple[str, Any], ...] = ()  # static parameters and the values baked in
    # Each parameter's structure, leaves replaced by graph input positions (like output_tree).
    input_trees: tuple[Any, ...] = ()
    title: str = ""  # what the module computes, for its header; the function name if empty
    # Per graph output, whether NumPy returns it as a scalar or a 0-d array (result_kinds.py);
    # empty: as the emitted code computes it.
    result_kinds: tuple[str, ...] = ()
    # Arrays the function reads besides its arguments (closure, globals, defaults, `self`):
    # the emitted function takes them after its parameters, and an input at position -1 - k
    # of input_paths is captured[k]. `state` is how the runtime reads them at each call and
    # the guards on the names the code reads (the tracer's CapturedState; opaque here).
    captured: tuple[str, ...] = ()
    state: Any = None

    @property
    def signature(self) -> tuple[str, ...]:
        """The emitted function's parameters: the traced ones, then the captured arrays."""
        return (*self.params, *self.captured)

    def slot(self, position: int) -> int:
        """Where an input's parameter `position` (from input_paths) is in `signature`."""
        return position if position >= 0 else len(self.params) - 1 - position


def map_tree(tree: Any, fn: Callable[[int], Any]) -> Any:
    """Apply `fn` to every int leaf of a tree of tuples, lists, dicts and None."""
    if isinstance(tree, int):
        return fn(tree)
    if tree is None:
        return None
    if isinstance(tree, dict):
        return {key: map_tree(value, fn) for key, value in tree.items()}
    mapped = [map_tree(value, fn) for value in tree]
    return tuple(mapped) if isinstance(tree, tuple) else mapped


def tree_indices(tree: Any) -> list[int]:
    """The int leaves of a tree, in order."""
    found: list[int] = []
    map_tree(tree, found.append)
    return found


def flat_interface(name: str, n_inputs: int, n_outputs: int) -> Interface:
    """The interface of a bare Graph: one parameter per input, outputs as a tuple."""
    tree = 0 if n_outputs == 1 else tuple(range(n_outputs))
    return Interface(
        name,
        tuple(f"x{i}" for i in range(n_inputs)),
        tuple((i, ()) for i in range(n_inputs)),
        tree,
        input_trees=tuple(range(n_inputs)),
    )


def with_result(interface: Interface, name: str, result: Any, title: str) -> Interface:
    """A derived function's interface (a gradient, a Jacobian): the same parameters, input
    structure, origin and captured state as `interface`, returning `result`."""
    return Interface(
        name,
        interface.params,
        interface.input_paths,
        result,
        interface.origin,
        interface.static,
        interface.input_trees,
        title=title,
        captured=interface.captured,
        state=interface.state,
    )
