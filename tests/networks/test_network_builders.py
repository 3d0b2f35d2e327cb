"""Builders produce what they promise: counts, roles, echelons, attributes, determinism."""

from __future__ import annotations

import math

import networkx as nx
import pytest

from networks import (
    NetworkError,
    assembly,
    beer_game,
    distribution,
    from_edges,
    is_source,
    layered,
    serial,
    two_per_echelon,
    validate,
)


def sources(graph: nx.DiGraph) -> list:
    return [n for n in graph if is_source(graph, n)]


def retailers(graph: nx.DiGraph) -> list:
    return [n for n, r in graph.nodes(data="role") if r == "retailer"]


def assert_well_formed(graph: nx.DiGraph) -> None:
    """Valid, every stocking node supplied and reachable from a source, reaching a retailer,
    echelons 0 at retailers and one above the largest customer echelon."""
    validate(graph)
    shops = set(retailers(graph))
    reached = set().union(*(nx.descendants(graph, s) | {s} for s in sources(graph)))
    assert reached == set(graph)
    for node in graph:
        assert shops & (nx.descendants(graph, node) | {node}), node
        below = [graph.nodes[s]["echelon"] for s in graph.successors(node)]
        assert graph.nodes[node]["echelon"] == (1 + max(below) if below else 0)


def test_serial_shape_roles_and_echelons():
    g = serial(4)
    assert list(nx.topological_sort(g)) == ["source", "stage4", "stage3", "stage2", "stage1"]
    assert dict(g.nodes(data="role")) == {
        "source": "supplier",
        "stage1": "retailer",
        "stage2": "warehouse",
        "stage3": "warehouse",
        "stage4": "manufacturer",
    }
    assert dict(g.nodes(data="echelon")) == {
        "source": 4,
        "stage1": 0,
        "stage2": 1,
        "stage3": 2,
        "stage4": 3,
    }
    assert g.graph["products"] == ["item"]
    assert g.nodes["stage1"]["demand"] == {"dist": "poisson", "mean": 4}
    assert all("demand" not in g.nodes[n] for n in ("stage2", "stage3", "stage4"))
    assert_well_formed(g)


def test_serial_scalar_customer_costs_apply_at_the_retailer_only():
    g = serial(3, backlog_cost=20, price=5, lost_sales_cost=2, shortage="lost_sales")
    assert [g.nodes[f"stage{k}"]["backlog_cost"] for k in (1, 2, 3)] == [20, 0.0, 0.0]
    assert [g.nodes[f"stage{k}"]["price"] for k in (1, 2, 3)] == [5, 0.0, 0.0]
    assert [g.nodes[f"stage{k}"]["lost_sales_cost"] for k in (1, 2, 3)] == [2, 0.0, 0.0]
    assert [g.nodes[f"stage{k}"]["shortage"] for k in (1, 2, 3)] == [
        "lost_sales",
        "backlog",
        "backlog",
    ]


def test_serial_lists_are_retailer_first_and_lead_times_are_inbound():
    g = serial(
        3,
        names=["shop", "dc", "plant"],
        lead_time=[1, {"dist": "poisson", "mean": 2}, 3],
        order_lead_time=[0, 1, 2],
        holding_cost=[3, 2, 1],
        backlog_cost=[9, 1, 0],
        initial_stock=[10, 20, 30],
        source="mine",
    )
    assert g.edges["dc", "shop"]["lead_time"] == 1
    assert g.edges["plant", "dc"]["lead_time"] == {"dist": "poisson", "mean": 2}
    assert g.edges["mine", "plant"] == {"lead_time": 3, "order_lead_time": 2}
    assert [g.nodes[n]["holding_cost"] for n in ("shop", "dc", "plant")] == [3, 2, 1]
    assert [g.nodes[n]["backlog_cost"] for n in ("shop", "dc", "plant")] == [9, 1, 0]
    assert [g.nodes[n]["initial_stock"] for n in ("shop", "dc", "plant")] == [10, 20, 30]
    assert g.nodes["plant"]["capacity"] == math.inf


def test_serial_one_stage_and_custom_roles():
    g = serial(1)
    assert dict(g.nodes(data="role")) == {"source": "supplier", "stage1": "retailer"}
    g = serial(2, roles=["retailer", "warehouse"])
    assert g.nodes["stage2"]["role"] == "warehouse"
    assert "capacity" not in g.nodes["stage2"]


