"""Rows of the operation table for scipy.special's functions (issue 16), each on its domain
away from poles and kinks. Written against the module-level name `special`, so
tests/tracer/test_special16.py can run the same source over jax.scipy.special (the table's
own JAX check rebinds `np` only: `jax=False` here)."""

from __future__ import annotations

import scipy.special as special

from tests.ops.table import OpRow

SAMPLES = (((3,),), ((2, 3),))
PAIRS = (((3,), (3,)), ((2, 3), (3,)))

# name: (low, high) of the samples
UNARY_DOMAINS = {
    "erf": (-2.0, 2.0),
    "erfc": (-2.0, 2.0),
    "erfinv": (-0.9, 0.9),
    "erfcinv": (0.1, 1.9),
    "expit": (-3.0, 3.0),
    "logit": (0.1, 0.9),
    "gammaln": (0.5, 3.0),
    "gamma": (0.5, 3.0),
    "digamma": (0.5, 3.0),
    "rgamma": (0.5, 3.0),
    "ndtr": (-2.0, 2.0),
    "ndtri": (0.1, 0.9),
    "log_ndtr": (-3.0, 2.0),
    "i0": (-2.0, 2.0),
    "i1": (-2.0, 2.0),
    "i0e": (0.2, 2.0),  # exp(-|x|) has a kink at 0
    "i1e": (0.2, 2.0),
    "entr": (0.1, 2.0),
}
BINARY_DOMAINS = {
    "xlogy": (0.1, 2.0),
    "xlog1py": (0.1, 2.0),
    "rel_entr": (0.1, 2.0),
    "beta": (0.5, 3.0),
    "betaln": (0.5, 3.0),
}


def unary_row(name: str, low: float, high: float) -> OpRow:
    def fn(x):
        return getattr(special, name)(x)

    fn.__name__ = name
    return OpRow(getattr(special, name), fn, name=name, low=low, high=high, jax=False)


def binary_row(name: str, low: float, high: float) -> OpRow:
    def fn(x, y):
        return getattr(special, name)(x, y)

    fn.__name__ = name
    return OpRow(
        getattr(special, name),
        fn,
        name=name,
        samples=PAIRS,
        differentiable=(0, 1),
        low=low,
        high=high,
        jax=False,
    )


def polygamma(x, n=1):
    return special.polygamma(n, x)


def normalized(x, axis=None):
    return special.logsumexp(x, axis=axis, keepdims=True) + special.softmax(x, axis=axis) ** 2


def log_normalized(x, axis=None):
    return special.log_softmax(x, axis=axis)


def scaled_sum(x, y):
    value, sign = special.logsumexp(x, axis=-1, b=y, return_sign=True)
    return value * sign


ROWS_SPECIAL16: tuple[OpRow, ...] = (
    *(unary_row(name, *domain) for name, domain in UNARY_DOMAINS.items()),
    *(binary_row(name, *domain) for name, domain in BINARY_DOMAINS.items()),
    OpRow(
        special.polygamma,
        polygamma,
        kwargs=({"n": 0}, {"n": 1}, {"n": 3}),
        low=0.5,
        high=3.0,
        jax=False,
    ),
    OpRow(
        special.softmax,
        normalized,
        samples=(((4,),), ((2, 3),)),
        kwargs=({}, {"axis": -1}),
        jax=False,
    ),
    OpRow(special.log_softmax, log_normalized, kwargs=({}, {"axis": 0}), jax=False),
    OpRow(
        special.logsumexp,
        scaled_sum,
        samples=(((2, 3), (3,)),),
        differentiable=(0,),
        low=0.5,
        high=2.0,
        jax=False,
    ),
)
