"""The front end registers itself: `@implements` writes the dispatch entry, the
tracegrad.numpy name and the Tracer's forwarding method in one place, and refuses a
registration that is a mistake (twice, or of something that is not NumPy's) at import."""

import ast
import math
import pathlib
import re

import numpy as np
import pytest

import tracegrad
import tracegrad.numpy as tnp
from tracegrad.tracer import Tracer, dispatch
from tracegrad.tracer import functions as tracer_functions
from tracegrad.tracer.functions import registry
from tracegrad.tracer.functions.registry import RegistrationError, implements

# tracegrad.numpy's public names before the registry (issue 13): they must not change.
PUBLIC_NAMES = [
    "PYTHON_NUMBERS",
    "abs",
    "absolute",
    "add",
    "all",
    "amax",
    "amin",
    "any",
    "arccos",
    "arcsin",
    "arctan",
    "arctan2",
    "argmax",
    "argmin",
    "around",
    "as_scalar_if_uniform",
    "astype",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "broadcast_to",
    "ceil",
    "clip",
    "compress",
    "concatenate",
    "conj",
    "conjugate",
    "cos",
    "cosh",
    "diagonal",
    "divide",
    "dot",
    "einsum",
    "equal",
    "exp",
    "expand_dims",
    "expm1",
    "floor",
    "floor_divide",
    "full_like",
    "greater",
    "greater_equal",
    "imag",
    "inplace",
    "invert",
    "is_captured",
    "left_shift",
    "less",
    "less_equal",
    "log",
    "log1p",
    "logical_and",
    "logical_not",
    "logical_or",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mod",
    "moveaxis",
    "multiply",
    "ndim",
    "negative",
    "norm",
    "not_equal",
    "ones_like",
    "outer",
    "positive",
    "power",
    "prod",
    "ravel",
    "real",
    "remainder",
    "repeat",
    "reshape",
    "right_shift",
    "round",
    "shape",
    "sign",
    "sin",
    "sinh",
    "size",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "std",
    "subtract",
    "sum",
    "swapaxes",
    "take",
    "tan",
    "tanh",
    "trace",
    "transpose",
    "true_divide",
    "var",
    "where",
    "zeros_like",
]

SRC = pathlib.Path(tracegrad.__file__).parent


# Public names of tracegrad.numpy that are not tracing functions (kept from before the split).
NOT_REGISTERED = {"PYTHON_NUMBERS", "as_scalar_if_uniform", "inplace", "is_captured"}


def test_tracegrad_numpy_keeps_its_names_and_adds_only_registered_functions():
    public = sorted(name for name in dir(tnp) if not name.startswith("_"))
    assert sorted(tnp.__all__) == public
    assert set(PUBLIC_NAMES) <= set(public), "a name tracegrad.numpy had is gone"
    assert set(public) - set(PUBLIC_NAMES) <= set(registry.NAMES)
    assert set(public) == set(registry.NAMES) | NOT_REGISTERED


def test_the_dispatch_tables_are_the_registry():
    assert dispatch.UFUNCS is registry.UFUNCS and dispatch.FUNCTIONS is registry.FUNCTIONS
    assert dispatch.FUNCTIONS[np.amax] is tnp.max is tnp.amax
    assert dispatch.UFUNCS[np.absolute] is tnp.abs and dispatch.UFUNCS[np.mod] is tnp.remainder


def test_each_registered_name_is_in_its_modules_all():
    exported = {name for module in tracer_functions.NUMPY_MODULES for name in module.__all__}
    assert exported - {"as_array"} == set(registry.NAMES)  # as_array: a helper, no NumPy name
    for name, function in registry.NAMES.items():
        module = function.__module__.rsplit(".", 1)[-1]
        assert name in getattr(tracer_functions, module).__all__, (name, module)


def test_the_tracer_takes_its_forwarding_methods_from_the_registry():
    for name, function in registry.METHODS.items():
        assert getattr(Tracer, name) is function, name
        assert name not in Tracer.__dict__, f"Tracer.{name} both registered and written out"
    assert Tracer.T.fget is tnp.transpose
    x = np.arange(6.0).reshape(2, 3)
    assert math.isclose(tracegrad.jit(lambda v: v.sum(1).max() + v.T.mean())(x), 14.5)


def test_registering_a_numpy_callable_twice_fails_and_writes_nothing():
    before = (dict(registry.FUNCTIONS), dict(registry.NAMES))
    with pytest.raises(RegistrationError, match="registered twice"):
        implements(np.nanargmax, np.sum)(lambda a: a)
    with pytest.raises(
        RegistrationError, match=re.escape("tracegrad.numpy.sum is registered twice")
    ):
        implements(np.nanargmax, aliases=("sum",))(lambda a: a)
    with pytest.raises(RegistrationError, match=re.escape("x.sum is registered twice")):
        implements(np.nanargmax, method="sum")(lambda a: a)
    assert before == (registry.FUNCTIONS, registry.NAMES)


@pytest.mark.parametrize("candidate", [math.exp, "cumsum", len, np.ndarray.sum])
def test_registering_something_that_is_not_numpys_fails(candidate):
    with pytest.raises(RegistrationError, match="not a NumPy function or ufunc"):
        implements(candidate)


def test_a_derivative_that_is_not_a_kind_fails():
    with pytest.raises(RegistrationError, match="derivative='maybe'"):
        implements(np.nancumsum, derivative="maybe")
    assert np.nancumsum not in registry.DETAILS


def test_a_registration_records_its_details():
    assert registry.DETAILS[np.argmax] == registry.Details("none")
    assert registry.DETAILS[np.floor].derivative == "zero"  # from the primitive's trait
    assert registry.DETAILS[np.less].derivative == "none"  # a comparison
    assert registry.DETAILS[np.tanh] == registry.Details()


def test_a_method_registered_after_the_tracer_was_built_fails():
    with pytest.raises(RegistrationError, match="after the Tracer class was built"):
        implements(np.nancumsum, method="nancumsum")(lambda a: a)
    assert "nancumsum" not in registry.NAMES


def test_a_registered_function_runs_numpy_on_untraced_arguments():
    assert tnp.sum.numpy_function is np.sum and tnp.amax.numpy_function is np.max
    assert tnp.sum([1, 2, 3]) == 6 and tnp.shape([[1, 2]]) == (1, 2)


def top_level_imports_after_code(path: pathlib.Path) -> list[int]:
    """Lines of module-level imports that come after the first def or class."""
    body = ast.parse(path.read_text()).body
    first = next((n.lineno for n in body if isinstance(n, ast.FunctionDef | ast.ClassDef)), None)
    return [
        n.lineno
        for n in body
        if isinstance(n, ast.Import | ast.ImportFrom) and first is not None and n.lineno > first
    ]


def test_no_module_of_the_tracer_imports_at_its_bottom():
    late = {
        str(p.relative_to(SRC)): lines
        for p in sorted((SRC / "tracer").rglob("*.py"))
        if (lines := top_level_imports_after_code(p))
    }
    assert not late, late


def test_no_refusal_reason_is_left_for_a_registered_function():
    """unsupported.REASONS explains what has no tracing rule: once np.f or x.f is registered,
    its reason is unreachable and must go (np.cumsum's, when it lands). A reason stays for a
    method that keeps refusing while the function is traced (x.sort() sorts in place)."""
    from tracegrad.tracer.unsupported import NDARRAY_NAMES, REASONS

    methods = set(registry.METHODS) | set(registry.ATTRIBUTES)
    stale = sorted(
        name
        for name in REASONS
        if name in methods or (name in registry.NAMES and name not in NDARRAY_NAMES)
    )
    assert not stale, stale
