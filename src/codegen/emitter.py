"""Codegen layer: turns a Graph into a Python module, one line per node, for any backend.

A backend is a table of small format functions (one per primitive) plus how it writes
literals; the Emitter owns names, lines, hoisted constants and the module template.
A node holding nested Graphs (a loop, a branch) has a BlockRule instead, which writes whole
statements and emits its Graphs' nodes through a nested Emitter (`Emitter.nested`).
Output is deterministic: the same Graph and Interface always give the same text.
"""

from __future__ import annotations

import functools
import itertools
import re
import symtable
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2

from ..errors import BackendError
from ..ir import Graph, Literal, Node, Var
from ..ir.interface import Interface, flat_interface
from ..ir.naming import RESERVED, Namespace, function_name
from ..ir.passes.memory import MemoryPlan, value_buffers
from ..ir.primitive import Group, Primitive
from ..ir.result_kinds import SCALAR

# One emission rule: the node and its operands already written as expressions. It returns
# the expression of the node's value or, for a node that takes statements (a scatter fills a
# buffer in place), the lines themselves, with `{out}` standing for the output's name.
EmitRule = Callable[[Node, list[str]], "str | list[str]"]


@dataclass(frozen=True, slots=True)
class BlockRule:
    """The rule of a node that holds nested Graphs (a loop, a branch): it receives the
    Emitter, writes whole statements (its Graphs' nodes among them, see Emitter.nested) and
    names the node's outputs itself. `loops`: the block reads its operands again on every
    pass, so no name it reads may be written before it ends."""

    emit: Callable[[Emitter, Node, list[str]], list[str]]
    loops: bool = True
    # What to call each operand, where the block has a name for it (a loop's initial
    # carry): a temporary made only for the block is then named so.
    operand_names: Callable[[Node], Sequence[str | None]] | None = None


# Constants longer than this are hoisted out of the function body to module level.
INLINE_CONSTANT_LIMIT = 60


@dataclass(frozen=True, slots=True)
class Backend:
    name: str
    imports: tuple[str, ...]
    rules: dict[Primitive, EmitRule | BlockRule]
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
    # Backends returning NumPy values: each output's kind as emitted (NumPy scalar or 0-d
    # array, see ir/result_kinds.py), so a result of another kind is handed back as NumPy's.
    result_kinds: Callable[[Graph], tuple[str, ...]] | None = None


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


def block_operands(graph: Graph) -> set[Var]:
    """The operands of nodes that hold nested Graphs: each gets a name of its own, since an
    expression written into a loop would be computed again on every pass."""
    return {
        x
        for node in graph.nodes
        if node.op.group is Group.CONTROL
        for x in node.inputs
        if isinstance(x, Var)
    }


def inlined_views(graph: Graph, uses: dict[Var, int] | None = None) -> set[Var]:
    """Transposes read once are written where they are read (`d_h @ W.T`), as one writes
    them by hand: a line of their own would only name a view. (`uses`: the graph's
    use_counts, where the caller has them.)"""
    uses = use_counts(graph) if uses is None else uses
    kept = set(graph.outputs) | block_operands(graph)
    return {
        node.out
        for node in graph.nodes
        if node.op.name == "transpose" and uses.get(node.out) == 1 and node.out not in kept
    }


def single_use(graph: Graph, uses: dict[Var, int] | None = None) -> set[Var]:
    uses = use_counts(graph) if uses is None else uses
    kept = set(graph.outputs) | block_operands(graph)
    return {var for var, n in uses.items() if n == 1 and var not in kept}


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
    subscript (`params['W1']`) or a call (`math.cos(y)`, `h.sum(axis=0)`, `xs[t].sum()`)."""
    head, paren, _ = expression.partition("(")
    if paren:
        head = re.sub(r"\[[^\[\]()]*\]", "", head)  # an index in the name: `xs[t].sum()`
        return (
            head.replace(".", "").isidentifier()
            and expression.endswith(")")
            and expression.count("(") == 1
        )
    return " " not in expression and not expression.startswith("-")


def with_location(node: Node, lines: list[str]) -> list[str]:
    """Each line marked with the user's line that produced the node."""
    if node.loc is None:
        return lines
    return [f"{line}  # {node.loc.short}" for line in lines]


