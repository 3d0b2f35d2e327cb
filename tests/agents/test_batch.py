"""``act_batch`` gives, element by element and to the last bit, what ``act`` gives; in the
vectorized engine a shared module decides an echelon in one call."""

from __future__ import annotations

import dataclasses
from dataclasses import fields

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents import (
    RQ,
    SS,
    BaseStock,
    CappedBaseStock,
    CappedDualIndex,
    ConstantOrder,
    DualIndex,
    EpochBaseStock,
    Myopic,
    Sterman,
    TailoredBaseSurge,
)
from analysis.exact import dual_sourcing_scenario
from networks import random_network
from scenarios import resolve
from sim import SupplyChainModel, VectorizedSupplyChainModel
from sim.policy import InventoryObservation, ObservationBatch

numbers = st.floats(-50, 50, allow_nan=False).map(lambda x: round(x, 2))
batched = st.one_of(
    st.builds(BaseStock, level=st.floats(0, 40)),
    st.builds(SS, s=st.floats(-5, 15), S=st.floats(16, 40)),
    st.builds(RQ, reorder_point=numbers, quantity=st.sampled_from([0.1, 0.25, 1, 3, 7.5])),
    st.builds(ConstantOrder, quantity=st.floats(0, 10)),
    st.builds(CappedBaseStock, level=st.floats(0, 40), cap=st.floats(0, 10)),
    st.builds(
        EpochBaseStock, levels=st.just((10.0, 25.5)), epochs=st.just((0, 2)), cycle=st.just(3)
    ),
)


@settings(max_examples=200, deadline=None)
@given(
    policy=batched,
    positions=st.lists(numbers, min_size=1, max_size=20),
    period=st.integers(0, 10),
)
def test_act_batch_equals_act_elementwise(policy, positions, period):
    n = len(positions)
    ip = np.array(positions, dtype=np.float64)
    zeros = np.zeros(n)
    batch = ObservationBatch(period, ["shop"] * n, ["item"] * n, zeros, zeros, ip, ip, zeros)
    one_by_one = [
        policy.act(
            InventoryObservation(period, "shop", "item", 0.0, 0.0, x, x, 0.0, ("source",), (x,))
        )
        for x in positions
    ]
    got = policy.act_batch(batch)
    assert got.shape == (n,)
    assert got.tolist() == one_by_one


def test_the_vectorized_engine_asks_a_shared_ss_once_per_echelon():
    """One call per echelon and period (not one per stock point), and the event engine's
    table to the last bit."""
    calls = []

    class Counted(SS):
        def act_batch(self, obs):
            calls.append(len(obs.on_hand))
            return super().act_batch(obs)

    graph = random_network(60, depth=3, seed=2, demand={"dist": "poisson", "mean": 3})
    nx.set_edge_attributes(graph, 2, "lead_time")
    policy = Counted(s=8, S=30)
    event = SupplyChainModel(graph, policy, seed=4)
    vector = VectorizedSupplyChainModel(graph, policy, seed=4)
    event.run(30)
    vector.run(30)
    pd.testing.assert_frame_equal(event.results(), vector.results(), check_exact=True)
    assert len(calls) == 30 * len(set(vector.echelons.values()) - {max(vector.echelons.values())})


