"""Issue 14's elementwise functions: what the operation table cannot say (the emitted calls,
NaN and zero corner cases, the refusals, divmod's two results)."""

import inspect

import numpy as np
import pytest

import tracegrad
import tracegrad.numpy as tnp

X = np.array([0.3, 1.2, 2.5])
Y = np.array([0.7, -0.4, 1.9])

# (what the user writes, the call each backend emits): the primitive's own NumPy function
UNARY_CALLS = {
    "log2": "log2", "log10": "log10", "exp2": "exp2", "cbrt": "cbrt", "fabs": "fabs",
    "arcsinh": "arcsinh", "arctanh": "arctanh", "deg2rad": "deg2rad", "radians": "deg2rad",
    "rad2deg": "rad2deg", "degrees": "rad2deg", "signbit": "signbit",
}  # fmt: skip
BINARY_CALLS = ("hypot", "logaddexp", "logaddexp2", "fmax", "fmin", "fmod", "copysign")
BINARY_CALLS += ("heaviside", "logical_xor")


@pytest.mark.parametrize("backend, module", [("numpy", "np"), ("jax", "jnp")])
@pytest.mark.parametrize("name", sorted(UNARY_CALLS))
def test_unary_functions_emit_the_call_the_user_wrote(name, backend, module):
    function = getattr(np, name)
    source = tracegrad.jit(lambda x: function(x) * 1.0, backend=backend).source(X * 0.5)
    assert f"{module}.{UNARY_CALLS[name]}(x)" in source, source


@pytest.mark.parametrize("backend, module", [("numpy", "np"), ("jax", "jnp")])
@pytest.mark.parametrize("name", BINARY_CALLS)
def test_binary_functions_emit_the_call_the_user_wrote(name, backend, module):
    function = getattr(np, name)
    source = tracegrad.jit(lambda x, y: function(x, y), backend=backend).source(X, Y)
    assert f"{module}.{name}(x, y)" in source, source


def test_fmax_and_fmin_ignore_nan_in_value_and_gradient():
    x, y = np.array([np.nan, 1.0, 2.0]), np.array([0.5, np.nan, 3.0])
    for function, d_x in ((np.fmax, [0.0, 1.0, 0.0]), (np.fmin, [0.0, 1.0, 1.0])):
        np.testing.assert_array_equal(tracegrad.jit(function)(x, y), function(x, y))
        grads = tracegrad.grad(lambda a, b, f=function: np.sum(f(a, b)), argnums=(0, 1))(x, y)
        np.testing.assert_array_equal(grads[0], d_x)
        np.testing.assert_array_equal(grads[1], 1.0 - np.array(d_x))


def test_fmax_tie_splits_the_cotangent_evenly_in_both_modes():
    x = np.array([1.0, 2.0])
    d_x, d_y = tracegrad.grad(lambda a, b: np.sum(np.fmax(a, b)), argnums=(0, 1))(x, x.copy())
    np.testing.assert_array_equal(d_x, [0.5, 0.5])
    np.testing.assert_array_equal(d_y, [0.5, 0.5])
    _, tangent = tracegrad.jvp(np.fmin, (x, x.copy()), (np.ones(2), np.zeros(2)))
    np.testing.assert_array_equal(tangent, [0.5, 0.5])


def test_heaviside_passes_the_derivative_to_its_value_at_zero():
    x, value = np.array([-1.0, 0.0, 2.0, 0.0]), np.full(4, 0.5)
    d_x, d_value = tracegrad.grad(
        lambda a, b: np.sum(np.heaviside(a, b) * np.arange(1.0, 5.0)), argnums=(0, 1)
    )(x, value)
    np.testing.assert_array_equal(d_x, np.zeros(4))
    np.testing.assert_array_equal(d_value, [0.0, 2.0, 0.0, 4.0])


def test_sinc_is_numpys_at_zero_with_its_derivative():
    x = np.array([0.0, 0.5, -1.5])
    np.testing.assert_array_equal(tracegrad.jit(np.sinc)(x), np.sinc(x))
    gradient = tracegrad.grad(lambda a: np.sum(np.sinc(a)))(x)
    exact = (np.cos(np.pi * x[1:]) * np.pi * x[1:] - np.sin(np.pi * x[1:])) / (np.pi * x[1:] ** 2)
    np.testing.assert_allclose(gradient, [0.0, *exact], rtol=1e-12)
    curvature = tracegrad.hessian(lambda a: np.sum(np.sinc(a)))(x).diagonal()
    np.testing.assert_allclose(curvature[0], -(np.pi**2) / 3, rtol=1e-12)  # not 0, at 0 too
    assert type(tracegrad.jit(np.sinc)(0.0)) is np.float64  # a NumPy scalar, as np.sinc's