def test_builders_do_not_share_mutable_values():
    demand = {"dist": "poisson", "mean": 4}
    g = distribution(2, demand=demand)
    g.nodes["retailer1"]["demand"]["mean"] = 99
    assert g.nodes["retailer2"]["demand"]["mean"] == 4
    assert demand["mean"] == 4


def test_beer_game_textbook_defaults():
    g = beer_game()
    stages = ["retailer", "wholesaler", "distributor", "factory"]
    assert list(nx.topological_sort(g)) == ["source", *reversed(stages)]
    assert g.nodes["factory"]["role"] == "manufacturer"
    for n in stages:
        assert g.nodes[n]["holding_cost"] == 0.5
        assert g.nodes[n]["backlog_cost"] == 1.0
        assert g.nodes[n]["initial_stock"] == 12
    assert all(d["lead_time"] == 2 and d["order_lead_time"] == 0 for *_, d in g.edges(data=True))
    assert g.nodes["retailer"]["demand"]["values"][:6] == [4, 4, 4, 4, 8, 8]
    assert beer_game(order_lead_time=1).edges["wholesaler", "retailer"]["order_lead_time"] == 1
    assert_well_formed(g)


def test_distribution_tree():
    g = distribution(3, demand=[2, {"dist": "poisson", "mean": 3}, 4], lead_time=[1, 1, 1, 5])
    assert sorted(retailers(g)) == ["retailer1", "retailer2", "retailer3"]
    assert sources(g) == ["source"]
    assert set(g.successors("warehouse")) == {"retailer1", "retailer2", "retailer3"}
    assert g.edges["source", "warehouse"]["lead_time"] == 5
    assert g.nodes["retailer3"]["demand"] == 4
    assert g.nodes["warehouse"]["echelon"] == 1 and g.nodes["source"]["echelon"] == 2
    assert_well_formed(g)


def test_assembly_bom_on_component_edges():
    g = assembly(3, bom=[1, 2, 0.5])
    assert g.nodes["manufacturer"]["role"] == "manufacturer"
    assert list(g.successors("manufacturer")) == ["retailer"]
    assert [g.edges[f"component{k}", "manufacturer"]["bom"] for k in (1, 2, 3)] == [1, 2, 0.5]
    assert "bom" not in g.edges["manufacturer", "retailer"]
    for k in (1, 2, 3):
        assert list(g.predecessors(f"component{k}")) == [f"source_component{k}"]
        assert g.nodes[f"component{k}"]["echelon"] == 2
    assert len(sources(g)) == 3
    assert assembly(2, bom=4).edges["component2", "manufacturer"]["bom"] == 4
    assert_well_formed(g)


@pytest.mark.parametrize("widths", [[1], [3], [2, 2], [4, 2, 3], [1, 5, 1, 2], [6, 6, 6, 6, 6]])
@pytest.mark.parametrize("density", [0.05, 0.5, 1.0])
def test_layered_covers_every_node(widths, density):
    g = layered(widths, density=density, seed=7)
    assert_well_formed(g)
    by_echelon: dict[int, list] = {}
    for n, e in g.nodes(data="echelon"):
        if not is_source(g, n):
            by_echelon.setdefault(e, []).append(n)
    assert [len(by_echelon[k]) for k in range(len(widths))] == widths
    assert len(sources(g)) == widths[-1]
    for u, v in g.edges:
        assert g.nodes[u]["echelon"] == g.nodes[v]["echelon"] + 1
    if density == 1.0:
        for k in range(1, len(widths)):
            assert all(g.has_edge(u, v) for u in by_echelon[k] for v in by_echelon[k - 1])


def test_layered_is_deterministic_per_seed_and_seeds_differ():
    def shape(seed):
        g = layered([5, 5, 5], density=0.3, seed=seed)
        return list(g.edges(data=True)), list(g.nodes(data=True))

    assert shape(3) == shape(3)
    assert len({str(shape(s)[0]) for s in range(5)}) == 5


def test_two_per_echelon():
    g = two_per_echelon(3, seed=1)
    assert g.number_of_nodes() == 2 * 3 + 2
    assert_well_formed(g)


def test_from_edges_infers_roles_and_echelons():
    g = from_edges(
        [
            ("mine", "dc", {"lead_time": 3}),
            ("dc", "shop", {"lead_time": 1}),
            ("dc", "kiosk", {"lead_time": 1}),
        ],
        nodes={"shop": {"demand": 3, "note": "extra data is kept"}, "kiosk": {"demand": 1}},
        products=["item"],
    )
    assert dict(g.nodes(data="role")) == {
        "shop": "retailer",
        "kiosk": "retailer",
        "mine": "supplier",
        "dc": "warehouse",
    }
    assert dict(g.nodes(data="echelon")) == {"shop": 0, "kiosk": 0, "mine": 2, "dc": 1}
    assert g.nodes["shop"]["note"] == "extra data is kept"


