"""IR layer: primitives that compute nothing and tell the transforms something.

stop_gradient(x) is x; differentiation sees a constant there (its VJP and JVP are zero), as
`jax.lax.stop_gradient` does. It stays in the optimized graph, so a graph differentiated
again (grad of grad, or a gradient inlined into another trace) still stops there.
"""

from __future__ import annotations

from ..primitive import Group, Trait, declare
from ..types import TensorType


def identity_rule(types: tuple[TensorType, ...]) -> tuple[TensorType, ...]:
    (x,) = types
    return (x,)


stop_gradient = declare(
    "stop_gradient",
    Group.CONVERSION,
    identity_rule,
    "x itself, a constant to differentiation",
    traits={Trait.VIEW},
    reference=lambda x: x,
)