# ---------------------------------------------------------------- dual sourcing
dual_sourcing_modules = st.one_of(
    st.builds(
        DualIndex,
        regular_level=st.floats(20, 40),
        expedited_level=st.floats(0, 20),
        expedited_lead_time=st.integers(0, 3),
        regular_supplier=st.just("slow"),
        expedited_supplier=st.just("fast"),
    ),
    st.builds(
        CappedDualIndex,
        regular_level=st.floats(0, 40),
        expedited_level=st.floats(0, 20),
        cap=st.floats(0, 10),
        expedited_lead_time=st.integers(0, 3),
        regular_supplier=st.just("slow"),
        expedited_supplier=st.just("fast"),
    ),
    st.builds(
        TailoredBaseSurge,
        regular_quantity=st.floats(0, 10),
        expedited_level=st.floats(0, 20),
        expedited_lead_time=st.integers(0, 3),
        regular_supplier=st.just("slow"),
        expedited_supplier=st.just("fast"),
    ),
)
# each stock point's suppliers in some order, sometimes with a third
supplier_lists = st.sampled_from(
    [("slow", "fast"), ("fast", "slow"), ("fast", "other", "slow"), ("slow", "fast", "other")]
)
stock_point_states = st.tuples(
    numbers.map(abs),  # on hand
    numbers.map(abs),  # backlog
    numbers,  # pipeline beyond the arrivals
    st.lists(numbers.map(abs), max_size=4),  # arrivals
    supplier_lists,
)


@settings(max_examples=200, deadline=None)
@given(policy=dual_sourcing_modules, states=st.lists(stock_point_states, min_size=1, max_size=12))
def test_dual_sourcing_act_batch_equals_act_row_by_row(policy, states):
    """One row per stock point, the tuple ``act`` returns, zero beyond its suppliers (rows
    of stock points with fewer suppliers are padded)."""
    n, slots = len(states), max(len(s[3]) for s in states)
    on_hand = np.array([s[0] for s in states])
    backlog = np.array([s[1] for s in states])
    pipeline = np.array([s[2] + sum(s[3]) for s in states])
    arrivals = np.zeros((n, slots))
    for k, s in enumerate(states):
        arrivals[k, : len(s[3])] = s[3]
    ip = on_hand + pipeline - backlog
    nodes = [f"shop{k}" for k in range(n)]
    suppliers = [s[4] for s in states]
    batch = ObservationBatch(
        0, nodes, ["item"] * n, on_hand, backlog, pipeline, ip, np.zeros(n),
        arrivals=arrivals, suppliers=suppliers,
    )  # fmt: skip
    got = policy.act_batch(batch)
    width = max(map(len, suppliers))
    assert got.shape == (n, width)
    for k, s in enumerate(states):
        one = policy.act(
            InventoryObservation(
                0, nodes[k], "item", s[0], s[1], pipeline[k], ip[k], 0.0, s[4],
                (0.0,) * len(s[4]), arrivals=tuple(s[3]),
            )
        )  # fmt: skip
        assert tuple(got[k].tolist()) == (*one, *(0.0,) * (width - len(one)))
    assert policy.act_batch(batch).tolist() == got.tolist()  # cached columns, same answer


def test_dual_sourcing_act_batch_names_the_stock_point_without_the_supplier():
    policy = DualIndex(
        regular_level=30,
        expedited_level=12,
        expedited_lead_time=2,
        regular_supplier="slow",
        expedited_supplier="fast",
    )
    zeros = np.zeros(2)
    batch = ObservationBatch(
        0, ["a", "b"], ["item"] * 2, zeros, zeros, zeros, zeros, zeros,
        arrivals=np.zeros((2, 0)), suppliers=[("slow", "fast"), ("fast", "elsewhere")],
    )  # fmt: skip
    with pytest.raises(ValueError, match="regular_supplier: 'slow' is not a supplier of node 'b'"):
        policy.act_batch(batch)
    with pytest.raises(ValueError, match="arrivals is None"):
        policy.act_batch(batch._replace(arrivals=None))


