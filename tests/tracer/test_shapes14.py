"""Issue 14's shapes and joining functions: what the operation table cannot say. NumPy's
corner cases (uneven splits, repeated axes, pad's argument forms, 2-vectors in np.cross), the
errors at the user's line, and the emitted text of a few derivatives (the cotangent of np.pad
is a slice, of np.flip a reversed slice)."""

import inspect
import warnings

import jax
import numpy as np
import pytest

import tracegrad

RNG = np.random.default_rng(14)
X = RNG.uniform(-1.0, 1.0, (2, 3))
V = RNG.uniform(-1.0, 1.0, 4)
SWV = np.lib.stride_tricks.sliding_window_view


def same_as_numpy(fn, *args):
    """fn traced on both backends returns NumPy's values, shapes and dtypes (also in tuples)."""
    expected = fn(*args)
    for backend in ("numpy", "jax"):
        ours = tracegrad.jit(fn, backend=backend)(*args)
        assert type(ours) is type(expected) or not isinstance(expected, tuple | list)
        pairs = (
            zip(ours, expected, strict=True)
            if isinstance(expected, tuple | list)
            else [(ours, expected)]
        )
        for mine, theirs in pairs:
            mine, theirs = np.asarray(mine), np.asarray(theirs)
            assert mine.shape == theirs.shape and mine.dtype == theirs.dtype
            np.testing.assert_allclose(mine, theirs, rtol=1e-12)


CORNERS = {
    "split at indices past the end": lambda x: np.split(x, [1, 9, 2]),
    "array_split uneven": lambda x: np.array_split(x, 3),
    "array_split by indices": lambda x: np.array_split(x, [2], axis=1),
    "hsplit of a vector": lambda x: np.hsplit(x[0], [1]),
    "atleast_2d of several": lambda x: np.atleast_2d(x[0, 0], x[0], x),
    "atleast_3d of a scalar": lambda x: np.atleast_3d(x[0, 0]),
    "broadcast_arrays": lambda x: np.broadcast_arrays(x, x[0], 2.0),
    "vstack with a dtype": lambda x: np.vstack([x, x[0]], dtype=np.float32),
    "hstack with a Python scalar": lambda x: np.hstack([x[0], 1.5]),
    "column_stack of scalars": lambda x: np.column_stack([x[0, 0], x[0, 1]]),
    "flip of a 0-d value": lambda x: np.flip(x[0, 0]),
    "roll along one axis twice": lambda x: np.roll(x, (1, 1), axis=(1, 1)),
    "roll of the flattened array": lambda x: np.roll(x, -4),
    "rot90 three times": lambda x: np.rot90(x, 3),
    "rot90 with axes in an array": lambda x: np.rot90(x, 1, np.array([-1, 0])),
    "tile of a scalar": lambda x: np.tile(x[0, 0], (2, 2)),
    "tile with reps of ones": lambda x: np.tile(x, (1, 1, 1)),
    "pad with per-axis constants": lambda x: np.pad(x, ((0, 1), (2, 0)), constant_values=(5, 6)),
    "pad with a traced constant": lambda x: np.pad(x, 1, constant_values=x[0, 0]),
    "pad reflecting past the edge": lambda x: np.pad(x, (0, 7), mode="reflect"),
    "pad wrapping past the edge": lambda x: np.pad(x, 5, mode="wrap"),
    "pad of ints with a float constant": lambda x: np.pad(
        (x > 0).astype(int), 1, constant_values=2.7
    ),
    "diag with offset": lambda x: np.diag(x[0], -2),
    "diagflat of a matrix": lambda x: np.diagflat(x, 1),
    "diagonal on other axes": lambda x: np.diagonal(np.stack([x, x]), -1, 2, 1),
    "trace with offset": lambda x: np.trace(x, 1),
    "inner with a scalar": lambda x: np.inner(x, 2.0),
    "kron of a scalar": lambda x: np.kron(3.0, x),
    "tensordot axes=0": lambda x: np.tensordot(x, x[0], 0),
    "tensordot with int axes pair": lambda x: np.tensordot(x, x, (0, 0)),
    "vdot flattens": lambda x: np.vdot(x, x.T),
    "cross along axis 0": lambda x: np.cross(x.T, x.T[::-1], axis=0),
    "sliding windows on a repeated axis": lambda x: SWV(x, (2, 1), axis=(1, 1)),
    "convolve mode by number": lambda x: np.convolve(x[0], x[1, :2], 0),
    "correlate, the second longer": lambda x: np.correlate(x[0, :2], x[1], "same"),
    "convolve ints": lambda x: np.convolve((x[0] > 0).astype(int), [1, 2]),
    "ravel in column-major order": lambda x: x.ravel(order="F"),
    "flatten": lambda x: x.flatten(),
    "repeat as a method": lambda x: x.repeat([1, 0, 2], axis=-1),
}


