"""Multi-product, multi-sourcing, assembly, capacities, allocation, crossing, state, and bad
input."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import networkx as nx
import pandas as pd
import pytest

from agents import BaseStock, ConstantOrder
from sim import SupplyChainModel, VectorizedSupplyChainModel


def shipments(model, supplier=None):
    return [
        (t, s, n, q, due)
        for t, kind, s, n, _p, q, due in model.event_log
        if kind == "ship" and (supplier is None or s == supplier)
    ]


def test_multi_product_nodes_keep_products_apart():
    g = nx.DiGraph(products=["tea", "mugs"])
    g.add_node("source", role="supplier")
    g.add_node(
        "shop",
        role="retailer",
        holding_cost={"tea": 1.0, "mugs": 3.0},
        initial_stock={"tea": 10, "mugs": 4},
        demand={
            "tea": {"dist": "trace", "values": [2, 2, 2]},
            "mugs": {"dist": "trace", "values": [1, 0, 5]},
        },
    )
    g.add_edge("source", "shop", lead_time=1)
    model = SupplyChainModel(
        g,
        {("shop", "tea"): ConstantOrder(quantity=0), ("shop", "mugs"): BaseStock(level=4)},
        decide="end",
    )
    model.run(3)
    table = model.results().set_index(["product", "period"])
    assert table.loc["tea", "on_hand"].tolist() == [8, 6, 4]
    assert table.loc["tea", "holding_cost"].tolist() == [8, 6, 4]
    assert table.loc["mugs", "on_hand"].tolist() == [3, 4, 0]
    assert table.loc["mugs", "holding_cost"].tolist() == [9, 12, 0]
    assert table.loc["mugs", "backlog"].tolist() == [0, 0, 1]


def dual_sourcing():
    g = nx.DiGraph()
    g.add_node("regular", role="supplier")
    g.add_node("express", role="supplier")
    g.add_node("shop", role="retailer", demand=3)
    g.add_edge("regular", "shop", lead_time=3, unit_cost=1.0)
    g.add_edge("express", "shop", lead_time=1, unit_cost=2.0, fixed_cost=5.0)
    return g


@dataclass(frozen=True)
class Split:
    quantities: tuple[float, ...]
    seen: list = field(default_factory=list, compare=False)

    def act(self, obs):
        self.seen.append(obs.suppliers)
        return self.quantities


def test_dual_sourcing_orders_each_supplier_with_its_lead_time_and_cost():
    policy = Split((2.0, 1.0))
    model = SupplyChainModel(dual_sourcing(), {"shop": policy}, log=True)
    model.run(4)
    assert policy.seen[0] == ("regular", "express")
    assert shipments(model)[:2] == [
        (0, "regular", "shop", 2.0, 3.0),
        (0, "express", "shop", 1.0, 1.0),
    ]
    table = model.results()
    assert table["ordering_cost"].tolist() == [2 * 1.0 + 1 * 2.0 + 5.0] * 4
    edges = model.recorder.edge_frame()
    assert edges[edges["supplier"] == "express"]["ordered"].tolist() == [1.0] * 4


def test_a_number_goes_to_the_first_supplier():
    model = SupplyChainModel(dual_sourcing(), {"shop": ConstantOrder(quantity=4)}, log=True)
    model.run(2)
    assert {s for _, s, *_ in shipments(model)} == {"regular"}


def test_assembly_consumes_bill_of_materials_up_to_capacity():
    g = nx.DiGraph()
    for c in ("c1", "c2"):
        g.add_node(f"{c}_source", role="supplier")
        g.add_node(c, role="supplier", initial_stock=100)
        g.add_edge(f"{c}_source", c, lead_time=1)
    g.add_node("plant", role="manufacturer", capacity=3, holding_cost=1.0)
    g.add_edge("c1", "plant", lead_time=1, bom=2)
    g.add_edge("c2", "plant", lead_time=1, bom=1)
    g.add_node("shop", role="retailer", demand=0)
    g.add_edge("plant", "shop", lead_time=1)
    policies = {
        "plant": ConstantOrder(quantity=4),  # kits: 8 of c1 and 4 of c2 each period
        "shop": ConstantOrder(quantity=0),
        "c1": ConstantOrder(quantity=0),
        "c2": ConstantOrder(quantity=0),
    }
    model = SupplyChainModel(g, policies, decide="end")
    model.run(4)
    plant = model.results().query("node == 'plant'")
    assert plant["on_hand"].tolist() == [0, 3, 6, 9]  # capacity-bound production
    # components held: c1 gains 8 - 6, c2 gains 4 - 3 each producing period
    assert plant["holding_cost"].tolist() == [0, 3 + 3, 6 + 6, 9 + 9]
    # flows at a manufacturer count kits; the edge table has the suppliers' units
    assert plant["received"].tolist() == [0, 4, 4, 4]
    assert plant["ordered"].tolist() == [4, 4, 4, 4]
    edges = model.recorder.edge_frame().query("node == 'plant'")
    assert edges.groupby("supplier")["ordered"].first().to_dict() == {"c1": 8.0, "c2": 4.0}


def allocation_network():
    g = nx.DiGraph()
    g.add_node("source", role="supplier")
    g.add_node("dc", role="warehouse", initial_stock=10)
    g.add_edge("source", "dc", lead_time=1)
    for r in ("a", "b"):
        g.add_node(r, role="retailer", demand=0)
        g.add_edge("dc", r, lead_time=1)
    return g


@pytest.mark.parametrize(
    ("allocation", "expected"),
    [("fifo", [8.0, 2.0]), ("proportional", [7.0, 3.0]), ("whole", [8.0])],
)
def test_allocation_of_scarce_stock(allocation, expected):
    policies = {
        "a": ConstantOrder(quantity=8),
        "b": ConstantOrder(quantity=4),
        "dc": ConstantOrder(quantity=0),
    }
    model = SupplyChainModel(allocation_network(), policies, allocation=allocation, log=True)
    model.run(1)
    first = [q for _, s, n, q, _ in shipments(model, "dc")]
    assert sorted(first, reverse=True) == expected


def test_whole_orders_ship_complete_and_in_order():
    """10 on hand, a orders 8 and b 4 every period, the dc 12 (lead time 1): b's order waits
    until it can ship whole, and a's next order waits behind it."""
    policies = {
        "a": ConstantOrder(quantity=8),
        "b": ConstantOrder(quantity=4),
        "dc": ConstantOrder(quantity=12),
    }
    model = SupplyChainModel(allocation_network(), policies, allocation="whole", log=True)
    model.run(3)
    assert shipments(model, "dc") == [
        (0, "dc", "a", 8.0, 1.0),  # 2 left: b's 4 waits
        (1, "dc", "b", 4.0, 2.0),  # 2 + 12 received: b's 4, a's 8; b's next 4 waits (2 left)
        (1, "dc", "a", 8.0, 2.0),
        (2, "dc", "b", 4.0, 3.0),  # 2 + 12: b, a, and b's third waits
        (2, "dc", "a", 8.0, 3.0),
    ]
    assert model.results().query("node == 'dc'")["backlog"].tolist() == [4.0, 4.0, 4.0]


