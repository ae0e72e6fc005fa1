"""Codegen layer: turns a Graph into a Python module, one line per node, for any backend.

A backend (backend.py) is a table of small rules (one per primitive) plus how it writes
literals; the Emitter owns names, lines, hoisted constants and scopes. Which values are
written into their reader is decided before any line by the inlining analysis (inlining.py);
how an operand is parenthesised, by its precedence (expressions.py). A node holding nested
Graphs (a loop, a branch) has a BlockRule, which emits its Graphs' nodes through a nested
Emitter (`Emitter.nested`). The same Graph and Interface always give the same text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..errors import BackendError
from ..ir import Graph, Literal, Node, Var
from ..ir.interface import Interface, flat_interface
from ..ir.naming import RESERVED, Namespace, function_name
from ..ir.passes.memory import MemoryPlan
from ..ir.primitive import Group, Trait
from .backend import Backend, BlockRule, EmitRule, with_location
from .common import reduction_name
from .expressions import Expr, as_expression, from_literal, moved
from .inlining import Inlining, RuleShapes, plan_inlining, use_counts
from .module import input_lines, render_module
from .nested import inline_graph
from .results import ResultWriter

__all__ = ["Backend", "BlockRule", "EmitRule", "Emitter", "with_location"]

# Constants longer than this are hoisted out of the function body to module level.
INLINE_CONSTANT_LIMIT = 60


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
        # Values written where they are read (into a reader, a view, a statement's end).
        self.expressions: dict[Var, Expr] = {}
        self.holder: dict[str, Var] = {}  # which value a name holds, where one was given two
        self.preset: dict[Var, str] = {}  # values written straight into a given name
        self.at_end: set[Var] = set()  # a nested Graph's outputs written where they are used
        self.uses = use_counts(graph)  # read by several of the analyses below
        self.rule_shapes = RuleShapes(self.backend)
        self.inlining: Inlining = plan_inlining(
            graph, self.backend, self.plan, self.rule_shapes, self.uses
        )
        self.last_reader = {
            x: node for node in graph.nodes for x in node.inputs if isinstance(x, Var)
        }
        self.hints = self.names_from_blocks() | self.names_from_writes()
        self.names_in_use = NamesInUse(graph) if self.parent is None else None

    def names_from_blocks(self) -> dict[Var, str]:
        """Temporaries made only to start a loop take the name of the carry they start:
        `v = np.abs(w) + 1` and then `while ...: v = ...`."""
        blocks = [node for node in self.graph.nodes if node.op.group is Group.CONTROL]
        if not blocks:
            return {}
        produced = {v for node in self.graph.nodes for v in node.outputs}
        hints: dict[Var, str] = {}
        for node in blocks:
            rule = self.backend.rules.get(node.op)
            if not isinstance(rule, BlockRule) or rule.operand_names is None:
                continue
            for x, base in zip(node.inputs, rule.operand_names(node), strict=True):
                if base and isinstance(x, Var) and x in produced and self.temporary(x):
                    hints[x] = base
        return hints

    def writes_in_place(self, node: Node) -> bool:
        """A write into the array, or a sum into its running total: the result is that
        array, under its name."""
        return node.op.has(Trait.UPDATE) or node in self.plan.accumulated

    def names_from_writes(self) -> dict[Var, str]:
        """An unnamed array written in place takes the name of what the writes make of it:
        `d_x = np.zeros(...)`, then `d_x[:, t] += ...`, rather than a name it loses."""
        hints: dict[Var, str] = {}
        for node in reversed(self.graph.nodes):
            array = self.plan.reuse.get(node)
            if array is None or not self.writes_in_place(node) or array.hint is not None:
                continue
            name = hints.get(node.out) or node.out.hint
            if name is not None:
                hints[array] = name
        return hints

    def temporary(self, x: Var) -> bool:
        """True for an unnamed value read by one node only and not returned."""
        return x.hint is None and self.uses.get(x) == 1 and x not in self.graph.outputs

    # --- operands and names -------------------------------------------------------------

    def operand(self, x: Var | Literal) -> Expr:
        if isinstance(x, Var):
            expression = self.expressions.get(x)
            return Expr(self.names[x]) if expression is None else expression
        text = self.backend.literal(x)
        if len(text) <= INLINE_CONSTANT_LIMIT:
            return from_literal(text)
        if id(x) not in self.hoisted:
            if text not in self.hoisted_texts:
                name = self.hoisted_texts[text] = self.module_name("CONSTANT")
                self.constants.append(f"{name} = {text}")
            self.hoisted[id(x)] = self.hoisted_texts[text]
        return Expr(self.hoisted[id(x)])

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
        name = self.preset.get(var)
        if name is None:
            name = self.fresh(base)
            if self.names_in_use is not None:
                self.names_in_use.owned.add(name)
        return self.bind(var, name)

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
        return inline_graph(self, inputs, targets, where_used)

    # --- the function and its lines ------------------------------------------------------

    def emit(self) -> str:
        interface = self.interface
        name = self.fresh(function_name(interface.name))
        params = [self.fresh(p) for p in interface.signature]
        body = input_lines(self, params)
        for node in self.graph.nodes:
            body.extend(self.node_lines(node))
            self.after(node)
        result = ResultWriter(self).write(interface.output_tree, top=True)
        return render_module(self, name, params, body, result)

    def node_lines(self, node: Node) -> list[str]:
        rule = self.backend.rules.get(node.op)
        if rule is None:
            raise BackendError(f"the {self.backend.name} backend has no rule for {node.op.name}")
        if isinstance(rule, BlockRule):  # it names its outputs and writes its own comments
            args = [str(self.operand(x)) for x in node.inputs]
            return rule.emit(self, node, args) + self.free_lines(node)
        args = [self.operand(x) for x in node.inputs]
        out = node.outputs[0] if len(node.outputs) == 1 else None
        inlining = self.inlining
        if (
            out in inlining.views or out in inlining.into_reader or out in self.at_end
        ) and self.written_where_read(node, out, rule, args):  # type: ignore[arg-type]
            return []
        into = self.plan.reuse.get(node)
        if into is not None and self.writes_in_place(node):
            buffer = str(self.operand(into))  # the write goes into the array: one name
            if node in self.plan.accumulated:  # `d_W += g`
                (other,) = [x for x in node.inputs if x is not into] or [into]
                lines = [f"{buffer} += {self.operand(other)}"]
            else:
                lines = self.backend.write_into(node, args, buffer)  # type: ignore[assignment]
            self.bind(node.out, buffer)
            return with_location(node, lines) + self.free_lines(node)  # type: ignore[arg-type]
        if into is not None and self.backend.write_into is not None:
            emitted: Expr | str | list[str] = self.backend.write_into(
                node, args, str(self.operand(into))
            )
        else:
            emitted = rule(node, args)
        if not isinstance(emitted, list):  # one assignment: its operands are read first
            self.release_dead_names()
        for var in node.outputs:
            self.output_name(var, self.hints.get(var) or var.hint or reduction_name(node))
        targets = ", ".join(self.names[v] for v in node.outputs)
        if isinstance(emitted, list):
            lines = [line.replace("{out}", targets) for line in emitted]
        else:
            lines = [f"{targets} = {emitted}"]
        return with_location(node, lines) + self.free_lines(node)

    def written_where_read(self, node: Node, out: Var, rule: EmitRule, args: list[Expr]) -> bool:
        """Keep the node's expression for its reader instead of writing a line: a view
        (`x @ W.T`), a value the inlining analysis moves into its reader, or a nested
        Graph's output written where the block uses it."""
        if out in self.inlining.views:
            # A view reads as part of its operand's name: it stands bare (`(a + b).T @ W`).
            self.expressions[out] = Expr(str(as_expression(rule(node, args))))
            return True
        expression = rule(node, args)
        if isinstance(expression, list) or node in self.plan.reuse:
            return False
        expression = as_expression(expression)
        self.expressions[out] = expression if out in self.at_end else moved(expression)
        return True

    def after(self, node: Node) -> None:
        """Past `node`: its outputs' names live as long as they are read, and a name no
        later line reads may be given again."""
        in_use = self.names_in_use
        if in_use is None:
            return
        for var in node.outputs:
            expression = self.expressions.get(var)
            text = self.names.get(var) if expression is None else str(expression)
            if text is not None:
                in_use.read(var, text)
        self.release_dead_names()
        in_use.step += 1

    def release_dead_names(self) -> None:
        """Give again the names of values no later line reads (`d_h = ...` at every step of
        an unrolled loop, as one writes it): rebinding a name lets its old array go, so a
        long straight-line function holds no more memory than its loop would."""
        if self.names_in_use is not None:
            for name in self.names_in_use.dead():
                self.release(name)

    def free_lines(self, node: Node) -> list[str]:
        """`del` for the names whose memory the plan frees after the node; not a name that
        holds another value by now (a loop may keep its carry in its initial value's name)."""
        freed = dict.fromkeys(
            self.names[v]
            for v in self.plan.frees.get(node, ())
            if v not in self.expressions and self.holder.get(self.names[v], v) is v
        )
        return [f"del {', '.join(freed)}"] if freed else []


class NamesInUse:
    """Until which node each name of a function is read: by the value it names, or inside an
    expression written into a later line (a view `x[:, 0]` read where it is used)."""

    def __init__(self, graph: Graph):
        self.step = 0  # the index of the node being written
        end = len(graph.nodes)  # results are read after every node
        self.last_read: dict[Var, int] = {x: end for x in graph.outputs if isinstance(x, Var)}
        for i, node in enumerate(graph.nodes):
            for x in node.inputs:
                if x.__class__ is Var and self.last_read.get(x, -1) < end:
                    self.last_read[x] = i
        self.owned: set[str] = set()  # names the function's own values were given
        self.until: dict[str, int] = {}
        self.dying: dict[int, list[str]] = {}

    def read(self, var: Var, text: str) -> None:
        """`var` is written as `text` wherever it is read."""
        end = self.last_read.get(var, self.step)
        for name in re.findall(r"[A-Za-z_]\w*", text):
            if name in self.owned and self.until.get(name, -1) < end:
                self.until[name] = end
                self.dying.setdefault(end, []).append(name)

    def dead(self) -> list[str]:
        """The names read by no node after this one."""
        names = self.dying.pop(self.step, [])
        return [name for name in names if self.until[name] <= self.step]
