"""KPIs of a run against values computed by hand on a fixed trace."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from agents import BaseStock
from analysis.report import KPI_COLUMNS, summarize
from sim import SupplyChainModel


def run():
    g = nx.DiGraph()
    g.add_node("source", role="supplier")
    g.add_node(
        "shop",
        role="retailer",
        initial_stock=5,
        holding_cost=1.0,
        backlog_cost=3.0,
        price=2.0,
        demand={"dist": "trace", "values": [2, 6, 1, 4]},
    )
    g.add_edge("source", "shop", lead_time=1, unit_cost=0.5)
    model = SupplyChainModel(g, {"shop": BaseStock(level=5)}, decide="end")
    model.run(4)
    return model.results()


def test_summary_by_hand():
    # t0: 5-2=3, order 2; t1: 3+2-6 -> 0 and 1 owed, order 6; t2: 6-1-1=4, order 1;
    # t3: 4+1-4=1, order 4.
    table = run()
    assert table["on_hand"].tolist() == [3.0, 0.0, 4.0, 1.0]
    assert table["backlog"].tolist() == [0.0, 1.0, 0.0, 0.0]
    summary = summarize(table)
    assert list(summary.columns) == list(KPI_COLUMNS)
    shop = summary.loc["shop"]
    ordered = table["ordered"].to_numpy()
    assert ordered.tolist() == [2.0, 6.0, 1.0, 4.0]
    costs = np.array([3 + 0.5 * 2, 3 * 1 + 0.5 * 6, 4 + 0.5 * 1, 1 + 0.5 * 4])
    assert shop["cost_per_period"] == pytest.approx(costs.mean())
    assert shop["holding_cost"] == pytest.approx((3 + 0 + 4 + 1) / 4)
    assert shop["shortage_cost"] == pytest.approx(3 / 4)
    assert shop["fill_rate"] == pytest.approx(1 - 1 / 13)
    assert shop["cycle_service_level"] == pytest.approx(3 / 4)
    assert shop["mean_on_hand"] == pytest.approx(8 / 4)
    assert shop["bullwhip"] == pytest.approx(1.0)  # base-stock passes demand on unchanged
    assert shop["profit_per_period"] == pytest.approx((2 * 13 - costs.sum()) / 4)
    network = summary.loc["network"]
    assert network["cost_per_period"] == pytest.approx(costs.mean())
    assert network["fill_rate"] == pytest.approx(1 - 1 / 13)
    assert network["bullwhip"] == pytest.approx(1.0)


def test_warmup_past_the_end_is_an_error():
    with pytest.raises(ValueError, match="warmup: 9 leaves no periods"):
        summarize(run(), warmup=9)


def test_fill_rate_counts_each_product_on_its_own():
    # tea: 5 owed from period 0, never refilled; mugs: 5 demanded and served in periods 1-3
    g = nx.DiGraph(products=["tea", "mugs"])
    g.add_node("source", role="supplier")
    g.add_node(
        "shop",
        role="retailer",
        initial_stock={"tea": 0, "mugs": 15},
        demand={
            "tea": {"dist": "trace", "values": [5, 0, 0, 0]},
            "mugs": {"dist": "trace", "values": [0, 5, 5, 5]},
        },
    )
    g.add_edge("source", "shop", lead_time=1)
    from agents import ConstantOrder

    model = SupplyChainModel(g, ConstantOrder(quantity=0))
    model.run(4)
    summary = summarize(model.results())
    assert summary.loc["shop", "fill_rate"] == pytest.approx(15 / 20)
    assert summary.loc["network", "fill_rate"] == pytest.approx(15 / 20)