@pytest.mark.parametrize("crossing", [True, False])
def test_shipments_cross_only_when_allowed(crossing):
    g = nx.DiGraph()
    g.add_node("source", role="supplier")
    g.add_node("shop", role="retailer", demand=1)
    g.add_edge(
        "source",
        "shop",
        lead_time={"dist": "discrete", "values": [1, 6], "probs": [0.5, 0.5]},
        crossing=crossing,
    )
    model = SupplyChainModel(g, {"shop": ConstantOrder(quantity=1)}, seed=1, log=True)
    model.run(40)
    dues = [due for *_, due in shipments(model)]
    in_order = all(a <= b for a, b in itertools.pairwise(dues))
    assert in_order is (not crossing)


def test_in_transit_stock_is_charged_at_the_shippers_rate():
    g = nx.DiGraph()
    g.add_node("source", role="supplier")
    g.add_node("dc", role="warehouse", holding_cost=1.5, initial_stock=100)
    g.add_node("shop", role="retailer", demand=4)
    g.add_edge("source", "dc", lead_time=1)
    g.add_edge("dc", "shop", lead_time=2)
    policies = {"dc": ConstantOrder(quantity=0), "shop": ConstantOrder(quantity=4)}
    model = SupplyChainModel(g, policies, charge_in_transit=True)
    model.run(4)
    shop = model.results().query("node == 'shop'")
    assert shop["transit_holding_cost"].tolist() == [1.5 * 4, 1.5 * 8, 1.5 * 8, 1.5 * 8]


