"""Values are named after the user's variables, and every node knows the user's line."""

import numpy as np

import tracegrad


def two_layer(W1, W2, x):
    a = x @ W1
    h = np.tanh(a)
    out = h @ W2
    return out.sum()


def recurrent(h, W):
    for _ in range(3):
        h = np.tanh(h @ W)
    return h


def composite(x):
    mu = x.mean(axis=0)
    spread = np.std(x - mu)
    return spread


def hint_names(graph):
    return [node.out.hint for node in graph.nodes]


def line_of(fn, text):
    import inspect

    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, line in enumerate(lines) if text in line)


def test_simple_assignments_name_their_value():
    graph = tracegrad.trace(two_layer, np.ones((3, 4)), np.ones((4, 2)), np.ones((5, 3)))
    assert hint_names(graph) == ["a", "h", "out", None]
    source = tracegrad.jit(two_layer).source(np.ones((3, 4)), np.ones((4, 2)), np.ones((5, 3)))
    assert "h = np.tanh(a)" in source


def test_every_node_points_at_its_line():
    graph = tracegrad.trace(two_layer, np.ones((3, 4)), np.ones((4, 2)), np.ones((5, 3)))
    lines = [node.loc.line for node in graph.nodes]
    assert lines == [
        line_of(two_layer, "a = x @ W1"),
        line_of(two_layer, "h = np.tanh"),
        line_of(two_layer, "out = h @"),
        line_of(two_layer, "return out.sum()"),
    ]
    assert all(node.loc.file == __file__ for node in graph.nodes)
    assert graph.nodes[1].loc.text.strip() == "h = np.tanh(a)"


def test_a_loop_names_each_iteration():
    graph = tracegrad.trace(recurrent, np.ones((2, 3)), np.ones((3, 3)))
    assert hint_names(graph) == [None, "h", None, "h", None, "h"]
    source = tracegrad.jit(recurrent).source(np.ones((2, 3)), np.ones((3, 3)))
    assert "h_1 = np.tanh(h @ W)" in source and "h_2 = np.tanh(h_1 @ W)" in source


def test_a_composite_function_names_its_last_node_only():
    graph = tracegrad.trace(composite, np.ones((4, 3)))
    names = hint_names(graph)
    assert names.count("mu") == 1 and names.count("spread") == 1
    assert graph.nodes[names.index("mu")].op.name == "divide"
    assert graph.nodes[names.index("spread")].op.name == "sqrt"


def test_pytree_leaves_are_named_by_their_path():
    def f(params, xs):
        return params["layer"][0] * xs[1]

    params = {"layer": [np.ones(2), np.ones(2)]}
    graph = tracegrad.trace(f, params, (np.ones(2), np.ones(2)))
    assert [v.hint for v in graph.inputs] == ["params_layer_0", "params_layer_1", "xs_0", "xs_1"]
    source = tracegrad.jit(f).source(params, (np.ones(2), np.ones(2)))
    # Leaves are read where they are used, as one writes them.
    assert "params['layer'][0] * xs[1]" in source
    body = source.split("def ", 1)[1]
    assert "params['layer'][1]" not in body and "params_layer" not in body
