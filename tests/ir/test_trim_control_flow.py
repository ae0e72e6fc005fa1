"""The `trim control flow` pass: branches and loops stop returning what nobody reads and
taking what they do not read, and a scan over a uniform constant reads one number."""

import numpy as np

import tracegrad
from tracegrad.ir import Var, parse_graph, verify
from tracegrad.ir.passes import optimize
from tracegrad.ir.passes.control_flow import trim_control_flow

UNUSED_CONST = """\
graph f(a: f64[3], b: f64[3], xs: f64[4,3]) {
  c: f64[3], ys: f64[4,3], zs: f64[4,3] = scan a b xs xs length=4 reverse=False num_consts=1 num_carry=1
    body = graph step(a: f64[3], c: f64[3], x: f64[3], x2: f64[3]) {
      c_1: f64[3] = add c x
      y: f64[3] = sin c_1
      return c_1, y, x2
    }
  return c
}"""  # noqa: E501


def test_a_scan_drops_unread_consts_xs_and_ys_but_keeps_its_carry():
    graph = verify(parse_graph(UNUSED_CONST))
    trimmed = verify(trim_control_flow(graph))
    (node,) = trimmed.nodes
    assert [v.hint for v in node.outputs] == ["c"]
    assert node.params["num_consts"] == 0 and node.params["num_carry"] == 1
    assert len(node.inputs) == 2  # b and xs: `a` and the second xs are never read
    assert trim_control_flow(trimmed) is trimmed  # a fixed point
    # The values are those of the untrimmed scan.
    args = (np.ones(3), np.arange(3.0), np.arange(12.0).reshape(4, 3))
    fn = tracegrad.jit(
        lambda a, b, xs: tracegrad.scan(
            lambda c, x: (c + x[0], (np.sin(c + x[0]), x[1])), b, (xs, xs)
        )[0]
    )
    np.testing.assert_allclose(fn(*args), args[1] + args[2].sum(axis=0))


def test_a_uniform_constant_xs_becomes_a_number_in_the_body():
    def rnn(W, xs):
        def step(h, x):
            h = np.tanh(h @ W + x)
            return h, h

        _h, hs = tracegrad.scan(step, np.zeros(2), xs)
        return np.sum(hs)

    W, xs = np.eye(2) * 0.5, np.ones((3, 2))
    graph = tracegrad.grad(rnn).ir(W, xs)
    backward = [n for n in graph.nodes if n.op.name == "scan"][-1]
    assert not any(x.type.shape == (3, 2) and not isinstance(x, Var) for x in backward.inputs)
    assert "+ 1.0" in tracegrad.grad(rnn).source(W, xs)
    # Only d_W is asked for: the backward loop no longer stacks a cotangent for xs.
    assert [v.type.shape for v in backward.outputs] == [(2,), (2, 2)]


def test_a_cond_drops_an_unread_result_and_operand():
    def f(x, y):
        a, _b = tracegrad.cond(
            x.sum() > 0, lambda x, y: (np.sin(x), y * 2), lambda x, y: (np.cos(x), y * 3), x, y
        )
        return a

    graph = optimize(tracegrad.trace(f, np.ones(2), np.ones(2)))
    (node,) = [n for n in graph.nodes if n.op.name == "cond"]
    assert len(node.outputs) == 1 and len(node.inputs) == 2  # pred and x
    np.testing.assert_allclose(tracegrad.jit(f)(np.ones(2), np.ones(2)), np.sin(np.ones(2)))


def test_a_carry_nobody_reads_is_dropped_with_what_only_it_needed():
    def rnn(W, U, xs):
        def step(h, x):
            h = np.tanh(h @ W + x @ U)
            return h, h

        return np.sum(tracegrad.scan(step, np.zeros(2), xs)[1])

    args = (np.eye(2) * 0.3, np.ones((2, 2)) * 0.2, np.arange(6.0).reshape(3, 2))
    only_U = tracegrad.grad(rnn, argnums=1)
    source = only_U.source(*args)
    assert "d_W" not in source and "h_steps" not in source  # no d_W carried, no h stacked
    scans = [n for n in only_U.ir(*args).nodes if n.op.name == "scan"]
    assert scans[-1].params["num_carry"] == 2  # d_h and d_U
    np.testing.assert_allclose(only_U(*args), tracegrad.grad(rnn, argnums=(0, 1))(*args)[1])


def test_elementwise_work_only_a_scan_reads_is_done_step_by_step():
    def f(xs, a):
        scaled = np.sin(xs) * a + 1.0  # read only by the scan: computed per step
        _, ys = tracegrad.scan(lambda c, x: (c + x, c * x), np.zeros(3), scaled)
        return ys

    xs, a = np.arange(12.0).reshape(4, 3), np.array([0.5, 1.0, 2.0])
    graph = optimize(tracegrad.trace(f, xs, a))
    assert [n.op.name for n in graph.nodes] == ["scan"]
    body = graph.nodes[0].params["body"]
    assert {"sin", "multiply", "add"} <= {n.op.name for n in body.nodes}
    np.testing.assert_allclose(tracegrad.jit(f)(xs, a), f(xs, a))


def test_a_stack_read_elsewhere_too_is_not_sunk():
    def f(xs):
        doubled = xs * 2.0
        _, ys = tracegrad.scan(lambda c, x: (c + x, c), np.zeros(3), doubled)
        return ys + doubled

    xs = np.arange(12.0).reshape(4, 3)
    graph = optimize(tracegrad.trace(f, xs))
    assert [n.op.name for n in graph.nodes] == ["multiply", "scan", "add"]
    np.testing.assert_allclose(tracegrad.jit(f)(xs), f(xs))


def test_the_rnn_gradient_builds_no_whole_array_cotangent_before_its_backward_loop():
    def rnn(W, xs):
        def step(h, x):
            h = np.tanh(h @ W + x)
            return h, h

        return np.sum(tracegrad.scan(step, np.zeros(2), xs)[1] ** 2)

    W, xs = np.eye(2) * 0.4, np.arange(8.0).reshape(4, 2) / 8
    graph = tracegrad.grad(rnn).ir(W, xs)
    assert [n.op.name for n in graph.nodes] == ["scan", "scan"]


def test_a_uniform_constant_operand_is_a_number_in_each_branch():
    def f(x):
        return np.sum(
            tracegrad.cond(x.sum() > 0, lambda x: np.sin(x) * 2.0, lambda x: x * x * 2.0 + x, x)
        )

    x = np.array([0.5, 1.5])
    source = tracegrad.grad(f).source(x)
    assert "np.ones" not in source  # the seed's ones folded into each branch
    assert "d_x = 2.0 * np.cos(x)" in source
    np.testing.assert_allclose(tracegrad.grad(f)(x), 2.0 * np.cos(x))
    np.testing.assert_allclose(tracegrad.grad(f)(-x), 4.0 * -x + 1.0)
