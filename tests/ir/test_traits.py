"""Each trait and `reference` of the primitives checked against NumPy on sample operands."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from tracegrad.ir.primitive import Group, Primitive, Trait, primitives
from tracegrad.ir.primitives.elementwise import UFUNCS
from tracegrad.ir.types import TensorType

RNG = np.random.default_rng(0)


def floats(*shape: int) -> np.ndarray:
    return RNG.uniform(0.1, 0.9, shape)  # inside every ufunc's domain (log, arcsin, ...)


INDEX = ((0, 2, None), 1)  # x[0:2, 1]
ROWS = np.array([0, 2, 2])
SPD = np.stack([np.eye(3) * 2, np.eye(3) + 0.5])

# name -> (operands, params): one call of the primitive's reference each.
SPECIAL: dict[str, tuple[tuple, dict]] = {
    "round": ((floats(3, 4),), {"decimals": 1}),
    "where": ((floats(3, 4) > 0.5, floats(3, 4), floats(1, 4)), {}),
    "argmax": ((floats(3, 4),), {"axis": 1, "keepdims": False}),
    "argmin": ((floats(3, 4),), {"axis": 0, "keepdims": True}),
    "reshape": ((floats(3, 4),), {"shape": (4, 3)}),
    "transpose": ((floats(3, 4),), {"axes": (1, 0)}),
    "broadcast_to": ((floats(4),), {"shape": (3, 4)}),
    "concatenate": ((floats(3, 4), floats(2, 4)), {"axis": 0}),
    "stack": ((floats(3, 4), floats(3, 4)), {"axis": 1}),
    "convert": ((floats(3, 4),), {"dtype": np.dtype(np.float32)}),
    "matmul": ((floats(3, 4), floats(4, 2)), {}),
    "einsum": ((floats(3, 4), floats(4, 2)), {"subscripts": "ij,jk->ik"}),
    "index": ((floats(3, 4),), {"index": INDEX}),
    "gather": ((floats(3, 4), ROWS), {"axes": (0,)}),
    "index_scatter": ((floats(2),), {"shape": (3, 4), "index": INDEX}),
    "scatter_add": ((floats(3, 4), ROWS), {"shape": (3, 4), "axes": (0,)}),
    "index_set": ((floats(3, 4), floats(2)), {"index": INDEX}),
    "gather_set": ((floats(3, 4), floats(3, 4), np.array([2, 0, 1])), {"axes": (0,)}),
    "index_add": ((floats(3, 4), floats(2)), {"index": INDEX}),
    "gather_add": ((floats(3, 4), floats(3, 4), ROWS), {"axes": (0,)}),
    "gather_max": ((floats(3, 4), floats(3, 4), ROWS), {"axes": (0,)}),
    "gather_min": ((floats(3, 4), floats(3, 4), ROWS), {"axes": (0,)}),
    "log_softmax": ((floats(3, 4),), {"axis": (1,)}),
    "root_sum_squares": ((floats(3, 4),), {"axis": (1,), "keepdims": False, "divisor": 4}),
    "stop_gradient": ((floats(3, 4),), {}),
    "cumsum": ((floats(3, 4),), {"axis": 1}),
    "cumprod": ((floats(3, 4),), {"axis": 0}),
    "sort": ((floats(3, 4),), {"axis": 1, "stable": False}),
    "argsort": ((floats(3, 4),), {"axis": 0, "stable": True}),
    "partition": ((floats(3, 4),), {"axis": 1, "kth": (1,)}),
    "argpartition": ((floats(3, 4),), {"axis": 0, "kth": (0, 2)}),
    "searchsorted": ((np.sort(floats(4)), floats(3, 4)), {"side": "right"}),
    "pad": ((floats(3, 4),), {"pad_width": (1, 2), "mode": "constant", "constant_values": 0}),
    "flip": ((floats(3, 4),), {"axis": 0}),
    "convolve": ((floats(5), floats(3)), {"mode": "same"}),
    "kron": ((floats(3, 4), floats(2)), {}),
    "sinc": ((floats(3, 4),), {}),
    "correlate": ((floats(3), floats(5)), {"mode": "full"}),
    "nan_to_num": ((floats(3, 4),), {"nan": 1.0, "posinf": None, "neginf": -2.0}),
    **{
        name: ((floats(3, 4),), {"axis": 1, "keepdims": False})
        for name in ("nansum", "nanprod", "nanmax", "nanmin", "nanmean")
    },
    "nanvar": ((floats(3, 4),), {"axis": None, "ddof": 1, "keepdims": True}),
    "nanstd": ((floats(3, 4),), {"axis": (0, 1), "ddof": 0, "keepdims": False}),
    "tile": ((floats(3, 4),), {"reps": (2, 1, 3)}),
    "roll": ((floats(3, 4),), {"shift": (1, -1), "axis": (0, 1)}),
    # the linear-algebra core: stacks of symmetric positive-definite matrices
    "inv": ((SPD,), {}),
    "solve": ((SPD, floats(3, 2)), {}),
    "det": ((SPD,), {}),
    "slogdet": ((SPD,), {}),
    "cholesky": ((SPD,), {"upper": True}),
    "eigh": ((SPD,), {"UPLO": "U"}),
    "eigvalsh": ((SPD,), {"UPLO": "L"}),
    "svd": ((floats(2, 4, 3),), {"full_matrices": True, "compute_uv": True}),
    "pinv": ((floats(3, 5),), {"rcond": 1e-10}),
    "qr": ((floats(2, 4, 3),), {"mode": "reduced"}),
    "polygamma": ((floats(3, 4) + 1,), {"n": 2}),
    "triangular_solve": ((SPD, floats(3, 2)), {"lower": True, "transpose_a": True}),
    "solve_triangular": (
        (SPD[0], floats(3, 2)),
        {"trans": 1, "lower": True, "unit_diagonal": False},
    ),
}


def sample(op: Primitive) -> tuple[tuple, dict]:
    if op.name in SPECIAL:
        return SPECIAL[op.name]
    if op.group is Group.REDUCTION:
        return (floats(3, 4),), {"axis": (1,), "keepdims": False}
    if op.reference in UFUNCS.values():
        return tuple(floats(3, 4) for _ in range(op.reference.nin)), {}
    raise AssertionError(f"no sample operands for {op.name}")


WITH_REFERENCE = [op for op in primitives.values() if op.reference is not None]


def with_trait(trait: Trait) -> list[Primitive]:
    return [op for op in WITH_REFERENCE if op.has(trait)]


def test_every_primitive_outside_control_flow_has_a_reference():
    missing = [
        op.name
        for op in primitives.values()
        if op.reference is None and op.group is not Group.CONTROL
    ]
    assert missing == []


def test_ufuncs_are_the_references():
    assert UFUNCS and all(op.reference is ufunc for op, ufunc in UFUNCS.items())
    assert all(
        isinstance(op.reference, np.ufunc) == (op in UFUNCS) for op in with_trait(Trait.ELEMENTWISE)
    )


@pytest.mark.parametrize("op", WITH_REFERENCE, ids=lambda op: op.name)
def test_reference_agrees_with_type_rule(op: Primitive):
    operands, params = sample(op)
    outs = op.infer(tuple(TensorType(np.shape(x), np.asarray(x).dtype) for x in operands), params)
    values = op.reference(*operands, **params)
    values = values if isinstance(values, tuple) else (values,)
    assert len(values) == len(outs)
    for value, out in zip(map(np.asarray, values), outs, strict=True):
        assert (value.shape, value.dtype) == (out.shape, out.dtype)


@pytest.mark.parametrize("op", with_trait(Trait.COMMUTATIVE), ids=lambda op: op.name)
def test_commutative_operands_swap(op: Primitive):
    a, b = floats(3, 4), floats(1, 4)
    b[0, 0] = a[0, 0]  # equal operands somewhere, so comparisons are not constant
    np.testing.assert_array_equal(op.reference(a, b), op.reference(b, a))


@pytest.mark.parametrize("op", with_trait(Trait.VIEW), ids=lambda op: op.name)
def test_view_shares_memory(op: Primitive):
    operands, params = sample(op)
    assert np.shares_memory(op.reference(*operands, **params), operands[0])


@pytest.mark.parametrize("op", with_trait(Trait.ELEMENTWISE), ids=lambda op: op.name)
def test_elementwise_broadcasts(op: Primitive):
    operands, params = sample(op)
    shapes = [(3, 1, 4), (5, 1), (1, 4)][: len(operands)]
    operands = tuple(
        np.broadcast_to(x.reshape(-1)[0], s).copy() for x, s in zip(operands, shapes, strict=True)
    )
    value = np.asarray(op.reference(*operands, **params))
    assert value.shape == np.broadcast_shapes(*shapes)
    # Each element is the op at that position alone.
    one = op.reference(*(x.reshape(-1)[:1].reshape(()) for x in operands), **params)
    np.testing.assert_array_equal(value, np.broadcast_to(one, value.shape))


@pytest.mark.parametrize("op", with_trait(Trait.LINEAR), ids=lambda op: op.name)
def test_linear_in_float_operands(op: Primitive):
    operands, params = sample(op)
    is_float = [np.asarray(x).dtype.kind == "f" for x in operands]
    other = tuple(floats(*np.shape(x)) if f else x for x, f in zip(operands, is_float, strict=True))
    a, b = 1.7, -0.6
    mixed = tuple(
        a * x + b * y if f else x for x, y, f in zip(operands, other, is_float, strict=True)
    )
    f = op.reference
    expected = a * np.asarray(f(*operands, **params)) + b * np.asarray(f(*other, **params))
    np.testing.assert_allclose(f(*mixed, **params), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "op", [op for op in primitives.values() if op.axis_params], ids=lambda op: op.name
)
def test_axis_params_are_params(op: Primitive):
    rule_params = inspect.signature(op.type_rule).parameters
    assert set(op.axis_params) <= set(rule_params) - {"types"}
