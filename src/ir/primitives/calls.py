"""IR layer: composite calls, NumPy functions that are one line in the emitted code.

A composite call stands for a NumPy function the tracer would otherwise spell as a
composition (np.pad as a concatenate of constant blocks, np.flip as a step -1 slice). Its node
keeps the function's arguments as the user would write them, so both backends emit the call
itself (`np.pad(x, 1)`, `jnp.flip(x, 0)`), and reverse and forward mode differentiate it
through its decomposition (ad/decompositions.py), the composition it replaces, unless a rule
of its own reads better (flip's cotangent is flipped back).

Declaring one is one `declare_call` line here, one decomposition line, and the front end
binding it (tracer/functions/calls.py). Its params are static: Python ints, floats, strings,
None and tuples of them, in the order the function takes them; `positional` of them are
written positionally, the others as keywords, each left out where it has its default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import TypeRuleError
from ..primitive import Group, Primitive, Reference, Trait, TypeRule, declare
from ..types import TensorType


@dataclass(frozen=True, slots=True)
class Signature:
    """How a composite call is written: `module.function(operand, *positional, **keywords)`,
    each param left out where it equals its default (a positional one only at the end)."""

    function: str
    params: tuple[str, ...]  # every param, in the function's order
    positional: int  # how many of them lead positionally
    defaults: dict[str, Any]


# Every composite call's signature, keyed by its primitive: the backends read it.
signatures: dict[Primitive, Signature] = {}


def numpy_type(reference: Reference) -> TypeRule:
    """The type NumPy gives: `reference` run on zero arrays of the operands' types (pages
    the allocator maps lazily)."""

    def rule(types: tuple[TensorType, ...], **params: Any) -> tuple[TensorType, ...]:
        try:
            value = reference(*(np.zeros(x.shape, x.dtype) for x in types), **params)
        except (TypeError, ValueError) as error:
            raise TypeRuleError(
                f"{reference.__name__}: {error}, for {types} and {params}"
            ) from None
        return (TensorType(value.shape, value.dtype),)

    return rule


def same_type(types: tuple[TensorType, ...], **params: Any) -> tuple[TensorType, ...]:
    (x,) = types
    return (TensorType(x.shape, x.dtype),)


def reduced_type(
    types: tuple[TensorType, ...], axis: Any = None, keepdims: bool = False, **params: Any
) -> tuple[TensorType, ...]:
    """A reduction's type, the dtype kept (a floating operand's, the nan-functions')."""
    (x,) = types
    axes = range(x.ndim) if axis is None else axis if isinstance(axis, tuple) else (axis,)
    if x.dtype.kind != "f" or not all(type(a) is int and 0 <= a < x.ndim for a in axes):
        raise TypeRuleError(f"a nan-reduction over {axis} needs a float array, got {x}")
    if keepdims:
        return (TensorType(tuple(1 if i in axes else n for i, n in enumerate(x.shape)), x.dtype),)
    return (TensorType(tuple(n for i, n in enumerate(x.shape) if i not in axes), x.dtype),)


def declare_call(
    function: Callable,
    params: tuple[str, ...],
    positional: int,
    defaults: dict[str, Any],
    *,
    type_rule: TypeRule | None = None,
    traits: frozenset[Trait] | set[Trait] = frozenset(),
    reference: Reference | None = None,
    namespace: str = "",
    doc: str = "differentiated through its decomposition",
) -> Primitive:
    """A composite call of the NumPy `function` (in `namespace` of the module: "linalg."
    for np.linalg.inv), which is also its reference unless one is given (one that passes a
    keyword only where NumPy accepts it)."""
    name = function.__name__
    reference = reference or function
    primitive = declare(
        name,
        Group.COMPOSITE,
        type_rule or numpy_type(reference),
        f"np.{namespace}{name}, {doc}",
        traits=traits,
        reference=reference,
    )
    signatures[primitive] = Signature(f"{namespace}{name}", params, positional, defaults)
    return primitive


def pad_reference(array, pad_width, mode="constant", constant_values=0):
    # np.pad refuses constant_values in the other modes: the IR holds 0 there.
    keywords = {"constant_values": constant_values} if mode == "constant" else {}
    return np.pad(array, pad_width, mode, **keywords)


pad = declare_call(
    np.pad,
    ("pad_width", "mode", "constant_values"),
    1,
    {"mode": "constant", "constant_values": 0},
    reference=pad_reference,
)
flip = declare_call(
    np.flip, ("axis",), 1, {"axis": None}, type_rule=same_type, traits={Trait.LINEAR}
)
roll = declare_call(
    np.roll, ("shift", "axis"), 1, {"axis": None}, type_rule=same_type, traits={Trait.LINEAR}
)
tile = declare_call(np.tile, ("reps",), 1, {}, traits={Trait.LINEAR})

# NumPy's NaN-ignoring reductions of a floating array, their dtype, where, initial, mean
# and correction left out (a call where those are given is the plain composition).
REDUCED = ("axis", "keepdims"), {"axis": None, "keepdims": False}
nansum, nanprod, nanmax, nanmin, nanmean = (
    declare_call(function, *REDUCED[:1], 0, REDUCED[1], type_rule=reduced_type)
    for function in (np.nansum, np.nanprod, np.nanmax, np.nanmin, np.nanmean)
)
WITH_DDOF = ("axis", "ddof", "keepdims"), {"axis": None, "ddof": 0, "keepdims": False}
nanvar, nanstd = (
    declare_call(function, WITH_DDOF[0], 0, WITH_DDOF[1], type_rule=reduced_type)
    for function in (np.nanvar, np.nanstd)
)
nan_to_num = declare_call(
    np.nan_to_num,
    ("nan", "posinf", "neginf"),
    0,
    {"nan": 0.0, "posinf": None, "neginf": None},
    type_rule=same_type,
)
convolve = declare_call(np.convolve, ("mode",), 0, {"mode": "full"})
correlate = declare_call(np.correlate, ("mode",), 0, {"mode": "valid"})
kron = declare_call(np.kron, (), 0, {})
sinc = declare_call(np.sinc, (), 0, {})
