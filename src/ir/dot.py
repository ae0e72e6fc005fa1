"""IR layer: a Graph as a picture, in Graphviz DOT text; `render` turns the text into SVG or PNG.

One box per input and per output, one ellipse per node (its primitive, params and output
types), one small plain label per literal operand, and one edge per use of a value, labelled
with the value's name where it has one (a user's variable, or a cotangent `d_h`) or where its
node gives several values. A control-flow node is one ellipse too, titled with its primitive
and the names of its nested Graphs (`scan step`, `cond true_branch|false_branch`); the
nested Graphs themselves are not drawn (print the Graph to read them). In an
adjoint Graph the backward pass is coloured apart from the primal it replays, as micrograd's
`draw_dot` shows `grad` beside `data`.

Which nodes are the backward pass. Reverse mode writes the adjoint as a replay of the primal
followed by the backward pass, and leaves no mark in the Graph saying where one ends, so:

- given the primal Graph (`graph.to_dot(primal=tracegrad.trace(f, *args))`), a node is
  primal exactly when it computes a value the primal computes: the same primitive with the
  same params applied to the same values (inputs matched by position, literals by value).
  Every other node is the backward pass.
- without it, the Graph alone is read: the cotangents are the nodes the AD pass named
  `d_<value>` (recorded at the user's line with its assignment target removed, so a user's
  own `d_x = ...` is not one); the backward pass is the cotangents, every node that reads a
  backward value, and every later node that only the backward pass reads (`1 - h * h`,
  `W.T`). A helper the backward pass computes before its first cotangent (the `x * 2` of
  `x ** 2`) has nothing to tell it from the primal and shows as primal; pass `primal=` for
  the exact split.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import TracegradError
from .core import Graph, Literal, Node, Operand, Var
from .naming import name_values
from .primitives.control import nested_graphs
from .printer import format_literal, format_param, print_graph

PRIMAL_COLOUR = "#d6e6f5"  # light blue
BACKWARD_COLOUR = "#fbd5ad"  # light orange
INPUT_COLOUR = "#eeeeee"
OUTPUT_COLOUR = "#ddeecc"
LITERAL_LIMIT = 24  # characters of a literal shown before it is cut with "..."
PARAMS_LIMIT = 40
FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}


def quote(text: str) -> str:
    """A DOT string: backslashes and quotes escaped, newlines as DOT's centred `\\n`."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_cotangent(node: Node) -> bool:
    """A value reverse mode named `d_...`: the AD pass drops the user's assignment target from
    the lines it records at, so a user's own `d_x = ...` (target kept) does not count."""
    named = any((v.hint or "").startswith("d_") for v in node.outputs)
    return named and (node.loc is None or node.loc.target is None)


def backward_by_names(graph: Graph) -> set[Node]:
    """The backward pass as the Graph alone shows it (see the module docstring)."""
    backward: set[Node] = set()
    backward_values: set[Var] = set()
    first = None
    for i, node in enumerate(graph.nodes):
        reads_backward = any(isinstance(x, Var) and x in backward_values for x in node.inputs)
        if is_cotangent(node) or reads_backward:
            backward.add(node)
            backward_values.update(node.outputs)
            first = i if first is None else first
    if first is None:
        return backward
    readers: dict[Var, list[Node]] = {}
    for node in graph.nodes:
        for x in node.inputs:
            if isinstance(x, Var):
                readers.setdefault(x, []).append(node)
    returned = {x for x in graph.outputs if isinstance(x, Var)}
    # Readers come later in topological order, so walking backwards sees them decided first.
    for node in reversed(graph.nodes[first:]):
        if node in backward or any(v in returned for v in node.outputs):
            continue
        if all(reader in backward for v in node.outputs for reader in readers.get(v, ())):
            backward.add(node)
    return backward


def backward_by_primal(graph: Graph, primal: Graph) -> set[Node]:
    """The nodes of `graph` that compute no value `primal` computes (see the module docstring).

    Values are numbered by structure, so the same computation gets the same number in both
    graphs. The primal is also compared as reverse mode and the optimizer rewrite it, since
    the replay in an optimized adjoint went through the same passes."""
    from .passes import optimize, prepare_for_differentiation

    check_primal_inputs(graph, primal)
    numbers: dict[object, int] = {}  # shared: equal structures get equal numbers in all graphs
    prepared = prepare_for_differentiation(primal)
    primal_keys: set[object] = set()
    for version in (primal, prepared, optimize(prepared)):
        primal_keys.update(structural_keys(version, numbers).values())
    keys = structural_keys(graph, numbers)
    return {node for node, key in keys.items() if key not in primal_keys}