@dataclass(frozen=True)
class Counter:
    """A stateful module: orders 1, 2, 3, ... per stock point."""

    def spawn(self):
        return _CounterRun()

    def act(self, obs):
        raise AssertionError("the model must consult the spawned runner")


class _CounterRun:
    def __init__(self):
        self.calls = 0

    def act(self, obs):
        self.calls += 1
        return float(self.calls)


def test_stateful_modules_are_spawned_per_stock_point():
    policies = {n: Counter() for n in ("a", "b", "dc")}
    model = SupplyChainModel(allocation_network(), policies)
    model.run(3)
    table = model.results()
    for n in ("a", "b", "dc"):
        assert table[table["node"] == n]["ordered"].tolist() == [1.0, 2.0, 3.0]


class Returns:
    def __init__(self, action):
        self.action = action

    def act(self, obs):
        return self.action

    def __repr__(self):
        return f"Returns({self.action!r})"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"decide": "middle"}, "decide: must be one of 'start', 'end', got 'middle'"),
        ({"review": "sometimes"}, "review: must be one of"),
        ({"arrivals": "rain"}, "arrivals: must be one of 'batch', 'poisson'"),
        ({"allocation": "random"}, "allocation: must be one of 'fifo', 'proportional'"),
        ({"seed": -1}, "seed: must be an integer >= 0, got -1"),
        ({"seed": 1.5}, "seed: must be an integer >= 0, got 1.5"),
        ({"policies": {"a": BaseStock(level=1)}}, "policies: no decision module for node 'b'"),
        ({"policies": {"a": 3, "b": 3, "dc": 3}}, r"policies\['a'\]: 3 is not a decision module"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    options = {"policies": BaseStock(level=1), **kwargs}
    with pytest.raises(ValueError, match=message):
        SupplyChainModel(allocation_network(), **options)


@pytest.mark.parametrize("action", [-1.0, float("nan"), float("inf"), (1.0, 2.0), "lots"])
def test_bad_actions_name_the_node(action):
    policies = {"a": Returns(action), "b": BaseStock(level=1), "dc": BaseStock(level=1)}
    model = SupplyChainModel(allocation_network(), policies)
    with pytest.raises(ValueError, match=r"node 'a' product 'item': policy Returns\(.*\) returned"):
        model.run(1)


def test_bad_run_lengths_and_missing_table():
    model = SupplyChainModel(allocation_network(), BaseStock(level=1), record=False)
    with pytest.raises(ValueError, match="periods: must be an integer >= 0, got -2"):
        model.run(-2)
    model.run(2)
    with pytest.raises(ValueError, match="record=False"):
        model.results()


class Spy:
    """Records what it sees; orders nothing."""

    def __init__(self):
        self.demand = []

    def act(self, obs):
        self.demand.append(obs.demand)
        return 0.0


@pytest.mark.parametrize("decide", ["start", "end"])
def test_policies_see_poisson_customers_demand_of_the_last_period(decide):
    g = nx.DiGraph()
    g.add_node("source", role="supplier")
    g.add_node("shop", role="retailer", initial_stock=100, demand={"dist": "poisson", "mean": 4})
    g.add_edge("source", "shop", lead_time=1)
    spy = Spy()
    model = SupplyChainModel(g, {"shop": spy}, arrivals="poisson", decide=decide, seed=2)
    model.run(6)
    demand = model.results()["demand"].tolist()
    assert spy.demand == [0.0, *demand[:-1]]
    assert sum(demand) > 0


def test_trace_lead_times_are_used_in_order():
    g = nx.DiGraph()
    g.add_node("source", role="supplier")
    g.add_node("shop", role="retailer", demand=0)
    values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3]
    g.add_edge("source", "shop", lead_time={"dist": "trace", "values": values})
    model = SupplyChainModel(g, {"shop": ConstantOrder(quantity=1)}, log=True)
    model.run(len(values))
    assert [due - t for t, _s, _n, _q, due in shipments(model)] == values
    with pytest.raises(ValueError, match="trace of length 12 is too short"):
        model.run(1)


