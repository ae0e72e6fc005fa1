"""Codegen layer: turns a Graph into a Python module, one line per node, for any backend.

A backend is a table of small format functions (one per primitive) plus how it writes
literals; the Emitter owns names, lines, hoisted constants and the module template.
Output is deterministic: the same Graph and Interface always give the same text.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jinja2

from ..errors import BackendError
from ..ir import Graph, Literal, Node, Var
from ..ir.interface import Interface, flat_interface
from ..ir.naming import Namespace
from ..ir.passes.memory import MemoryPlan
from ..ir.primitive import Group, Primitive, primitives

# One emission rule: the node and its operands already written as expressions. It returns
# the expression of the node's value or, for a node that takes statements (a scatter fills a
# buffer in place), the lines themselves, with `{out}` standing for the output's name.
EmitRule = Callable[[Node, list[str]], "str | list[str]"]

# Constants longer than this are hoisted out of the function body to module level.
INLINE_CONSTANT_LIMIT = 60


@dataclass(frozen=True, slots=True)
class Backend:
    name: str
    imports: tuple[str, ...]
    rules: dict[Primitive, EmitRule]
    literal: Callable[[Literal], str]  # a literal as an expression
    # The values the emitted code holds as read-only views (returned, they are copied).
    read_only_views: Callable[[Graph], set[Var]] = lambda graph: set()
    # NumPy arrays can be written to, so a result that is an argument or a module constant
    # is returned as a copy; immutable arrays (JAX's) are returned as they are.
    mutable_arrays: bool = True
    # Header lines a reader needs before running the module (how to call it).
    notes: Callable[[Graph], list[str]] = lambda graph: []
    # Mutable backends: which buffers a node may write into, and which names to delete.
    plan_memory: Callable[[Graph], MemoryPlan] | None = None
    # The node's value written into the buffer named by the last argument (`out=`).
    write_into: Callable[[Node, list[str], str], str] | None = None
    # How an argument becomes the value the body computes with (`float(x)`), if it must.
    convert_input: Callable[[Var, str], str | None] = lambda var, expression: None
    # Which values read once may be written into their reader (`(x @ W) + b`), one level
    # deep, instead of a line of their own; None: every value gets its line.
    inline_single_use: Callable[[Var], bool] | None = None
    # How a result is handed back (`np.float64(d_x)`), if not as it is.
    wrap_result: Callable[[Var | Literal, str], str] = lambda output, expression: expression


def build_rules(group_rules: dict[Group, Callable[[Primitive], EmitRule]],
                special_rules: dict[str, EmitRule]) -> dict[Primitive, EmitRule]:
    """A backend's table: the rule named for a primitive, else its group's rule."""
    rules: dict[Primitive, EmitRule] = {}
    for name, op in primitives.items():
        if name in special_rules:
            rules[op] = special_rules[name]
        elif op.group in group_rules:
            rules[op] = group_rules[op.group](op)
    return rules


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


def atom(expression: str) -> str:
    """Parenthesise a negative number so it can stand next to an operator (`x ** (-2.0)`)."""
    return f"({expression})" if expression.startswith("-") else expression


def format_key(key: Any) -> str:
    return f"[{key!r}]"


def use_counts(graph: Graph) -> dict[Var, int]:
    """How many times each value is read by a node (a node reading it twice counts two)."""
    uses: dict[Var, int] = {}
    for node in graph.nodes:
        for x in node.inputs:
            if isinstance(x, Var):
                uses[x] = uses.get(x, 0) + 1
    return uses


def inlined_views(graph: Graph) -> set[Var]:
    """Transposes read once are written where they are read (`d_h @ W.T`), as one writes
    them by hand: a line of their own would only name a view."""
    uses, outputs = use_counts(graph), set(graph.outputs)
    return {node.out for node in graph.nodes
            if node.op.name == "transpose" and uses.get(node.out) == 1
            and node.out not in outputs}


def single_use(graph: Graph) -> set[Var]:
    outputs = set(graph.outputs)
    return {var for var, n in use_counts(graph).items() if n == 1 and var not in outputs}


def unwrap(text: str, wrapped: str, inner: str) -> str:
    """`text` with `wrapped` (`(a + b)`) unwrapped wherever it is a whole argument, list
    item or subscript: after `(`, `[` or `, ` and before `)`, `]` or `,`."""
    if wrapped not in text:
        return text
    for before in ("(", "[", ", "):
        for after in (")", "]", ","):
            text = text.replace(before + wrapped + after, before + inner + after)
    return text


def stands_alone(expression: str) -> bool:
    """True for what needs no parentheses inside another expression: a name, an attribute, a
    subscript (`params['W1']`) or a call (`math.cos(y)`, `h.sum(axis=0)`)."""
    head, paren, _ = expression.partition("(")
    if paren:
        return (head.replace(".", "").isidentifier() and expression.endswith(")")
                and expression.count("(") == 1)
    return " " not in expression and not expression.startswith("-")


class Emitter:
    def __init__(self, graph: Graph, interface: Interface | None, backend: Backend):
        self.graph = graph
        self.interface = interface or flat_interface(
            graph.name, len(graph.inputs), len(graph.outputs)
        )
        self.backend = backend
        self.namespace = Namespace()
        self.names: dict[Var, str] = {}
        self.constants: list[str] = []
        self.hoisted: dict[int, str] = {}
        self.plan = backend.plan_memory(graph) if backend.plan_memory else MemoryPlan()
        self.inlined = inlined_views(graph)
        self.single_use = self.inlinable()
        self.nested: set[Var] = set()  # values written into a reader, not named

    def inlinable(self) -> set[Var]:
        """Values read once that can be written into their reader: the backend allows it,
        the reader's rule writes that operand exactly once (so nothing is computed twice),
        and no name the value reads is deleted before the reader runs."""
        allowed = self.backend.inline_single_use
        if allowed is None:
            return set()
        nodes = self.graph.nodes
        producer = {node.out: (i, node) for i, node in enumerate(nodes)
                    if len(node.outputs) == 1}
        deleted_at = {v: i for i, node in enumerate(nodes) for v in self.plan.frees.get(node, ())}
        candidates = single_use(self.graph)
        found: set[Var] = set()
        for k, reader in enumerate(nodes):
            slots = [f"\x00{j}\x00" for j in range(len(reader.inputs))]
            rule = self.backend.rules.get(reader.op)
            if rule is None:
                continue
            text = rule(reader, slots)
            text = text if isinstance(text, str) else "\n".join(text)
            for x, slot in zip(reader.inputs, slots, strict=True):
                if x not in candidates or x not in producer or not allowed(x):
                    continue
                i, node = producer[x]
                if text.count(slot) != 1 or node.out in self.plan.reuse.values():
                    continue
                # Moved to its reader, it must still read what it read: no name it reads is
                # deleted and no buffer is written into (`out=`) in between.
                overwritten = any(nodes[m] in self.plan.reuse for m in range(i + 1, k))
                if not overwritten and all(deleted_at.get(v, len(nodes)) >= k
                                           for v in node.inputs if isinstance(v, Var)):
                    found.add(x)
        return found

    def operand(self, x: Var | Literal) -> str:
        if isinstance(x, Var):
            return self.names[x]
        expression = self.backend.literal(x)
        if len(expression) <= INLINE_CONSTANT_LIMIT:
            return expression
        if id(x) not in self.hoisted:
            name = self.namespace.fresh("CONSTANT")
            self.constants.append(f"{name} = {expression}")
            self.hoisted[id(x)] = name
        return self.hoisted[id(x)]

    def emit(self) -> str:
        interface = self.interface
        function_name = self.namespace.fresh(interface.name)
        params = [self.namespace.fresh(p) for p in interface.params]
        body: list[str] = []
        used = {x for node in self.graph.nodes for x in node.inputs} | set(self.graph.outputs)
        for var, (position, path) in zip(self.graph.inputs, interface.input_paths, strict=True):
            if not path:
                self.names[var] = params[position]
                converted = self.backend.convert_input(var, params[position])
                if converted is not None and var in used:
                    body.append(f"{params[position]} = {converted}")
                continue
            if var not in used:
                continue
            # A leaf of a pytree argument is read where it is used (`x @ params['W1']`), as
            # one writes it; unless the backend converts it first.
            expression = f"{params[position]}{''.join(map(format_key, path))}"
            converted = self.backend.convert_input(var, expression)
            if converted is None:
                self.names[var] = expression
                continue
            self.names[var] = self.namespace.fresh(var.hint or "x")
            body.append(f"{self.names[var]} = {converted}")
        for node in self.graph.nodes:
            body.extend(self.node_lines(node))
        source = module_template().render(
            name=function_name,
            title=interface.title or f"`{interface.name}`",
            origin=interface.origin.short if interface.origin else None,
            signature=[*self.signature_lines(params), *self.backend.notes(self.graph)],
            imports=self.backend.imports,
            constants=self.constants,
            params=params,
            body=body,
            result=self.result(interface.output_tree, top=True),
        )
        try:
            ast.parse(source)
        except SyntaxError as error:  # a bug in a rule, never the user's: say so plainly
            raise BackendError(f"tracegrad emitted invalid {self.backend.name} code "
                               f"({error.msg}, line {error.lineno}); please report it") from None
        return source

    def node_lines(self, node: Node) -> list[str]:
        rule = self.backend.rules.get(node.op)
        if rule is None:
            raise BackendError(f"the {self.backend.name} backend has no rule for {node.op.name}")
        args = [self.operand(x) for x in node.inputs]
        if node.out in self.inlined:  # read where it is used: `x @ W.T`
            self.names[node.out] = rule(node, args)  # type: ignore[assignment]
            return []
        if (node.out in self.single_use and len(node.outputs) == 1
                and not any(x in self.nested for x in node.inputs)):
            expression = rule(node, args)
            if isinstance(expression, str) and node not in self.plan.reuse:
                self.names[node.out] = expression if stands_alone(expression) \
                    else f"({expression})"
                self.nested.add(node.out)
                return []
        into = self.plan.reuse.get(node)
        if into is not None and self.backend.write_into is not None:
            emitted: str | list[str] = self.backend.write_into(node, args, self.names[into])
        else:
            emitted = rule(node, args)
        emitted = self.unwrap_arguments(node, emitted)
        for var in node.outputs:
            self.names[var] = self.namespace.fresh(var.hint or node.op.name)
        targets = ", ".join(self.names[v] for v in node.outputs)
        if isinstance(emitted, str):
            lines = [f"{targets} = {emitted}"]
        else:
            lines = [line.replace("{out}", targets) for line in emitted]
        if node.loc is not None:
            lines = [f"{line}  # {node.loc.short}" for line in lines]
        freed = [self.names[v] for v in self.plan.frees.get(node, ())
                 if v not in self.inlined and v not in self.nested]
        if freed:
            lines.append(f"del {', '.join(freed)}")
        return lines

    def unwrap_arguments(self, node: Node, emitted: str | list[str]) -> str | list[str]:
        """`np.tanh(h @ W)`, not `np.tanh((h @ W))`: a value written into its reader keeps
        its parentheses only where an operator is next to it."""
        for x in dict.fromkeys(node.inputs):
            name = self.names.get(x) if x in self.nested else None
            if name is None or not name.startswith("("):
                continue
            inner = name[1:-1]
            if isinstance(emitted, str):
                emitted = unwrap(emitted, name, inner)
            else:
                emitted = [unwrap(line, name, inner) for line in emitted]
        return emitted

    def result(self, tree: Any, top: bool = False) -> str:
        if isinstance(tree, int):
            output = self.graph.outputs[tree]
            expression = self.backend.wrap_result(output, self.operand(output))
            if not self.backend.mutable_arrays:
                return expression
            if isinstance(output, Literal) and expression in self.hoisted.values():
                expression += ".copy()"  # never hand the caller our module-level constant
            elif output in self.backend.read_only_views(self.graph):
                expression += ".copy()"  # a result the caller cannot write to would surprise
            elif output in self.graph.inputs and not output.type.weak:
                expression += ".copy()"  # a result must not alias the caller's argument
            return expression
        if tree is None:
            return "None"
        if isinstance(tree, dict):
            items = ", ".join(f"{k!r}: {self.result(v)}" for k, v in tree.items())
            return f"{{{items}}}"
        items = [self.result(v) for v in tree]
        if isinstance(tree, list):
            return f"[{', '.join(items)}]"
        if len(items) == 1:
            return f"({items[0]},)"
        return ", ".join(items) if top and items else f"({', '.join(items)})"

    def signature_lines(self, params: list[str]) -> list[str]:
        lines = []
        for var, (position, path) in zip(self.graph.inputs, self.interface.input_paths,
                                         strict=True):
            lines.append(f"{params[position]}{''.join(map(format_key, path))}: {var.type}")
        lines.extend(f"{name} = {value!r} (static)" for name, value in self.interface.static)
        results = ", ".join(str(x.type) for x in self.graph.outputs)
        lines.append(f"returns {results or 'nothing'}")
        return lines