def many_shops(n, suppliers=("regular", "express")):
    """``n`` dual-sourcing shops of their own (sources have unlimited stock, so they share
    them): ``n`` copies of the problem in one network; shop ``k`` lists its suppliers in
    turn order, and every third shop has a third, idle supplier."""
    g = nx.DiGraph()
    lead_times = {"regular": 4, "express": 1, "idle": 2}
    for s in (*suppliers, "idle"):
        g.add_node(s, role="supplier")
    for k in range(n):
        shop = f"shop{k}"
        g.add_node(
            shop,
            role="retailer",
            demand={"dist": "poisson", "mean": 5},
            holding_cost=1,
            backlog_cost=19,
            initial_stock=10,
        )
        order = list(suppliers) if k % 2 else list(reversed(suppliers))
        if k % 3 == 0:
            order.insert(1, "idle")
        for s in order:
            g.add_edge(s, shop, lead_time=lead_times[s], unit_cost=1.5 if s == "express" else 1)
    return g


@pytest.mark.parametrize(
    "policy",
    [
        DualIndex(
            regular_level=28,
            expedited_level=8,
            expedited_lead_time=1,
            regular_supplier="regular",
            expedited_supplier="express",
        ),
        CappedDualIndex(
            regular_level=28,
            expedited_level=8,
            cap=6,
            expedited_lead_time=1,
            regular_supplier="regular",
            expedited_supplier="express",
        ),
        TailoredBaseSurge(
            regular_quantity=4,
            expedited_level=9,
            expedited_lead_time=1,
            regular_supplier="regular",
            expedited_supplier="express",
        ),
    ],
)
@pytest.mark.parametrize("decide", ["start", "end"])
def test_dual_sourcing_decides_in_one_call_per_period_and_runs_identically(policy, decide):
    calls = []

    class Counted(type(policy)):
        def act_batch(self, obs):
            calls.append(len(obs.nodes))
            return super().act_batch(obs)

    counted = Counted(**{f.name: getattr(policy, f.name) for f in fields(policy) if f.init})
    graph = many_shops(12)
    event = SupplyChainModel(graph, counted, decide=decide, seed=5)
    vector = VectorizedSupplyChainModel(graph, counted, decide=decide, seed=5)
    event.run(40)
    vector.run(40)
    pd.testing.assert_frame_equal(event.results(), vector.results(), check_exact=True)
    edges = event.recorder.edge_frame()
    pd.testing.assert_frame_equal(edges, vector.recorder.edge_frame(), check_exact=True)
    assert calls == [12] * 40
    assert edges.query("supplier == 'idle'")["ordered"].sum() == 0
    assert (edges.groupby("supplier")["ordered"].sum()[["regular", "express"]] > 0).all()


# ---------------------------------------------------------------- Sterman
STERMAN = Sterman(
    desired_stock=17,
    stock_adjustment=0.26,
    supply_line_weight=0.34,
    smoothing=0.36,
    initial_expectation=4,
)


@settings(max_examples=100, deadline=None)
@given(
    steps=st.lists(
        st.lists(st.tuples(*[numbers.map(abs)] * 4), min_size=3, max_size=3),
        min_size=1,
        max_size=8,
    ),
    smoothing=st.sampled_from([0.0, 0.36, 1.0]),
)
def test_sterman_batch_equals_one_runner_per_stock_point(steps, smoothing):
    params = dataclasses.replace(STERMAN, smoothing=smoothing)
    points = [("a", "item"), ("b", "item"), ("c", "x")]
    batch_runner = params.spawn_batch(points)
    runners = [params.spawn() for _ in points]
    nodes, products = [n for n, _ in points], [p for _, p in points]
    for step in steps:
        on_hand, backlog, pipeline, demand = (
            np.array(column) for column in zip(*step, strict=True)
        )
        batch = ObservationBatch(
            0, nodes, products, on_hand, backlog, pipeline, on_hand + pipeline - backlog, demand
        )
        expected = [
            runner.act(
                InventoryObservation(0, n, p, *values[:3], values[0] + values[2] - values[1],
                                     values[3], ("s",), (values[2],))
            )
            for runner, (n, p), values in zip(runners, points, step, strict=True)
        ]  # fmt: skip
        assert batch_runner.act_batch(batch).tolist() == expected
        assert batch_runner.expected_demand.tolist() == [r.expected_demand for r in runners]
    batch_runner.restart([("b", "item")])
    assert batch_runner.expected_demand[1] == 4.0
    with pytest.raises(ValueError, match=r"node 'd' product 'item': not a stock point"):
        batch_runner.restart([("d", "item")])