def test_mesa_step_advances_one_period():
    model = SupplyChainModel(allocation_network(), BaseStock(level=1))
    model.step()
    model.step()
    assert (model.period, model.steps) == (2, 2)
    model.run(3)
    assert (model.period, model.steps) == (5, 5)


def test_initial_pipeline_arrives_one_lot_a_period_and_is_not_overtaken():
    g = nx.DiGraph()
    g.add_node("source", role="supplier")
    g.add_node("shop", role="retailer", demand=0)
    g.add_edge(
        "source",
        "shop",
        lead_time={"dist": "discrete", "values": [1, 5], "probs": [0.5, 0.5]},
        crossing=False,
        initial_pipeline=4,
    )
    for seed in range(5):
        model = SupplyChainModel(g, {"shop": ConstantOrder(quantity=1)}, seed=seed, log=True)
        model.run(8)
        table = model.results()
        received = table["received"].tolist()
        assert received[:2] == [4.0, 4.0] and 4.0 <= received[2] <= 6.0  # + new units due at 2
        receipts = [t for t, kind, *_ in model.event_log if kind == "receive"]
        assert receipts == sorted(receipts)
        first = next(due for t, kind, *_, due in model.event_log if kind == "ship")
        assert first >= 2  # mean lead time 3: lots at 0, 1, 2; the new shipment comes after


def test_results_do_not_depend_on_the_hash_seed(tmp_path):
    import subprocess
    import sys

    script = (
        "import hashlib, networkx as nx\n"
        "from agents import BaseStock, EchelonBaseStock\n"
        "from sim import SupplyChainModel\n"
        "g = nx.DiGraph(); g.add_node('source', role='supplier')\n"
        "g.add_node('dc', role='warehouse', holding_cost=1.0); g.add_edge('source', 'dc', lead_time=2)\n"
        "for k in range(8):\n"
        "    g.add_node(f'r{k}', role='retailer', demand={'dist': 'normal', 'mean': 4.3, 'std': 1.7})\n"
        "    g.add_edge('dc', f'r{k}', lead_time=1)\n"
        "p = {f'r{k}': BaseStock(level=9.5) for k in range(8)}; p['dc'] = EchelonBaseStock(level=120.25)\n"
        "m = SupplyChainModel(g, p, seed=1); m.run(300)\n"
        "print(hashlib.sha256(m.results().to_csv().encode()).hexdigest())\n"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**__import__("os").environ, "PYTHONHASHSEED": str(h)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for h in (1, 2, 3, 4)
    }
    assert len(digests) == 1


def test_agents_are_mesa_agents_reading_the_engine_state():
    import mesa

    from networks import assembly

    model = SupplyChainModel(assembly(2, bom=[2, 1], demand=0), ConstantOrder(quantity=3))
    model.run(1)
    plant = model.stocking_agents["manufacturer"]
    assert isinstance(plant, mesa.Agent) and plant in model.agents
    # ordered 3 kits (6 + 3 components); the retailer's 3 units are owed
    assert (plant.pipeline(), plant.on_hand(), plant.backlog()) == (3.0, 0.0, 3.0)
    assert len(model.agents) == len(model.stocking_agents) + 1  # one customer agent


