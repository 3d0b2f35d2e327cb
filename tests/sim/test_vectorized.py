"""VectorizedSupplyChainModel simulates exactly what the event engine does (periodic review,
batch demand, FIFO allocation): the same per-period and edge tables, for the same seed."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_conservation import lead_times  # pytest puts this folder on sys.path

from agents import (
    RQ,
    SS,
    BaseStock,
    ConstantOrder,
    DualIndex,
    EchelonBaseStock,
    Sterman,
)
from networks import assembly, from_edges, random_network
from scenarios import builtin_names, resolve
from sim import SupplyChainModel, VectorizedSupplyChainModel


def assert_same_run(graph, policies, periods=40, **options):
    """Both engines from the same seed give the same tables and final observations, to the
    last bit (they do the same float arithmetic in the same order)."""
    event = SupplyChainModel(graph, policies, **options)
    vector = VectorizedSupplyChainModel(graph, policies, **options)
    event.run(periods)
    vector.run(periods)
    pd.testing.assert_frame_equal(event.results(), vector.results(), check_exact=True)
    pd.testing.assert_frame_equal(
        event.recorder.edge_frame(), vector.recorder.edge_frame(), check_exact=True
    )
    for i in range(len(event.sku_names)):
        assert event.observe(i, periods) == vector.observe(i, periods)
    return event, vector


@pytest.mark.parametrize("name", builtin_names())
def test_every_builtin_scenario_runs_identically(name):
    scenario = resolve(name)
    options = dict(scenario.options)
    fixed = VectorizedSupplyChainModel.FIXED_OPTIONS
    if any(options.get(k, v[0]) not in v for k, v in fixed.items()):
        pytest.skip("the scenario needs an event-engine option")
    if scenario.market() is not None:
        pytest.skip("the scenario has a market (sim.market), which only the event engine runs")
    graph = scenario.network()
    event, vector = assert_same_run(
        graph, scenario.policies(graph), periods=120, seed=11, **options
    )
    assert event.cost_per_period() == vector.cost_per_period() > 0


single_stock_point_policies = st.one_of(
    st.builds(BaseStock, level=st.integers(0, 30)),
    st.builds(ConstantOrder, quantity=st.integers(0, 6)),
    st.builds(SS, s=st.integers(0, 9), S=st.integers(10, 30)),
    st.builds(RQ, reorder_point=st.integers(0, 10), quantity=st.integers(1, 12)),
    st.builds(
        Sterman,
        desired_stock=st.integers(0, 20),
        stock_adjustment=st.sampled_from([0.25, 0.5]),
        supply_line_weight=st.sampled_from([0.0, 0.5, 1.0]),
        smoothing=st.sampled_from([0.25, 1.0]),
        initial_expectation=st.integers(0, 8),
    ),
)


def _drawn_network(data, nodes, depth, **options):
    """``random_network`` with a drawn initial stock, or None when ``depth`` needs more
    than ``nodes`` nodes."""
    try:
        return random_network(
            nodes, depth=depth, initial_stock=data.draw(st.integers(0, 15)), **options
        )
    except ValueError:
        return None


@settings(max_examples=60, deadline=None)
@given(
    nodes=st.integers(4, 40),
    depth=st.integers(2, 4),
    network_seed=st.integers(0, 1000),
    lead_time=lead_times,
    order_lead_time=st.sampled_from([0, 1, 2, 0.5, 1.25]),
    shortage=st.sampled_from(["backlog", "lost_sales"]),
    crossing=st.booleans(),
    products=st.sampled_from([None, ["a", "b"]]),
    decide=st.sampled_from(["start", "end"]),
    charge_in_transit=st.booleans(),
    data=st.data(),
    seed=st.integers(0, 2**32),
)
def test_random_networks_run_identically(
    nodes,
    depth,
    network_seed,
    lead_time,
    order_lead_time,
    shortage,
    crossing,
    products,
    decide,
    charge_in_transit,
    data,
    seed,
):
    graph = _drawn_network(
        data,
        nodes,
        depth,
        seed=network_seed,
        lead_time=lead_time,
        order_lead_time=order_lead_time,
        shortage=shortage,
        products=products,
    )
    if graph is None:  # too few nodes for the depth
        return
    nx.set_edge_attributes(graph, crossing, "crossing")
    stocking = [n for n in graph if graph.in_degree(n)]
    # one shared module (decided in batches), or a module per node (mostly one at a time)
    if data.draw(st.booleans(), label="shared"):
        policies = data.draw(
            st.sampled_from([BaseStock(level=14), EchelonBaseStock(level=40)]), label="shared"
        )
    else:
        policies = {n: data.draw(single_stock_point_policies, label=str(n)) for n in stocking}
    assert_same_run(graph, policies, decide=decide, charge_in_transit=charge_in_transit, seed=seed)


@settings(max_examples=30, deadline=None)
@given(
    bom=st.lists(st.integers(1, 3), min_size=2, max_size=3),
    capacity=st.sampled_from([float("inf"), 3, 6]),
    lead_time=lead_times,
    decide=st.sampled_from(["start", "end"]),
    level=st.integers(0, 25),
    seed=st.integers(0, 2**32),
)
def test_assembly_with_bill_of_materials_and_capacity_runs_identically(
    bom, capacity, lead_time, decide, level, seed
):
    graph = assembly(len(bom), bom=bom, capacity=capacity, lead_time=lead_time, initial_stock=5)
    policies = {n: BaseStock(level=level) for n in graph if graph.in_degree(n)}
    event, _ = assert_same_run(graph, policies, periods=60, decide=decide, seed=seed)
    assert event.results()["received"].sum() > 0


def test_manufacturer_with_stocking_suppliers_and_multi_sourcing_runs_identically():
    graph = from_edges(
        [
            ("mine", "smelter", {"lead_time": 1}),
            ("smelter", "plant", {"lead_time": 2, "bom": 2}),
            ("mill", "plant", {"lead_time": 1, "bom": 1, "order_lead_time": 1}),
            ("forest", "mill", {"lead_time": 3}),
            ("plant", "shop", {"lead_time": {"dist": "poisson", "mean": 1.5}}),
            ("express", "shop", {"lead_time": 0, "unit_cost": 2.0, "fixed_cost": 1.0}),
        ],
        nodes={
            "plant": {"role": "manufacturer", "capacity": 9},
            "shop": {"role": "retailer", "demand": {"dist": "poisson", "mean": 4}},
            "smelter": {"role": "warehouse", "initial_stock": 10},
            "mill": {"role": "warehouse"},
        },
    )
    policies = {
        "shop": DualIndex(
            regular_level=20,
            expedited_level=6,
            expedited_lead_time=0,
            regular_supplier="plant",
            expedited_supplier="express",
        ),
        "plant": BaseStock(level=15),
        "smelter": BaseStock(level=30),
        "mill": BaseStock(level=20),
    }
    for decide in ("start", "end"):
        event, _ = assert_same_run(graph, policies, periods=80, decide=decide, seed=4)
        assert (event.results().query("node == 'plant'")["received"] > 0).any()


@pytest.mark.parametrize("decide", ["start", "end"])
def test_batches_of_fractional_quantities_run_identically(decide):
    """Normal demand makes every quantity fractional: the echelon sums of a batch must add
    in the event engine's order to give the same bits."""
    graph = random_network(40, depth=4, seed=3, demand={"dist": "normal", "mean": 3.3, "std": 1.7})
    for policy in (EchelonBaseStock(level=37.3), BaseStock(level=11.7)):
        assert_same_run(graph, policy, periods=60, decide=decide, seed=5)


