"""`tracegrad.numpy`: the NumPy functions tracegrad can trace, for explicit use.

`import tracegrad.numpy as tnp; tnp.tanh(x)` works on traced and on plain values alike.
"""

from .tracer.functions import *  # noqa: F403
from .tracer.functions import __all__  # noqa: F401