class Emitter:
    """Writes a Graph's nodes as lines. A nested Graph's (a loop body, a branch) are written
    by an Emitter of its own (`nested`), whose scope (`nested_scope`) shares its parent's
    constants and, in the same function, its names; `parent` links it to the enclosing one."""

    def __init__(
        self,
        graph: Graph,
        interface: Interface | None,
        backend: Backend,
        parent: Emitter | None = None,
        closure: Sequence[str] | None = None,
    ):
        self.graph = graph
        self.backend = backend
        self.parent = parent
        if parent is None:
            self.function_scope(interface)
        else:
            self.nested_scope(parent, closure)
        self.start()

    def function_scope(self, interface: Interface | None) -> None:
        """The state of a whole function: its names and its module's constants."""
        graph = self.graph
        self.interface = interface or flat_interface(
            graph.name, len(graph.inputs), len(graph.outputs)
        )
        self.namespace = Namespace()
        self.constants: list[str] = []
        self.hoisted: dict[int, str] = {}
        # Hoisted names by the constant's text: equal constants share one module name.
        self.hoisted_texts: dict[str, str] = {}
        self.every_name: set[str] = set()  # in every scope: module constants avoid them
        backend = self.backend
        self.plan = backend.plan_memory(graph) if backend.plan_memory else MemoryPlan()

    def nested_scope(self, parent: Emitter, closure: Sequence[str] | None) -> None:
        """The state of a nested Graph (a loop body, a branch): it shares its parent's module
        constants and, inside the same function, its names (a JAX body, given `closure`, is
        a `def` of its own, which must only not hide what it reads from the function); it
        has no memory plan (a body's values live for one pass)."""
        self.interface = parent.interface
        self.namespace = (
            parent.namespace
            if closure is None
            else Namespace(
                RESERVED
                | set(parent.hoisted.values())
                | {name for text in closure for name in re.findall(r"[A-Za-z_]\w*", text)}
            )
        )
        self.constants, self.hoisted = parent.constants, parent.hoisted
        self.hoisted_texts = parent.hoisted_texts
        self.every_name = parent.every_name
        self.plan = MemoryPlan()

    def start(self) -> None:
        """The state of writing this Emitter's own Graph."""
        graph = self.graph
        self.names: dict[Var, str] = {}
        self.holder: dict[str, Var] = {}  # which value a name holds, where one was given two
        self.preset: dict[Var, str] = {}  # values written straight into a given name
        self.at_end: set[Var] = set()  # a nested Graph's outputs written where they are used
        self.uses = use_counts(graph)  # read by several of the analyses below
        self.inlined = inlined_views(graph, self.uses)
        self.single_use = self.inlinable()
        self.in_reader: set[Var] = set()  # values written into a reader, not named
        self.last_reader = {
            x: node for node in graph.nodes for x in node.inputs if isinstance(x, Var)
        }
        self.hints = self.names_from_blocks()

    def names_from_blocks(self) -> dict[Var, str]:
        """Temporaries made only to start a loop take the name of the carry they start:
        `v = np.abs(w) + 1` and then `while ...: v = ...`."""
        blocks = [node for node in self.graph.nodes if node.op.group is Group.CONTROL]
        if not blocks:
            return {}
        uses, outputs = self.uses, set(self.graph.outputs)
        produced = {v for node in self.graph.nodes for v in node.outputs}
        hints: dict[Var, str] = {}
        for node in blocks:
            rule = self.backend.rules.get(node.op)
            if not isinstance(rule, BlockRule) or rule.operand_names is None:
                continue
            for x, base in zip(node.inputs, rule.operand_names(node), strict=True):
                if (
                    base
                    and isinstance(x, Var)
                    and x.hint is None
                    and x in produced
                    and uses.get(x) == 1
                    and x not in outputs
                ):
                    hints[x] = base
        return hints

    def inlinable(self) -> set[Var]:
        """Values read once that can be written into their reader: the backend allows it,
        the reader's rule writes that operand exactly once (so nothing is computed twice),
        and no name the value reads is deleted before the reader runs."""
        allowed = self.backend.inline_single_use
        if allowed is None:
            return set()
        nodes = self.graph.nodes
        producer = {node.out: (i, node) for i, node in enumerate(nodes) if len(node.outputs) == 1}
        deleted_at = {v: i for i, node in enumerate(nodes) for v in self.plan.frees.get(node, ())}
        # writes_before[k]: how many of the first k nodes write into a buffer (`out=`), so
        # whether one does between a producer and its reader is one subtraction.
        writes_before = list(
            itertools.accumulate((node in self.plan.reuse for node in nodes), initial=0)
        )
        candidates = single_use(self.graph, self.uses)
        reused = set(self.plan.reuse.values())
        rules = self.backend.rules
        found: set[Var] = set()
        for k, reader in enumerate(nodes):
            rule = rules.get(reader.op)
            if rule is None or isinstance(rule, BlockRule):
                continue
            # The cheap conditions first: only then is the reader's rule written out.
            movable = [
                (j, x)
                for j, x in enumerate(reader.inputs)
                if x in candidates and x in producer and allowed(x)
            ]
            if not movable:
                continue
            slots = [f"\x00{j}\x00" for j in range(len(reader.inputs))]
            text = rule(reader, slots)
            text = text if isinstance(text, str) else "\n".join(text)
            for j, x in movable:
                i, node = producer[x]
                if (
                    text.count(slots[j]) != 1
                    or node.out in reused
                    or isinstance(rules.get(node.op), BlockRule)
                ):
                    continue
                # Moved to its reader, it must still read what it read: no name it reads is
                # deleted and no buffer is written into (`out=`) in between.
                overwritten = writes_before[k] > writes_before[i + 1]
                if not overwritten and all(
                    deleted_at.get(v, len(nodes)) >= k for v in node.inputs if isinstance(v, Var)
                ):
                    found.add(x)
        return found

    def operand(self, x: Var | Literal) -> str:
        if isinstance(x, Var):
            return self.names[x]
        expression = self.backend.literal(x)
        if len(expression) <= INLINE_CONSTANT_LIMIT:
            return expression
        if id(x) not in self.hoisted:
            if expression not in self.hoisted_texts:
                name = self.hoisted_texts[expression] = self.module_name("CONSTANT")
                self.constants.append(f"{name} = {expression}")
            self.hoisted[id(x)] = self.hoisted_texts[expression]
        return self.hoisted[id(x)]

    def fresh(self, base: str) -> str:
        name = self.namespace.fresh(base)
        self.every_name.add(name)
        return name

    def module_name(self, base: str) -> str:
        """A name for module level: no scope (a nested `def`) may use it for anything else."""
        taken = set(self.every_name)
        root = self
        while root.parent is not None:
            root = root.parent
        name = root.namespace.fresh(base)
        while name in taken:
            name = root.namespace.fresh(base)
        self.every_name.add(name)
        emitter: Emitter | None = self
        while emitter is not None:
            emitter.namespace.taken.add(name)
            emitter = emitter.parent
        return name

    def release(self, name: str) -> None:
        """A name read nowhere after this point (a loop's index, after its loop) may be
        given again: the next loop's index is `t` too."""
        self.namespace.taken.discard(name)

    def output_name(self, var: Var, base: str) -> str:
        """Name a node's output: the name its block asked for (a loop's carry), else a
        fresh one from `base`."""
        return self.bind(var, self.preset.get(var) or self.fresh(base))

    def bind(self, var: Var, name: str) -> str:
        """`var` is assigned to `name` from here on (the value it held is no longer there)."""
        self.names[var] = name
        self.holder[name] = var
        return name

    def is_last_read(self, var: Var, node: Node) -> bool:
        """True when `node` is the last to read `var` (no later node, nor the result)."""
        return self.last_reader.get(var) is node and var not in self.graph.outputs

    def nested(self, graph: Graph, closure: Sequence[str] | None = None) -> Emitter:
        """An Emitter for a Graph a node of this one holds, its lines in the same function;
        or, given `closure` (the expressions it reads from this function), in a `def` of
        its own (JAX's bodies), whose names may then repeat the function's. Its `inline`
        writes the Graph's nodes for the block rule that asked."""
        return Emitter(graph, None, self.backend, parent=self, closure=closure)

    def inline(
        self, inputs: Sequence[str], targets: Sequence[str | None] = (), where_used: bool = False
    ) -> tuple[list[str], list[str]]:
        """This nested Graph's nodes as lines, its inputs read as `inputs`: the lines, and an
        expression for each output. An output given a target name (the variable a loop keeps
        its carry in) is written straight into it where nothing after needs the name's old
        value; the caller assigns the others. An unnamed output that no node reads is left
        an expression, for the caller to write where it is used; with `where_used`, a named
        one too (a loop's condition: `while n < 10:`)."""
        self.names.update(zip(self.graph.inputs, inputs, strict=True))
        targets = [*targets, *(None for _ in self.graph.outputs[len(targets) :])]
        self.at_end = self.written_where_used(targets, where_used)
        self.preset = self.written_into_targets(targets)
        lines = [line for node in self.graph.nodes for line in self.node_lines(node)]
        return lines, [self.operand(x) for x in self.graph.outputs]

    def written_where_used(self, targets: Sequence[str | None], named: bool) -> set[Var]:
        """Unnamed (or, with `named`, all) outputs that no node reads, to be written where
        the block uses them (`while x < 10:`, `return h @ W`) rather than named first."""
        if self.backend.inline_single_use is None:
            return set()
        targeted = {x for x, t in zip(self.graph.outputs, targets, strict=True) if t is not None}
        counts, uses = Counter(self.graph.outputs), use_counts(self.graph)
        return {
            node.out
            for node in self.graph.nodes
            if len(node.outputs) == 1
            and (named or node.out.hint is None)
            and counts[node.out] == 1
            and node.out not in uses
            and node.out not in targeted
            and node.out not in self.inlined
            and not isinstance(self.backend.rules.get(node.op), BlockRule)
        }

    def written_into_targets(self, targets: Sequence[str | None]) -> dict[Var, str]:
        """The outputs that can be computed straight into their target name: no line after
        the one computing it reads the value the name held before."""
        nodes, outputs = self.graph.nodes, self.graph.outputs
        where = self.positions()
        index = {v: i for i, node in enumerate(nodes) for v in node.outputs}
        read_at: dict[Var, list[int]] = {}
        for i, node in enumerate(nodes):
            for x in node.inputs:
                if isinstance(x, Var):
                    read_at.setdefault(x, []).append(where[i])
        preset: dict[Var, str] = {}
        for var, target in zip(outputs, targets, strict=True):
            if target is None or not isinstance(var, Var) or var not in index or var in preset:
                continue
            i = index[var]
            same_line = self.reads_before_writing(nodes[i])
            old = [u for u in self.graph.inputs if self.names[u] == target]
            if any(u in outputs for u in old) or any(
                r > i or (r == i and not same_line) for u in old for r in read_at.get(u, ())
            ):
                continue
            preset[var] = target
        return preset

    def positions(self) -> list[int]:
        """Where each node's value is computed: on its own line, on the line of the node it
        is written into, or after the last node (an output written where it is used)."""
        nodes = self.graph.nodes
        reader = {x: i for i, node in enumerate(nodes) for x in node.inputs}
        moved = self.single_use | self.inlined
        where = list(range(len(nodes)))
        for i in reversed(range(len(nodes))):
            if len(nodes[i].outputs) != 1:
                continue
            out = nodes[i].out
            if out in self.at_end:
                where[i] = len(nodes)
            elif out in moved and out in reader:
                where[i] = where[reader[out]]
        return where

    def reads_before_writing(self, node: Node) -> bool:
        """True when the node's lines read all its operands before assigning its outputs:
        one assignment (`h = np.tanh(h)`), or a block run once (a branch), whose nested
        lines see to their own order."""
        rule = self.backend.rules.get(node.op)
        if isinstance(rule, BlockRule):
            return not rule.loops
        slots = [f"\x00{j}\x00" for j in range(len(node.inputs))]
        return rule is not None and isinstance(rule(node, slots), str)

    def emit(self) -> str:
        interface = self.interface
        emitted_name = self.fresh(function_name(interface.name))
        params = [self.fresh(p) for p in interface.signature]
        body: list[str] = []
        used = {x for node in self.graph.nodes for x in node.inputs} | set(self.graph.outputs)
        for var, (position, path) in zip(self.graph.inputs, interface.input_paths, strict=True):
            position = interface.slot(position)
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
            self.names[var] = self.fresh(var.hint or "x")
            body.append(f"{self.names[var]} = {converted}")
        for node in self.graph.nodes:
            body.extend(self.node_lines(node))
        source = module_template().render(
            name=emitted_name,
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
            # The syntax check: symtable runs Python's own parser, as ast.parse does, without
            # building an `ast` object per node (several times faster, a third less memory).
            symtable.symtable(source, "<tracegrad>", "exec")
        except SyntaxError as error:  # a bug in a rule, never the user's: say so plainly
            raise BackendError(
                f"tracegrad emitted invalid {self.backend.name} code "
                f"({error.msg}, line {error.lineno}); please report it"
            ) from None
        return source

    def node_lines(self, node: Node) -> list[str]:
        rule = self.backend.rules.get(node.op)
        if rule is None:
            raise BackendError(f"the {self.backend.name} backend has no rule for {node.op.name}")
        args = [self.operand(x) for x in node.inputs]
        if isinstance(rule, BlockRule):  # it names its outputs and writes its own comments
            return rule.emit(self, node, args) + self.free_lines(node)
        if node.out in self.inlined:  # read where it is used: `x @ W.T`
            self.names[node.out] = rule(node, args)  # type: ignore[assignment]
            return []
        if node.out in self.at_end or (
            node.out in self.single_use
            and len(node.outputs) == 1
            and not any(x in self.in_reader for x in node.inputs)
        ):
            expression = rule(node, args)
            if isinstance(expression, str) and node not in self.plan.reuse:
                if node.out in self.at_end:  # a whole statement's expression
                    self.names[node.out] = self.unwrap_arguments(node, expression)  # type: ignore[assignment]
                    return []
                self.names[node.out] = expression if stands_alone(expression) else f"({expression})"
                self.in_reader.add(node.out)
                return []
        into = self.plan.reuse.get(node)
        if into is not None and self.backend.write_into is not None:
            emitted: str | list[str] = self.backend.write_into(node, args, self.names[into])
        else:
            emitted = rule(node, args)
        emitted = self.unwrap_arguments(node, emitted)
        for var in node.outputs:
            self.output_name(var, self.hints.get(var) or var.hint or node.op.name)
        targets = ", ".join(self.names[v] for v in node.outputs)
        if isinstance(emitted, str):
            lines = [f"{targets} = {emitted}"]
        else:
            lines = [line.replace("{out}", targets) for line in emitted]
        return with_location(node, lines) + self.free_lines(node)

    def free_lines(self, node: Node) -> list[str]:
        """`del` for the names whose memory the plan frees after the node; not a name that
        holds another value by now (a loop may keep its carry in its initial value's name)."""
        freed = dict.fromkeys(
            self.names[v]
            for v in self.plan.frees.get(node, ())
            if v not in self.inlined
            and v not in self.in_reader
            and self.holder.get(self.names[v], v) is v
        )
        freed_names = list(freed)
        return [f"del {', '.join(freed_names)}"] if freed_names else []

    def unwrap_arguments(self, node: Node, emitted: str | list[str]) -> str | list[str]:
        """`np.tanh(h @ W)`, not `np.tanh((h @ W))`: a value written into its reader keeps
        its parentheses only where an operator is next to it."""
        for x in dict.fromkeys(node.inputs):
            name = self.names.get(x) if x in self.in_reader else None
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
                return self.as_kind(tree, expression)
            if isinstance(output, Literal) and expression in self.hoisted.values():
                expression += ".copy()"  # never hand the caller our module-level constant
            elif output in self.read_only_views:
                expression += ".copy()"  # a result the caller cannot write to would surprise
            elif output in self.graph.inputs and not output.type.weak:
                expression += ".copy()"  # a result must not alias the caller's argument
            elif self.shares_memory(output):
                expression += ".copy()"
            return self.as_kind(tree, expression)
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

    def as_kind(self, position: int, expression: str) -> str:
        """The result as a NumPy scalar or a 0-d array, where NumPy's is the other kind than
        the emitted expression gives (`np.sum(a)` of a 0-d `a` is `a` once optimized)."""
        wanted = self.interface.result_kinds
        if not wanted or self.backend.result_kinds is None or not wanted[position]:
            return expression
        if self.emitted_kinds[position] == wanted[position]:
            return expression
        if wanted[position] == SCALAR:  # `[()]` reads a 0-d array's (or a scalar's) scalar
            if expression.endswith(".copy()"):
                expression = expression.removesuffix(".copy()")  # a scalar needs no copy
            return f"{expression}[()]"
        if expression.endswith(".copy()"):  # np.array copies already: one call, not two
            return f"np.array({expression.removesuffix('.copy()')})"
        return f"np.asarray({expression})"

    @functools.cached_property
    def emitted_kinds(self) -> tuple[str, ...]:
        assert self.backend.result_kinds is not None
        return self.backend.result_kinds(self.graph)

    def shares_memory(self, output: Var | Literal) -> bool:
        """True for a result array that may share memory with an argument, a module constant
        or a result already handed back: one computed twice by the user (`x * 2, x * 2`)
        and merged by the optimizer, or a view of an argument (`d_x = y.T`). Writing into
        it would change the other; NumPy's results never share memory that way, so this
        one is copied. Called in the order the results are written."""
        if not isinstance(output, Var) or output.type.ndim == 0:
            return False  # a 0-d result is a NumPy scalar (or copied as an argument above)
        buffers = self.result_buffers.get(output, frozenset())
        shared = any(
            isinstance(b, int)
            or b in self.returned_buffers
            or (isinstance(b, Literal) and id(b) in self.hoisted)
            for b in buffers
        )
        self.returned_buffers |= buffers
        return shared

    @functools.cached_property
    def result_buffers(self) -> dict[Var, frozenset]:
        return value_buffers(self.graph)

    @functools.cached_property
    def returned_buffers(self) -> set:
        return set()  # the buffers of the results written so far

    @functools.cached_property
    def read_only_views(self) -> set[Var]:
        return self.backend.read_only_views(self.graph)

    def signature_lines(self, params: list[str]) -> list[str]:
        lines = []
        for var, (position, path) in zip(
            self.graph.inputs, self.interface.input_paths, strict=True
        ):
            name = params[self.interface.slot(position)]
            captured = " (captured: read at each call)" if position < 0 else ""
            lines.append(f"{name}{''.join(map(format_key, path))}: {var.type}{captured}")
        lines.extend(f"{name} = {value!r} (static)" for name, value in self.interface.static)
        results = ", ".join(str(x.type) for x in self.graph.outputs)
        lines.append(f"returns {results or 'nothing'}")
        return lines
