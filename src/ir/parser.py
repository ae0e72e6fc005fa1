"""IR layer: reads the printed form of a Graph back (`parse_graph(print_graph(g))` prints as g).

Tests hold IR as text with it; values take their printed names as hints, and locations
keep the file base name and line.
"""

from __future__ import annotations

import ast
import inspect
import math
import re
from typing import Any

import numpy as np

from ..errors import IRError, SourceLoc, TracegradError
from .builder import GraphBuilder
from .core import Graph, Literal, Operand
from .primitive import Primitive, primitives
from .types import DTYPES_BY_NAME, parse_type

HEADER = re.compile(r"^graph (\w+)\((.*)\) \{$")
NESTED_HEADER = re.compile(r"^(\w+) = graph (\w+)\((.*)\) \{$")
LOCATION = re.compile(r"(.*):(\d+)(?: \(([^()]+)\))?")  # model.py:12 (logsumexp_bwd)
NAMED_CONSTANTS = {"nan": math.nan, "inf": math.inf}


def literal_value(text: str) -> Any:
    """A printed value (`2.0`, `-inf`, `(0,1)`, `f32`, `'ij->j'`) as Python data."""
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError:
        raise IRError(f"cannot read the value {text!r}") from None
    return _evaluate(tree, text)


def _evaluate(node: ast.expr, text: str) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Tuple | ast.List):
        items = [_evaluate(e, text) for e in node.elts]
        return tuple(items) if isinstance(node, ast.Tuple) else items
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_evaluate(node.operand, text)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
        left, right = _evaluate(node.left, text), _evaluate(node.right, text)
        return left + right if isinstance(node.op, ast.Add) else left - right
    if isinstance(node, ast.Name):
        if node.id in NAMED_CONSTANTS:
            return NAMED_CONSTANTS[node.id]
        if node.id in DTYPES_BY_NAME:
            return DTYPES_BY_NAME[node.id]
    raise IRError(f"cannot read the value {text!r}")


def parse_literal(text: str) -> Literal:
    if ":" not in text:
        value = literal_value(text)
        if not isinstance(value, bool | int | float | complex):
            raise IRError(f"not a literal: {text!r}")
        return Literal.of(value)
    value_text, _, type_text = text.rpartition(":")
    type_ = parse_type(type_text)
    pattern, paren, argument = value_text.partition("(")
    if value_text in ("zeros", "ones"):
        array = getattr(np, value_text)(type_.shape, type_.dtype)
    elif paren and pattern in ("full", "arange", "eye", "tri", "diagonal"):
        argument = literal_value(argument.removesuffix(")"))
        if pattern == "full":
            array = np.full(type_.shape, argument, type_.dtype)
        elif pattern == "diagonal":
            array = (argument * np.eye(type_.shape[-1])).astype(type_.dtype)
        else:
            array = getattr(np, pattern)(argument, dtype=type_.dtype)
    else:
        array = np.array(literal_value(value_text), dtype=type_.dtype)
    if array.shape != type_.shape:
        raise IRError(f"literal {text!r} does not have the shape its type says")
    return Literal.of(array[()] if type_.ndim == 0 else array)