def test_from_edges_keeps_given_roles_and_validates():
    g = from_edges(
        [("s", "m", {"lead_time": 1}), ("m", "r", {"lead_time": 1})],
        nodes={"m": {"role": "manufacturer"}, "r": {"demand": 2}},
    )
    assert g.nodes["m"]["role"] == "manufacturer"
    with pytest.raises(NetworkError, match=r"node 'r' attribute 'demand': missing"):
        from_edges([("s", "r", {"lead_time": 1})])


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: serial(0), r"n_stages: must be an integer >= 1"),
        (lambda: serial(True), r"n_stages: must be an integer >= 1"),
        (
            lambda: serial(3, holding_cost=[1, 2]),
            r"holding_cost: expected one value or a list of 3",
        ),
        (lambda: serial(2, holding_cost=-1), r"holding_cost: must be >= 0"),
        (lambda: serial(2, initial_stock=[1, "x"]), r"initial_stock\[1\]: must be a number"),
        (lambda: serial(2, backlog_cost=True), r"backlog_cost: must be a number"),
        (lambda: serial(2, lead_time={"dist": "poison"}), r"lead_time\.dist: must be one of"),
        (lambda: serial(2, demand="lots"), r"demand: must be a number or a table"),
        (lambda: serial(2, shortage="cry"), r"shortage: must be one of 'backlog', 'lost_sales'"),
        (lambda: serial(2, names=["a"]), r"names: expected a list of 2 node names"),
        (lambda: serial(2, names=["a", "a"]), r"names: node name 'a' is used twice"),
        (lambda: serial(2, roles=["retailer", "boss"]), r"roles: unknown role 'boss'"),
        (lambda: serial(2, capacity=0), r"capacity: must be > 0"),
        (lambda: serial(2, products="ab"), r"products: expected a non-empty list"),
        (lambda: beer_game(names=["a"]), r"names: fixed by beer_game"),
        (lambda: distribution(2, demand=[1, 2, 3]), r"demand: expected one value or a list of 2"),
        (lambda: assembly(2, bom=0), r"bom: must be > 0"),
        (lambda: assembly(2, bom=[1, -1]), r"bom\[1\]: must be > 0, got -1"),
        (lambda: layered([]), r"widths: expected a non-empty list"),
        (lambda: layered([2, 0]), r"widths\[1\]: must be an integer >= 1"),
        (lambda: layered([2, 2], density=0), r"density: must be a number in \(0, 1\]"),
        (lambda: layered([2, 2], density=1.5), r"density: must be a number in \(0, 1\]"),
        (lambda: layered([2, 2], seed=-1), r"seed: must be an integer >= 0"),
        (lambda: two_per_echelon(0), r"n_echelons: must be an integer >= 1"),
        (lambda: from_edges([("a",)]), r"edges\[0\]: expected \(u, v\) or \(u, v, attrs\)"),
        (lambda: from_edges([], nodes={"a": 3}), r"nodes\['a'\]: expected a mapping"),
    ],
)
def test_bad_arguments_name_the_argument(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_echelon_holding_cost_gives_the_clark_scarf_local_rates():
    from scenarios import load

    # clark_scarf declares echelon rates 1; Chen & Zheng's local rates are 4, 3, 2, 1
    declared = load("scenarios/library/clark_scarf.toml").network()
    assert [declared.nodes[f"stage{k}"]["holding_cost"] for k in (1, 2, 3, 4)] == [4, 3, 2, 1]
    by_hand = serial(
        4,
        lead_time=2,
        holding_cost=[4, 3, 2, 1],
        backlog_cost=[20, 0, 0, 0],
        demand={"dist": "poisson", "mean": 4},
    )
    assert dict(declared.nodes(data=True)) == dict(by_hand.nodes(data=True))
    uneven = serial(3, echelon_holding_cost=[0.5, 2, 1])  # retailer first
    assert [uneven.nodes[f"stage{k}"]["holding_cost"] for k in (1, 2, 3)] == [3.5, 3, 1]
    with pytest.raises(ValueError, match=r"^holding_cost, echelon_holding_cost: give one of them"):
        serial(2, holding_cost=1, echelon_holding_cost=1)
    with pytest.raises(ValueError, match=r"^echelon_holding_cost\[1\]: must be >= 0"):
        serial(2, echelon_holding_cost=[1, -1])
