"""The network row of analysis.report.summarize on assembly chains: the bullwhip counts the
highest echelon's orders in end-item equivalents, and customers may be served by an
assembly stage."""

from __future__ import annotations

import pytest

from agents import BaseStock
from analysis.report import summarize
from networks import assembly
from sim import SupplyChainModel


@pytest.mark.parametrize(("n_parts", "bom"), [(1, 1), (3, 1), (3, 2), (5, 1)])
def test_parts_that_pass_demand_on_give_a_network_bullwhip_of_one(n_parts, bom):
    # base stock with decide="end" orders exactly this period's demand at every stage, so
    # after period 0 each part orders bom * D_t: summed, n_parts * bom * D_t; in end-item equivalents D_t
    graph = assembly(n_parts, bom=bom, demand={"dist": "poisson", "mean": 4})
    model = SupplyChainModel(graph, BaseStock(level=60), seed=3)
    model.run(200)
    table = model.results()
    table = table[table["period"] >= 1]  # period 0 orders up to the level from nothing
    parts = table[table["role"] == "supplier"].groupby("period")["ordered"].sum()
    customer = table[table["role"] == "retailer"].set_index("period")["demand"]
    assert parts.var() / customer.var() == pytest.approx((n_parts * bom) ** 2)  # the old figure
    assert summarize(table).loc["network", "bullwhip"] == pytest.approx(1.0)


def test_customers_served_by_an_assembly_stage_count_in_the_network_row():
    graph = assembly(2, demand=5)
    graph.remove_node("retailer")  # the manufacturer now sells the end item itself
    graph.nodes["manufacturer"].update(demand=5, echelon=0, backlog_cost=9.0)
    for part in ("component1", "component2"):
        graph.nodes[part]["echelon"] = 1
    model = SupplyChainModel(graph, BaseStock(level=0), seed=0)  # never stocks: all owed
    model.run(4)
    network = summarize(model.results()).loc["network"]
    assert network["fill_rate"] == 0.0
    assert network["mean_backlog"] == pytest.approx((5 + 10 + 15 + 20) / 4)