def test_a_batch_action_that_is_not_a_quantity_names_the_node():
    class Broken:
        def act(self, obs):
            return 1.0

        def act_batch(self, obs):
            return np.where(obs.nodes == np.asarray(obs.nodes), -1.0, 1.0)

    graph = random_network(12, depth=3, seed=1)
    model = VectorizedSupplyChainModel(graph, Broken())
    with pytest.raises(ValueError, match=r"node '\w+' product .* returned -1\.0; an action is"):
        model.run(1)


def test_a_batch_module_that_observes_arrivals_gets_them_in_its_batch():
    """Zero-padded to the latest pending arrival of the batch: summed left to right, the
    padding changes no bit."""
    widths = []

    class LooksAhead:
        observes = frozenset({"arrivals"})

        def act(self, obs):
            raise AssertionError("a module with act_batch decides in batches")

        def act_batch(self, obs):
            widths.append(obs.arrivals.shape)
            due = np.zeros(len(obs.on_hand))
            for k in range(obs.arrivals.shape[1]):
                due = due + obs.arrivals[:, k]
            return np.maximum(0.0, 12 - obs.on_hand + obs.backlog - due)

    class OneByOne:
        observes = frozenset({"arrivals"})

        def act(self, obs):
            return max(0.0, 12 - obs.on_hand + obs.backlog - sum(obs.arrivals))

    graph = random_network(12, depth=3, seed=1, lead_time={"dist": "poisson", "mean": 2})
    event = SupplyChainModel(graph, OneByOne(), seed=2)
    event.run(30)
    vector = VectorizedSupplyChainModel(graph, LooksAhead(), seed=2)
    vector.run(30)
    pd.testing.assert_frame_equal(event.results(), vector.results(), check_exact=True)
    assert {n for n, _ in widths} == {8, 3, 1}  # one call per echelon and period
    assert max(slots for _, slots in widths) > 1


