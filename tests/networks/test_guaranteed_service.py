"""The guaranteed-service planner: hand-computed and textbook optima, agreement with brute
force on random trees, bounds on general acyclic networks, base-stock levels and
steady-state starts."""

from __future__ import annotations

import itertools
import math
from statistics import NormalDist

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents import BaseStock
from networks import assembly, serial
from networks.guaranteed_service import (
    base_stock_levels,
    demand_moments,
    plan_safety_stocks,
    steady_state_start,
)
from sim import ENGINES

Z_ONE = NormalDist().cdf(1.0)  # the service level whose z is 1


def chain(edges, holding, demand, max_service=None):
    """Stock points ``holding`` keyed by name; ``edges`` (u, v, lead); sources by ``None``."""
    g = nx.DiGraph(products=["item"])
    for n, h in holding.items():
        g.add_node(n, role="warehouse", holding_cost=h)
    for n, std in demand.items():
        g.nodes[n].update(role="retailer", demand={"dist": "normal", "mean": 0, "std": std})
        g.nodes[n]["max_service_time"] = (max_service or {}).get(n, 0)
    for u, v, lead in edges:
        if u is None:
            u = f"source:{v}"
            g.add_node(u, role="supplier")
        g.add_edge(u, v, lead_time=lead)
    return g


# ---------------------------------------------------------------------------- exact values
@pytest.mark.parametrize(
    ("h_retailer", "service", "cost"),
    [
        # S_A = 0: tau_A = 2, tau_B = 1: 1 * sqrt(2) + 3 * 1
        (3.0, {"A": 0, "B": 0}, math.sqrt(2) + 3),
        # cheap retail stock: S_A = 2, tau_A = 0, tau_B = 3: 0.5 * sqrt(3)
        (0.5, {"A": 2, "B": 0}, 0.5 * math.sqrt(3)),
    ],
)
def test_two_stage_serial_by_hand(h_retailer, service, cost):
    g = chain([(None, "A", 2), ("A", "B", 1)], {"A": 1.0, "B": h_retailer}, {"B": 1.0})
    plan = plan_safety_stocks(g, Z_ONE)
    assert plan.exact and plan.dropped_edges == ()
    assert plan.service_times == service
    assert plan.cost == pytest.approx(cost, abs=1e-12)
    assert plan.lower_bound == plan.cost


def test_snyder_shen_example_6_5():
    """Snyder & Shen, *Fundamentals of Supply Chain Theory* (2nd ed., 2019), Example 6.5:
    1 -> 3 -> {2, 4}; T = (2, 1, 1, 1), external inbound service time 1 at stage 1 (a lead
    of 1 + 2 from its source), h = (1, 3, 2, 3), z = 1, sigma = 1 at stages 2 and 4, which
    quote 0 and 1. Optimum S = (0, 0, 0, 1), cost 2 sqrt(2) + sqrt(6) + 3 = 8.2779."""
    g = chain(
        [(None, 1, 3), (1, 3, 1), (3, 2, 1), (3, 4, 1)],
        {1: 1.0, 2: 3.0, 3: 2.0, 4: 3.0},
        {2: 1.0, 4: 1.0},
        max_service={4: 1},
    )
    plan = plan_safety_stocks(g, Z_ONE)
    assert plan.service_times == {1: 0, 2: 0, 3: 0, 4: 1}
    assert plan.cost == pytest.approx(2 * math.sqrt(2) + math.sqrt(6) + 3, abs=1e-12)
    assert plan.cost == pytest.approx(8.277916867529369, abs=1e-12)  # the book's figure
    stage1 = plan.stages[1]
    assert (stage1.replenishment_time, stage1.net_replenishment_time) == (3, 3)
    assert stage1.std_demand == pytest.approx(math.sqrt(2))  # two independent end items


# ---------------------------------------------------------------------------- brute force
def brute_force(g, plan_nodes):
    """The least cost over every vector of whole service times (tiny networks only)."""
    best = math.inf
    moments = demand_moments(g)
    horizon = sum(
        math.ceil(g.edges[e]["lead_time"]) for e in g.edges
    )  # no replenishment time is longer
    for service in itertools.product(range(horizon + 1), repeat=len(plan_nodes)):
        s = dict(zip(plan_nodes, service, strict=True))
        cost = 0.0
        for n in plan_nodes:
            r = max(
                (s.get(u, 0) + math.ceil(g.edges[u, n]["lead_time"]) for u in g.predecessors(n)),
            )
            tau = r - s[n]
            limit = g.nodes[n].get("max_service_time")
            if tau < 0 or (limit is not None and s[n] > limit):
                cost = math.inf
                break
            cost += g.nodes[n]["holding_cost"] * moments[n][1] * math.sqrt(tau)
        best = min(best, cost)
    return best


