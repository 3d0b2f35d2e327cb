"""A learner for a finite horizon (``finite_horizon=True``): it sees the periods left near the
episode's end, its last step terminates, and a trained policy refuses to act past it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sim.spaces import ObservationLayout

H = 4


def test_the_layout_adds_the_periods_left_and_survives_json():
    layout = ObservationLayout(arrival_slots=1, scale=4.0, horizon=H, end_window=2)
    assert layout.names[-1] == "periods_left" and layout.size == 7
    values = [8.0, 0.0, 12.0, 4.0, 4.0, 4.0]
    vectors = [layout.vector_of_values(t, values) for t in range(H + 1)]
    assert [v[-1] for v in vectors] == [1.0, 1.0, 0.5, 0.0, 0.0]  # the last 2 told apart
    wide = ObservationLayout(horizon=H, end_window=3)
    assert [wide.periods_left(t) for t in range(H + 1)] == [1.0, 2 / 3, 1 / 3, 0.0, 0.0]
    assert all(v[:-1].tolist() == [2.0, 0.0, 3.0, 1.0, 1.0, 1.0] for v in vectors)
    # the engine's writer remembers vectors by their values: the period must still count
    writer = layout.writer()
    for t in (0, 1, 0, 3, 4):
        np.testing.assert_array_equal(writer.vector(t, values), layout.vector_of_values(t, values))
    assert ObservationLayout.from_dict(json.loads(json.dumps(layout.to_dict()))) == layout
    assert ObservationLayout(scale=4.0).size == 4 + 1  # stationary: no entry


def test_a_period_past_the_horizon_and_a_bad_horizon_are_refused():
    layout = ObservationLayout(horizon=H)
    with pytest.raises(ValueError, match="period 5: past the horizon of 4 periods"):
        layout.vector_of_values(5, [0.0] * 5)
    with pytest.raises(ValueError, match=r"ObservationLayout\.horizon: must be an integer >= 0"):
        ObservationLayout(horizon=-1)
    with pytest.raises(ValueError, match=r"ObservationLayout\.end_window: must be >= 1"):
        ObservationLayout(horizon=4, end_window=0)


@pytest.mark.parametrize("name", ["lost_sales", "pricing_a"])
def test_the_episode_ends_by_termination_with_the_periods_left_counted_down(name):
    pytest.importorskip("gymnasium")
    from scenarios import resolve
    from sim.env import InventoryEnv

    scenario = resolve(name)
    market = scenario.market()
    options = {"options": {"market": market}} if market is not None else {}
    env = InventoryEnv.from_scenario(scenario, "stage1", periods=H, finite_horizon=True, **options)
    stationary = InventoryEnv.from_scenario(scenario, "stage1", periods=H, **options)
    k = env.layout.names.index("periods_left")
    obs, _ = env.reset(seed=3)
    stationary.reset(seed=3)
    seen, ends = [obs[k]], []
    action = 1 if market is None else np.array([1, 28])  # an order of 1 (at price 29)
    for _ in range(H):
        obs, reward, terminated, truncated, _ = env.step(action)
        o, r, term, trunc, _ = stationary.step(action)
        assert reward == r  # the same run: only the observation and the ending differ
        np.testing.assert_array_equal(np.delete(obs, k), o)
        seen.append(obs[k])
        ends.append((terminated, truncated, term, trunc))
    assert seen == [env.layout.periods_left(t) for t in range(H + 1)]
    assert seen[0] == 1.0 and seen[-3] == 0.5 and seen[-2] == 0.0  # lead time 1: window 2
    assert ends[-1] == (True, False, False, True)
    assert all(e == (False, False, False, False) for e in ends[:-1])


def test_vector_copies_terminate_together_and_refuse_to_stagger():
    pytest.importorskip("gymnasium")
    from scenarios import resolve
    from sim.env import InventoryVectorEnv

    scenario = resolve("lost_sales")
    venv = InventoryVectorEnv.from_scenario(scenario, "stage1", 3, periods=H, finite_horizon=True)
    obs, _ = venv.reset(seed=1)
    assert (obs[:, -1] == 1.0).all()
    for t in range(H):
        obs, _, terminated, truncated, _ = venv.step(np.ones(3, dtype=np.int64))
        assert (obs[:, -1] == np.float32(venv.layout.periods_left(t + 1))).all()
        assert terminated.all() == (t == H - 1) and not truncated.any()
    obs, rewards, terminated, _, _ = venv.step(np.ones(3, dtype=np.int64))  # autoreset
    assert (obs[:, -1] == 1.0).all() and (rewards == 0).all() and not terminated.any()
    with pytest.raises(ValueError, match="stagger: a finite-horizon learner"):
        InventoryVectorEnv.from_scenario(
            scenario, "stage1", 3, periods=H, finite_horizon=True, stagger=True
        )


def test_a_finite_horizon_policy_refuses_to_act_past_its_horizon():
    pytest.importorskip("torch")
    from agents.learning import TorchPolicy
    from scenarios import resolve
    from sim import SupplyChainModel
    from sim.policy import PolicyError
    from sim.spaces import ActionMapping

    scenario = resolve("lost_sales")
    layout = ObservationLayout(arrival_slots=1, scale=5.0, horizon=H)
    policy = TorchPolicy.fresh(layout, ActionMapping(high=20.0), seed=1)
    model = SupplyChainModel(scenario.network(), {"stage1": policy}, seed=2, **scenario.options)
    model.run(H)
    with pytest.raises(
        PolicyError, match=r"trained for a horizon of 4 periods .*period 4 is past"
    ) as refused:
        model.run(1)
    # the module is named in a line, not by its network's repr
    assert "TorchPolicy(target='quantity', inputs=7, horizon=4, fingerprint=None)" in str(
        refused.value
    )
    assert len(str(refused.value)) < 400