def test_an_option_the_vectorized_engine_fixes_is_refused_by_name():
    graph = random_network(12, depth=3, seed=1)
    with pytest.raises(ValueError, match=r"^review: .* review='periodic' only, got 'continuous'"):
        VectorizedSupplyChainModel(graph, BaseStock(level=5), review="continuous")
    VectorizedSupplyChainModel(graph, BaseStock(level=5), review="periodic", log=False)


# ---------------------------------------------------------------- owed queues (FIFO)
@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(
        st.tuples(
            st.booleans(),  # True: append entries, False: fill the oldest
            st.lists(st.tuples(st.integers(0, 4), st.integers(1, 9)), min_size=1, max_size=12),
        ),
        max_size=40,
    )
)
def test_owed_queues_keep_each_stock_points_entries_in_order(steps):
    """Rings that wrap, move to larger rings and to new arrays give back each stock point's
    entries oldest first, as a deque per stock point does."""
    from collections import deque
    from unittest import mock

    from sim import vector

    for many in (0, 10**9):  # both ways of finding the entries
        with mock.patch.object(vector, "_MANY", many):
            check_owed_queues(steps, vector._OwedQueues, deque)


def check_owed_queues(steps, owed_queues, deque):
    queues = owed_queues(5, np.array([0, 0, -1, 3]))  # small rings: most steps move some
    expected = [deque() for _ in range(5)]
    label = 0
    for appending, pairs in steps:
        if appending:
            skus = np.array([i for i, _ in pairs])
            labels = np.arange(label, label + len(pairs))
            label += len(pairs)
            queues.append(skus, labels, np.array([q for _, q in pairs], dtype=float))
            for i, x in zip(skus.tolist(), labels.tolist(), strict=True):
                expected[i].append(x)
        else:
            popped = {i: min(k, len(expected[i])) for i, k in pairs}
            ids = np.array(sorted(popped))
            queues.pop(ids, np.array([popped[i] for i in ids.tolist()]))
            for i, k in popped.items():
                for _ in range(k):
                    expected[i].popleft()
        assert queues.count.tolist() == [len(d) for d in expected]
        held = queues.count.nonzero()[0]
        if held.size:
            sizes = queues.count[held]
            at = queues.positions(held, None, sizes, sizes.cumsum() - sizes)
            assert queues.edge[at].tolist() == [x for i in held.tolist() for x in expected[i]]


