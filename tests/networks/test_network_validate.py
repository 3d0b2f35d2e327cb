"""validate: one case per error, each asserting the message names the place and the fix."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import pytest

from networks import (
    NetworkError,
    assembly,
    beer_game,
    check_edge_attribute,
    check_node_attribute,
    distribution,
    layered,
    random_network,
    read_willems,
    serial,
    validate,
)


def base() -> nx.DiGraph:
    """source -> w -> r, valid, two products."""
    g = nx.DiGraph(products=["a", "b"])
    g.add_node("source", role="supplier")
    g.add_node("w", role="warehouse", holding_cost=1.0)
    g.add_node("r", role="retailer", demand={"dist": "poisson", "mean": 4})
    g.add_edge("source", "w", lead_time=2)
    g.add_edge("w", "r", lead_time={"dist": "uniform", "low": 1, "high": 3})
    return g


def node(name: str, **attrs) -> Callable[[nx.DiGraph], None]:
    return lambda g: g.nodes[name].update(attrs)


def edge(u: str, v: str, **attrs) -> Callable[[nx.DiGraph], None]:
    return lambda g: g.edges[u, v].update(attrs)


def drop_node_attr(name: str, attr: str) -> Callable[[nx.DiGraph], None]:
    return lambda g: g.nodes[name].pop(attr)


CASES: list[tuple[str, Callable[[nx.DiGraph], object], str]] = [
    ("empty", lambda g: g.clear(), "graph: has no nodes; add nodes and edges"),
    (
        "cycle",
        lambda g: g.add_edge("r", "w", lead_time=1),
        "graph: has a cycle 'w'->'r'->'w'; goods must flow one way",
    ),
    ("self loop", lambda g: g.add_edge("w", "w", lead_time=1), "graph: has a cycle 'w'->'w'"),
    (
        "missing role",
        drop_node_attr("w", "role"),
        "node 'w': missing required attribute 'role'; set it to one of supplier, manufacturer,"
        " warehouse, retailer",
    ),
    (
        "unknown role",
        node("w", role="depot"),
        "node 'w' attribute 'role': unknown role 'depot'; expected one of supplier, "
        "manufacturer, warehouse, retailer",
    ),
    (
        "stocking node without supplier",
        lambda g: g.add_node("x", role="warehouse") or g.add_edge("x", "r", lead_time=1),
        "node 'x' (role 'warehouse') has no supplier: add an edge into it from a supplier, or "
        "make it an external source with role 'supplier'",
    ),
    (
        "retailer without demand",
        drop_node_attr("r", "demand"),
        "node 'r' attribute 'demand': missing (required at retailers); declare the customer "
        "demand per period",
    ),
    (
        "retailer with empty per-product demand",
        node("r", demand={}),
        "node 'r' attribute 'demand': missing (required at retailers)",
    ),
    (
        "bad demand declaration",
        node("r", demand={"dist": "poisson", "mean": -1}),
        "node 'r' attribute 'demand'.mean: must be >= 0, got -1",
    ),
    (
        "demand of the wrong type",
        node("r", demand="four"),
        "node 'r' attribute 'demand': must be a number or a table with 'dist'",
    ),
    (
        "unknown product in demand",
        node("r", demand={"a": 4, "c": 1}),
        "node 'r' attribute 'demand': unknown product 'c' in per-product mapping; known "
        "products: 'a', 'b'",
    ),
    (
        "bad per-product demand",
        node("r", demand={"a": {"dist": "gamma", "mean": 0, "std": 1}}),
        "node 'r' attribute 'demand' product 'a'.mean: must be > 0",
    ),
    (
        "missing lead time",
        lambda g: g.edges["w", "r"].clear(),
        "edge 'w'->'r': missing required attribute 'lead_time'; declare the shipping lead time",
    ),
    (
        "bad lead time",
        edge("w", "r", lead_time={"dist": "uniform", "low": 3, "high": 1}),
        "edge 'w'->'r' attribute 'lead_time': high must be >= low",
    ),
    (
        "negative constant lead time",
        edge("source", "w", lead_time=-2),
        "edge 'source'->'w' attribute 'lead_time'.value: must be >= 0, got -2",
    ),
    (
        "negative holding cost",
        node("w", holding_cost=-1),
        "node 'w' attribute 'holding_cost': must be >= 0 (money per unit on hand per period), "
        "got -1",
    ),
    (
        "negative backlog cost",
        node("r", backlog_cost=-0.5),
        "node 'r' attribute 'backlog_cost': must be >= 0",
    ),
    (
        "negative lost-sales cost",
        node("r", lost_sales_cost=-3),
        "node 'r' attribute 'lost_sales_cost': must be >= 0",
    ),
    ("negative price", node("r", price=-3), "node 'r' attribute 'price': must be >= 0"),
    (
        "negative initial stock",
        node("w", initial_stock=-5),
        "node 'w' attribute 'initial_stock': must be >= 0 (units of stock on hand at time 0)",
    ),
    (
        "infinite cost",
        node("w", holding_cost=math.inf),
        "node 'w' attribute 'holding_cost': must be finite",
    ),
    ("nan stock", node("w", initial_stock=math.nan), "node 'w' attribute 'initial_stock'"),
    (
        "bool is not a number",
        node("w", initial_stock=True),
        "node 'w' attribute 'initial_stock': must be a number (units of stock on hand at "
        "time 0), got bool True",
    ),
    (
        "text is not a number",
        node("w", holding_cost="1"),
        "node 'w' attribute 'holding_cost': must be a number (money per unit on hand per "
        "period), got str '1'",
    ),
    (
        "zero capacity",
        node("w", capacity=0),
        "node 'w' attribute 'capacity': must be > 0 (units into stock, or shipped by a source, "
        "per period; use inf for unlimited), got 0",
    ),
    (
        "negative capacity at a source",
        node("source", capacity=-4),
        "node 'source' attribute 'capacity': must be > 0 (units into stock, or shipped by a "
        "source, per period; use inf for unlimited), got -4",
    ),
    (
        "text capacity at a source",
        node("source", capacity="5"),
        "node 'source' attribute 'capacity': must be a number (units into stock, or shipped by "
        "a source, per period), got str '5'",
    ),
    (
        "unknown product in a cost mapping",
        node("w", holding_cost={"a": 1, "z": 2}),
        "node 'w' attribute 'holding_cost': unknown product 'z' in per-product mapping",
    ),
    (
        "bad value in a cost mapping",
        node("w", holding_cost={"a": 1, "b": -2}),
        "node 'w' attribute 'holding_cost' product 'b': must be >= 0",
    ),
    (
        "bad shortage",
        node("r", shortage="lost"),
        "node 'r' attribute 'shortage': must be one of 'backlog', 'lost_sales', got 'lost'",
    ),
    (
        "bad per-product shortage",
        node("r", shortage={"a": "backlog", "b": "x"}),
        "node 'r' attribute 'shortage' product 'b': must be one of 'backlog', 'lost_sales'",
    ),
    (
        "bad echelon",
        node("r", echelon=-1),
        "node 'r' attribute 'echelon': must be an integer >= 0",
    ),
    (
        "negative order lead time",
        edge("w", "r", order_lead_time=-1),
        "edge 'w'->'r' attribute 'order_lead_time': must be >= 0 (periods), got -1",
    ),
    (
        "negative unit cost",
        edge("w", "r", unit_cost=-1),
        "edge 'w'->'r' attribute 'unit_cost': must be >= 0",
    ),
    (
        "negative fixed cost",
        edge("w", "r", fixed_cost=-1),
        "edge 'w'->'r' attribute 'fixed_cost': must be >= 0",
    ),
    (
        "zero bom",
        edge("source", "w", bom=0),
        "edge 'source'->'w' attribute 'bom': must be > 0 (units of the supplier's stock per "
        "unit produced), got 0",
    ),
    (
        "bool bom",
        edge("source", "w", bom=False),
        "edge 'source'->'w' attribute 'bom': must be a number",
    ),
    (
        "negative initial orders",
        edge("w", "r", initial_orders=-4),
        "edge 'w'->'r' attribute 'initial_orders': must be >= 0 (units ordered per period of "
        "order lead time, in the mail at time 0), got -4",
    ),
    (
        "crossing as text",
        edge("w", "r", crossing="false"),
        "edge 'w'->'r' attribute 'crossing': must be True or False, got str 'false'",
    ),
    (
        "bad products",
        lambda g: g.graph.update(products=[]),
        "graph attribute 'products': must be a non-empty list of product names",
    ),
    (
        "duplicate products",
        lambda g: g.graph.update(products=["a", "a"]),
        "graph attribute 'products': duplicate product name(s) 'a'",
    ),
]


@pytest.mark.parametrize(("change", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_validate_names_the_fault(change, message):
    g = base()
    validate(g)
    change(g)
    with pytest.raises(NetworkError, match=re.escape(message)):
        validate(g)


@pytest.mark.parametrize("graph", [nx.Graph(), nx.MultiDiGraph(), "not a graph"])
def test_validate_rejects_other_graph_kinds(graph):
    with pytest.raises(NetworkError, match="graph: must be a networkx DiGraph"):
        validate(graph)


def test_network_error_is_a_value_error():
    assert issubclass(NetworkError, ValueError)


def test_unknown_attributes_are_allowed():
    g = base()
    g.nodes["w"]["x"] = object()
    g.nodes["r"]["label"] = "the shop"
    g.edges["w", "r"]["road"] = {"km": 12}
    g.graph["author"] = "me"
    validate(g)


def test_valid_variants():
    g = base()
    g.nodes["r"]["demand"] = {"a": 4, "b": {"dist": "trace", "values": [1, 2]}}
    g.nodes["r"]["shortage"] = {"a": "lost_sales"}
    g.nodes["w"]["capacity"] = math.inf
    g.nodes["w"]["role"] = "supplier"  # a supplier with a supplier holds stock
    g.edges["w", "r"].update(order_lead_time=1, unit_cost=0, fixed_cost=2.5, bom=2, crossing=False)
    validate(g)


@pytest.mark.parametrize(
    "graph",
    [serial(4), beer_game(), distribution(3), assembly(2), layered([3, 2, 2], seed=1)],
    ids=["serial", "beer_game", "distribution", "assembly", "layered"],
)
def test_builders_pass(graph):
    validate(graph)


@pytest.mark.parametrize(
    ("check", "message"),
    [
        (
            lambda: check_node_attribute("holding_cost", -1, "nodes.stage1.holding_cost"),
            "nodes.stage1.holding_cost: must be >= 0",
        ),
        (
            lambda: check_node_attribute("demand", {"dist": "poisson", "mean": -4}, "d"),
            "d.mean: must be >= 0, got -4",
        ),
        (
            lambda: check_node_attribute("price", {"x": 1}, "p", ("a",)),
            "p: unknown product 'x'",
        ),
        (lambda: check_node_attribute("role", "boss", "r"), "r: unknown role 'boss'"),
        (
            lambda: check_edge_attribute(
                "lead_time", {"dist": "poison"}, "edge_defaults.lead_time"
            ),
            "edge_defaults.lead_time.dist: must be one of",
        ),
        (
            lambda: check_edge_attribute("order_lead_time", -1, "e.order_lead_time"),
            "e.order_lead_time: must be >= 0",
        ),
    ],
)
def test_single_attribute_checks_start_with_where(check, message):
    with pytest.raises(NetworkError, match="^" + re.escape(message)):
        check()


def test_single_attribute_checks_accept_good_and_unknown_values():
    check_node_attribute("holding_cost", {"a": 1}, "w", ("a",))
    check_node_attribute("whatever", object(), "w")
    check_edge_attribute("crossing", False, "e")
    check_edge_attribute("road", "A1", "e")


def test_an_acyclic_network_is_checked_in_linear_time(monkeypatch):
    # nx.find_cycle walks every edge path from every node: 50 s on a DAG of 2,845 nodes and
    # 17,000 links (the size of Willems chain 38); it may only run to name a cycle found
    def walks_paths(*args, **kwargs):
        raise AssertionError("find_cycle called on an acyclic network")

    monkeypatch.setattr(nx, "find_cycle", walks_paths)
    validate(random_network(300, depth=4, fan_in=(2, 3), fan_out=(1, 3), seed=0))
    read_willems(Path(__file__).parent / "fixtures" / "willems" / "01_SD.csv")