def test_angle_of_real_values_is_numpys_and_constant():
    x = np.array([-1.0, -0.0, 0.0, 2.0])
    for deg in (False, True):
        result = tracegrad.jit(lambda a, deg=deg: np.angle(a, deg=deg))(x)
        np.testing.assert_array_equal(result, np.angle(x, deg=deg))
    assert "np.arctan2(0, x)" in tracegrad.jit(lambda x: np.angle(x)).source(x)
    gradient = tracegrad.grad(lambda a: np.sum(np.angle(a) * a))(x)
    np.testing.assert_array_equal(gradient, np.angle(x))  # the angle's own derivative is 0


def test_signbit_reads_the_sign_bit():
    x = np.array([-0.0, 0.0, -np.nan, -2.0])
    np.testing.assert_array_equal(tracegrad.jit(np.signbit)(x), np.signbit(x))


def test_divmod_gives_both_results_from_numpy_and_from_python():
    x, y = np.array([2.5, -1.25, 7.0]), 0.75
    for split in (np.divmod, divmod, tnp.divmod):
        quotient, remainder = tracegrad.jit(lambda a, split=split: split(a, y))(x)
        np.testing.assert_array_equal(quotient, np.floor_divide(x, y))
        np.testing.assert_array_equal(remainder, np.remainder(x, y))
    d_x = tracegrad.grad(lambda a: np.sum(np.divmod(a, y)[1]))(x)
    np.testing.assert_array_equal(d_x, np.ones(3))


def test_float_power_computes_in_float64():
    single = np.array([1.5, 2.0], dtype=np.float32)
    result = tracegrad.jit(lambda a: np.float_power(a, 2))(single)
    assert result.dtype == np.float64
    integers = np.array([2, 4])
    np.testing.assert_array_equal(
        tracegrad.jit(lambda a: np.float_power(a, -1))(integers), [0.5, 0.25]
    )
    assert tracegrad.jit(lambda a: np.float_power(a, 0.5))(np.float64(4.0)) == 2.0
    listed = tracegrad.jit(lambda a: np.float_power(a, [1, 2]))(single)
    np.testing.assert_array_equal(listed, np.float_power(single, [1, 2]))


def test_reciprocal_of_integers_is_refused_where_it_is_called():
    def f(x):
        return np.reciprocal(x)  # marker

    _, start = inspect.getsourcelines(f)
    with pytest.raises(tracegrad.TraceError) as caught:
        tracegrad.jit(f)(np.array([1, 2, 4]))
    message = str(caught.value)
    assert message.startswith(f"{__file__}:{start + 1}:"), message
    assert "rounds" in message and "astype(float)" in message
    np.testing.assert_array_equal(tracegrad.jit(f)(np.array([2.0, 4.0])), [0.5, 0.25])


def test_ufunc_keywords_are_refused_as_for_the_other_ufuncs():
    with pytest.raises(tracegrad.TraceError, match=r"np.log2\(..., where=...\)"):
        tracegrad.jit(lambda a: np.log2(a, where=a > 1))(X)


def test_aliases_are_the_same_functions_in_tracegrad_numpy():
    assert tnp.degrees is tnp.rad2deg and tnp.radians is tnp.deg2rad
    assert tnp.conj is tnp.conjugate and tnp.mod is tnp.remainder
    np.testing.assert_array_equal(tnp.hypot(3.0, 4.0), 5.0)  # plain values: NumPy's result


def test_hypot_at_the_origin_has_a_zero_gradient_not_nan():
    zeros = np.zeros(2)
    d_x, d_y = tracegrad.grad(lambda a, b: np.sum(np.hypot(a, b)), argnums=(0, 1))(zeros, zeros)
    np.testing.assert_array_equal(d_x, [0.0, 0.0])
    np.testing.assert_array_equal(d_y, [0.0, 0.0])
    _, tangent = tracegrad.jvp(np.hypot, (zeros, zeros), (np.ones(2), np.ones(2)))
    np.testing.assert_array_equal(tangent, [0.0, 0.0])
