"""random_network: sizes, depth, fan-in/fan-out bounds, determinism, validity, scale."""

from __future__ import annotations

from collections import Counter

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents import BaseStock
from networks import is_source, random_network, validate
from sim import SupplyChainModel


def layers(graph: nx.DiGraph) -> dict[int, list]:
    """Stocking nodes by echelon (layer 0: retailers)."""
    out: dict[int, list] = {}
    for node, k in graph.nodes(data="echelon"):
        if not is_source(graph, node):
            out.setdefault(k, []).append(node)
    return out


def assert_shape(graph: nx.DiGraph, n: int, depth: int, fan_in, fan_out) -> None:
    """Sizes, depth, widening layers, edges between adjacent layers only, fan-in always and
    fan-out within bounds (each capped by the width of the layer it counts)."""
    validate(graph)
    by_layer = layers(graph)
    widths = [len(by_layer[k]) for k in range(depth)]
    assert sorted(by_layer) == list(range(depth))
    assert sum(widths) == n
    assert widths == sorted(widths, reverse=True), widths  # widening toward the retailers
    sources = [s for s in graph if is_source(graph, s)]
    assert len(sources) == widths[-1]
    for s in sources:
        assert [graph.nodes[t]["echelon"] for t in graph.successors(s)] == [depth - 1]
    roles = Counter(graph.nodes[v]["role"] for v in by_layer[0])
    assert roles == {"retailer": widths[0]}
    for k, nodes in by_layer.items():
        for v in nodes:
            if k < depth - 1:
                preds = list(graph.predecessors(v))
                assert {graph.nodes[u]["echelon"] for u in preds} == {k + 1}
                upper = widths[k + 1]
                assert min(fan_in[0], upper) <= len(preds) <= min(fan_in[1], upper), v
            else:
                assert graph.in_degree(v) == 1  # its own source
            if k > 0:
                lower = widths[k - 1]
                assert min(fan_out[0], lower) <= graph.out_degree(v) <= min(fan_out[1], lower), v
            else:
                assert graph.out_degree(v) == 0
                assert "demand" in graph.nodes[v]


@pytest.mark.parametrize(
    ("n", "depth", "fan_in", "fan_out"),
    [
        (1, 1, (1, 3), (1, 3)),
        (5, 5, (1, 3), (1, 3)),
        (10, 3, (1, 3), (1, 3)),
        (60, 4, (1, 3), (1, 3)),
        (200, 3, (2, 4), (1, 8)),
        (300, 2, (1, 1), (2, 5)),
        (500, 6, (1, 2), (1, 3)),
    ],
)
def test_shape_and_bounds(n, depth, fan_in, fan_out):
    g = random_network(n, depth=depth, fan_in=fan_in, fan_out=fan_out, seed=3)
    assert_shape(g, n, depth, fan_in, fan_out)


@settings(max_examples=60, deadline=None)
@given(
    depth=st.integers(1, 6),
    extra=st.integers(0, 150),
    fan_in_low=st.integers(1, 3),
    fan_in_width=st.integers(0, 2),
    fan_out_low=st.integers(1, 3),
    fan_out_width=st.integers(0, 3),
    seed=st.integers(0, 2**32),
)
def test_bounds_hold_whenever_widening_allows(
    depth, extra, fan_in_low, fan_in_width, fan_out_low, fan_out_width, seed
):
    fan_in = (fan_in_low, fan_in_low + fan_in_width)
    fan_out = (fan_out_low, max(fan_out_low + fan_out_width, 2 * fan_in_low))
    if fan_out[0] > fan_in[1]:
        fan_out = (fan_in[1], fan_out[1])
    g = random_network(depth + extra, depth=depth, fan_in=fan_in, fan_out=fan_out, seed=seed)
    assert_shape(g, depth + extra, depth, fan_in, fan_out)


