"""Reviews at uneven intervals: base-stock levels by epoch, and a learner that decides only
at the review epochs of the module it replaces."""

from __future__ import annotations

import numpy as np
import pytest

from agents import EpochBaseStock
from networks import serial
from scenarios import resolve
from sim import SupplyChainModel
from sim.spaces import ObservationLayout

LEVELS, EPOCHS, CYCLE = (14, 20, 32), (0, 1, 3), 7


def test_orders_follow_the_epochs_levels_by_hand():
    graph = serial(
        1, lead_time=1, holding_cost=1, backlog_cost=9, demand={"dist": "trace", "values": [5] * 30}
    )
    policy = EpochBaseStock(levels=LEVELS, epochs=EPOCHS, cycle=CYCLE)
    model = SupplyChainModel(graph, {"stage1": policy}, decide="start", seed=0)
    model.run(15)
    ordered = model.results().ordered.tolist()
    # hand recursion: position 0 -> 14 at t=0; -5 a period; up to the epoch's level at 1, 3, 7, 8, 10, 14
    position, expected = 0.0, []
    for t in range(15):
        phase = t % CYCLE
        q = max(LEVELS[EPOCHS.index(phase)] - position, 0.0) if phase in EPOCHS else 0.0
        expected.append(q)
        position += q - 5
    assert ordered == expected


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"levels": (1, 2), "epochs": (0, 1, 3), "cycle": 7}, "levels: give one per epoch"),
        ({"levels": (1, 2, 3), "epochs": (0, 3, 1), "cycle": 7}, "epochs: must be increasing"),
        ({"levels": (1, 2, 3), "epochs": (0, 1, 7), "cycle": 7}, "epochs: must be periods"),
        ({"levels": (-1, 2, 3), "epochs": (0, 1, 3), "cycle": 7}, "levels: must be >= 0"),
    ],
)
def test_bad_schedules_are_refused(fields, message):
    with pytest.raises(ValueError, match=message):
        EpochBaseStock(**fields)


def test_the_layout_marks_the_epoch_and_survives_json():
    layout = ObservationLayout(arrival_slots=1, scale=5.0, review_cycle=CYCLE, review_epochs=EPOCHS)
    assert layout.names[-3:] == ["epoch[0]", "epoch[1]", "epoch[2]"]
    assert [layout.epoch(t) for t in range(8)] == [0, 1, None, 2, None, None, None, 0]
    assert layout.review_gaps() == [1, 2, 4]
    single = ObservationLayout(review_cycle=7, review_epochs=(2,))
    assert single.review_gaps() == [7] and ObservationLayout().review_gaps() == []
    import json

    assert ObservationLayout.from_dict(json.loads(json.dumps(layout.to_dict()))) == layout


def test_the_learner_decides_only_at_review_epochs_and_is_paid_for_every_period():
    gym = pytest.importorskip("gymnasium")  # noqa: F841
    from sim.env import InventoryEnv

    scenario = resolve("uneven_review")
    env = InventoryEnv.from_scenario(scenario, "stage1", periods=70)
    obs, _ = env.reset(seed=4)
    assert env.layout.review_epochs == EPOCHS and obs[-3:].tolist() == [1.0, 0.0, 0.0]
    policy = scenario.policies()["stage1"]
    periods, total, truncated = [], 0.0, False
    while not truncated:
        position = float(obs[2]) * env.layout.scale
        level = LEVELS[int(np.argmax(obs[-3:]))]
        obs, reward, _, truncated, info = env.step(max(round(level - position), 0))
        periods.append(info["period"])
        total += reward
    assert periods[:6] == [1, 3, 7, 8, 10, 14]
    model = SupplyChainModel(scenario.network(), {"stage1": policy}, seed=4, **scenario.options)
    model.run(70)
    assert -total == pytest.approx(model.cost_per_period() * 70, rel=1e-12)


def test_a_trained_policy_orders_nothing_between_reviews():
    pytest.importorskip("torch")
    from agents.learning import TorchPolicy
    from sim.spaces import ActionMapping

    layout = ObservationLayout(arrival_slots=1, scale=5.0, review_cycle=CYCLE, review_epochs=EPOCHS)
    policy = TorchPolicy.fresh(layout, ActionMapping(high=40.0), seed=1)
    scenario = resolve("uneven_review")
    model = SupplyChainModel(scenario.network(), {"stage1": policy}, seed=2, **scenario.options)
    model.run(28)
    ordered = model.results().ordered.to_numpy()
    between = [t for t in range(28) if t % CYCLE not in EPOCHS]
    assert (ordered[between] == 0).all()
