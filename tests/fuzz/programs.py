"""Random straight-line NumPy programs for the differential fuzz test.

A `Program` is a list of `Step`s (`t3 = np.tanh(t1 * 2)`) over named values, its inputs (with
the concrete example values it was built on) and its outputs. It renders as the source text of
an ordinary NumPy function, over `numpy` or `jax.numpy` (the same body, `np` bound to either),
and as a float64 twin (every float32 made float64) that finite differences can trust.

Each step is evaluated eagerly on the example inputs while the program is built, so the
generator never needs type rules of its own: a candidate NumPy rejects is dropped, and so is
one whose values are empty, not finite or large, or sit within `KINK_MARGIN` of a kink (the 0
of abs, a tie of max, a where's condition flipping): finite differences are only meaningful
away from those, and ties are covered by the rules' own tests.

The generator takes its choices from a `Chooser`: hypothesis's `draw` in the test-suite (so
failures shrink), a seeded `random.Random` in the long run of `run_many.py`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from hypothesis import strategies as st
from numpy.lib.array_utils import normalize_axis_tuple

KINK_MARGIN = 1e-2  # values nearer a kink or a tie than this are rejected
LARGEST = 1e3  # values larger than this are rejected (exp and prod chains)
SIDES = (1, 2, 3)
MAX_DIMS = 3
PY_FLOATS = (0.5, 1.5, 2.0, -0.25, 3.0, -1.0)
PY_INTS = (1, 2, 3, -1, -2)


class Chooser(Protocol):
    def pick(self, options: Sequence[Any]) -> Any: ...
    def integer(self, low: int, high: int) -> int: ...


class RandomChooser:
    """Choices from a seeded `random.Random` (the long local run)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def pick(self, options: Sequence[Any]) -> Any:
        return options[self.rng.randrange(len(options))]

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)


class DrawChooser:
    """Choices from hypothesis's `draw` (the test-suite: derandomized, and failures shrink)."""

    def __init__(self, draw: Callable):
        self.draw = draw

    def pick(self, options: Sequence[Any]) -> Any:
        return self.draw(st.sampled_from(list(options)))

    def integer(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high))


@dataclass(frozen=True)
class Step:
    target: str
    expression: str  # over `np` and earlier names


@dataclass(frozen=True)
class Program:
    inputs: tuple[tuple[str, Any], ...]  # name and example value
    steps: tuple[Step, ...]
    outputs: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.inputs)

    @property
    def values(self) -> tuple[Any, ...]:
        return tuple(value for _, value in self.inputs)

    @property
    def uses_float32(self) -> bool:
        text = " ".join(step.expression for step in self.steps)
        return "float32" in text or any(np.result_type(v) == np.float32 for v in self.values)

    def body(self, float64: bool = False) -> str:
        lines = [f"    {s.target} = {s.expression}" for s in self.steps]
        lines.append(f"    return {', '.join(self.outputs)},")
        text = "\n".join(lines)
        return text.replace("float32", "float64") if float64 else text

    def source(self, module: str = "numpy", float64: bool = False) -> str:
        """A module defining `f(inputs...)` (a tuple of the outputs) and
        `loss(inputs..., weights...)` = sum over outputs of np.sum(output * weight)."""
        params = ", ".join(self.names)
        weights = [f"w{i}" for i in range(len(self.outputs))]
        total = " + ".join(f"np.sum(out[{i}] * {w})" for i, w in enumerate(weights))
        return (
            f"import {module} as np\n\n\n"
            f"def f({params}):\n{self.body(float64)}\n\n\n"
            f"def loss({', '.join([*self.names, *weights])}):\n"
            f"    out = f({params})\n"
            f"    return {total}\n"
        )

    def float64_inputs(self) -> tuple[Any, ...]:
        """The example inputs with float32 made float64 (for the float64 twin)."""

        def widen(value: Any) -> Any:
            if isinstance(value, (np.ndarray, np.generic)) and value.dtype == np.float32:
                return value.astype(np.float64)
            return value

        return tuple(widen(v) for v in self.values)

    def __str__(self) -> str:
        inputs = ", ".join(f"{n}={describe(v)}" for n, v in self.inputs)
        return f"# inputs: {inputs}\n" + self.source()


def describe(value: Any) -> str:
    if isinstance(value, float):
        return f"float({value!r})"
    if isinstance(value, np.generic):
        return f"np.{value.dtype}({float(value)!r})"
    return f"np.array({value.tolist()!r}, dtype=np.{value.dtype})"