def check_primal_inputs(graph: Graph, primal: Graph) -> None:
    """The primal must take (a prefix of) the inputs of `graph`, with the same types."""
    if len(primal.inputs) > len(graph.inputs) or any(
        p.type != a.type for p, a in zip(primal.inputs, graph.inputs, strict=False)
    ):
        primal_types = ", ".join(str(t) for t in primal.input_types)
        graph_types = ", ".join(str(t) for t in graph.input_types)
        raise TracegradError(
            f"the primal {primal.name}({primal_types}) does not take the inputs of "
            f"{graph.name}({graph_types})",
            hint="pass the primal traced with the same arguments: "
            "tracegrad.trace(f, *args) for tracegrad.grad(f).ir(*args)",
        )


def structural_keys(graph: Graph, numbers: dict[object, int]) -> dict[Node, object]:
    """Each node's key (primitive, params, operands' value numbers); `numbers` gives each
    structure (an input's position, a node's key and output index) its value number."""
    value_number: dict[Var, int] = {
        v: numbers.setdefault(("input", i), len(numbers)) for i, v in enumerate(graph.inputs)
    }

    def operand_key(x: Operand) -> object:
        if isinstance(x, Literal):
            return ("literal", format_literal(x))
        return value_number[x]

    keys: dict[Node, object] = {}
    for node in graph.nodes:
        params = tuple(
            (k, print_graph(v) if isinstance(v, Graph) else format_param(v))
            for k, v in node.params.items()
        )
        key = (node.op.name, params, tuple(operand_key(x) for x in node.inputs))
        keys[node] = key
        for j, v in enumerate(node.outputs):
            value_number[v] = numbers.setdefault((key, j), len(numbers))
    return keys


def node_title(node: Node) -> str:
    """The primitive, and the names of the nested Graphs a control-flow node holds."""
    graphs = nested_graphs(node.params)
    if not graphs:
        return node.op.name
    return f"{node.op.name} " + "|".join(nested.name for _, nested in graphs)


def node_attributes(node: Node, in_backward: bool) -> str:
    """The DOT attributes of one node's box: title, inline params, output types, colour, loc."""
    text = node_title(node)
    inline = [(k, v) for k, v in node.params.items() if not isinstance(v, Graph)]
    if inline:
        params = " ".join(f"{k}={format_param(v)}" for k, v in inline)
        text += "\n" + shorten(params, PARAMS_LIMIT)
    text += "\n" + ", ".join(str(v.type) for v in node.outputs)
    colour = BACKWARD_COLOUR if in_backward else PRIMAL_COLOUR
    attributes = f'label={quote(text)}, fillcolor="{colour}"'
    if node.loc is not None:
        where = f"{node.loc.short}: {node.loc.text.strip()}" if node.loc.text else node.loc.short
        attributes += f", tooltip={quote(where)}"
    return attributes


def header_lines(name: str, has_backward: bool) -> list[str]:
    """The DOT lines that open the graph: its title, and the default node and edge styles."""
    title = name + (": primal (blue), backward pass (orange)" if has_backward else "")
    return [
        f"digraph {quote(name)} {{",
        f"  graph [label={quote(title)}, labelloc=t, fontname=Helvetica, fontsize=12];",
        "  node [fontname=Helvetica, fontsize=10, style=filled];",
        "  edge [fontname=Helvetica, fontsize=9];",
    ]


def literal_lines(x: Literal, literal_id: str, target: str) -> list[str]:
    """A constant operand: its own plain-text box (each use gets one) and its edge."""
    text = shorten(format_literal(x), LITERAL_LIMIT)
    return [
        f"  {literal_id} [label={quote(text)}, shape=plaintext, style=solid, fontcolor=gray35];",
        f"  {literal_id} -> {target};",
    ]