def parse_graph(text: str) -> Graph:
    """The Graph whose printed form (`str(graph)`) is `text`; raises IRError naming what it
    cannot read. Tests hold IR as text with it. Nested Graphs (the blocks under a control-flow
    node's line) are read recursively, each in a scope of its own."""
    lines = [(number, line) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    header = HEADER.match(lines[0][1].strip()) if lines else None
    if header is None or lines[-1][1].strip() != "}":
        raise IRError("IR text must start with `graph name(...) {` and end with `}`")
    reader = _Reader(lines)
    graph = reader.graph(header.group(1), header.group(2), top=True)
    if reader.position != len(lines):
        number, line = lines[reader.position]
        raise IRError(
            f"line {number}: {line.strip()!r} follows the closing `}}` of graph {graph.name}"
        )
    return graph


class _Reader:
    """Reads graphs from numbered, non-blank lines, one line after the other."""

    def __init__(self, lines: list[tuple[int, str]]):
        self.lines = lines
        self.position = 1  # after the header

    def next_line(self, graph: str) -> tuple[int, str]:
        if self.position >= len(self.lines):
            raise IRError(f"graph {graph} ends without its `return` line and closing `}}`")
        number, line = self.lines[self.position]
        self.position += 1
        return number, line.strip()

    def peek(self) -> str | None:
        return self.lines[self.position][1].strip() if self.position < len(self.lines) else None

    def graph(self, name: str, args: str, top: bool = False) -> Graph:
        builder = GraphBuilder(name)
        env = self.inputs(builder, name, args)

        def operand(token: str) -> Operand:
            if token in env:
                return env[token]
            if re.fullmatch(r"[A-Za-z_]\w*", token) and token not in NAMED_CONSTANTS:
                raise IRError(f"the value {token!r} is used before it is defined")
            return parse_literal(token)

        number, line = self.body(builder, env, operand, name, top)
        outputs = [operand(t.strip()) for t in _split_top_level(line[len("return") :])]
        self.closing_brace(number, name, top)
        return builder.build(outputs)

    def inputs(self, builder: GraphBuilder, name: str, args: str) -> dict[str, Operand]:
        """The header's `name: type` list as graph inputs, by name."""
        env: dict[str, Operand] = {}
        for arg in _split_top_level(args):
            arg_name, _, type_text = arg.partition(": ")
            if arg_name in env:
                raise IRError(f"graph {name} takes two inputs named {arg_name!r}")
            env[arg_name] = builder.add_input(parse_type(type_text), arg_name)
        return env

    def body(
        self, builder: GraphBuilder, env: dict[str, Operand], operand: Any, name: str, top: bool
    ) -> tuple[int, str]:
        """Read node lines up to the `return` line, which it returns with its number."""
        while True:
            number, line = self.next_line(name)
            if line == "return" or line.startswith("return "):
                return number, line
            if line == "}":
                if top:
                    raise IRError("the last line before `}` must be `return ...`")
                raise IRError(f"line {number}: graph {name} ends without a `return` line")
            if NESTED_HEADER.match(line):
                raise IRError(
                    f"line {number}: the nested graph {line!r} does not follow the "
                    "line of a node that takes it"
                )
            self.node(builder, env, operand, number, line)

    def closing_brace(self, number: int, name: str, top: bool) -> None:
        """The `}` right after the return line (number `number`), consumed."""
        closing = self.peek()
        if closing != "}":
            if top:
                raise IRError("the last line before `}` must be `return ...`")
            found = "the end of the text" if closing is None else repr(closing)
            raise IRError(
                f"line {number}: graph {name} must end with `}}` after its return "
                f"line, found {found}"
            )
        self.position += 1

    def node(
        self, builder: GraphBuilder, env: dict[str, Operand], operand: Any, number: int, line: str
    ) -> None:
        body, _, comment = line.partition("#")
        loc = _parse_loc(comment.strip()) if comment else None
        lhs, eq, rhs = body.partition(" = ")
        tokens = rhs.split()
        if not eq or not tokens:
            raise IRError(f"cannot read the IR line {line!r}")
        op = primitives.get(tokens[0])
        if op is None:
            raise IRError(f"unknown primitive {tokens[0]!r} in {line!r}")
        inputs = [operand(t) for t in tokens[1:] if not _is_param(t)]
        params = dict(_parse_param(t) for t in tokens[1:] if _is_param(t))
        graphs = self.nested(op.name, number, params)
        params = _in_rule_order(op, params, graphs, number)
        declared = [d.partition(": ") for d in _split_top_level(lhs.strip())]
        try:
            outputs = builder.bind(op, inputs, params, loc, hints=[name for name, _, _ in declared])
        except ValueError:  # more or fewer names than values: bound without, refused below
            outputs = builder.bind(op, inputs, params, loc)
        if len(declared) != len(outputs):
            raise IRError(f"{op.name} gives {len(outputs)} values, the line names {len(declared)}")
        for (name, _, type_text), var in zip(declared, outputs, strict=True):
            if parse_type(type_text) != var.type:
                raise IRError(f"{name} is declared {type_text} but {op.name} gives {var.type}")
            env[name] = var

    def nested(self, op: str, number: int, params: dict[str, Any]) -> dict[str, Graph]:
        """The nested Graphs printed under the node line `number`, by param name."""
        graphs: dict[str, Graph] = {}
        while (line := self.peek()) is not None and (header := NESTED_HEADER.match(line)):
            key, name, args = header.groups()
            if key in graphs or key in params:
                raise IRError(f"line {number} ({op}) gives {key!r} twice")
            self.position += 1
            try:
                graphs[key] = self.graph(name, args)
            except TracegradError as error:
                raise IRError(
                    f"line {number} ({op}) {key}: {error.message}", hint=error.hint
                ) from None
        return graphs


def _in_rule_order(
    op: Primitive, params: dict[str, Any], graphs: dict[str, Graph], number: int
) -> dict[str, Any]:
    """The inline params and the nested Graphs as one dict, in the order of the type rule's
    parameters (the order the tracer binds them in) where that keeps the inline params in
    their printed order; refuses a param the rule does not take, or a missing one."""
    try:
        signature = inspect.signature(op.type_rule)
    except (TypeError, ValueError):
        return {**params, **graphs}
    accepted = list(signature.parameters.values())[1:]  # the first is the input types
    if any(p.kind is p.VAR_KEYWORD for p in accepted):
        return {**params, **graphs}
    order = [p.name for p in accepted]
    merged = {**params, **graphs}
    for key in merged:
        if key not in order:
            what = "nested graph" if key in graphs else "param"
            raise IRError(
                f"line {number}: {op.name} takes no {what} {key!r} (it takes "
                f"{', '.join(order) or 'none'})"
            )
    for p in accepted:
        if p.name not in merged and p.default is p.empty:
            what = "nested graph" if p.annotation in (Graph, "Graph") else "param"
            raise IRError(f"line {number}: {op.name} needs the {what} {p.name!r}")
    ordered = {key: merged[key] for key in order if key in merged}
    if [key for key in ordered if key in params] != list(params):
        return merged
    return ordered


def _is_param(token: str) -> bool:
    return re.match(r"^[A-Za-z_]\w*=", token) is not None


def _parse_param(token: str) -> tuple[str, Any]:
    key, _, value = token.partition("=")
    return key, literal_value(value)


def _parse_loc(comment: str) -> SourceLoc:
    """`model.py:7`, or `model.py:12 (logsumexp_bwd)` for a line of a custom_vjp rule."""
    located = LOCATION.fullmatch(comment)
    if located is None:
        raise IRError(f"cannot read the location {comment!r}")
    file, line, rule = located.groups()
    return SourceLoc(file, int(line), rule=rule)


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside brackets (types hold commas: f64[3,4])."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += (char in "[(" and 1) or 0
        depth -= (char in "])" and 1) or 0
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current.strip())
    return parts
