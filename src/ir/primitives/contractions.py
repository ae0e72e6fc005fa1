"""IR layer: contractions, matmul (NumPy's 1-D, 2-D and batched rules) and einsum.

einsum's `subscripts` param is always explicit (`ij,jk->ik`) in the IR: the tracer fills in
the implicit output, so rules and emitters read a single form.
"""

from __future__ import annotations

import numpy as np

from ...errors import TypeRuleError
from ..primitive import Group, Trait, declare
from ..types import TensorType
from .elementwise import resolve


def matmul_rule(types: tuple[TensorType, ...]) -> tuple[TensorType, ...]:
    a, b = types
    if a.ndim == 0 or b.ndim == 0:
        raise TypeRuleError(
            f"matmul: operands must have at least one dimension, got {a} @ {b}",
            hint="multiply by a scalar with `*` instead of `@`",
        )
    a_shape = (1, *a.shape) if a.ndim == 1 else a.shape
    b_shape = (*b.shape, 1) if b.ndim == 1 else b.shape
    if a_shape[-1] != b_shape[-2]:
        raise TypeRuleError(
            f"matmul: {a} @ {b} contracts a dimension of size {a_shape[-1]} with one of size "
            f"{b_shape[-2]}",
            hint="the last axis of the left operand must match the second-to-last of the right; "
            "transpose one of them (`.T`) if they are the wrong way round",
        )
    try:
        batch = np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
    except ValueError:
        raise TypeRuleError(
            f"matmul: batch dimensions of {a} and {b} do not broadcast together"
        ) from None
    shape = (*batch, a_shape[-2], b_shape[-1])
    if a.ndim == 1:
        shape = (*shape[:-2], shape[-1])
    if b.ndim == 1:
        shape = shape[:-1]
    return (TensorType(shape, resolve(np.matmul, "matmul", (a, b))),)


def parse_subscripts(subscripts: str, n_operands: int) -> tuple[list[str], str]:
    """Split explicit subscripts `ij,jk->ik` into (['ij', 'jk'], 'ik'), checking the form."""
    if subscripts.count("->") != 1 or "." in subscripts:
        raise TypeRuleError(
            f"einsum: subscripts {subscripts!r} must be explicit, without '...'",
            hint="write one `->` followed by the output's letters, e.g. 'ij,jk->ik'",
        )
    lhs, output = subscripts.split("->")
    inputs = lhs.split(",")
    if len(inputs) != n_operands:
        raise TypeRuleError(
            f"einsum: subscripts {subscripts!r} name {len(inputs)} operands, got {n_operands}",
            hint="give one comma-separated term per operand",
        )
    for term in [*inputs, output]:
        if not all(c.isalpha() for c in term):
            raise TypeRuleError(
                f"einsum: subscripts {subscripts!r} may hold only letters",
                hint="name each axis with a letter, e.g. 'ij,jk->ik'",
            )
    if len(set(output)) != len(output):
        raise TypeRuleError(
            f"einsum: output {output!r} repeats an index", hint="name each output axis once"
        )
    if not set(output) <= set("".join(inputs)):
        raise TypeRuleError(
            f"einsum: output {output!r} names an index no operand has",
            hint="the output may only use letters of the operands' terms",
        )
    return inputs, output


def einsum_rule(types: tuple[TensorType, ...], subscripts: str) -> tuple[TensorType, ...]:
    inputs, output = parse_subscripts(subscripts, len(types))
    sizes: dict[str, int] = {}
    for term, t in zip(inputs, types, strict=True):
        if len(term) != t.ndim:
            raise TypeRuleError(
                f"einsum: {term!r} names {len(term)} axes but the operand is {t}",
                hint="give each operand one letter per axis",
            )
        for index, size in zip(term, t.shape, strict=True):
            if sizes.setdefault(index, size) != size:
                raise TypeRuleError(
                    f"einsum: index {index!r} has size {sizes[index]} in one place and {size} "
                    f"in another ({subscripts!r} on {', '.join(map(str, types))})",
                    hint="NumPy would stretch an axis of size 1 here; tracegrad needs equal "
                    "sizes: np.broadcast_to the operand first"
                    if 1 in (size, sizes[index])
                    else "use different letters for axes of different sizes",
                )
    dtype = np.result_type(*(t.dtype for t in types))
    return (TensorType(tuple(sizes[i] for i in output), dtype),)


matmul = declare(
    "matmul",
    Group.CONTRACTION,
    matmul_rule,
    "x @ y with NumPy's matmul rules",
    reference=np.matmul,
)
# einsum returns a view where no element is computed (`ij->ji`).
einsum = declare(
    "einsum",
    Group.CONTRACTION,
    einsum_rule,
    "Einstein summation, explicit form",
    traits={Trait.MAY_VIEW},
    reference=lambda *xs, subscripts: np.einsum(subscripts, *xs),
)
