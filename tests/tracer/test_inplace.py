"""In-place operators on traced values: NumPy's answer, aliasing included (another name, a
container, a view sees the write), or a TraceError at the line where NumPy would change an
array tracegrad must not (an argument, an enclosing function's value)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import tracegrad as tg
from tracegrad import TraceError

from ..catalog.test_grad_catalog import jax_float64

A = np.arange(1.0, 7.0).reshape(2, 3)


def refused(fn, *args, text: str, hint: str | None = None, transform=tg.jit) -> TraceError:
    """Tracing `fn` raises at the line containing `text`, with `hint` in the fix."""
    with pytest.raises(TraceError) as caught:
        transform(fn)(*args)
    error = caught.value
    assert error.loc is not None and error.loc.file == __file__, str(error)
    assert text in error.loc.text, str(error)
    if hint is not None:
        assert hint in error.hint, str(error)
    return error


def same_as_numpy(fn, *args) -> None:
    got = tg.jit(fn)(*(np.copy(a) for a in args))
    want = fn(*(np.copy(a) for a in args))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert np.asarray(got).dtype == np.asarray(want).dtype
    assert np.shape(got) == np.shape(want)


# --- the issue's example: an alias sees the write in NumPy ----------------------------


def issue_example(a):
    b = a * 1
    c = b
    b += 1
    return np.sum(c)


def test_the_issue_example_sees_the_write_as_in_numpy():
    assert issue_example(np.ones(3)) == 6.0  # NumPy: c sees the write
    same_as_numpy(issue_example, np.ones(3))
    np.testing.assert_allclose(tg.grad(issue_example)(np.ones(3)), np.ones(3))


# --- every operator, where nothing else sees the array: exactly NumPy -----------------


def each_operator(a):
    b = a * 2.0
    b += a
    b -= 0.5
    b *= a
    b /= 3.0
    b **= 2
    b //= 0.75
    b %= 4.0
    return b


def test_every_arithmetic_operator_matches_numpy():
    same_as_numpy(each_operator, A)


def matmul_in_place(a):
    b = a @ a.T
    b @= np.eye(2) * 2.0
    return b


def bitwise_in_place(a):
    m = a > 2
    m &= a < 5
    m |= a > 5.5
    return m


def test_matmul_and_bitwise_operators_match_numpy():
    same_as_numpy(matmul_in_place, A)
    got, want = tg.jit(bitwise_in_place)(A), bitwise_in_place(A)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == want.dtype


def in_place_in_a_loop(a):
    total = a * 0.0
    for _ in range(3):
        total += a
        total *= 0.5
    return total


def test_repeated_in_place_updates_of_one_name():
    same_as_numpy(in_place_in_a_loop, A)


def with_numpy(xnp):
    """The same source for NumPy (through tracegrad) and jax.numpy (immutable arrays, where
    `+=` always rebinds): their gradients must agree."""

    def loss(w):
        h = xnp.tanh(w) * 1.5
        h += w * w
        h *= xnp.sin(w)
        h /= 2.0
        return xnp.sum(h)

    return loss


def test_gradient_through_in_place_operators_matches_jax_and_finite_differences():
    w = np.linspace(-1.0, 1.0, 5)
    got = tg.grad(with_numpy(np))(w)
    with jax_float64():
        want = np.asarray(jax.grad(with_numpy(jnp))(w))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    eps, loss = 1e-6, with_numpy(np)
    numeric = [(loss(w + eps * e) - loss(w - eps * e)) / (2 * eps) for e in np.eye(5)]
    np.testing.assert_allclose(got, numeric, rtol=1e-6)
    # by hand: h = (1.5 tanh w + w^2) sin w / 2
    by_hand = (
        (1.5 / np.cosh(w) ** 2 + 2 * w) * np.sin(w) + (1.5 * np.tanh(w) + w * w) * np.cos(w)
    ) / 2
    np.testing.assert_allclose(got, by_hand, rtol=1e-12)


# --- dtype and shape: the left operand keeps its own ----------------------------------


def float32_plus_float64(a):
    b = a.astype(np.float32)
    b += a / 3.0  # float64: computed in float64, stored in float32
    return b


def int32_plus_int64(a):
    b = a.astype(np.int32)
    b += a.astype(np.int64) * 3
    return b


def test_the_left_operand_keeps_its_dtype():
    same_as_numpy(float32_plus_float64, A)
    same_as_numpy(int32_plus_int64, A)


def int_plus_half(a):
    b = a.astype(np.int64)
    b += 0.5
    return b


def test_an_int_array_cannot_take_floats_as_in_numpy():
    with pytest.raises(np._core._exceptions._UFuncOutputCastingError):
        int_plus_half(A)
    refused(int_plus_half, A, text="b += 0.5", hint="`b = b + 0.5`")


def grows(a):
    b = a[0] * 2.0
    b += a  # (3,) += (2, 3)
    return b


def broadcasts_into(a):
    b = a * 2.0
    b += a[0]  # (2, 3) += (3,): fine
    return b


def test_broadcasting_may_not_grow_the_left_operand():
    with pytest.raises(ValueError):
        grows(A)
    refused(grows, A, text="b += a", hint="`b = b + a`")
    same_as_numpy(broadcasts_into, A)


# --- aliases: another name, a container, a view ---------------------------------------


def alias_in_a_list(a):
    b = a * 2.0
    kept = [b]
    b += 1
    return kept[0]


def alias_in_a_dict(a):
    b = a * 2.0
    kept = {"b": b}
    b += 1
    return kept["b"]


def alias_as_attribute(a):
    class Holder:
        pass

    holder = Holder()
    b = a * 2.0
    holder.b = b
    b += 1
    return holder.b


@pytest.mark.parametrize("fn", [alias_in_a_list, alias_in_a_dict, alias_as_attribute])
def test_a_container_holding_the_array_sees_the_write(fn):
    same_as_numpy(fn, A)


VIEWS = {
    "T": lambda b: b.T,
    "transpose": lambda b: np.transpose(b),
    "reshape": lambda b: b.reshape(3, 2),
    "ravel": lambda b: b.ravel(),
    "slice": lambda b: b[1:],
    "row": lambda b: b[0],
    "expand_dims": lambda b: np.expand_dims(b, 0),
    "squeeze": lambda b: np.squeeze(b[None]),
    "swapaxes": lambda b: np.swapaxes(b, 0, 1),
    "moveaxis": lambda b: np.moveaxis(b, 0, 1),
    "broadcast_to": lambda b: np.broadcast_to(b, (4, 2, 3)),
}


@pytest.mark.parametrize("view", list(VIEWS))
def test_a_live_view_sees_the_write(view):
    make_view = VIEWS[view]

    def fn(a):
        b = a * 2.0
        v = make_view(b)
        b += 1
        return v

    same_as_numpy(fn, A)


@pytest.mark.parametrize("view", ["T", "reshape", "slice", "row", "swapaxes"])
def test_writing_into_a_view_writes_its_base(view):
    make_view = VIEWS[view]

    def fn(a):
        b = a * 2.0
        v = make_view(b)
        v += 1
        return b

    same_as_numpy(fn, A)


def a_temporary_view(a):
    b = a * 2.0
    first = b[0].sum() + b.T[1, 1]  # views that are gone before the write
    b += first
    return b


def a_view_of_a_temporary(a):
    b = (a * 2.0).reshape(3, 2)  # nothing else sees the array it views
    b += 1
    return b


def test_views_nobody_holds_are_no_alias():
    same_as_numpy(a_temporary_view, A)
    same_as_numpy(a_view_of_a_temporary, A)


# --- the caller's arrays and an enclosing function's values ---------------------------


def writes_its_argument(a):
    a += 1
    return a


def writes_a_view_of_its_argument(a):
    row = a[0]
    row *= 2
    return np.sum(a)


def test_arguments_are_the_callers_and_are_never_written():
    refused(writes_its_argument, A, text="a += 1", hint="`a = a.copy()`")
    refused(writes_a_view_of_its_argument, A, text="row *= 2", hint="`row = row.copy()`")
    refused(writes_its_argument, np.float64(2.0), text="a += 1")


def python_number_argument(a, step):
    step += 1  # a Python float is immutable: this is `step = step + 1` in NumPy too
    step *= 2
    return a * step


def numpy_scalar_values(a):
    s = np.sum(a)
    t = s
    s += 1  # np.sum gives an immutable NumPy scalar: t keeps the old value
    return s, t


def test_python_numbers_and_numpy_scalars_are_immutable():
    np.testing.assert_allclose(tg.jit(python_number_argument)(A, 0.5), A * 3.0)
    got, want = tg.jit(numpy_scalar_values)(A), numpy_scalar_values(A)
    np.testing.assert_allclose(got, want)


def test_a_copy_is_a_new_array():
    def fn(a):
        b = a.copy()
        b += 1
        c = a * 1  # NumPy makes a new array here too
        c *= 3
        d = +a
        d -= 1
        e = a.astype(np.float64)
        e /= 2
        return b, c, d, e, a

    got, want = tg.jit(fn)(A), fn(A.copy())
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w)
    np.testing.assert_allclose(got[-1], A)


# --- loop bodies: their carries are the loop's own values -----------------------------


def scan_with_in_place_body(a):
    def body(h, x):
        h += x
        h *= 0.5
        return h, h * 1.0

    return tg.scan(body, np.zeros(3), a)


def fori_with_in_place_body(a):
    def body(i, h):
        h += a[0]
        h **= 1.0
        return h

    return tg.fori_loop(0, 3, body, a[1] * 1.0)


def cond_with_in_place_branch(a):
    def double(v):
        v *= 2.0
        return v

    return tg.cond(np.sum(a) > 0, double, lambda v: v, a[0] * 1.0)


def test_in_place_updates_of_loop_carries_work():
    carry, ys = tg.jit(scan_with_in_place_body)(A)
    h, expected = np.zeros(3), []
    for x in A:
        h = (h + x) * 0.5
        expected.append(h)
    np.testing.assert_allclose(carry, h)
    np.testing.assert_allclose(ys, np.stack(expected))
    np.testing.assert_allclose(tg.jit(fori_with_in_place_body)(A), A[1] + 3 * A[0])
    np.testing.assert_allclose(tg.jit(cond_with_in_place_branch)(A), A[0] * 2)


def test_gradient_through_an_in_place_loop_body():
    def loss(a):
        carry, ys = scan_with_in_place_body(a)
        return np.sum(carry) + np.sum(ys * ys)

    def loss_jax(a):
        def body(h, x):
            h += x
            h *= 0.5
            return h, h * 1.0

        carry, ys = jax.lax.scan(body, jnp.zeros(3), a)
        return jnp.sum(carry) + jnp.sum(ys * ys)

    with jax_float64():
        want = np.asarray(jax.grad(loss_jax)(A))
    np.testing.assert_allclose(tg.grad(loss)(A), want, rtol=1e-12)


def body_with_an_alias(a):
    def body(h, x):
        old = h
        h += x
        return h, old

    return tg.scan(body, np.zeros(3), a)


def body_writing_an_enclosing_value(a):
    total = a[0] * 1.0

    def body(h, x):
        nonlocal total
        total += x
        return h + total, x

    return tg.scan(body, np.zeros(3), a)


def body_writing_an_unpacked_carry(a):
    def body(state, x):
        h, c = state
        h += x  # NumPy would write into the array `state` still holds
        return (h, c), x

    return tg.scan(body, (np.zeros(3), np.zeros(3)), a)


def test_in_place_in_a_body_sees_its_aliases():
    got_carry, got_ys = tg.jit(body_with_an_alias)(A)
    np.testing.assert_allclose(got_ys, np.cumsum(A, axis=0))  # `old` is h: it sees `h += x`
    np.testing.assert_allclose(got_carry, A.sum(axis=0))
    (h, c), _ = tg.jit(body_writing_an_unpacked_carry)(A)
    np.testing.assert_allclose(h, A.sum(axis=0))
    np.testing.assert_allclose(c, np.zeros(3))
    refused(body_writing_an_enclosing_value, A, text="total += x", hint="copy it first")


# --- writes into arrays: out=, ufunc.at, item assignment ------------------------------


def numpy_array_plus_traced(a):
    h = np.zeros(3)
    h += a[0]
    return h


def ufunc_out(a):
    b = a * 2.0
    np.add(b, 1.0, out=b)
    return b


def ufunc_at(a):
    b = a * 2.0
    np.add.at(b, [0], 1.0)
    return b


def item_assignment(a):
    b = a * 2.0
    b[0] = 1.0
    return b


def test_item_assignment_matches_numpy():
    same_as_numpy(item_assignment, A)


def test_writes_into_arrays_the_function_made_match_numpy():
    same_as_numpy(numpy_array_plus_traced, A)
    same_as_numpy(ufunc_out, A)
    same_as_numpy(ufunc_at, A)


def computed_numpy_array_plus_traced(a):
    h = np.tile(np.zeros(1), 3)  # a NumPy function's array on constants: NumPy's own
    h += a[0]
    return h


def test_a_write_into_a_computed_numpy_array_is_refused_at_its_line():
    refused(computed_numpy_array_plus_traced, A, text="h += a[0]", hint="`h = h + a[0]`")