def input_box(i: int, name: str, var: Var) -> str:
    """The box of the function's i-th parameter."""
    label = quote(f"{name}\n{var.type}")
    return f'  in{i} [label={label}, shape=box, fillcolor="{INPUT_COLOUR}"];'


def output_box(i: int, x: Operand, count: int) -> str:
    """The box of the function's i-th returned value (of `count`)."""
    label = quote(f"return {i}\n{x.type}" if count > 1 else f"return\n{x.type}")
    return f'  out{i} [label={label}, shape=box, peripheries=2, fillcolor="{OUTPUT_COLOUR}"];'


def graph_to_dot(graph: Graph, primal: Graph | None = None) -> str:
    """The DOT text of `graph`; deterministic (the same Graph always gives the same text)."""
    names = name_values(graph)
    backward = backward_by_names(graph) if primal is None else backward_by_primal(graph, primal)
    lines = header_lines(graph.name, bool(backward))
    several = {v for node in graph.nodes if len(node.outputs) > 1 for v in node.outputs}
    edges = Edges(lines, names, several)
    for i, var in enumerate(graph.inputs):
        edges.source[var] = f"in{i}"
        lines.append(input_box(i, names[var], var))
    for i, node in enumerate(graph.nodes):
        node_id = f"n{i}"
        lines.append(f"  {node_id} [{node_attributes(node, node in backward)}];")
        for x in node.inputs:
            edges.add(x, node_id)
        for var in node.outputs:
            edges.source[var] = node_id
    for i, x in enumerate(graph.outputs):
        lines.append(output_box(i, x, len(graph.outputs)))
        edges.add(x, f"out{i}")
    lines.append("}")
    return "\n".join(lines) + "\n"


class Edges:
    """Writes the edges into `lines`: from the box that made a value (`source`, filled as the
    boxes are written), or from a new constant box per literal use (`c0`, `c1`, ...)."""

    def __init__(self, lines: list[str], names: dict[Var, str], several: set[Var]):
        self.lines, self.names, self.several = lines, names, several
        self.source: dict[Var, str] = {}
        self.literals = 0

    def add(self, x: Operand, target: str) -> None:
        if isinstance(x, Literal):
            self.lines.extend(literal_lines(x, f"c{self.literals}", target))
            self.literals += 1
            return
        # Named values, and the outputs of a node with several, say which value flows.
        shown = x.hint is not None or x in self.several
        label = f" [label={quote(self.names[x])}]" if shown else ""
        self.lines.append(f"  {self.source[x]} -> {target}{label};")


def render(dot: str, path: str | os.PathLike[str]) -> Path:
    """Write DOT text to `path` as SVG, PNG or PDF (by its suffix; `.dot`/`.gv` write the text
    itself), with the Python package `graphviz` and Graphviz's `dot` program."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".dot", ".gv"):
        path.write_text(dot)
        return path
    if suffix not in FORMATS:
        raise TracegradError(
            f"cannot tell which picture to write from the suffix of {str(path)!r}",
            hint="name the file .svg, .png or .pdf (or .dot for the DOT text itself)",
        )
    path.write_bytes(picture_of(dot, FORMATS[suffix]))
    return path


def picture_of(dot: str, format_: str) -> bytes:
    """DOT text drawn by Graphviz, each way it can fail said as such."""
    try:
        import graphviz
    except ImportError:
        raise TracegradError(
            "drawing a graph needs the Python package graphviz, which is not installed",
            hint="pip install graphviz (or pip install 'tracegrad[viz]'), and the Graphviz "
            "programs: apt-get install graphviz, or brew install graphviz",
        ) from None
    try:
        return graphviz.Source(dot).pipe(format=format_)
    except graphviz.ExecutableNotFound:
        raise TracegradError(
            "drawing a graph needs Graphviz's `dot` program, which is not on the PATH",
            hint="install Graphviz: apt-get install graphviz (Debian, Ubuntu), brew install "
            "graphviz (macOS), or conda install graphviz; or write the DOT text with "
            "graph.to_dot()",
        ) from None
    except graphviz.CalledProcessError as error:
        stderr = error.stderr.decode(errors="replace").strip() if error.stderr else ""
        raise TracegradError(
            f"Graphviz's dot failed: {stderr or error}", hint="please report it, with the graph"
        ) from None