class Ramp:
    """Orders ``small`` a period up to period 9, then ``large``."""

    def __init__(self, small: float, large: float):
        self.small, self.large = small, large

    def act(self, obs):
        return self.small if obs.period < 10 else self.large


@pytest.mark.parametrize(("small", "large"), [(1.0, 40.0), (1.5, 40.25)])
def test_a_receipt_that_fills_many_small_old_entries_runs_identically(small, large, monkeypatch):
    """A warehouse owes four retailers many small old orders and fewer large new ones: a
    receipt fills more entries than the backlog's share suggests, so the vectorized engine
    widens its window of entries (whole numbers, and fractional in FIFO arithmetic)."""
    retailers = [f"shop{k}" for k in range(4)]
    graph = from_edges(
        [("factory", "depot", {"lead_time": 12})]
        + [("depot", shop, {"lead_time": 1 + k % 2}) for k, shop in enumerate(retailers)],
        nodes={
            shop: {"role": "retailer", "demand": {"dist": "poisson", "mean": 2}}
            for shop in retailers
        },
    )
    policies = {"depot": BaseStock(level=0)} | {shop: Ramp(small, large) for shop in retailers}
    widened = []
    further = VectorizedSupplyChainModel._fill_further

    def counted(self, *args):
        widened.append(args[3].size)
        return further(self, *args)

    monkeypatch.setattr(VectorizedSupplyChainModel, "_fill_further", counted)
    event, _ = assert_same_run(graph, policies, periods=40, seed=7)
    assert widened  # the path this test is for was taken
    depot = event.results().query("node == 'depot'")
    assert depot["backlog"].max() > 4 * large  # several retailers' orders wait at once


def test_a_planned_assembly_chain_with_backorders_runs_identically():
    """Parts feed several subassemblies and subassemblies several assemblies (FIFO among
    several customers); planned base-stock levels leave stages unstocked, so their queues
    hold many orders at once."""
    from networks import plan_safety_stocks, steady_state_start

    # sub s takes parts 2s..2s+2 and final f subs f, f+1: most stages supply two customers
    edges = [(f"source{k}", f"part{k}", {"lead_time": 1 + k % 3}) for k in range(8)]
    edges += [
        (f"part{(2 * s + k) % 8}", f"sub{s}", {"lead_time": 1 + s % 2})
        for s in range(4)
        for k in range(3)
    ]
    edges += [(f"sub{f + k}", f"final{f}", {"lead_time": 2}) for f in range(3) for k in range(2)]
    edges += [(f"final{k % 3}", f"shop{k}", {"lead_time": 1}) for k in range(5)]
    nodes = {f"part{k}": {"holding_cost": 0.2} for k in range(8)}
    nodes |= {f"sub{k}": {"role": "manufacturer", "holding_cost": 0.5} for k in range(4)}
    nodes |= {f"final{k}": {"role": "manufacturer", "holding_cost": 1.0} for k in range(3)}
    demand = {"dist": "negative_binomial", "mean": 10, "std": 5}
    nodes |= {
        f"shop{k}": {"role": "retailer", "holding_cost": 2.0, "backlog_cost": 9.0, "demand": demand}
        for k in range(5)
    }
    graph = from_edges(edges, nodes=nodes)
    plan = plan_safety_stocks(graph, 0.9)
    started = steady_state_start(graph, plan.base_stock_levels)
    event, _ = assert_same_run(
        started, BaseStock(levels=plan.base_stock_levels), periods=80, seed=4
    )
    table = event.results()
    upstream = table[~table["node"].str.startswith("shop")]
    assert upstream["backlog"].max() > 0
    assert min(plan.base_stock_levels.values()) == 0  # some stages hold no stock


