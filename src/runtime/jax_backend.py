"""Runtime layer: the JAX execution. The emitted JAX module is compiled by `jax.jit`, with the
user's device, shardings and donations; results are JAX arrays.

A graph with a 64-bit value runs with JAX's 64-bit mode on for its own loading, lowering,
compiling and calls only (`jax.enable_x64` is a context), so the user's other JAX code keeps
its dtypes. Importing this module imports jax; tracegrad imports it only for backend="jax".
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..codegen.jax import emit_jax, uses_64_bit
from ..errors import BackendError
from ..ir import Graph, TensorType
from ..ir.interface import Interface, map_tree
from .compiled import ARRAY_TYPES
from .execution import MISS
from .loader import load_function

try:
    import jax
except ImportError as error:
    raise BackendError(
        'backend="jax" needs JAX, which is not installed', hint='pip install "tracegrad[jax]"'
    ) from error


ARRAY_TYPES.add(type(jax.numpy.zeros(())))  # jax.Array's concrete class


def mode(x64: bool) -> contextlib.AbstractContextManager:
    return jax.enable_x64(True) if x64 else contextlib.nullcontext()


def device_names() -> list[str]:
    return [f"{d.platform}:{i}" for i, d in enumerate(jax.devices())]


def resolve_device(device: Any) -> jax.Device | None:
    """A jax.Device, a position in jax.devices(), or a name: 'cpu', 'gpu:1'."""
    if device is None or isinstance(device, jax.Device):
        return device
    missing = BackendError(
        f"device={device!r} does not exist: JAX sees {', '.join(device_names())}",
        hint="pass one of those names, a position in jax.devices(), or a jax.Device",
    )
    if isinstance(device, int) and not isinstance(device, bool):
        if not 0 <= device < len(jax.devices()):
            raise missing
        return jax.devices()[device]
    if not isinstance(device, str):
        raise BackendError(
            f"device= takes a jax.Device, an int or a name like 'cpu:0', got a "
            f"{type(device).__name__}",
            hint="pass jax.devices()[0], 0 or 'cpu'",
        )
    platform, _, position = device.partition(":")
    try:
        devices = jax.devices(platform)
    except RuntimeError:
        raise missing from None
    if position == "":
        return devices[0]
    if not position.isdigit() or int(position) >= len(devices):
        raise missing
    return devices[int(position)]


def argument_name(path: tuple, names: Sequence[str] | None) -> str:
    """`params['W1']` for the key path (SequenceKey(0), DictKey('W1')) into the arguments."""
    if names is None:
        return "result" + jax.tree_util.keystr(path)
    if not path:
        return "the arguments"
    return names[path[0].idx] + jax.tree_util.keystr(tuple(path[1:]))


def check_split(option: str, sharding: Any, where: str, value: jax.ShapeDtypeStruct) -> None:
    """The sharding can split this value: it partitions axes the value has, each into pieces
    of equal size."""
    if not isinstance(sharding, jax.sharding.Sharding):
        raise BackendError(
            f"{option} gives {where} {sharding!r}, which is not a jax.sharding.Sharding",
            hint="pass NamedSharding(mesh, PartitionSpec(...)) for an argument, or None to "
            "leave it to JAX",
        )
    described = f"{where} ({TensorType(tuple(value.shape), value.dtype)})"
    spec = getattr(sharding, "spec", None)
    if spec is not None and len(spec) > len(value.shape):
        raise BackendError(
            f"{option} partitions {len(spec)} axes of {described}, which has {len(value.shape)}",
            hint="give the PartitionSpec at most one entry per axis of the value",
        )
    for axis, names in enumerate(spec or ()):
        check_axis_pieces(option, sharding, described, value.shape[axis], axis, names)
    try:
        sharding.shard_shape(value.shape)
    except ValueError as error:
        raise BackendError(f"{option} cannot split {described}: {error}") from None


def check_axis_pieces(
    option: str, sharding: Any, described: str, size: int, axis: int, names: Any
) -> None:
    """Axis `axis` (of `size`) splits evenly over the mesh axes `names` (a PartitionSpec
    entry: None, one name or several)."""
    names = () if names is None else (names,) if isinstance(names, str) else tuple(names)
    pieces = math.prod(sharding.mesh.shape[name] for name in names)
    if size % pieces:
        raise BackendError(
            f"{option} splits axis {axis} of {described} over mesh axis "
            f"{' x '.join(map(repr, names))} of {pieces} devices, and {size} is "
            f"not divisible by {pieces}",
            hint=f"make axis {axis} a multiple of {pieces} (pad the batch), or shard over "
            "a mesh axis whose size divides it",
        )


def check_shardings(option: str, shardings: Any, values: Any, names: Sequence[str] | None) -> None:
    """Every sharding of `shardings` (a prefix of `values`, as jax.jit reads it) splits the
    values under it; an error names the option and the argument."""
    if shardings is None:
        return
    pairs: list[tuple[tuple, Any, Any]] = []
    try:
        jax.tree_util.tree_map_with_path(
            lambda path, s, v: pairs.append((path, s, v)),
            shardings,
            values,
            is_leaf=lambda x: x is None,
        )
    except (ValueError, TypeError) as error:
        what = "arguments (one entry per argument)" if names is not None else "result"
        raise BackendError(
            f"{option} does not have the structure of the {what}: {error}",
            hint="give a tuple with one sharding (or None) per argument, or one sharding for all",
        ) from None
    for outer, sharding, subtree in pairs:
        if sharding is None:
            continue
        for inner, value in jax.tree_util.tree_leaves_with_path(subtree):
            check_split(option, sharding, argument_name((*outer, *inner), names), value)


# Value types a platform's XLA cannot compute in (TPUs have no 64-bit floating point).
UNSUPPORTED_DTYPES = {"tpu": ("float64", "complex128")}


def check_dtypes_run_on(graph: Graph, platforms: set[str]) -> None:
    """Every value of `graph` has a dtype the platforms it runs on can compute in; an error
    names the argument (or the user's line) that brings in the first one that cannot."""
    for platform in sorted(platforms):
        unsupported = UNSUPPORTED_DTYPES.get(platform, ())
        values = [*graph.inputs, *(v for node in graph.nodes for v in node.outputs)]
        wide = next((v for v in values if v.type.dtype.name in unsupported), None)
        if wide is None:
            continue
        node = next((n for n in graph.nodes if wide in n.outputs), None)
        where = f"argument {wide.hint} ({wide.type})" if node is None else f"{wide.type} value"
        raise BackendError(
            f"{where}: {wide.type.dtype.name} cannot run on {platform.upper()}, which has no "
            f"{wide.type.dtype.name} arithmetic",
            loc=None if node is None else node.loc,
            hint="pass float32 arrays (x.astype(np.float32)), or run it on another device: "
            "device='cpu'",
        )


def in_order(tree: Any, result: Any, wide: frozenset[int] = frozenset()) -> Any:
    """`result` with its dicts in the order the function returned them (jax.jit sorts keys),
    and the results at positions `wide` as NumPy arrays (see `wide_results`)."""
    if isinstance(tree, dict):
        return {key: in_order(value, result[key], wide) for key, value in tree.items()}
    if isinstance(tree, list | tuple):
        return type(tree)(in_order(t, r, wide) for t, r in zip(tree, result, strict=True))
    if isinstance(tree, int) and tree in wide:
        return np.asarray(result)
    return result


# Dtypes JAX truncates to 32 bits (with a warning) in any operation outside its 64-bit mode.
WIDE_DTYPES = frozenset({"float64", "int64", "uint64", "complex128"})


def result_class(dtype: Any) -> type:
    """What a result of this dtype comes back as now: a NumPy array for a 64-bit one while
    JAX's 64-bit mode is off (see `wide_results`), else a JAX array."""
    if np.dtype(dtype).name in WIDE_DTYPES and not jax.config.jax_enable_x64:
        return np.ndarray
    return jax.Array


def wide_results(graph: Graph) -> frozenset[int]:
    """The results JAX cannot hand back as JAX arrays while its 64-bit mode is off: the
    caller's next operation on one (`w - 0.1 * g`) would run in float32, and the next call
    would compile again for float32. They come back as NumPy arrays (on the CPU, views of
    JAX's buffers: no copy), so a float64 training loop stays float64."""
    return frozenset(i for i, var in enumerate(graph.outputs) if var.type.dtype.name in WIDE_DTYPES)


def has_dict(tree: Any) -> bool:
    if isinstance(tree, dict):
        return True
    return isinstance(tree, list | tuple) and any(map(has_dict, tree))


class JaxExecution:
    """Emit JAX, load it, compile it with jax.jit (lazily: on the first call)."""

    name = "jax"
    has_shortcut = True

    def __init__(
        self,
        device: Any,
        in_shardings: Any,
        out_shardings: Any,
        donate_argnums: int | Sequence[int],
    ):
        self.device = resolve_device(device)
        if self.device is not None:
            if in_shardings is not None or out_shardings is not None:
                raise BackendError(
                    "device= and in_shardings=/out_shardings= both say where the program runs",
                    hint="give one: device= for one device, shardings for several",
                )
            in_shardings = out_shardings = jax.sharding.SingleDeviceSharding(self.device)
        self.in_shardings = in_shardings
        self.out_shardings = out_shardings
        donated = (donate_argnums,) if isinstance(donate_argnums, int) else donate_argnums
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in donated):
            raise BackendError(
                f"donate_argnums={donate_argnums!r} must be argument positions",
                hint="pass an int or a tuple of ints, e.g. donate_argnums=(0,)",
            )
        self.donate_argnums = tuple(donated)

    def emit(self, graph: Graph, interface: Interface) -> str:
        return emit_jax(graph, interface)

    def jit_options(self, interface: Interface) -> dict[str, Any]:
        """The keywords of `jax.jit` this backend was configured with."""
        options: dict[str, Any] = {"donate_argnums": self.donate_argnums}
        if self.in_shardings is not None:
            options["in_shardings"] = self.in_shardings
            if interface.captured and isinstance(self.in_shardings, tuple | list):
                # arrays the function captured: placed as JAX places an argument it is given
                options["in_shardings"] = (*self.in_shardings, *[None] * len(interface.captured))
        if self.out_shardings is not None:
            options["out_shardings"] = self.out_shardings
        return options

    def load(self, source: str, graph: Graph, interface: Interface) -> Callable:
        self.check(graph, interface)
        x64 = uses_64_bit(graph)
        with mode(x64):  # module constants are built in the dtypes the calls use
            function = load_function(source, graph.name)
        jitted = jax.jit(function, **self.jit_options(interface))
        tree, reorder = interface.output_tree, has_dict(interface.output_tree)
        if not x64 and not reorder:
            return jitted

        config = jax.config
        wide = self.wide_results(graph)

        def run(*args: Any) -> Any:
            if x64 and not config.jax_enable_x64:  # entering the mode costs ~5 us a call
                with jax.enable_x64(True):
                    result = jitted(*args)
                return in_order(tree, result, wide) if reorder or wide else result
            result = jitted(*args)
            return in_order(tree, result) if reorder else result

        run.jitted = jitted  # type: ignore[attr-defined]
        return run

    def shortcut(
        self, function: Callable, graph: Graph, interface: Interface, args: tuple
    ) -> Callable[[tuple], Any] | None:
        """The executable XLA compiled for these arguments, called directly: its own check of
        the arguments (in C++) replaces tracegrad's cache key, which would add a few
        microseconds to every call. A mismatch (another shape or dtype, a traced value) is a
        MISS. Not for graphs with 0-d inputs: the executable
        accepts a Python float where a NumPy scalar was compiled, and NumPy promotes the two
        differently."""
        if any(var.type.ndim == 0 for var in graph.inputs):
            return None
        with mode(uses_64_bit(graph)):
            executable = jitted_of(function).lower(*args).compile()  # jax's cache: no recompile
        tree, reorder = interface.output_tree, has_dict(interface.output_tree)
        config = jax.config
        wide = self.wide_results(graph)

        def run(args: tuple) -> Any:
            try:
                if config.jax_enable_x64:
                    result = executable(*args)
                    return in_order(tree, result) if reorder else result
                with jax.enable_x64(True):  # else JAX would cast float64 arguments to float32
                    result = executable(*args)
            except (TypeError, ValueError):  # raised before anything runs
                return MISS
            return in_order(tree, result, wide) if reorder or wide else result

        return run

    def wide_results(self, graph: Graph) -> frozenset[int]:
        """64-bit results returned as NumPy arrays while JAX's 64-bit mode is off; not where
        the user placed the results (device=, out_shardings=): they stay on the devices."""
        return frozenset() if self.out_shardings is not None else wide_results(graph)

    def check(self, graph: Graph, interface: Interface) -> None:
        """Shardings and donations that cannot fit these arguments, named before JAX sees
        them (its own messages name neither the option nor the argument)."""
        check_dtypes_run_on(graph, self.platforms())

        def value(var: Any) -> jax.ShapeDtypeStruct:
            return jax.ShapeDtypeStruct(var.type.shape, var.type.dtype)

        arguments = tuple(
            map_tree(t, lambda i: value(graph.inputs[i])) for t in interface.input_trees
        )
        check_shardings("in_shardings", self.in_shardings, arguments, interface.params)
        results = map_tree(interface.output_tree, lambda i: value(graph.outputs[i]))
        check_shardings("out_shardings", self.out_shardings, results, None)
        for position in self.donate_argnums:
            if not -len(arguments) <= position < len(arguments):
                raise BackendError(
                    f"donate_argnums names argument {position}, and {interface.name} takes "
                    f"{len(arguments)} ({', '.join(interface.params)})",
                    hint=f"use positions between 0 and {len(arguments) - 1}",
                )

    def platforms(self) -> set[str]:
        """The platforms ('cpu', 'gpu', 'tpu') the program will run on."""
        if self.device is not None:
            return {self.device.platform}
        found = {
            device.platform
            for shardings in (self.in_shardings, self.out_shardings)
            for sharding in jax.tree_util.tree_leaves(shardings)
            if isinstance(sharding, jax.sharding.Sharding)
            for device in sharding.device_set
        }
        return found or {jax.default_backend()}

    def hlo(self, function: Callable, graph: Graph, args: tuple) -> str:
        with mode(uses_64_bit(graph)):
            return jitted_of(function).lower(*args).as_text()

    def cost(self, function: Callable, graph: Graph, args: tuple) -> dict[str, float]:
        with mode(uses_64_bit(graph)):
            analysis = jitted_of(function).lower(*args).compile().cost_analysis()
        if isinstance(analysis, list | tuple):  # one per device in older JAX versions
            analysis = analysis[0] if analysis else {}
        return dict(analysis or {})


def jitted_of(function: Callable) -> Any:
    """The jax.jit function behind what a call runs (itself, or a wrapper around it)."""
    return getattr(function, "jitted", function)
