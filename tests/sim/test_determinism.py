"""Seeding: one seed, one table; common random numbers across policy changes."""

from __future__ import annotations

from collections import defaultdict

import networkx as nx
import pandas as pd

from agents import BaseStock, ConstantOrder
from sim import Purpose, SupplyChainModel, stream


def network():
    g = nx.DiGraph()
    g.add_node("source", role="supplier")
    g.add_node("dc", role="warehouse", holding_cost=1.0)
    for r in ("north", "south"):
        g.add_node(
            r,
            role="retailer",
            holding_cost=2.0,
            backlog_cost=5.0,
            demand={"dist": "poisson", "mean": 4},
        )
        g.add_edge("dc", r, lead_time={"dist": "gamma", "mean": 1.5, "std": 0.7})
    g.add_edge("source", "dc", lead_time={"dist": "poisson", "mean": 2})
    return g


def run(policies, seed, **options):
    model = SupplyChainModel(network(), policies, seed=seed, log=True, **options)
    model.run(200)
    return model


BASE = {"dc": BaseStock(level=30), "north": BaseStock(level=12), "south": BaseStock(level=12)}


def test_same_seed_same_table():
    a, b = run(BASE, 7), run(BASE, 7)
    pd.testing.assert_frame_equal(a.results(), b.results())
    assert a.event_log == b.event_log


def test_other_seed_other_table():
    a, b = run(BASE, 7), run(BASE, 8)
    assert not a.results()["demand"].equals(b.results()["demand"])


def lead_times_by_edge(model):
    """The k-th shipment's lead time on each edge, from the event log."""
    out = defaultdict(list)
    for time, kind, supplier, node, _product, _qty, due in model.event_log:
        if kind == "ship":
            out[supplier, node].append(round(due - time, 12))
    return out


def test_changing_one_policy_keeps_every_draw():
    other = {**BASE, "north": ConstantOrder(quantity=3), "dc": BaseStock(level=45)}
    a, b = run(BASE, 3), run(other, 3)
    ta, tb = a.results(), b.results()
    for r in ("north", "south"):
        demand_a = ta[ta["node"] == r]["demand"].to_numpy()
        demand_b = tb[tb["node"] == r]["demand"].to_numpy()
        assert (demand_a == demand_b).all()
    la, lb = lead_times_by_edge(a), lead_times_by_edge(b)
    for edge in la:
        n = min(len(la[edge]), len(lb[edge]))
        assert n > 20
        assert la[edge][:n] == lb[edge][:n], edge
    # and the runs did differ
    assert not ta["ordered"].equals(tb["ordered"])


def test_streams_are_keyed_by_names_not_order():
    first = stream(1, Purpose.DEMAND, "north", "item").random(3)
    again = stream(1, Purpose.DEMAND, "north", "item").random(3)
    other_node = stream(1, Purpose.DEMAND, "south", "item").random(3)
    other_purpose = stream(1, Purpose.LEAD_TIME, "north", "item").random(3)
    assert (first == again).all()
    assert not (first == other_node).any()
    assert not (first == other_purpose).any()


def test_adding_a_retailer_keeps_the_others_demand():
    g = network()
    bigger = network()
    bigger.add_node("east", role="retailer", demand={"dist": "poisson", "mean": 9})
    bigger.add_edge("dc", "east", lead_time=1)
    a = SupplyChainModel(g, BaseStock(level=10), seed=4)
    b = SupplyChainModel(bigger, BaseStock(level=10), seed=4)
    a.run(50)
    b.run(50)
    ta, tb = a.results(), b.results()
    for r in ("north", "south"):
        assert (
            ta[ta["node"] == r]["demand"].to_numpy() == tb[tb["node"] == r]["demand"].to_numpy()
        ).all()


def test_running_in_pieces_equals_one_run():
    whole = SupplyChainModel(network(), BASE, seed=5)
    whole.run(60)
    pieces = SupplyChainModel(network(), BASE, seed=5)
    for n in (1, 0, 20, 39):
        pieces.run(n)
    pd.testing.assert_frame_equal(whole.results(), pieces.results())
    assert pieces.period == 60 and pieces.steps == 60