def test_receipts_beyond_storage_capacity_are_refused():
    """Room for 12: 10 on hand, 5 sold a period, 8 arrive each period from period 1: 5 + 8
    leaves 1 outside, then 7 + 8 leaves 3 outside every period."""
    g = nx.DiGraph()
    g.add_node("source", role="supplier")
    g.add_node("shop", role="retailer", demand=5, initial_stock=10, storage_capacity=12)
    g.add_edge("source", "shop", lead_time=1)
    model = SupplyChainModel(g, {"shop": ConstantOrder(quantity=8)}, decide="end", log=True)
    model.run(4)
    table = model.results()
    assert table["received"].tolist() == [0, 8, 8, 8]
    assert table["refused"].tolist() == [0, 1, 3, 3]
    assert table["on_hand"].tolist() == [5, 7, 7, 7]
    with pytest.raises(ValueError, match="node 'shop' product 'item': initial_stock 20 exceeds"):
        g.nodes["shop"]["initial_stock"] = 20
        SupplyChainModel(g, ConstantOrder(quantity=0))


def test_a_warehouse_with_a_capacity_puts_that_much_into_stock_per_period():
    """The dc receives 5 a period but puts at most 3 into stock (the rest waits in process,
    counted in its pipeline and holding cost); the shop's orders of 4 ship 3 at a time.
    Storage 8 holds stock on hand and in process: in period 3 the room is 8 - 4, and 1 of
    the 5 received is refused."""
    g = nx.DiGraph()
    g.add_node("source", role="supplier")
    g.add_node("dc", role="warehouse", capacity=3, storage_capacity=8, holding_cost=1.0)
    g.add_node("shop", role="retailer", demand=0)
    g.add_edge("source", "dc", lead_time=1)
    g.add_edge("dc", "shop", lead_time=1)
    policies = {"dc": ConstantOrder(quantity=5), "shop": ConstantOrder(quantity=4)}
    model = SupplyChainModel(g, policies, log=True)
    model.run(4)
    log = model.event_log
    assert [e for e in log if e[1] == "receive" or e[1:3] == ("ship", "dc")] == [
        (1.0, "receive", "source", "dc", "item", 5.0, None),  # 5 in process, 3 into stock
        (1, "ship", "dc", "shop", "item", 3.0, 2.0),  # 3 of the shop's first 4
        (2.0, "receive", "dc", "shop", "item", 3.0, None),
        (2.0, "receive", "source", "dc", "item", 5.0, None),  # 2 + 5 in process, 3 out
        (2, "ship", "dc", "shop", "item", 1.0, 3.0),  # the first order's last 1,
        (2, "ship", "dc", "shop", "item", 2.0, 3.0),  # then 2 of the second (FIFO)
        (3.0, "receive", "dc", "shop", "item", 1.0, None),
        (3.0, "receive", "dc", "shop", "item", 2.0, None),
        (3.0, "receive", "source", "dc", "item", 5.0, None),  # room 8 - 4: 4 in, 1 refused
        (3, "ship", "dc", "shop", "item", 2.0, 4.0),
        (3, "ship", "dc", "shop", "item", 1.0, 4.0),
    ]
    dc = model.results().query("node == 'dc'")
    assert dc["on_hand"].tolist() == [0, 0, 0, 0]
    assert dc["shipped"].tolist() == [0, 3, 3, 3]
    assert dc["backlog"].tolist() == [4, 5, 6, 7]  # owed to the shop: 4 more a period, 3 out
    assert dc["received"].tolist() == [0, 5, 5, 5]
    assert dc["refused"].tolist() == [0, 0, 0, 1]
    in_process = [0, 2, 4, 5]
    assert dc["pipeline"].tolist() == [5 + w for w in in_process]  # this period's order too
    assert dc["holding_cost"].tolist() == in_process
    vector = VectorizedSupplyChainModel(g, policies)
    vector.run(4)
    pd.testing.assert_frame_equal(model.results(), vector.results(), check_exact=True)


