"""Writes into arrays (issue 15): item assignment and augmented assignment into traced arrays
and into the arrays the function makes (np.zeros, ...), with NumPy's semantics: views alias,
copies do not, repeated indices follow NumPy. Each function runs under NumPy itself, through
tracegrad on both backends, and its gradient is checked against finite differences and
jax.grad of the same source."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import tracegrad as tg
from tracegrad import TraceError

from ..catalog.numerics import central_difference_grad
from ..catalog.test_grad_catalog import jax_float64

X = np.linspace(-1.0, 1.3, 12).reshape(3, 4)
LABELS = np.array([1, 0, 3])


def basic_keys(x):
    y = x * 2
    y[0] = 1.0
    y[1, 1:3] = x[2, :2]
    y[:, -1] += 5
    y[::-1, 0] *= x[:, 1]
    y[None, 2] = 0.5
    y[..., 1] -= x[0, 0]
    return y


def views_alias(x):
    a = x + 0.5
    v = a[1]
    v[:] = 3.0  # writes a's row
    w = a.T
    w[0, 0] = -1.0  # writes a[0, 0]
    r = a.reshape(-1)
    r[5] *= 10.0
    f = np.flip(a, 0)
    f[0, 0] = 42.0  # writes a[-1, 0]
    return a, v, w, r


def names_and_containers_alias(x):
    b = x * 1.0
    c = b
    kept = [b]
    b += 1.0
    return c, kept[0]


def copies_do_not(x):
    a = x * 1.0
    b = a[[0, 1]]
    b[0] = 100.0
    c = a.copy()
    c[0] = 7.0
    f = a.flatten()
    f[0] = 9.0
    return a, b, c, f


def index_arrays(x):
    d = x * 3.0
    n = d.shape[0]
    d[np.arange(n), LABELS] -= 1.0
    d[range(n), LABELS] *= 2.0
    d[[0, 0]] += 1.0  # a repeated position adds once, as in NumPy
    d[[1, 2], 1:3] = x[0, :2]
    return d


def svm_margins(x):
    margins = np.maximum(0, x - x[np.arange(3), LABELS][:, None] + 1)
    margins[np.arange(3), LABELS] = 0  # a Python int into a float array
    margins[[0, 0], 1] = 2  # a repeated position, a number
    return margins


def add_at(x):
    d = np.zeros(4)
    np.add.at(d, [0, 0, 2], x[0, :3])  # unbuffered: position 0 gets both
    np.subtract.at(d, [3], x[1, 0])
    return d


def masks(x):
    m = x - 0.3
    m[m < 0] = 0.0  # a traced mask: a select
    keep = np.ones(4, dtype=bool)
    keep[2] = False
    m[:, keep] *= 2.0  # a concrete mask made in the function
    return m


def rnn_buffer(x):
    n, steps = x.shape
    h = np.zeros((n, steps))
    prev = np.zeros(n)
    for t in range(steps):
        prev = np.tanh(prev + x[:, t])
        h[:, t] = prev
    return h


def naive_conv(x):
    w = np.array([0.5, -1.0])
    out = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            out[i, j] = np.sum(x[i, j : j + 2] * w)
    return out


def softmax_gradient(x):
    probs = np.exp(x) / np.sum(np.exp(x), axis=1, keepdims=True)
    n = x.shape[0]
    dscores = probs.copy()
    dscores[range(n), LABELS] -= 1
    dscores /= n
    return dscores


def ufunc_out(x):
    b = np.empty((3, 4))
    np.multiply(x, 2.0, out=b)
    b += x
    return b


def rows_of_a_buffer(x):
    out = np.zeros((3, 4))
    for i in range(3):
        row = out[i]
        row[:] = x[i] * 2
        row[1] += 1.0
    return out


def relu_by_masks(x):
    out = np.zeros_like(x)
    out[x > 0] = x[x > 0]  # `x > 0` computed twice: one mask
    return out


def recurrent_reads(x):
    h = np.empty((4, 3))
    h[0] = x[:, 0]
    for t in range(1, 4):
        h[t] = np.tanh(h[t - 1] * x[:, t])  # reads what the last step wrote
    return h


def nested_views(x):
    b = np.zeros((2, 3, 4))
    v = b[1]
    w = v[:, 1:3]
    w[...] = x[:, :2]  # a view of a view of a buffer
    return b


def masks_in_turn(x):
    y = x.copy()
    y[y > 0.5] -= 1.0
    y[y < -0.5] += 1.0
    return y


CASES = [
    basic_keys,
    views_alias,
    names_and_containers_alias,
    copies_do_not,
    index_arrays,
    svm_margins,
    add_at,
    masks,
    rnn_buffer,
    naive_conv,
    softmax_gradient,
    ufunc_out,
    rows_of_a_buffer,
    relu_by_masks,
    recurrent_reads,
    nested_views,
    masks_in_turn,
]


def as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


@pytest.mark.parametrize("backend", ["numpy", "jax"])
@pytest.mark.parametrize("fn", CASES, ids=lambda fn: fn.__name__)
def test_the_value_is_numpys(fn, backend):
    want = as_tuple(fn(X.copy()))
    given = X.copy()
    with jax_float64():
        got = as_tuple(tg.jit(fn, backend=backend)(given))
    np.testing.assert_array_equal(given, X)  # the caller's array is never written
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(np.asarray(g), w, rtol=1e-12, atol=1e-14)
        assert np.shape(g) == np.shape(w)


def scalar_loss(fn):
    def loss(x):
        return sum(np.sum(np.sin(part) * (1 + k)) for k, part in enumerate(as_tuple(fn(x))))

    return loss


@pytest.mark.parametrize("fn", CASES, ids=lambda fn: fn.__name__)
def test_the_gradient_matches_finite_differences_in_both_modes(fn):
    loss = scalar_loss(fn)
    want = central_difference_grad(loss, (X,))
    np.testing.assert_allclose(tg.grad(loss)(X), want, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(tg.jacfwd(loss)(X), want, rtol=1e-6, atol=1e-8)


def rnn_jax(x):
    n, steps = x.shape
    h = jnp.zeros((n, steps))
    prev = jnp.zeros(n)
    for t in range(steps):
        prev = jnp.tanh(prev + x[:, t])
        h = h.at[:, t].set(prev)
    return h


def test_the_gradient_matches_jax_written_with_at():
    def loss(fn):
        return lambda x: (fn(x) ** 2).sum()

    with jax_float64():
        want = np.asarray(jax.grad(loss(rnn_jax))(X))
    np.testing.assert_allclose(tg.grad(loss(rnn_buffer))(X), want, rtol=1e-12)
    # by hand: the last column's state only
    h = rnn_buffer(X)
    np.testing.assert_allclose(
        tg.grad(lambda x: np.sum(rnn_buffer(x)[:, -1]))(X)[:, -1], 1 - h[:, -1] ** 2
    )


def test_second_order_through_writes():
    loss = scalar_loss(basic_keys)
    hessian = tg.hessian(loss)(X)
    grad = tg.grad(loss)
    eps = 1e-5
    column = (
        grad(X + eps * np.eye(12)[5].reshape(3, 4)) - grad(X - eps * np.eye(12)[5].reshape(3, 4))
    ) / (2 * eps)
    np.testing.assert_allclose(
        hessian.reshape(12, 12)[:, 5], column.reshape(12), rtol=1e-5, atol=1e-7
    )


def test_the_emitted_code_writes_in_place_as_its_author_would():
    source = str(tg.jit(rnn_buffer).source(X))
    assert "h = np.zeros((3, 4))" in source
    for t in range(4):
        assert f"h[:, {t}] = " in source
    assert ".copy()" not in source
    assert ".at[:, 3].set(" in str(tg.jit(rnn_buffer, backend="jax").source(X))


def writes_its_argument(x):
    x[0] = 1.0
    return x


def writes_a_view_of_its_argument(x):
    row = x[0]
    row += 1.0
    return x


def writes_a_read_only_view(x):
    b = np.broadcast_to(x[0] * 1.0, (3, 4))
    b[0, 0] = 1.0
    return b


def does_not_broadcast(x):
    y = x * 1.0
    y[0] = x[:2, 0]
    return y


def writes_through_a_numpy_view(x):
    out = np.zeros((3, 4))
    plain = np.asarray(out)
    out[0] = x[0]
    return plain


@pytest.mark.parametrize(
    "fn, fragment, hint",
    [
        (writes_its_argument, "an argument", "`x = x.copy()`"),
        (writes_a_view_of_its_argument, "an argument", "`row = row.copy()`"),
        (writes_a_read_only_view, "read-only", "copy"),
        (
            does_not_broadcast,
            "could not broadcast input array from shape (2,) into shape (4,)",
            None,
        ),
        (writes_through_a_numpy_view, "would not see the write", None),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_writes_numpy_would_not_make_are_errors_at_the_line(fn, fragment, hint):
    with pytest.raises(TraceError) as caught:
        tg.jit(fn)(X.copy())
    error = caught.value
    assert error.loc is not None and error.loc.file == __file__, str(error)
    assert fragment in error.message, str(error)
    if hint is not None:
        assert hint in error.hint, str(error)


def test_the_cotangents_of_many_slices_accumulate_into_one_buffer():
    """Item 7: the gradient of an unrolled RNN reading x[:, t] each step adds each step's
    cotangent into one d_x (`d_x[:, t] += ...`), so its length grows linearly with T."""

    def lines(steps):
        x = np.linspace(-1.0, 1.0, 2 * steps).reshape(2, steps)
        source = str(tg.grad(lambda x: np.sum(rnn_buffer(x) ** 2)).source(x))
        return source, len(source.splitlines())

    source, short = lines(8)
    # d_x only, not one buffer per slice; nor h: the gradient reads each state where it was
    # computed, not back from the buffer it was written into.
    assert source.count("np.zeros((2, 8))") == 1
    assert "d_x[:, 0] = d_add" in source and "return d_x" in source
    assert "d_prev = d_add + (prev * 2)" in source  # as BPTT is written: one name a step
    _, shorter = lines(4)
    _, longer = lines(16)
    per_step = (short - shorter) / 4
    assert longer - short == 8 * per_step and per_step <= 9  # linear in T


def test_accumulated_cotangents_are_exact_on_both_backends():
    def loss(x):
        return np.sum(np.sin(x[:, 0]) * x[:, 1]) + np.sum(x[:, 1:3] ** 2) + np.sum(x[[0, 0, 2], 3])

    want = central_difference_grad(loss, (X,))
    np.testing.assert_allclose(tg.grad(loss)(X), want, rtol=1e-7, atol=1e-9)
    with jax_float64():
        got = tg.jit(tg.grad(loss), backend="jax")(X)
    np.testing.assert_allclose(np.asarray(got), tg.grad(loss)(X), rtol=1e-13)


def test_a_gradient_summed_over_steps_is_added_into_its_running_total():
    """`d_W = d_W + g` of every step is written `d_W += g`, as a hand-written BPTT does."""

    def loss(w, xs):
        total = 0.0
        for t in range(xs.shape[0]):
            total = total + np.sum(np.tanh(xs[t] @ w))
        return total

    w, xs = X[:, :3], np.linspace(-1.0, 1.0, 48).reshape(4, 4, 3)
    gradient = tg.grad(loss)
    source = str(gradient.source(w, xs))
    assert "d_w += " in source, source
    want = sum(xs[t].T @ (1 - np.tanh(xs[t] @ w) ** 2) for t in range(4))
    np.testing.assert_allclose(gradient(w, xs), want, rtol=1e-12)


# --- x[mask] for a traced mask: written back through it, or reduced ---------------------

WIDE = np.array([-800.0, -1.0, 0.0, 0.3, 2.0, 900.0])  # exp overflows outside each branch


def stable_sigmoid(x):
    pos = x >= 0
    neg = ~pos
    z = np.zeros_like(x)
    z[pos] = 1 / (1 + np.exp(-x[pos]))
    e = np.exp(x[neg])
    z[neg] = e / (1 + e)
    return z


def hinge(x):
    margins = x - 0.5
    return np.sum(margins[margins > 0]) + 2 * margins[margins > 0].sum()


def masked_mean(x):
    return np.mean(x[x > 0.2] ** 2)


@pytest.mark.parametrize("backend", ["numpy", "jax"])
@pytest.mark.parametrize("fn", [stable_sigmoid, hinge, masked_mean], ids=lambda fn: fn.__name__)
def test_a_traced_mask_selection_is_numpys(fn, backend):
    with np.errstate(over="ignore"):
        want = fn(WIDE.copy())
    with jax_float64():
        got = tg.jit(fn, backend=backend)(WIDE)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12)


def test_a_traced_mask_selection_has_finite_exact_gradients():
    with np.errstate(over="ignore"):
        sigmoid = stable_sigmoid(WIDE)
    got = tg.grad(lambda x: np.sum(stable_sigmoid(x)))(WIDE)  # no inf or NaN from the
    np.testing.assert_allclose(got, sigmoid * (1 - sigmoid), rtol=1e-12)  # other branch
    np.testing.assert_allclose(tg.grad(hinge)(WIDE), 3.0 * (WIDE > 0.5))
    selected = WIDE > 0.2
    np.testing.assert_allclose(
        tg.grad(masked_mean)(WIDE), np.where(selected, 2 * WIDE / selected.sum(), 0.0)
    )
    x = np.linspace(-2.0, 2.0, 7)
    np.testing.assert_allclose(
        tg.jacfwd(lambda x: np.sum(stable_sigmoid(x)))(x),
        central_difference_grad(lambda x: np.sum(stable_sigmoid(x)), (x,)),
        rtol=1e-7,
    )


def len_of_selection(x):
    return x * len(x[x > 0])


def selections_of_two_masks(x):
    return np.sum(x[x > 0] + x[x > 1])


def selection_with_an_array(x):
    return np.sum(x[x > 0] * x)


@pytest.mark.parametrize(
    "fn, fragment",
    [
        (len_of_selection, "len() of x[mask]"),
        (selections_of_two_masks, "different masks"),
        (selection_with_an_array, "with an array"),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_what_needs_the_selection_size_is_an_error_at_the_line(fn, fragment):
    with pytest.raises(TraceError) as caught:
        tg.jit(fn)(WIDE)
    assert caught.value.loc is not None and caught.value.loc.file == __file__
    assert fragment in caught.value.message, caught.value.message
    assert "np.where(mask, f(x), 0)" in caught.value.hint


# --- writes and tracegrad.scan ------------------------------------------------------------

ROWS_OF = np.linspace(-1.0, 1.0, 6).reshape(3, 2)


def written_after_a_scan(x):
    """The scan read `buf` and stacked `ys` as values: writes after it change neither what it
    computed nor, here, anything but the arrays written."""
    buf = x[0] * 1.0

    def step(c, row):
        return c + buf * row, c

    c, ys = tg.scan(step, np.zeros(2), x)
    buf[0] = 5.0
    ys[0] = 1.0
    return c + ys.sum(0) + buf


def written_after_a_loop(x):  # the same program as a Python loop, for NumPy to run
    buf = x[0] * 1.0
    c, ys = np.zeros(2), []
    for row in x:
        ys.append(c)
        c = c + buf * row
    ys = np.array(ys)
    buf[0] = 5.0
    ys[0] = 1.0
    return c + ys.sum(0) + buf


def carry_written_in_the_body(x):
    def step(c, row):
        c[0] = row[1]
        return c, c * 2

    return tg.scan(step, np.zeros(2), x)


def test_writes_after_a_scan_and_into_its_carry_are_numpys():
    with jax_float64():
        for backend in ("numpy", "jax"):
            got = tg.jit(written_after_a_scan, backend=backend)(ROWS_OF)
            np.testing.assert_allclose(np.asarray(got), written_after_a_loop(ROWS_OF), rtol=1e-15)
            carry, ys = tg.jit(carry_written_in_the_body, backend=backend)(ROWS_OF)
            np.testing.assert_array_equal(np.asarray(carry), [ROWS_OF[-1, 1], 0.0])
            np.testing.assert_array_equal(np.asarray(ys)[:, 0], 2 * ROWS_OF[:, 1])
    loss = lambda x: np.sum(np.sin(written_after_a_scan(x)))  # noqa: E731
    want = central_difference_grad(lambda x: np.sum(np.sin(written_after_a_loop(x))), (ROWS_OF,))
    np.testing.assert_allclose(tg.grad(loss)(ROWS_OF), want, rtol=1e-6, atol=1e-8)


def test_a_scan_body_writing_an_enclosing_array_is_an_error_at_the_line():
    def captured_by_scan(x):
        buf = np.zeros(2)

        def step(c, row):
            buf[0] = row[0]  # HERE
            return c + buf, c

        return tg.scan(step, np.zeros(2), x)[0]

    with pytest.raises(TraceError) as caught:
        tg.jit(captured_by_scan)(ROWS_OF)
    error = caught.value
    assert error.loc.file == __file__ and "# HERE" in error.loc.text, str(error)
    assert "made outside this loop body" in error.message and "carry it" in error.hint


def test_a_masked_write_is_named_after_its_array_and_stored_in_its_dtype():
    def relu(x):
        out = x.copy()
        out[out < 0] = 0
        counts = np.zeros(x.shape, dtype=np.int64)
        counts[x > 0] = 2.5  # NumPy stores 2
        return out, counts

    body = str(tg.jit(relu).source(X)).split("def relu(x):")[1]
    assert "out = np.where(x < 0, 0, x)" in body and "where" not in body.split("np.where")[0]
    for backend in ("numpy", "jax"):
        with jax_float64():
            out, counts = tg.jit(relu, backend=backend)(X)
        np.testing.assert_array_equal(np.asarray(out), relu(X)[0])
        assert np.asarray(counts).dtype == np.int64
        np.testing.assert_array_equal(np.asarray(counts), relu(X)[1])
    source = str(tg.jit(stable_sigmoid).source(X))
    assert "z = np.where(pos, 1 / add, 0.0)" in source and "selected = " in source, source