@pytest.mark.parametrize("charge_in_transit", [False, True])
def test_without_a_table_the_money_and_the_observations_are_the_same(charge_in_transit):
    """Without a per-period table the vectorized engine skips the flows only the table shows
    (and the stock in transit unless it is charged); what a run hands out is unchanged."""
    graph = random_network(30, depth=3, seed=5, lead_time={"dist": "poisson", "mean": 1.5})
    models = [
        engine(
            graph,
            BaseStock(level=12),
            record=False,
            track_rewards=True,
            charge_in_transit=charge_in_transit,
            seed=3,
        )
        for engine in (SupplyChainModel, VectorizedSupplyChainModel)
    ]
    stock_points = [n for n in graph if graph.in_degree(n)]
    for _ in range(3):
        money = []
        for model in models:
            model.run(model.period + 15)
            money.append([model.take_reward(n) for n in stock_points])
        assert money[0] == money[1]
        assert any(reward.cost > 0 for reward in money[0])
    if charge_in_transit:
        assert any(reward.transit_holding > 0 for reward in money[0])
    for i in range(len(models[0].sku_names)):
        assert models[0].observe(i, 45) == models[1].observe(i, 45)


# ---------------------------------------------------------------- whole-order allocation
def _allocation_network(initial_stock):
    g = nx.DiGraph()
    g.add_node("source", role="supplier")
    g.add_node("dc", role="warehouse", initial_stock=initial_stock)
    g.add_edge("source", "dc", lead_time=1)
    for r in ("a", "b"):
        g.add_node(r, role="retailer", demand=0)
        g.add_edge("dc", r, lead_time=1)
    return g


@pytest.mark.parametrize(
    ("unit", "initial_stock"),
    [(1.0, 10), (0.5, 5.25)],  # whole numbers (filled at once) and fractions (rank by rank)
)
def test_whole_orders_ship_complete_and_in_order_in_both_engines(unit, initial_stock):
    """a orders 8 and b 4 units every period, the dc 12 (lead time 1), in units of ``unit``
    (0.5 adds a quarter to the stock: every quantity a fraction): b's order waits until it
    can ship whole, and a's next order waits behind it (tests/sim/test_features.py holds
    the event engine's log of the whole-number case)."""
    policies = {
        "a": ConstantOrder(quantity=8 * unit),
        "b": ConstantOrder(quantity=4 * unit),
        "dc": ConstantOrder(quantity=12 * unit),
    }
    graph = _allocation_network(initial_stock)
    _, vector = assert_same_run(graph, policies, periods=4, allocation="whole")
    dc = vector.results().query("node == 'dc'")
    # period 0: 10 units, a's 8 ships, 2 left; b's 4 waits. Each later period 2 + 12 = 14:
    # b's waiting 4 and a's 8 ship, b's new 4 waits with 2 left.
    assert dc["shipped"].tolist() == [8 * unit, 12 * unit, 12 * unit, 12 * unit]
    assert dc["backlog"].tolist() == [4 * unit] * 4
    assert dc["on_hand"].tolist() == [initial_stock - 8 * unit] * 4
    fifo = VectorizedSupplyChainModel(graph, policies, allocation="fifo")
    fifo.run(1)
    assert fifo.results().query("node == 'dc'")["shipped"].tolist() == [initial_stock]


@settings(max_examples=40, deadline=None)
@given(
    nodes=st.integers(4, 30),
    depth=st.integers(2, 4),
    network_seed=st.integers(0, 1000),
    lead_time=lead_times,
    shortage=st.sampled_from(["backlog", "lost_sales"]),
    demand=st.sampled_from(
        [
            {"dist": "poisson", "mean": 4},
            {"dist": "normal", "mean": 3.3, "std": 1.7},  # fractions: filled rank by rank
            {"dist": "compound_poisson", "rate": 1, "size": 10},
        ]
    ),
    decide=st.sampled_from(["start", "end"]),
    data=st.data(),
    seed=st.integers(0, 2**32),
)
def test_random_networks_with_whole_order_allocation_run_identically(
    nodes, depth, network_seed, lead_time, shortage, demand, decide, data, seed
):
    graph = _drawn_network(
        data,
        nodes,
        depth,
        seed=network_seed,
        lead_time=lead_time,
        shortage=shortage,
        demand=demand,
    )
    if graph is None:  # too few nodes for the depth
        return
    stocking = [n for n in graph if graph.in_degree(n)]
    policies = data.draw(
        st.sampled_from(
            [
                BaseStock(level=14),
                {n: SS(s=3, S=20 + k % 5) for k, n in enumerate(stocking)},
                {n: RQ(reorder_point=4, quantity=7.5) for n in stocking},
            ]
        ),
        label="policies",
    )
    event, _ = assert_same_run(
        graph, policies, periods=30, decide=decide, allocation="whole", seed=seed
    )
    assert event.allocation == "whole"


