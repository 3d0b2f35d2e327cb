"""Packed stock-point quantities (``SupplyChainModel.PACKED_FROM``): large networks keep each
quantity as packed doubles instead of a list of floats; everything a run gives is the same
to the bit."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from scenarios import builtin_names, resolve
from sim import SupplyChainModel, VectorizedSupplyChainModel
from sim.model import _QUANTITIES, _RECORD

VARIANTS = [
    {},
    {"review": "continuous", "arrivals": "poisson"},
    {"review": "continuous", "arrivals": "poisson", "allocation": "whole"},
    {"arrivals": "poisson", "allocation": "proportional"},
]


def build(name: str, variant: dict) -> SupplyChainModel:
    scenario = resolve(name)
    graph = scenario.network()
    options = {**scenario.options, **variant}
    market = scenario.market()
    if market is not None:
        options["market"] = market
    return SupplyChainModel(
        graph, scenario.policies(graph), seed=3, log=True, track_rewards=True, **options
    )


def outcome(model: SupplyChainModel, periods: int = 40) -> tuple:
    model.run(periods)
    rewards = [model.take_reward_of(i) for i in range(len(model.sku_names))]
    observations = [model.observe(i, model.period) for i in range(len(model.sku_names))]
    return model.event_log, model.results(), rewards, observations


@pytest.mark.parametrize("name", builtin_names())
def test_every_builtin_scenario_runs_the_same_packed(monkeypatch, name):
    ran = 0
    for variant in VARIANTS:
        try:
            lists = build(name, variant)
        except ValueError:
            continue  # an option this scenario does not take
        log, table, rewards, observations = outcome(lists)
        monkeypatch.setattr(SupplyChainModel, "PACKED_FROM", 1)
        packed = build(name, variant)
        monkeypatch.undo()
        assert type(lists._on_hand) is list
        assert type(packed._on_hand) is memoryview
        packed_log, packed_table, packed_rewards, packed_observations = outcome(packed)
        assert packed_log == log
        pd.testing.assert_frame_equal(packed_table, table, check_exact=True)
        assert packed_rewards == rewards
        assert packed_observations == observations
        ran += 1
    assert ran >= 2


def test_a_packed_model_pickled_mid_run_runs_on_the_same(monkeypatch):
    monkeypatch.setattr(SupplyChainModel, "PACKED_FROM", 1)
    model = build("one_warehouse_multi_retailer", VARIANTS[1])
    model.run(15)
    copy = pickle.loads(pickle.dumps(model))
    assert type(copy._acc_demand) is memoryview
    model.run(10)
    copy.run(10)
    assert copy.event_log == model.event_log
    pd.testing.assert_frame_equal(copy.results(), model.results(), check_exact=True)


def line_of(quantity: memoryview, i: int) -> int:
    """The 64-byte cache line holding item ``i`` of a packed quantity."""
    items = np.asarray(quantity)
    return (items.__array_interface__["data"][0] + i * items.strides[0]) // 64


def test_a_customers_event_touches_one_cache_line_of_a_packed_stock_point(monkeypatch):
    monkeypatch.setattr(SupplyChainModel, "PACKED_FROM", 1)
    model = build("one_warehouse_multi_retailer", VARIANTS[1])
    model.run(3)
    assert sorted(_RECORD) == sorted(_QUANTITIES)  # every quantity has its place, once
    # what a customer's arrival and the review after it read and write
    event = (
        "_on_hand",
        "_backlog",
        "_pipeline",
        "_demand_seen",
        "_level_since",
        "_acc_demand",
        "_acc_sales",
        "_area_on_hand",
    )
    for packed in (model, pickle.loads(pickle.dumps(model))):  # packed again when loaded
        for i in range(len(packed.sku_names)):
            assert len({line_of(getattr(packed, name), i) for name in event}) == 1
            records = {line_of(getattr(packed, name), i) for name in _QUANTITIES}
            assert len(records) == 3  # 17 quantities: three lines, none shared with another
            assert not records & {line_of(packed._on_hand, k) for k in (i - 1, i + 1)}


def test_the_vectorized_engine_starts_from_packed_quantities(monkeypatch):
    scenario = resolve("clark_scarf")
    graph = scenario.network()
    event = SupplyChainModel(graph, scenario.policies(graph), seed=5)
    event.run(60)
    monkeypatch.setattr(SupplyChainModel, "PACKED_FROM", 1)
    vector = VectorizedSupplyChainModel(graph, scenario.policies(graph), seed=5)
    vector.run(60)
    pd.testing.assert_frame_equal(vector.results(), event.results(), check_exact=True)
