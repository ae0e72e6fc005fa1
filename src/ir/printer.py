"""IR layer: the printed form of a Graph, one line per node; `parser.py` reads it back.

    graph loss(W: f64[3,4], x: f64[8,3]) {
      a: f64[8,4] = matmul x W  # model.py:7
      l: f64[] = sum a axis=(0,1) keepdims=False
      return l
    }

Literals print inline: Python scalars as themselves (`2.0`, weak), NumPy scalars with their
type (`2.0:f32`), arrays by pattern or element by element (`arange(8):i64[8]`).

A control-flow node's nested Graphs print as blocks under its line, two spaces deeper, after
its other params (which stay inline); each nested Graph names its values in a scope of its
own (it reads nothing but its inputs):

      h: f64[3], hs: f64[5,3] = scan W U zeros:f64[3] xs length=5 reverse=False ...
        body = graph step(W: f64[3,3], U: f64[2,3], h: f64[3], x: f64[2]) {
          ...
          return h_1, h_1
        }
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .constants import describe_constant, format_nested, format_number
from .core import Graph, Literal, Operand, Var
from .naming import name_values
from .primitives.control import nested_graphs
from .types import DTYPE_NAMES, dtype_name

COMMENT_COLUMN = 48


def format_literal(literal: Literal) -> str:
    if literal.type.weak:
        return format_number(literal.value)
    if literal.type.ndim == 0:
        return f"{format_number(literal.value.item())}:{literal.type}"
    pattern = describe_constant(literal.value)
    if pattern.kind in ("zeros", "ones"):
        text = pattern.kind
    elif pattern.kind == "array":
        text = format_nested(pattern.argument)
    else:
        text = f"{pattern.kind}({format_number(pattern.argument)})"
    return f"{text}:{literal.type}"


def format_param(value: Any) -> str:
    """A param value as text without spaces: ints, bools, None, strings, dtypes, tuples."""
    if isinstance(value, tuple):
        inner = ",".join(format_param(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, np.dtype):
        return dtype_name(value)
    if isinstance(value, type) and np.dtype(value) in DTYPE_NAMES:
        return dtype_name(np.dtype(value))
    if isinstance(value, str):
        return repr(value)
    return format_number(value)


def print_graph(graph: Graph) -> str:
    return "\n".join(graph_lines(graph))


def graph_lines(graph: Graph, indent: str = "", prefix: str = "") -> list[str]:
    """The lines of `graph`, its header `{indent}{prefix}graph ...`, each nested Graph a block
    two spaces deeper than the node that holds it."""
    names = name_values(graph)

    def operand(x: Operand) -> str:
        return names[x] if isinstance(x, Var) else format_literal(x)

    args = ", ".join(f"{names[v]}: {v.type}" for v in graph.inputs)
    lines = [f"{indent}{prefix}graph {graph.name}({args}) {{"]
    for node in graph.nodes:
        graphs = nested_graphs(node.params)
        outputs = ", ".join(f"{names[v]}: {v.type}" for v in node.outputs)
        parts = [f"{outputs} = {node.op.name}"]
        parts += [operand(x) for x in node.inputs]
        parts += [
            f"{key}={format_param(value)}"
            for key, value in node.params.items()
            if not isinstance(value, Graph)
        ]
        line = f"{indent}  " + " ".join(parts)
        if node.loc is not None:
            line = f"{line.ljust(COMMENT_COLUMN + len(indent))}  # {node.loc.short}"
        lines.append(line)
        for key, nested in graphs:
            lines += graph_lines(nested, indent + "    ", f"{key} = ")
    lines.append(f"{indent}  return " + ", ".join(operand(x) for x in graph.outputs))
    lines.append(f"{indent}}}")
    return lines