# --- inputs -----------------------------------------------------------------------------


def make_input(choose: Chooser) -> Any:
    """A float32/float64 array (0-d included), a NumPy scalar or a Python float."""
    kind = choose.pick(["array", "array", "array", "zero_d", "numpy_scalar", "python_float"])
    dtype = choose.pick([np.float64, np.float64, np.float32])
    ndim = choose.integer(1, MAX_DIMS) if kind == "array" else 0
    shape = tuple(choose.pick(SIDES) for _ in range(ndim))
    rng = np.random.default_rng(choose.integer(0, 2**32 - 1))
    values = rng.choice([-1.0, 1.0], shape) * rng.uniform(0.3, 2.0, shape)
    if kind == "python_float":
        return float(values)
    if kind == "numpy_scalar":
        return dtype(values)
    return np.asarray(values, dtype=dtype)


# --- steps: each builder returns (expression, margin) or None where it does not apply -------
# `margin` is how far the example values sit from the step's nearest kink (inf for none).

Built = tuple[str, float] | None
INF = float("inf")


def gap(a: Any, b: Any) -> float:
    return float(np.min(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


def broadcasts(*values: Any) -> bool:
    try:
        np.broadcast_shapes(*(np.shape(v) for v in values))
    except ValueError:
        return False
    return True


UNARY = {
    "np.tanh({})": None,
    "np.sin({})": None,
    "np.cos({})": None,
    "np.arctan({})": None,
    "np.exp({})": None,
    "np.abs({})": "zero",
    "-{}": None,
    "np.square({})": None,
    "np.sinh({})": None,
    "np.log({0} * {0} + 0.5)": None,
    "np.sqrt({0} * {0} + 0.25)": None,
    "np.log1p(np.abs({}))": "zero",
    "np.expm1({})": None,
    "1 / (1 + np.exp(-{}))": None,
    "np.negative({})": None,
    "np.cosh({})": None,
}


def operand(choose: Chooser, env: dict) -> str:
    """A name, most often one of the newest three (so steps build on each other)."""
    names = list(env)
    return choose.pick(names[-3:] if choose.pick([True, True, False]) else names)


def unary(choose: Chooser, env: dict) -> Built:
    name = operand(choose, env)
    template = choose.pick(sorted(UNARY))
    margin = gap(env[name], 0.0) if UNARY[template] == "zero" else INF
    return template.format(name), margin


BINARY = (
    "{} + {}",
    "{} - {}",
    "{} * {}",
    "np.add({}, {})",
    "np.multiply({}, {})",
    "np.subtract({}, {})",
    "{} / {}",
    "np.maximum({}, {})",
    "np.minimum({}, {})",
    "np.divide({}, {})",
    "np.arctan2({}, {})",
)


def binary(choose: Chooser, env: dict) -> Built:
    a = operand(choose, env)
    partners = [b for b in env if broadcasts(env[a], env[b])]
    b = choose.pick(partners)
    template = choose.pick(BINARY)
    if "/" in template or "divide" in template:
        margin = 10 * gap(env[b], 0.0)  # a divisor keeps away from 0
    elif "maximum" in template or "minimum" in template:
        margin = gap(env[a], env[b])
    elif "arctan2" in template:
        margin = max(gap(env[a], 0.0), gap(env[b], 0.0))
    else:
        margin = INF
    return template.format(a, b), margin


def scalar(choose: Chooser, env: dict) -> Built:
    """A Python int or float (weak, NEP 50) or a NumPy scalar on either side."""
    a = operand(choose, env)
    kind = choose.pick(["int", "float", "float", "numpy"])
    if kind == "int":
        s = repr(choose.pick(PY_INTS))
    elif kind == "float":
        s = repr(choose.pick(PY_FLOATS))
    else:
        s = f"np.{choose.pick(['float32', 'float64'])}({choose.pick(PY_FLOATS)!r})"
    template = choose.pick(
        [
            "{a} + {s}",
            "{s} + {a}",
            "{a} - {s}",
            "{s} - {a}",
            "{a} * {s}",
            "{s} * {a}",
            "{a} / {s}",
            "{s} / {a}",
            "{a} ** 2",
            "{a} ** 3",
            "np.abs({a}) ** 1.5",
            "{a} ** {s}",
        ]
    )
    if template == "{a} ** {s}" and kind != "int":
        return None  # a float power of a negative base is nan
    margin = 10 * gap(env[a], 0.0) if template in ("{s} / {a}", "np.abs({a}) ** 1.5") else INF
    return template.format(a=a, s=s), margin


COMPARISONS = (">", "<", ">=", "<=")


def where(choose: Chooser, env: dict) -> Built:
    a = operand(choose, env)
    against = choose.pick([*env, "scalar"])
    threshold = repr(choose.pick(PY_FLOATS)) if against == "scalar" else against
    compare_to = float(threshold) if against == "scalar" else env[against]
    if not broadcasts(env[a], compare_to):
        return None
    branches = [choose.pick([*env, "0.0", "1.5"]) for _ in range(2)]
    values = [env.get(name, 0.0) for name in branches]
    if not broadcasts(env[a], compare_to, *values):
        return None
    op = choose.pick(COMPARISONS)
    expression = f"np.where({a} {op} {threshold}, {branches[0]}, {branches[1]})"
    return expression, gap(env[a], compare_to)


REDUCTIONS = ("sum", "mean", "max", "min", "prod")


def reduction_axis(choose: Chooser, ndim: int) -> Any:
    form = choose.pick(["none", "int", "tuple"]) if ndim else "none"
    if form == "none":
        return None
    if form == "int":
        return choose.integer(-ndim, ndim - 1)
    axes = [a for a in range(ndim) if choose.pick([True, False])]
    return tuple(a - ndim if choose.pick([True, False]) else a for a in axes)


def tie_gap(value: Any, axis: Any, largest: bool) -> float:
    """How far the max (min) along `axis` is from the runner-up: 0 for a tie."""
    x = np.asarray(value, np.float64)
    axes = tuple(range(x.ndim)) if axis is None else normalize_axis_tuple(axis, x.ndim)
    if not axes:
        return INF
    rest = [a for a in range(x.ndim) if a not in axes]
    x = np.transpose(x, [*rest, *axes]).reshape(*(x.shape[a] for a in rest), -1)
    if x.shape[-1] < 2:
        return INF
    s = np.sort(x, axis=-1)
    diffs = s[..., -1] - s[..., -2] if largest else s[..., 1] - s[..., 0]
    return float(np.min(diffs))


def reduction(choose: Chooser, env: dict) -> Built:
    a = operand(choose, env)
    fn = choose.pick(REDUCTIONS)
    axis = reduction_axis(choose, np.ndim(env[a]))
    keepdims = choose.pick([False, True])
    arguments = "" if axis is None else f"axis={axis!r}"
    if keepdims:
        arguments = f"{arguments}, keepdims=True" if arguments else "keepdims=True"
    if choose.pick(["function", "method"]) == "method":
        expression = f"{a}.{fn}({arguments})"
    else:
        expression = f"np.{fn}({a}{', ' if arguments else ''}{arguments})"
    margin = tie_gap(env[a], axis, fn == "max") if fn in ("max", "min") else INF
    return expression, margin


def factor_shape(choose: Chooser, size: int) -> tuple[int, ...]:
    dims: list[int] = []
    remaining = size
    for _ in range(choose.integer(0, MAX_DIMS)):
        divisors = [d for d in range(1, remaining + 1) if remaining % d == 0]
        d = choose.pick(divisors)
        dims.append(d)
        remaining //= d
    if remaining != 1 or not dims:
        dims.append(remaining)
    if choose.pick([False, True]):
        dims[choose.integer(0, len(dims) - 1)] = -1
    return tuple(dims)


def reshape(choose: Chooser, env: dict) -> Built:
    a = operand(choose, env)
    shape = factor_shape(choose, int(np.size(env[a])))
    form = choose.pick(
        ["np.reshape({a}, {s!r})", "{a}.reshape({s!r})", "{a}.ravel()", "np.ravel({a})"]
    )
    return form.format(a=a, s=shape), INF


def transpose(choose: Chooser, env: dict) -> Built:
    a = operand(choose, env)
    ndim = np.ndim(env[a])
    perm = list(range(ndim))
    random.Random(choose.integer(0, 1000)).shuffle(perm)
    forms = ["{a}.T", "np.transpose({a})", "np.transpose({a}, {p!r})", "{a}.transpose({p!r})"]
    if ndim >= 2:
        forms += [
            f"np.swapaxes({{a}}, {choose.integer(-ndim, ndim - 1)}, "
            f"{choose.integer(-ndim, ndim - 1)})"
        ]
    return choose.pick(forms).format(a=a, p=tuple(perm)), INF


def index_item(choose: Chooser, side: int, newaxis: bool) -> str:
    kind = choose.pick(["int", "slice", "slice", "none"] if newaxis else ["int", "slice"])
    if kind == "none":
        return "None"
    if kind == "int":
        return repr(choose.integer(-side, side - 1))
    parts = [choose.pick(["", *map(str, range(-side, side + 1))]) for _ in range(2)]
    step = choose.pick(["", "", "2", "-1", "-2"])
    return f"{parts[0]}:{parts[1]}" + (f":{step}" if step else "")


def index(choose: Chooser, env: dict) -> Built:
    """Basic indexing: ints, slices, None and Ellipsis; or integer-array indexing with ints,
    slices and Ellipsis (tracegrad refuses None beside an index array, with a clear
    TraceError: tests/fuzz/test_regressions.py)."""
    arrays = [n for n in env if np.ndim(env[n]) >= 1]
    if not arrays:
        return None
    a = choose.pick(arrays)
    shape = np.shape(env[a])
    count = choose.integer(1, len(shape))
    axes = range(len(shape) - count, len(shape)) if choose.pick([False, True]) else range(count)
    fancy = choose.pick([False, False, False, True])
    items = [index_item(choose, shape[axis], newaxis=not fancy) for axis in axes]
    if not fancy and choose.pick([False, True, True]):
        items.insert(choose.integer(0, len(items)), "None")
    if choose.pick([False, True]) and count < len(shape):
        items.insert(0 if axes[0] else len(items), "...")
    elif axes[0] and count < len(shape):
        items.insert(0, "...")
    plain = [i for i, item in enumerate(items) if item not in ("None", "...")]
    if plain and fancy:
        side = shape[axes[0]]  # NumPy rejects the step if it is not the axis indexed
        positions = [choose.integer(-side, side - 1) for _ in range(choose.integer(1, 3))]
        items[plain[0]] = f"np.array({positions!r})"
    return f"{a}[{', '.join(items)}]", INF


def contraction(choose: Chooser, env: dict) -> Built:
    pairs = [(a, b) for a in env for b in env if matmul_works(env[a], env[b])]
    if not pairs:
        return None
    a, b = choose.pick(pairs)
    forms = ["{a} @ {b}", "np.matmul({a}, {b})"]
    if np.ndim(env[a]) <= 2 and np.ndim(env[b]) <= 2:
        forms.append("np.dot({a}, {b})")
    if np.ndim(env[a]) == 2 and np.ndim(env[b]) == 2:
        forms.append("np.einsum('ij,jk->ik', {a}, {b})")
    if np.ndim(env[a]) == 1 and np.ndim(env[b]) == 1:
        forms += ["np.outer({a}, {b})", "np.einsum('i,j->ij', {a}, {b})"]
    return choose.pick(forms).format(a=a, b=b), INF


def matmul_works(a: Any, b: Any) -> bool:
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return False
    try:
        np.matmul(np.asarray(a), np.asarray(b))
    except ValueError:
        return False
    return True


def astype(choose: Chooser, env: dict) -> Built:
    a = operand(choose, env)
    # Only `.astype`: np.asarray(x, dtype) and np.float32(x) convert through __array__ /
    # __float__, which NumPy does not let a traced value override, so tracegrad refuses them
    # with a TraceError that says to write x.astype (tests/fuzz/test_regressions.py).
    dtype = choose.pick(["np.float32", "np.float64"])
    form = choose.pick(["{a}.astype({d})", "np.astype({a}, {d})"])
    return form.format(a=a, d=dtype), INF


def statistic(choose: Chooser, env: dict) -> Built:
    """var, std and the 2-norm: kinks where the spread (the norm) is 0."""
    a = operand(choose, env)
    fn = choose.pick(["np.var", "np.std", "np.linalg.norm", "var", "std"])
    x = np.asarray(env[a], np.float64)
    if fn == "np.linalg.norm":
        axis = choose.pick([None, *range(-x.ndim, x.ndim)]) if x.ndim <= 2 else None
        value = np.linalg.norm(x, axis=axis)
    else:
        axis = reduction_axis(choose, x.ndim)
        value = np.std(x, axis=axis)
    keepdims = choose.pick([False, True])
    arguments = ("" if axis is None else f", axis={axis!r}") + (
        ", keepdims=True" if keepdims else ""
    )
    method = f"{a}.{fn}({arguments[2:]})"  # arguments[2:] drops the leading ", "
    return method if fn in ("var", "std") else f"{fn}({a}{arguments})", float(np.min(value))


def combine(choose: Chooser, env: dict) -> Built:
    """Shape functions: expand_dims, squeeze, broadcast_to, stack, concatenate, clip."""
    a = operand(choose, env)
    x = env[a]
    ndim = np.ndim(x)
    same = [b for b in env if np.shape(env[b]) == np.shape(x)]
    form = choose.pick(["expand", "squeeze", "broadcast", "stack", "concatenate", "clip"])
    if form == "expand":
        return f"np.expand_dims({a}, {choose.integer(-ndim - 1, ndim)})", INF
    if form == "squeeze":
        return f"np.squeeze({a})", INF
    if form == "broadcast":
        shape = (
            choose.pick(SIDES),
            *(side if choose.pick([True, True, False]) else 1 for side in np.shape(x)),
        )
        return f"np.broadcast_to({a}, {shape!r})", INF  # NumPy rejects a size-1 mismatch
    if form == "clip":
        low, high = sorted(choose.pick(PY_FLOATS) for _ in range(2))
        if low == high:
            return None
        return f"np.clip({a}, {low!r}, {high!r})", min(gap(x, low), gap(x, high))
    b = choose.pick(same)
    if form == "stack":
        return f"np.stack([{a}, {b}], axis={choose.integer(-ndim - 1, ndim)})", INF
    if ndim == 0:
        return None
    return f"np.concatenate([{a}, {b}], axis={choose.integer(-ndim, ndim - 1)})", INF


def mask(choose: Chooser, env: dict) -> Built:
    """A comparison's booleans in arithmetic: (a > b) * c."""
    a, c = operand(choose, env), operand(choose, env)
    threshold = repr(choose.pick(PY_FLOATS))
    if choose.pick([True, False]):
        return f"({a} > {threshold}) * {c}", gap(env[a], float(threshold))
    return f"{c} * ({a} <= {threshold})", gap(env[a], float(threshold))


BUILDERS: dict[str, Callable[[Chooser, dict], Built]] = {
    "unary": unary,
    "binary": binary,
    "scalar": scalar,
    "where": where,
    "reduction": reduction,
    "reshape": reshape,
    "transpose": transpose,
    "index": index,
    "contraction": contraction,
    "astype": astype,
    "statistic": statistic,
    "combine": combine,
    "mask": mask,
}
WEIGHTS = {
    "unary": 3,
    "binary": 3,
    "scalar": 3,
    "where": 2,
    "reduction": 3,
    "reshape": 1,
    "transpose": 2,
    "index": 2,
    "contraction": 2,
    "astype": 1,
    "statistic": 1,
    "combine": 2,
    "mask": 1,
}
KINDS = [kind for kind, count in WEIGHTS.items() for _ in range(count)]


def evaluate(expression: str, env: dict) -> Any:
    with np.errstate(all="ignore"):  # a step giving inf or nan is rejected, not warned about
        return eval(expression, {"np": np}, dict(env))


def acceptable(value: Any, margin: float) -> bool:
    if not isinstance(value, (float, np.ndarray, np.floating)):
        return False
    array = np.asarray(value)
    if array.size == 0 or array.dtype.kind != "f":
        return False  # empty arrays and non-floats are left to their own tests
    if not np.all(np.isfinite(array)) or np.max(np.abs(array)) > LARGEST:
        return False
    return margin >= KINK_MARGIN


def make_program(choose: Chooser, max_steps: int = 8) -> Program:
    count = choose.integer(1, 3)
    inputs = tuple((name, make_input(choose)) for name in ("x", "y", "z")[:count])
    env: dict[str, Any] = dict(inputs)
    steps: list[Step] = []
    for _ in range(choose.integer(1, max_steps)):
        built = BUILDERS[choose.pick(KINDS)](choose, env)
        if built is None:
            continue
        expression, margin = built
        try:
            value = evaluate(expression, env)
        except (ValueError, TypeError, IndexError, AttributeError, ArithmeticError):
            continue  # NumPy itself rejects it: not a program
        if not acceptable(value, margin):
            continue
        target = f"t{len(steps) + 1}"
        steps.append(Step(target, expression))
        env[target] = value
    last = steps[-1].target if steps else inputs[0][0]
    outputs = [last]
    if steps and choose.pick([False, True]):
        other = choose.pick([name for name in env if name != last])
        outputs.append(other)
    return Program(inputs, tuple(steps), tuple(outputs))


@st.composite
def programs(draw: Callable, max_steps: int = 8) -> Program:
    return make_program(DrawChooser(draw), max_steps)