@pytest.mark.parametrize("fn", CORNERS.values(), ids=CORNERS.keys())
def test_corner_cases_match_numpy(fn):
    with jax.enable_x64(True):
        same_as_numpy(fn, X)


def test_splits_give_lists_and_multiple_atleast_gives_a_tuple():
    def f(x):
        pieces, arrays = np.split(x, 2), np.atleast_1d(x[0], x[1])
        assert isinstance(pieces, list) and isinstance(arrays, tuple)
        return pieces[1] + arrays[1]

    np.testing.assert_allclose(tracegrad.jit(f)(V), V[2:] + V[1])


def test_diag_keeps_an_infinite_entry_on_its_diagonal():
    ours = tracegrad.jit(lambda v: np.diag(v, 1))(np.array([np.inf, 1.0]))
    np.testing.assert_array_equal(ours, np.diag(np.array([np.inf, 1.0]), 1))


def test_cross_of_2_vectors_warns_as_numpy_does():
    with pytest.warns(DeprecationWarning, match="2-dimensional vectors") as caught:
        tracegrad.jit(lambda a: np.cross(a[:2], a[1:3]))(V)
    assert caught[0].filename == __file__


def gradient_source(fn, *args, backend="numpy"):
    return tracegrad.jit(tracegrad.grad(fn), backend=backend).source(*args)


def test_the_cotangent_of_pad_is_a_slice():
    text = gradient_source(lambda x: np.sum(np.cumsum(np.pad(x, 1), axis=1) ** 2), X)
    assert "np.pad(x, 1)" in text and "d_x = d_pad[1:3, 1:4]" in text
    assert "add.at" not in text and "= np.zeros" not in text


def test_the_cotangent_of_flip_is_a_flip():
    def loss(x):
        return np.sum(np.sin(np.flip(x)) ** 2)

    for backend, module in (("numpy", "np"), ("jax", "jnp")):
        text = gradient_source(loss, X, backend=backend)
        assert f"flip = {module}.flip(x)" in text and f"d_x = {module}.flip(d_flip)" in text
        assert "zeros" not in text and ".at[" not in text
    # a slice that is not the whole axis still scatters into zeros
    assert "[:, ::-2] = " in gradient_source(lambda x: np.sum(x[:, ::-2] ** 2), X)


def test_the_cotangent_of_a_split_is_its_piece_put_back():
    text = gradient_source(lambda x: np.sum(np.split(x, 3, axis=1)[1] ** 2), X)
    assert "x[:, 1:2]" in text and "[:, 1:2] = " in text


def test_emitted_source_is_deterministic():
    def loss(x):
        return np.sum(np.convolve(x, [1.0, 2.0]) * np.roll(np.pad(x, (1, 0), mode="edge"), 2))

    assert gradient_source(loss, V) == gradient_source(loss, V)


def expect_error(fn, *args, fragment: str, hint: str):
    """Trace fn (one line of code); the TraceError names that line, the problem and a fix."""
    lines, start = inspect.getsourcelines(fn)
    line = start + len(lines) - 1
    with pytest.raises(tracegrad.TraceError) as caught, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        tracegrad.jit(fn)(*args)
    message = str(caught.value)
    assert message.startswith(f"{__file__}:{line}:"), message
    assert fragment in message and "Instead: " in message and hint in message, message