def test_the_beer_game_decides_each_echelon_in_one_call_and_copies_run_as_single_runs():
    """Sterman's players of many copies keep their expectations in one array per run."""
    scenario = resolve("beer_game")
    graph, options = scenario.network(), {"decide": scenario.options["decide"]}
    policies = scenario.policies(graph)
    vector = VectorizedSupplyChainModel(graph, policies, copies=[3, 4, 5], **options)
    runners = {id(p) for agent in vector.stocking_agents.values() for p in agent.policies.values()}
    assert len(runners) == 3  # one StermanBatch per module value (one per role)
    assert {type(vector._policy[i]).__name__ for i in range(12)} == {"StermanBatch"}
    vector.run(30)
    table = vector.results()
    for k, seed in enumerate([3, 4, 5]):
        event = SupplyChainModel(graph, policies, seed=seed, **options)
        event.run(30)
        mine = table[table.node.astype(str).str.startswith(f"({k}, ")].reset_index(drop=True)
        mine["node"] = mine.node.astype(str).str.extract(r"'(.*)'")[0]
        expected = event.results().astype({"node": str})
        pd.testing.assert_frame_equal(mine.astype({"node": str}), expected, check_exact=True)
    assert table["ordered"].sum() > 0


@pytest.mark.parametrize(
    "module",
    [
        DualIndex(regular_level=8, expedited_level=2, expedited_lead_time=0,
                  regular_supplier="regular", expedited_supplier="express"),
        CappedDualIndex(regular_level=8, expedited_level=2, cap=3, expedited_lead_time=0,
                        regular_supplier="regular", expedited_supplier="express"),
        TailoredBaseSurge(regular_quantity=2, expedited_level=3, expedited_lead_time=0,
                          regular_supplier="regular", expedited_supplier="express"),
    ],
    ids=type,
)  # fmt: skip
def test_dual_sourcing_modules_find_their_suppliers_on_every_copy(module):
    """The copy axis names ``(k, v)`` but shows each supplier by its name in the network
    given, so a module that names its suppliers runs on copies: copy ``k``'s costs, period by
    period, are the event engine's with copy ``k``'s seed, to the bit."""
    graph = dual_sourcing_scenario(lead_time=2).network()
    seeds = [3, 4, 5]
    vector = VectorizedSupplyChainModel(graph, {"shop": module}, copies=seeds)
    vector.run(40)
    table = vector.results()
    orders = vector.recorder.edge_frame().groupby("supplier")["ordered"].sum()
    for k, seed in enumerate(seeds):
        assert orders[str((k, "regular"))] > 0 and orders[str((k, "express"))] > 0
        event = SupplyChainModel(graph, {"shop": module}, seed=seed)
        event.run(40)
        expected = event.results()
        mine = table[table.node.astype(str) == str((k, "shop"))].reset_index(drop=True)
        assert mine["demand"].tolist() == expected["demand"].tolist()
        for column in ["cost", "holding_cost", "backlog_cost", "ordering_cost", "on_hand"]:
            assert mine[column].tolist() == expected[column].tolist(), column


