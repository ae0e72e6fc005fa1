"""The emitted derivative does not depend on the garbage collector: the interpreter holds
the primal values whose names it keeps, not only their ids."""

from __future__ import annotations

import gc

import numpy as np

import tracegrad

from ..catalog.functions import geometric_mean


def test_a_hessian_through_a_cond_is_emitted_the_same_every_time():
    # Forward mode replaces a replayed cond by the node that runs its tangents too: the
    # replayed values die, and a later tangent that got one of their ids went unnamed
    # while only ids were kept. Emitting again (with garbage collected in between) gave
    # other names, from one run to the next.
    x = np.random.default_rng(0).uniform(0.5, 2.0, size=(3, 4))
    texts = set()
    for _ in range(8):
        texts.add(tracegrad.hessian(geometric_mean).source(x))
        gc.collect()
    assert len(texts) == 1
