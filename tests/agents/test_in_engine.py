"""The modules inside the engine: the observation fields they declare mean what they assume."""

from __future__ import annotations

from collections import defaultdict

import networkx as nx
import pytest

from agents import DualIndex, Myopic, Sterman, TailoredBaseSurge
from sim import SupplyChainModel

TRACE = [3, 7, 0, 12, 5, 4, 9, 1, 6, 2, 8, 0, 0, 11, 3]


def lost_sales_shop(lead_time):
    g = nx.DiGraph()
    g.add_node("source", role="supplier")
    g.add_node(
        "shop",
        role="retailer",
        demand={"dist": "trace", "values": TRACE},
        shortage="lost_sales",
        initial_stock=5,
        holding_cost=1.0,
        lost_sales_cost=9.0,
    )
    g.add_edge("source", "shop", lead_time=lead_time)
    return g


@pytest.mark.parametrize("periods", [1, 2])
@pytest.mark.parametrize("lead_time", [1, 2, 3])
def test_myopic_orders_match_a_hand_replay_of_the_lost_sales_recursion(lead_time, periods, obs):
    policy = Myopic(
        demand={"dist": "poisson", "mean": 5},
        holding_cost=1.0,
        lost_sales_cost=9.0,
        lead_time=lead_time,
        periods=periods,
    )
    model = SupplyChainModel(lost_sales_shop(lead_time), {"shop": policy}, decide="start")
    model.run(len(TRACE))
    table = model.results()
    engine = table[table["node"] == "shop"]["ordered"].tolist()

    stock, orders, expected = 5.0, defaultdict(float), []
    for t, d in enumerate(TRACE):
        stock += orders[t - lead_time]  # receipts at the start of t
        due = tuple(orders[t + 1 + k - lead_time] for k in range(lead_time - 1))
        orders[t] = policy.act(obs(on_hand=stock, arrivals=due, period=t))
        expected.append(orders[t])
        stock -= min(stock, d)  # serve; the rest is lost
    assert engine == expected


def dual_sourcing(order):
    g = nx.DiGraph()
    g.add_node("regular", role="supplier")
    g.add_node("express", role="supplier")
    g.add_node(
        "shop",
        role="retailer",
        demand={"dist": "poisson", "mean": 3},
        shortage="lost_sales",
        initial_stock=4,
    )
    lead_times = {"regular": 3, "express": 1}
    for supplier in order:
        g.add_edge(supplier, "shop", lead_time=lead_times[supplier])
    return g


@pytest.mark.parametrize(
    "policy",
    [
        DualIndex(
            regular_level=14,
            expedited_level=5,
            expedited_lead_time=1,
            regular_supplier="regular",
            expedited_supplier="express",
        ),
        TailoredBaseSurge(
            regular_quantity=2,
            expedited_level=5,
            expedited_lead_time=1,
            regular_supplier="regular",
            expedited_supplier="express",
        ),
    ],
)
def test_dual_sourcing_orders_do_not_depend_on_the_order_of_the_suppliers(policy):
    logs = []
    for order in (["regular", "express"], ["express", "regular"]):
        model = SupplyChainModel(
            dual_sourcing(order), {"shop": policy}, decide="start", seed=3, log=True
        )
        model.run(30)
        logs.append(sorted(e for e in model.event_log if e[1] == "order"))
    assert logs[0] == logs[1]
    assert {e[2] for e in logs[0]} == {"regular", "express"}
    # period 0: IP_e = 4 on hand, nothing due by t + 1: the express order is 5 - 4 = 1
    assert (0, "order", "express", "shop") in {e[:4] for e in logs[0]}
    assert next(e[5] for e in logs[0] if e[:3] == (0, "order", "express")) == 1.0


def test_sterman_is_spawned_once_per_stock_point():
    g = nx.DiGraph()
    g.add_node("source", role="supplier")
    g.add_node("dc", role="warehouse", initial_stock=12)
    g.add_node("shop", role="retailer", demand=4, initial_stock=12)
    g.add_edge("source", "dc", lead_time=2)
    g.add_edge("dc", "shop", lead_time=2)
    player = Sterman(
        desired_stock=17.0,
        stock_adjustment=0.26,
        supply_line_weight=0.34,
        smoothing=0.36,
        initial_expectation=4.0,
    )
    model = SupplyChainModel(g, player, decide="start", seed=1)
    model.run(20)
    assert len(model.results()) == 40
