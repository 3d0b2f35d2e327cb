"""Random initial states (sim.initial): drawn from the run's seed, the same in both engines,
received when due, and leaving the demand and lead-time streams as they were."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents import BaseStock, ConstantOrder
from networks import serial
from scenarios import resolve
from sim import EXTERNAL, SupplyChainModel, VectorizedSupplyChainModel
from sim.initial import InitialState

RANDOM_START = InitialState(
    on_hand={"dist": "poisson", "mean": 20},
    pipeline={"dist": "poisson", "mean": 6},
    nodes="all",
)


def _chain():
    return serial(
        2,
        lead_time=[3, {"dist": "poisson", "mean": 2}],
        demand={"dist": "poisson", "mean": 4},
    )


def _start(model):
    """On hand and lots in transit (by edge and period received) when the run starts."""
    lots = sorted(
        (str(e.supplier_name), str(model.sku_names[e.target][0]), k, lot)
        for k, bucket in model._arrivals.items()
        for e, lot in bucket
    )
    return tuple(model._on_hand), tuple(lots)


def test_the_seed_fixes_the_initial_state_and_both_engines_run_it_alike():
    graph, starts = _chain(), []
    for seed in range(5):
        event = SupplyChainModel(graph, BaseStock(level=20), seed=seed, initial_state=RANDOM_START)
        vector = VectorizedSupplyChainModel(
            graph, BaseStock(level=20), seed=seed, initial_state=RANDOM_START
        )
        starts.append(_start(event))
        event.run(20)
        vector.run(20)
        pd.testing.assert_frame_equal(event.results(), vector.results(), check_exact=True)
        again = event.results()
        event.reset(seed)  # no rebuilding: the same draws
        assert _start(event) == starts[-1]
        event.run(20)
        pd.testing.assert_frame_equal(event.results(), again, check_exact=True)
    assert len(set(starts)) == 5  # other seeds, other states
    assert all(len(lots) == 3 for _, lots in starts)  # L = 3: two lots; L = 2: one lot


def test_copies_draw_the_initial_state_of_their_own_seeds():
    graph = _chain()
    state = InitialState(on_hand={"dist": "poisson", "mean": 20}, nodes=["stage2"])
    copies = VectorizedSupplyChainModel(
        graph, BaseStock(level=20), copies=[4, 9], initial_state=state
    )
    copies.run(10)
    table = copies.results()
    for k, seed in enumerate((4, 9)):
        single = SupplyChainModel(graph, BaseStock(level=20), seed=seed, initial_state=state)
        assert single._on_hand[0] == 0.0 < single._on_hand[1]  # stage2's drawn only
        single.run(10)
        mine = table[table.node.astype(str).str.startswith(f"({k}, ")].reset_index(drop=True)
        np.testing.assert_array_equal(mine.on_hand, single.results().on_hand)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), lead_time=st.integers(1, 5), mean=st.sampled_from([0.5, 4]))
def test_the_drawn_pipeline_arrives_one_lot_a_period_when_due(seed, lead_time, mean):
    graph = serial(1, lead_time=lead_time, demand=0)
    state = InitialState(pipeline={"dist": "poisson", "mean": mean})
    model = SupplyChainModel(graph, EXTERNAL, seed=seed, initial_state=state)
    first = model.advance(until=lead_time + 2)
    lots = list(first.observation.arrivals)  # due at the start of periods 1 .. L - 1
    assert first.observation.pipeline == sum(lots)
    assert len(lots) <= lead_time - 1 and (not lots or lots[-1] > 0)
    decision = first
    while decision is not None:
        decision = model.advance(0.0, until=lead_time + 2)
    table = model.results()
    padded = [0.0, *lots] + [0.0] * (lead_time + 1 - len(lots))
    assert table.received.tolist() == padded[: lead_time + 2]
    assert table.on_hand.tolist() == np.cumsum(padded[: lead_time + 2]).tolist()
    assert table.pipeline.iloc[-1] == 0.0


def test_random_starts_leave_demand_and_lead_times_unchanged():
    graph = serial(
        1, lead_time={"dist": "poisson", "mean": 3}, demand={"dist": "poisson", "mean": 4}
    )  # crossing shipments (the default): the drawn lots hold no later shipment back
    state = InitialState(on_hand=7, pipeline={"dist": "poisson", "mean": 5}, nodes="all")
    tables, shipments = [], []
    for initial_state in (None, state):
        model = SupplyChainModel(
            graph, ConstantOrder(quantity=2), seed=3, log=True, initial_state=initial_state
        )
        lots = {k: lot for _, _, k, lot in _start(model)[1]}
        model.run(30)
        tables.append(model.results())
        shipments.append([(t, q, due) for t, kind, *_, q, due in model.event_log if kind == "ship"])
    plain, drawn = tables
    assert sorted(lots) == [1, 2] and drawn.on_hand[0] != plain.on_hand[0]
    assert drawn.demand.tolist() == plain.demand.tolist()
    assert shipments[0] == shipments[1]  # the same lead-time draws, shipment by shipment
    expected = [x + lots.get(t, 0.0) for t, x in enumerate(plain.received.tolist())]
    assert drawn.received.tolist() == expected


def test_drawn_stock_on_hand_is_capped_at_the_storage_capacity():
    graph = serial(1, lead_time=1, demand=0)
    graph.nodes["stage1"]["storage_capacity"] = 5
    state = InitialState(on_hand={"dist": "poisson", "mean": 50}, nodes="all")
    model = SupplyChainModel(graph, BaseStock(level=0), seed=1, initial_state=state)
    assert model._on_hand == [5.0]


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        ({}, r"initial_state: give on_hand, pipeline or both"),
        ({"on_hand": {"dist": "poison", "mean": 5}}, r"initial_state\.on_hand\.dist: must be one"),
        ({"pipeline": {"dist": "normal", "mean": 5}}, r"initial_state\.pipeline.*std"),
        ({"on_hand": -2}, r"initial_state\.on_hand.*value"),
        ({"on_hand": 3, "nodes": "stage1"}, r"initial_state\.nodes: must be 'external', 'all'"),
        ({"on_hand": 3, "nodes": []}, r"initial_state\.nodes: must be .*non-empty"),
        ({"on_hand": 3, "onhand": 3}, r"initial_state: unknown field\(s\) onhand; expected"),
        ({"on_hand": 3, "nodes": ["nowhere"]}, r"initial_state\.nodes: 'nowhere' is not a stock"),
        ({"on_hand": 3, "nodes": ["source"]}, r"initial_state\.nodes: 'source' is not a stock"),
        ({"on_hand": 3}, r"initial_state\.nodes: no stock point is decided from outside"),
    ],
)
def test_a_bad_initial_state_is_a_one_line_error_naming_the_field(declared, message):
    with pytest.raises(ValueError, match=f"^{message}") as error:
        SupplyChainModel(_chain(), BaseStock(level=5), initial_state=declared)
    assert "\n" not in str(error.value)


gym = pytest.importorskip("gymnasium")

from sim.env import InventoryEnv, InventoryVectorEnv  # noqa: E402


def test_environments_draw_the_learners_start_from_the_episode_seed():
    scenario = resolve("lost_sales")
    state = {"on_hand": {"dist": "poisson", "mean": 10}, "pipeline": 3}
    env = InventoryEnv.from_scenario(scenario, "stage1", periods=10, initial_state=state)
    plain = InventoryEnv.from_scenario(scenario, "stage1", periods=10)
    venv = InventoryVectorEnv.from_scenario(scenario, "stage1", 3, periods=10, initial_state=state)
    assert env.fingerprint == plain.fingerprint == venv.fingerprint
    batch, _ = venv.reset(seed=20)
    firsts = [env.reset(seed=20 + k)[0] for k in range(3)]
    np.testing.assert_array_equal(batch, np.stack(firsts))  # both engines, seeds 20, 21, 22
    assert len({float(obs[0]) for obs in firsts}) == 3  # on hand drawn per seed
    np.testing.assert_array_equal(env.reset(seed=21)[0], firsts[1])
    start = plain.reset(seed=21)[0]
    assert start[0] != firsts[1][0]
    for action in (4, 0, 9):
        seen, plain_seen = env.step(action)[0], plain.step(action)[0]
        assert seen[3] == plain_seen[3]  # the same demand
    with pytest.raises(ValueError, match=r"^initial_state\.on_hand.*std"):
        InventoryEnv.from_scenario(
            scenario, "stage1", initial_state={"on_hand": {"dist": "gamma", "mean": 2}}
        )