def test_levels_by_node_name_serve_every_copy_and_a_copy_may_have_its_own():
    """``BaseStock(levels={v: ...})`` written for the network gives node ``(k, v)`` of every
    copy ``v``'s level (each copy is the event engine's run with its seed, to the bit); a
    level given for ``(k, v)`` itself wins; a node with neither is named in the error."""
    graph = random_network(8, depth=3, seed=2, demand={"dist": "poisson", "mean": 3})
    stock = [v for v in graph if graph.in_degree(v) > 0]
    levels = {v: 10.0 + 3 * n for n, v in enumerate(stock)}
    seeds = [3, 4]
    vector = VectorizedSupplyChainModel(graph, BaseStock(levels=levels), copies=seeds)
    vector.run(25)
    table = vector.results().astype({"node": str})
    for k, seed in enumerate(seeds):
        event = SupplyChainModel(graph, BaseStock(levels=levels), seed=seed)
        event.run(25)
        expected = event.results().astype({"node": str})
        mine = table[table.node.str.startswith(f"({k}, ")].reset_index(drop=True)
        mine["node"] = mine.node.str.extract(r"^\(\d+, (.*)\)$")[0].str.strip("'")
        pd.testing.assert_frame_equal(mine, expected, check_exact=True)
    own = BaseStock(levels={**levels, (1, stock[0]): 0.0})
    assert own.level_of((1, stock[0])) == 0.0 and own.level_of((0, stock[0])) == levels[stock[0]]
    with pytest.raises(ValueError, match=r"no base-stock level for node \(1, 'nowhere'\)"):
        own.level_of((1, "nowhere"))


# ---------------------------------------------------------------- myopic
@settings(max_examples=40, deadline=None)
@given(
    periods=st.sampled_from([1, 2]),
    lead_time=st.integers(1, 3),
    states=st.lists(
        st.tuples(st.integers(0, 12), st.lists(st.integers(0, 8), max_size=4)),
        min_size=1,
        max_size=10,
    ),
)
def test_myopic_act_batch_equals_act(periods, lead_time, states):
    policy = Myopic(
        demand={"dist": "poisson", "mean": 4},
        holding_cost=1.0,
        lost_sales_cost=9.0,
        lead_time=lead_time,
        periods=periods,
    )
    n, slots = len(states), max(len(a) for _, a in states)
    on_hand = np.array([float(x) for x, _ in states])
    arrivals = np.zeros((n, slots))
    for k, (_, a) in enumerate(states):
        arrivals[k, : len(a)] = a
    zeros = np.zeros(n)
    batch = ObservationBatch(
        0, ["shop"] * n, ["item"] * n, on_hand, zeros, zeros, on_hand, zeros, arrivals=arrivals
    )
    expected = [
        policy.act(
            InventoryObservation(
                0, "shop", "item", float(x), 0.0, 0.0, float(x), 0.0, ("s",), (0.0,),
                arrivals=tuple(float(v) for v in a),
            )
        )
        for x, a in states
    ]  # fmt: skip
    assert policy.act_batch(batch).tolist() == expected
    with pytest.raises(ValueError, match=r"node 'shop': obs.on_hand = \d+\.5 is not a whole"):
        policy.act_batch(batch._replace(on_hand=on_hand + 0.5))


def test_myopic_shops_decide_in_one_call_and_run_identically():
    calls = []

    class Counted(Myopic):
        def act_batch(self, obs):
            calls.append(len(obs.nodes))
            return super().act_batch(obs)

    policy = Counted(
        demand={"dist": "poisson", "mean": 4},
        holding_cost=1.0,
        lost_sales_cost=9.0,
        lead_time=2,
        periods=2,
    )
    g = nx.DiGraph()
    g.add_node("source", role="supplier")
    for k in range(10):
        g.add_node(
            f"shop{k}",
            role="retailer",
            demand={"dist": "poisson", "mean": 4},
            shortage="lost_sales",
            holding_cost=1.0,
            lost_sales_cost=9.0,
            initial_stock=k,
        )
        g.add_edge("source", f"shop{k}", lead_time=2)
    event = SupplyChainModel(g, policy, decide="start", seed=8)
    vector = VectorizedSupplyChainModel(g, policy, decide="start", seed=8)
    event.run(25)
    vector.run(25)
    pd.testing.assert_frame_equal(event.results(), vector.results(), check_exact=True)
    assert calls == [10] * 25
    assert event.results()["ordered"].sum() > 0
