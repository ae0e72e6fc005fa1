"""IR layer: reads the printed form of a Graph back (`parse_graph(print_graph(g))` prints as g).

Tests hold IR as text with it; values take their printed names as hints, and locations
keep the file base name and line.
"""

from __future__ import annotations

import ast
import math
import re
from typing import Any

import numpy as np

from ..errors import IRError, SourceLoc
from .builder import GraphBuilder
from .core import Graph, Literal, Operand
from .primitive import primitives
from .types import DTYPES_BY_NAME, parse_type

HEADER = re.compile(r"^graph (\w+)\((.*)\) \{$")
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
    elif paren and pattern in ("full", "arange", "eye"):
        argument = literal_value(argument.removesuffix(")"))
        if pattern == "full":
            array = np.full(type_.shape, argument, type_.dtype)
        else:
            array = getattr(np, pattern)(argument, dtype=type_.dtype)
    else:
        array = np.array(literal_value(value_text), dtype=type_.dtype)
    if array.shape != type_.shape:
        raise IRError(f"literal {text!r} does not have the shape its type says")
    return Literal.of(array[()] if type_.ndim == 0 else array)


def parse_graph(text: str) -> Graph:
    """The Graph whose printed form (`str(graph)`) is `text`; raises IRError naming what it
    cannot read. Tests hold IR as text with it."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    header = HEADER.match(lines[0].strip()) if lines else None
    if header is None or lines[-1].strip() != "}":
        raise IRError("IR text must start with `graph name(...) {` and end with `}`")
    builder = GraphBuilder(header.group(1))
    env: dict[str, Operand] = {}
    for arg in _split_top_level(header.group(2)):
        name, _, type_text = arg.partition(": ")
        env[name] = builder.add_input(parse_type(type_text), name)

    def operand(token: str) -> Operand:
        if token in env:
            return env[token]
        if re.fullmatch(r"[A-Za-z_]\w*", token) and token not in NAMED_CONSTANTS:
            raise IRError(f"the value {token!r} is used before it is defined")
        return parse_literal(token)

    for line in lines[1:-2]:
        body, _, comment = line.partition("#")
        loc = _parse_loc(comment.strip()) if comment else None
        lhs, eq, rhs = body.partition(" = ")
        tokens = rhs.split()
        if not eq or not tokens:
            raise IRError(f"cannot read the IR line {line.strip()!r}")
        op = primitives.get(tokens[0])
        if op is None:
            raise IRError(f"unknown primitive {tokens[0]!r} in {line.strip()!r}")
        inputs = [operand(t) for t in tokens[1:] if not _is_param(t)]
        params = dict(_parse_param(t) for t in tokens[1:] if _is_param(t))
        declared = [d.partition(": ") for d in _split_top_level(lhs.strip())]
        outputs = builder.bind(op, inputs, params, loc, hints=[name for name, _, _ in declared])
        if len(declared) != len(outputs):
            raise IRError(f"{op.name} gives {len(outputs)} values, the line names {len(declared)}")
        for (name, _, type_text), var in zip(declared, outputs, strict=True):
            if parse_type(type_text) != var.type:
                raise IRError(f"{name} is declared {type_text} but {op.name} gives {var.type}")
            env[name] = var
    return_line = lines[-2].strip()
    if not return_line.startswith("return "):
        raise IRError("the last line before `}` must be `return ...`")
    outputs = [operand(t.strip()) for t in _split_top_level(return_line[len("return ") :])]
    return builder.build(outputs)


def _is_param(token: str) -> bool:
    return re.match(r"^[A-Za-z_]\w*=", token) is not None


def _parse_param(token: str) -> tuple[str, Any]:
    key, _, value = token.partition("=")
    return key, literal_value(value)


def _parse_loc(comment: str) -> SourceLoc:
    file, _, line = comment.rpartition(":")
    if not line.isdigit():
        raise IRError(f"cannot read the location {comment!r}")
    return SourceLoc(file, int(line))


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
