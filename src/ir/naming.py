"""IR layer: readable, unique, legal names for values, shared by the printer and the backends.

A value is called after the user's variable where known (`h`), else after its operation
(`tanh`); repeats get a counter (`h_1`). Names never shadow a keyword, a builtin or a module
the emitted code imports.
"""

from __future__ import annotations

import builtins
import keyword
import re

from .core import Graph, Var

RESERVED = frozenset(keyword.kwlist) | frozenset(dir(builtins)) | {"np", "jnp", "jax", "lax"}


class Namespace:
    """Hands out unique identifiers in the order asked, so names are deterministic."""

    def __init__(self, reserved: frozenset[str] = RESERVED):
        self.taken: set[str] = set(reserved)
        self.counters: dict[str, int] = {}

    def fresh(self, base: str) -> str:
        base = re.sub(r"\W", "_", base) or "v"
        if base[0].isdigit():
            base = f"v{base}"
        if base not in self.taken:
            self.taken.add(base)
            return base
        count = self.counters.get(base, 0)
        while True:
            count += 1
            name = f"{base}_{count}"
            if name not in self.taken:
                self.counters[base] = count
                self.taken.add(name)
                return name


def function_name(name: str) -> str:
    """The name an emitted module gives its function for the user's `name`: the first name a
    fresh Namespace hands out, so `max` (a builtin) becomes `max_1` and the loader finds it."""
    return Namespace().fresh(name)


def name_values(graph: Graph, namespace: Namespace | None = None) -> dict[Var, str]:
    """A name for every Var of the graph: inputs first, then outputs of nodes in order."""
    namespace = namespace or Namespace()
    names: dict[Var, str] = {}
    for var in graph.inputs:
        names[var] = namespace.fresh(var.hint or "x")
    for node in graph.nodes:
        for var in node.outputs:
            names[var] = namespace.fresh(var.hint or node.op.name)
    return names