@st.composite
def networks_of_stock_points(draw, tree: bool):
    n = draw(st.integers(2, 4))
    holding = {i: draw(st.sampled_from([0.5, 1.0, 2.0, 3.0])) for i in range(n)}
    edges = []
    for v in range(1, n):  # stock point v gets a supplier among 0 .. v - 1: a tree
        edges.append((draw(st.integers(0, v - 1)), v, draw(st.integers(0, 2))))
    if not tree:  # one more edge closes an undirected cycle
        u, v = draw(st.sampled_from([(u, v) for u in range(n) for v in range(u + 1, n)]))
        if (u, v) in {(a, b) for a, b, _ in edges}:
            v = u + 1 if u + 1 < n and (u, u + 1) not in {(a, b) for a, b, _ in edges} else v
        edges.append((u, v, draw(st.integers(0, 2))))
        edges = list({(a, b): (a, b, c) for a, b, c in edges}.values())
    flipped = draw(st.booleans())  # read edges the other way: distribution vs assembly
    if flipped:
        edges = [(n - 1 - b, n - 1 - a, c) for a, b, c in edges]
    g = nx.DiGraph(products=["item"])
    for i in range(n):
        g.add_node(i, role="manufacturer", holding_cost=holding[i])
    for u, v, lead in edges:
        g.add_edge(u, v, lead_time=lead, bom=1)
    for i in range(n):
        if g.in_degree(i) == 0:
            g.add_node(f"s{i}", role="supplier")
            g.add_edge(f"s{i}", i, lead_time=draw(st.integers(0, 2)))
    for i in range(n):
        if g.out_degree(i) == 0:
            std = draw(st.sampled_from([1.0, 2.0]))
            g.nodes[i].update(
                role="manufacturer",
                demand={"dist": "normal", "mean": 5, "std": std},
                max_service_time=draw(st.integers(0, 1)),
            )
    return g


@settings(max_examples=60, deadline=None)
@given(networks_of_stock_points(tree=True))
def test_exact_on_spanning_trees_against_brute_force(g):
    nodes = [n for n in g if not str(n).startswith("s")]
    plan = plan_safety_stocks(g, Z_ONE)
    assert plan.exact
    assert plan.cost == pytest.approx(brute_force(g, nodes), abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(networks_of_stock_points(tree=False))
def test_bounds_on_acyclic_networks_against_brute_force(g):
    nodes = [n for n in g if not str(n).startswith("s")]
    plan = plan_safety_stocks(g, Z_ONE)
    optimum = brute_force(g, nodes)
    assert plan.lower_bound <= optimum + 1e-9 <= plan.cost + 2e-9
    assert math.isfinite(plan.cost)
    if not plan.exact:
        assert plan.dropped_edges


# ---------------------------------------------------------------------------- levels and starts
def test_demand_propagates_through_the_bill_of_materials():
    g = assembly(2, bom=[2, 3], demand={"dist": "gamma", "mean": 4, "std": 1.5})
    moments = demand_moments(g)
    assert moments["retailer"] == (4.0, 1.5)
    assert moments["manufacturer"] == (4.0, 1.5)
    assert moments["component1"] == (8.0, 3.0)
    assert moments["component2"] == (12.0, 4.5)


def test_base_stock_levels_from_a_service_level():
    g = serial(2, lead_time=[1, 4], demand={"dist": "poisson", "mean": 9})
    z = NormalDist().inv_cdf(0.95)
    levels = base_stock_levels(g, 0.95)
    assert levels == {
        "stage1": math.ceil(9 * 1 + z * 3 * 1),  # 13.93 -> 14: whole units
        "stage2": math.ceil(9 * 4 + z * 3 * 2),  # 45.87 -> 46
    }
    with pytest.raises(ValueError, match=r"^service_level: must be a number in \(0, 1\)"):
        base_stock_levels(g, 1.0)


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_steady_state_start_has_no_transient(engine):
    # constant demand 4, lead times 2 and 3: levels 4 * L + 3 hold on hand 3 from period 0
    g = serial(2, lead_time=[2, 3], demand=4, backlog_cost=1)
    levels = {"stage1": 4 * 2 + 3, "stage2": 4 * 3 + 3}
    started = steady_state_start(g, levels)
    assert started.edges["stage2", "stage1"]["initial_pipeline"] == 4.0
    assert started.nodes["stage2"]["initial_stock"] == 3.0
    policies = {n: BaseStock(level=v) for n, v in levels.items()}
    model = ENGINES[engine](started, policies, seed=0)
    model.run(12)
    table = model.results()
    assert set(table["on_hand"]) == {3.0}
    assert set(table["backlog"]) == {0.0}
    assert set(table["ordered"]) == {4.0}
    cold = ENGINES[engine](g, policies, seed=0)
    cold.run(12)
    assert cold.results()["backlog"].max() > 0  # the cold start owes its customers at first