# ---------------------------------------------------------------- capacity into stock
@settings(max_examples=40, deadline=None)
@given(
    nodes=st.integers(4, 30),
    depth=st.integers(2, 4),
    network_seed=st.integers(0, 1000),
    lead_time=lead_times,
    shortage=st.sampled_from(["backlog", "lost_sales"]),
    demand=st.sampled_from(
        [{"dist": "poisson", "mean": 4}, {"dist": "normal", "mean": 3.3, "std": 1.7}]
    ),
    decide=st.sampled_from(["start", "end"]),
    allocation=st.sampled_from(["fifo", "whole"]),
    data=st.data(),
    seed=st.integers(0, 2**32),
)
def test_random_networks_with_capacities_into_stock_run_identically(
    nodes, depth, network_seed, lead_time, shortage, demand, decide, allocation, data, seed
):
    """Warehouses and retailers with a capacity (receipts wait in process) and storage."""
    graph = _drawn_network(
        data,
        nodes,
        depth,
        seed=network_seed,
        lead_time=lead_time,
        shortage=shortage,
        demand=demand,
    )
    if graph is None:  # too few nodes for the depth
        return
    limits = st.sampled_from([float("inf"), 2.5, 6])
    for n in graph:
        if graph.in_degree(n):
            graph.nodes[n]["capacity"] = data.draw(limits, label=f"capacity {n}")
            graph.nodes[n]["storage_capacity"] = data.draw(limits, label=f"storage {n}") * 5
            graph.nodes[n]["initial_stock"] = min(
                graph.nodes[n]["initial_stock"], graph.nodes[n]["storage_capacity"]
            )
    policy = data.draw(st.sampled_from([BaseStock(level=14), EchelonBaseStock(level=40)]))
    event, _ = assert_same_run(
        graph, policy, periods=30, decide=decide, allocation=allocation, seed=seed
    )
    assert event.allocation == allocation


# ---------------------------------------------------------------- capacity at sources
@settings(max_examples=40, deadline=None)
@given(
    nodes=st.integers(4, 30),
    depth=st.integers(2, 4),
    network_seed=st.integers(0, 1000),
    lead_time=lead_times,
    order_lead_time=st.sampled_from([0, 1, 0.5]),
    demand=st.sampled_from(
        [{"dist": "poisson", "mean": 4}, {"dist": "normal", "mean": 3.3, "std": 1.7}]
    ),
    decide=st.sampled_from(["start", "end"]),
    allocation=st.sampled_from(["fifo", "whole"]),
    data=st.data(),
    seed=st.integers(0, 2**32),
)
def test_random_networks_with_capacities_at_sources_run_identically(
    nodes, depth, network_seed, lead_time, order_lead_time, demand, decide, allocation, data, seed
):
    """External sources that ship at most a capacity a period (the rest waits there)."""
    graph = _drawn_network(
        data,
        nodes,
        depth,
        seed=network_seed,
        lead_time=lead_time,
        order_lead_time=order_lead_time,
        demand=demand,
    )
    if graph is None:  # too few nodes for the depth
        return
    for n in graph:
        if not graph.in_degree(n):
            limit = st.sampled_from([float("inf"), 2.5, 7, 20])
            graph.nodes[n]["capacity"] = data.draw(limit, label=f"capacity {n}")
    policy = data.draw(st.sampled_from([BaseStock(level=14), EchelonBaseStock(level=40)]))
    event, _ = assert_same_run(
        graph, policy, periods=30, decide=decide, allocation=allocation, seed=seed
    )
    assert event.allocation == allocation
