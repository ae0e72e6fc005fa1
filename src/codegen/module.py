"""Codegen layer: the module around a function's body: its template (header, imports,
signature, return), the arguments' lines, and the syntax check every emitted module passes.
"""

from __future__ import annotations

import functools
import symtable
from typing import TYPE_CHECKING, Any

import jinja2

from ..errors import BackendError
from ..ir.interface import Interface

if TYPE_CHECKING:
    from .emitter import Emitter


@functools.cache
def module_template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("tracegrad.codegen", "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    return environment.get_template("module.py.jinja")


def format_key(key: Any) -> str:
    return f"[{key!r}]"


def input_lines(emitter: Emitter, params: list[str]) -> list[str]:
    """Name each input of the Graph after its argument, and the lines converting those the
    backend converts (`x = float(x)`)."""
    interface, convert = emitter.interface, emitter.backend.convert_input
    graph = emitter.graph
    used = {x for node in graph.nodes for x in node.inputs} | set(graph.outputs)
    lines: list[str] = []
    for var, (position, path) in zip(graph.inputs, interface.input_paths, strict=True):
        param = params[interface.slot(position)]
        if not path:
            emitter.names[var] = param
            converted = convert(var, param)
            if converted is not None and var in used:
                lines.append(f"{param} = {converted}")
            continue
        if var not in used:
            continue
        # A leaf of a pytree argument is read where it is used (`x @ params['W1']`), as
        # one writes it; unless the backend converts it first.
        expression = f"{param}{''.join(map(format_key, path))}"
        converted = convert(var, expression)
        if converted is None:
            emitter.names[var] = expression
            continue
        emitter.names[var] = emitter.fresh(var.hint or "x")
        lines.append(f"{emitter.names[var]} = {converted}")
    return lines


def signature_lines(emitter: Emitter, params: list[str]) -> list[str]:
    """The docstring's account of the signature: each input's type, the static arguments
    and the results' types."""
    graph, interface = emitter.graph, emitter.interface
    lines = []
    for var, (position, path) in zip(graph.inputs, interface.input_paths, strict=True):
        name = params[interface.slot(position)]
        captured = " (captured: read at each call)" if position < 0 else ""
        lines.append(f"{name}{''.join(map(format_key, path))}: {var.type}{captured}")
    lines.extend(f"{name} = {value!r} (static)" for name, value in interface.static)
    results = ", ".join(str(x.type) for x in graph.outputs)
    lines.append(f"returns {results or 'nothing'}")
    return lines


def render_module(
    emitter: Emitter, name: str, params: list[str], body: list[str], result: str
) -> str:
    interface: Interface = emitter.interface
    source = module_template().render(
        name=name,
        title=interface.title or f"`{interface.name}`",
        origin=interface.origin.short if interface.origin else None,
        signature=[*signature_lines(emitter, params), *emitter.backend.notes(emitter.graph)],
        imports=emitter.backend.imports + emitter.backend.extra_imports(emitter.graph),
        constants=emitter.constants,
        params=params,
        body=body,
        result=result,
    )
    check_syntax(source, emitter.backend.name)
    return source


def check_syntax(source: str, backend: str) -> None:
    try:
        # symtable runs Python's own parser, as ast.parse does, without building an `ast`
        # object per node (several times faster, a third less memory).
        symtable.symtable(source, "<tracegrad>", "exec")
    except SyntaxError as error:  # a bug in a rule, never the user's: say so plainly
        raise BackendError(
            f"tracegrad emitted invalid {backend} code "
            f"({error.msg}, line {error.lineno}); please report it"
        ) from None