def test_fan_in_kept_when_fan_out_cannot_be():
    # each node must buy from 3 suppliers but a supplier may serve only 1: impossible with
    # layers that widen, so the fan-out bound gives way and fan-in still holds
    g = random_network(40, depth=3, fan_in=(3, 3), fan_out=(1, 1), seed=0)
    validate(g)
    for k, nodes in layers(g).items():
        for v in nodes:
            if k < 2:
                assert g.in_degree(v) == 3
            if k > 0:
                assert g.out_degree(v) >= 1


def test_names_roles_and_widening():
    g = random_network(100, depth=3, seed=0)
    by_layer = layers(g)
    assert all(n.startswith("retailer") for n in by_layer[0])
    assert all(n.startswith("warehouse1_") for n in by_layer[1])
    assert all(n.startswith("manufacturer") for n in by_layer[2])
    assert {g.nodes[n]["role"] for n in by_layer[2]} == {"manufacturer"}
    widths = [len(by_layer[k]) for k in range(3)]
    assert widths[0] > widths[1] > widths[2]  # few plants, more DCs, many stores


def test_deterministic_for_a_seed():
    a = random_network(300, depth=4, seed=11)
    b = random_network(300, depth=4, seed=11)
    assert list(a.nodes(data=True)) == list(b.nodes(data=True))
    assert list(a.edges(data=True)) == list(b.edges(data=True))
    c = random_network(300, depth=4, seed=12)
    assert list(a.edges) != list(c.edges)


def test_leaves_the_global_random_state_alone():
    state = np.random.get_state()[1].copy()
    random_network(200, depth=3, seed=5)
    assert (np.random.get_state()[1] == state).all()


def test_attribute_options_as_in_layered():
    g = random_network(
        30,
        depth=3,
        seed=1,
        lead_time={"dist": "poisson", "mean": 1},
        holding_cost=[float(k) for k in range(30)],
        backlog_cost=5.0,
        demand={"dist": "normal", "mean": 10, "std": 2},
        products=["a", "b"],
    )
    assert g.graph["products"] == ["a", "b"]
    stocking = [n for n in g if not is_source(g, n)]
    assert sorted(g.nodes[n]["holding_cost"] for n in stocking) == [float(k) for k in range(30)]
    assert {lt["mean"] for *_, lt in g.edges(data="lead_time")} == {1}
    for n in stocking:
        data = g.nodes[n]
        retail = data["role"] == "retailer"
        assert data["backlog_cost"] == (5.0 if retail else 0.0)
        assert ("demand" in data) == retail


def test_simulates():
    g = random_network(25, depth=3, seed=2)
    model = SupplyChainModel(g, BaseStock(level=20), seed=0)
    model.run(10)
    assert model.cost_per_period() >= 0


def test_builds_ten_thousand_nodes():
    # Its speed is measured in benchmarks/engine.py: a timed assertion fails on a loaded host.
    g = random_network(10_000, depth=5, seed=0)
    assert sum(1 for n in g if not is_source(g, n)) == 10_000


@pytest.mark.parametrize(
    ("args", "options", "name"),
    [
        ((0,), {"depth": 1}, "n_nodes"),
        ((3,), {"depth": 4}, "n_nodes"),
        ((10,), {"depth": 0}, "depth"),
        ((10,), {"depth": 2, "fan_in": (0, 2)}, "fan_in"),
        ((10,), {"depth": 2, "fan_in": (3, 2)}, "fan_in"),
        ((10,), {"depth": 2, "fan_out": 3}, "fan_out"),
        ((10,), {"depth": 2, "seed": -1}, "seed"),
        ((10,), {"depth": 2, "holding_cost": -1}, "holding_cost"),
        ((10,), {"depth": 2, "demand": {"dist": "nope"}}, "demand"),
    ],
)
def test_bad_arguments_name_the_argument(args, options, name):
    with pytest.raises(ValueError, match=rf"^{name}"):
        random_network(*args, **options)