ERRORS = [
    (lambda x: np.split(x, 3), V, "does not divide into 3 equal sections", "np.array_split"),
    (lambda x: np.array_split(x, 0), V, "must be larger than 0", "at least one"),
    (lambda x: np.split(x, 1.5), V, "an int or a list of ints", "Python ints"),
    (lambda x: np.split(x, [1.5]), V, "an int or a list of ints", "Python ints"),
    (lambda x: np.vsplit(x, 2), V, "2 or more dimensions", "np.split"),
    (lambda x: np.dsplit(x, 2), X, "3 or more dimensions", "np.split"),
    (lambda x: np.vstack([x, x], casting="unsafe"), X, "casting='unsafe'", "same_kind"),
    (lambda x: np.hstack([x, x], dtype=int), X, "cannot cast f64[2,3] to int64", ".astype("),
    (lambda x: np.broadcast_arrays(x, V), X, "do not broadcast together", "size 1"),
    (lambda x: np.fliplr(x), V, "at least 2 dimensions", "np.flip"),
    (lambda x: np.roll(x, x[0].astype(int)), V, "traced shift", "Python ints"),
    (lambda x: np.roll(x, (1, 2, 3), axis=(0, 1)), X, "same length", "one shift per axis"),
    (lambda x: np.rollaxis(x, 0, 5), X, "start must be between -2 and 2", "rolled"),
    (lambda x: np.rot90(x, axes=(1, -1)), X, "must be different", "two different"),
    (lambda x: np.rot90(x, 0.5), X, "k must be an int", "Python int"),
    (lambda x: np.tile(x, -1), X, "must not be negative", ">= 0"),
    (lambda x: np.pad(x, -1), X, "cannot be negative", "before and after"),
    (lambda x: np.pad(x, ((1, 2, 3),)), X, "does not fit", "one pair per axis"),
    (lambda x: np.pad(x, 1, mode="median"), X, "mode='median'", "'symmetric'"),
    (lambda x: np.pad(x, 1, mode="edge", constant_values=3), X, "constant_values", "no keyword"),
    (lambda x: np.pad(x, 1, mode="reflect", reflect_type="odd"), X, "'odd'", "even"),
    (lambda x: np.pad(x[:0], 1, mode="wrap"), X, "empty axis", "mode='constant'"),
    (lambda x: np.pad(x, 1, constant_values=x), V, "one scalar", "Python numbers"),
    (lambda x: np.diag(np.stack([x, x])), X, "1- or 2-d", "np.diagonal"),
    (lambda x: np.diagonal(x, 0.5), X, "offset must be an int", "Python int"),
    (lambda x: np.inner(x, V), X, "differ in size", "one length"),
    (lambda x: np.tensordot(x, x, 3), X, "cannot sum over 3 axes", "last N axes"),
    (lambda x: np.tensordot(x, x, ([0, 1], [0])), X, "shape mismatch", "equal sizes"),
    (lambda x: np.vdot(x, V), X, "6 and 4 elements", "same number"),
    (lambda x: np.cross(x, x), V, "dimension must be 2 or 3", "length 2 or 3"),
    (lambda x: np.cross(x, np.ones((4, 3))), X, "do not broadcast", "one vector for all"),
    (lambda x: SWV(x, 5), V, "cannot be larger", "at most"),
    (lambda x: SWV(x, (2, 2)), V, "one size >= 0 for each", "one window size"),
    (lambda x: SWV(x, 2, writeable=True), V, "writeable=True", "writeable=False"),
    (lambda x: np.convolve(x, x, "bogus"), V, "mode 'bogus'", "mode='full'"),
    (lambda x: np.correlate(x, x, "FULL"), V, "mode 'FULL'", "mode='full'"),
    (lambda x: np.convolve(x, V), X, "a must be one-dimensional", "sliding_window_view"),
    (lambda x: np.correlate(x, x[:0]), V, "v cannot be empty", "at least one"),
    (lambda x: x.ravel(order="K"), X, "order='K'", "order='F'"),
]


@pytest.mark.parametrize("fn, arg, fragment, hint", ERRORS)
def test_errors_name_the_line_and_the_fix(fn, arg, fragment, hint):
    expect_error(fn, arg, fragment=fragment, hint=hint)


@pytest.mark.parametrize(
    "join", [np.vstack, np.hstack, np.column_stack, np.dstack, np.stack, np.concatenate]
)
def test_a_traced_array_is_the_sequence_of_its_rows(join):
    # NumPy iterates an array passed where a sequence of arrays goes: np.vstack(x) joins x's rows
    x = np.arange(6.0).reshape(2, 3)
    weights = np.arange(join(x).size).reshape(join(x).shape)
    np.testing.assert_array_equal(tracegrad.jit(join)(x), join(x))
    gradient = tracegrad.grad(lambda a: np.sum(join(a) * weights))(x)
    # each element's cotangent is the weight at the place the join puts it
    expected = np.empty(6)
    expected[join(np.arange(6).reshape(2, 3)).ravel()] = weights.ravel()
    np.testing.assert_array_equal(gradient, expected.reshape(2, 3))
