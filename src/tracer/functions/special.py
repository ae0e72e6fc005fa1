"""Tracer layer: scipy.special's functions on traced values (issue 16), where SciPy is
installed: its ufuncs as the elementwise primitives of ir/primitives/special.py (NumPy hands
a Tracer's ufunc call here as it does np.exp's), polygamma with its order an int, and the
functions composed of NumPy's (logsumexp, softmax, log_softmax).

tracegrad's own code reads them as `functions.special.erf(x)` (`tracegrad.numpy` has their
names too, as it has NumPy's).
"""

from __future__ import annotations

import numpy as np

from ...errors import TraceError
from ...ir.primitives import special as primitives
from ..context import find_trace
from ..source import caller_location
from .common import bind
from .ufuncs import ufunc_function

__all__: list[str] = []  # filled below, where SciPy is installed

if primitives.scipy_special is not None:
    scipy_special = primitives.scipy_special
    for _name in (*primitives.UNARY_NAMES, *primitives.BINARY_NAMES):
        ufunc = getattr(scipy_special, _name)
        globals()[_name] = ufunc_function(primitives.SPECIAL[_name], ufunc, module=__name__)
    psi = globals()["digamma"]
    # The names the registry gives them: the ufuncs' own (scipy.special.digamma is `psi`).
    __all__ += list(
        dict.fromkeys(
            getattr(scipy_special, name).__name__
            for name in (*primitives.UNARY_NAMES, *primitives.BINARY_NAMES)
        )
    )
    __all__ += ["log_softmax", "logsumexp", "polygamma", "softmax"]

    from .registry import implements

    @implements(scipy_special.polygamma)
    def polygamma(n, x):
        """scipy.special.polygamma(n, x) with the order a concrete integer."""
        if find_trace([n]) is not None or not isinstance(n, int | np.integer):
            raise TraceError(
                "scipy.special.polygamma: the order n must be a concrete integer",
                loc=caller_location(),
                hint="pass n as a Python int; a traced order has no derivative",
            )
        if find_trace([x]) is None:
            return scipy_special.polygamma(n, x)
        return bind(primitives.SPECIAL["polygamma"], x, n=int(n))

    @implements(scipy_special.logsumexp, note="b= and return_sign= too")
    def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
        """log(sum(b * exp(a))) over `axis`, computed past the largest element (whose
        derivative cancels: it is held constant, as JAX holds it)."""
        from .. import markers
        from .nanfunctions import isfinite
        from .reductions import max, sum
        from .ufuncs import absolute, exp, log, sign, where

        top = markers.stop_gradient(max(a, axis=axis, keepdims=True))
        top = where(isfinite(top), top, 0)
        scaled = exp(a - top) if b is None else b * exp(a - top)
        total = sum(scaled, axis=axis, keepdims=keepdims)
        shift = top if keepdims else squeezed(top, a, axis)
        if return_sign:
            return log(absolute(total)) + shift, sign(total)
        return log(total) + shift

    @implements(scipy_special.softmax)
    def softmax(x, axis=None):
        from .. import markers
        from .reductions import max, sum
        from .ufuncs import exp

        shifted = exp(x - markers.stop_gradient(max(x, axis=axis, keepdims=True)))
        return shifted / sum(shifted, axis=axis, keepdims=True)

    @implements(scipy_special.log_softmax)
    def log_softmax(x, axis=None):
        """x - max - log(sum(exp(x - max))): the spelling tracegrad recognises as the stable
        log_softmax composite."""
        from .reductions import max, sum
        from .ufuncs import exp, log

        shifted = x - max(x, axis=axis, keepdims=True)
        return shifted - log(sum(exp(shifted), axis=axis, keepdims=True))

    def squeezed(kept, a, axis):
        from .common import type_of
        from .shapes import reshape

        shape = type_of(a).shape
        axes = range(len(shape)) if axis is None else axis if isinstance(axis, tuple) else (axis,)
        axes = {ax % len(shape) for ax in axes}
        return reshape(kept, tuple(n for i, n in enumerate(shape) if i not in axes))