def _plant_and_two_shops(capacity, lead_a=1, lead_b=0):
    g = nx.DiGraph()
    g.add_node("plant", role="supplier", capacity=capacity)
    g.add_node("a", role="retailer", demand=3)
    g.add_node("b", role="retailer", demand=3)
    g.add_edge("plant", "a", lead_time=lead_a)
    g.add_edge("plant", "b", lead_time=lead_b)
    return g


def test_a_source_with_a_capacity_ships_that_much_per_period_and_the_rest_waits_fifo():
    """The plant ships 5 a period to both shops together: an order ships at once within
    what the period has left; the rest waits and goes out, oldest first, from the next
    period's capacity, when the period before closes (before the new period's orders)."""
    g = _plant_and_two_shops(capacity=5)
    policies = {"a": ConstantOrder(quantity=4), "b": ConstantOrder(quantity=3)}
    model = SupplyChainModel(g, policies, log=True)
    model.run(4)
    assert [e for e in model.event_log if e[1] in ("order", "ship")] == [
        (0, "order", "plant", "a", "item", 4.0, None),
        (0, "ship", "plant", "a", "item", 4.0, 1.0),  # 1 left of period 0's 5
        (0, "order", "plant", "b", "item", 3.0, None),
        (0, "ship", "plant", "b", "item", 1.0, 0.0),  # 2 wait
        (1, "ship", "plant", "b", "item", 2.0, 1.0),  # period 1's 5: b's 2 first
        (1, "order", "plant", "a", "item", 4.0, None),
        (1, "ship", "plant", "a", "item", 3.0, 2.0),  # 1 waits
        (1, "order", "plant", "b", "item", 3.0, None),  # waits
        (2, "ship", "plant", "a", "item", 1.0, 3.0),
        (2, "ship", "plant", "b", "item", 3.0, 2.0),
        (2, "order", "plant", "a", "item", 4.0, None),
        (2, "ship", "plant", "a", "item", 1.0, 3.0),  # 3 wait
        (2, "order", "plant", "b", "item", 3.0, None),  # waits
        (3, "ship", "plant", "a", "item", 3.0, 4.0),
        (3, "ship", "plant", "b", "item", 2.0, 3.0),  # 1 waits
        (3, "order", "plant", "a", "item", 4.0, None),  # waits
        (3, "order", "plant", "b", "item", 3.0, None),  # waits
        (4, "ship", "plant", "b", "item", 1.0, 4.0),  # period 4's 5, at period 3's close
        (4, "ship", "plant", "a", "item", 4.0, 5.0),
    ]
    table = model.results()
    # what waits at the plant is in the shops' pipelines (ordered, not received)
    assert table.query("node == 'a'")["pipeline"].tolist() == [4, 4, 5, 7]
    assert table.query("node == 'b'")["pipeline"].tolist() == [2, 3, 3, 4]
    assert table.query("node == 'b'")["received"].tolist() == [1, 2, 3, 2]
    vector = VectorizedSupplyChainModel(g, policies)
    vector.run(4)
    pd.testing.assert_frame_equal(table, vector.results(), check_exact=True)


@pytest.mark.parametrize(
    ("allocation", "period_1"),
    [
        ("fifo", [("a", 1.5)]),  # a's rest first
        ("proportional", [("a", 0.5), ("b", 1.0)]),  # 1.5 in proportion to 1.5 and 3 owed
        ("whole", []),  # neither fits in 1.5: an order above the capacity never ships
    ],
)
def test_waiting_orders_share_a_sources_capacity_as_the_allocation_says(allocation, period_1):
    g = _plant_and_two_shops(capacity=1.5, lead_b=1)
    policies = ConstantOrder(quantity=3)
    model = SupplyChainModel(g, policies, log=True, allocation=allocation)
    model.run(1)
    ships = [(e[3], e[5]) for e in model.event_log if e[1] == "ship"]
    assert ships == ([] if allocation == "whole" else [("a", 1.5)]) + period_1
    if allocation != "proportional":  # (the vectorized engine's allocations)
        vector = VectorizedSupplyChainModel(g, policies, allocation=allocation)
        vector.run(1)
        pd.testing.assert_frame_equal(model.results(), vector.results(), check_exact=True)
