"""The PettingZoo environments: exact agreement with the engine, the ecosystem's checkers,
the two information structures, rewards, and the batched team environment."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pettingzoo")

from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test, seed_test

from scenarios import resolve
from sim.multi import (
    EventTeamVectorEnv,
    SupplyChainAECEnv,
    SupplyChainParallelEnv,
    TeamVectorEnv,
)
from sim.spaces import ActionMapping

STAGES = ["stage1", "stage2", "stage3", "stage4"]
BEER = ["retailer", "wholesaler", "distributor", "factory"]
RETAILERS = ["retailer1", "retailer2", "retailer3", "retailer4"]
WIDE = ActionMapping("discrete", 0, 60)  # echelon base-stock orders fit


def _quiet(check, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # agent names, unbounded Box
        check(*args, **kwargs)


def _play_heuristics(env, modules, seed):
    """Play ``modules`` through the AEC env; returns each agent's summed reward."""
    env.reset(seed=seed)
    total = dict.fromkeys(env.possible_agents, 0.0)
    for agent in env.agent_iter():
        _, reward, _, truncated, _ = env.last()
        total[agent] += reward
        if truncated:
            env.step(None)
            continue
        quantity = modules[agent].act(env.decision_observation())
        env.step(int(quantity))
    return total


@pytest.mark.parametrize("learners", [STAGES, ["stage3", "stage1"]])
def test_heuristics_played_through_aec_give_the_engine_table_bit_for_bit(learners):
    scenario = resolve("clark_scarf")
    modules = scenario.policies()
    env = SupplyChainAECEnv.from_scenario(scenario, learners, periods=80, action=WIDE, record=True)
    assert env.possible_agents == sorted(learners)  # the engine's order: downstream first
    total = _play_heuristics(env, modules, seed=7)
    model = scenario.build(seed=7)
    model.run(80)
    table = model.results()
    pd.testing.assert_frame_equal(env.model.results(), table, check_exact=True)
    cost = table.groupby("node", observed=True)["cost"].sum()
    assert total == {a: -float(cost[a]) for a in learners}


def test_team_and_mixed_rewards_split_the_network_cost():
    scenario = resolve("clark_scarf")
    modules = scenario.policies()
    own = _play_heuristics(
        SupplyChainAECEnv.from_scenario(scenario, STAGES[:2], periods=40, action=WIDE), modules, 3
    )
    team = _play_heuristics(
        SupplyChainAECEnv.from_scenario(scenario, STAGES[:2], periods=40, action=WIDE, alpha=0.0),
        modules,
        3,
    )
    mixed = _play_heuristics(
        SupplyChainAECEnv.from_scenario(scenario, STAGES[:2], periods=40, action=WIDE, alpha=0.5),
        modules,
        3,
    )
    model = scenario.build(seed=3)
    model.run(40)
    network = -float(model.results()["cost"].sum())
    assert team == dict.fromkeys(STAGES[:2], network)  # every node's cost, teammates' too
    assert mixed == {a: 0.5 * own[a] + 0.5 * network for a in STAGES[:2]}


def test_pettingzoo_checkers_pass():
    scenario = resolve("beer_game")
    options = {"periods": 30, "alpha": 0.5, "global_state": True}
    _quiet(api_test, SupplyChainAECEnv.from_scenario(scenario, BEER, **options), num_cycles=60)
    _quiet(
        parallel_api_test,
        SupplyChainParallelEnv.from_scenario(scenario, BEER, **options),
        num_cycles=60,
    )
    _quiet(seed_test, lambda: SupplyChainAECEnv.from_scenario(scenario, BEER, periods=30), 40)
    _quiet(
        parallel_seed_test,
        lambda: SupplyChainParallelEnv.from_scenario(scenario, BEER, periods=30),
        40,
    )


def test_aec_upstream_sees_this_periods_order_parallel_sees_it_a_period_later():
    # Chen & Zheng's chain: order lead time 0, decide="end": stage2 decides after stage1's
    # order of the period reached it (AEC); the simultaneous structure shows it next period.
    scenario = resolve("clark_scarf")
    scale = 4.0  # the layouts divide by the mean demand
    rng = np.random.default_rng(0)
    orders = rng.integers(1, 12, size=(10, 4))
    aec = SupplyChainAECEnv.from_scenario(scenario, STAGES, periods=10)
    aec.reset(seed=1)
    seen_aec = []
    for t in range(10):
        for k, agent in enumerate(STAGES):
            assert aec.agent_selection == agent
            if agent == "stage2":
                seen_aec.append(aec.observe(agent)[3] * scale)
            aec.step(int(orders[t, k]))
    par = SupplyChainParallelEnv.from_scenario(scenario, STAGES, periods=10)
    obs, _ = par.reset(seed=1)
    seen_par = []
    for t in range(10):
        seen_par.append(obs["stage2"][3] * scale)
        obs, *_ = par.step({a: int(orders[t, k]) for k, a in enumerate(STAGES)})
    assert seen_aec == orders[:, 0].tolist()
    assert seen_par[1:] == orders[:-1, 0].tolist()


def test_parallel_and_aec_play_the_same_engine_run():
    scenario = resolve("beer_game")
    rng = np.random.default_rng(5)
    orders = rng.integers(0, 16, size=(20, 4))
    par = SupplyChainParallelEnv.from_scenario(scenario, BEER, periods=20, record=True)
    par.reset(seed=9)
    par_rewards = []
    for t in range(20):
        _, rewards, _, truncations, _ = par.step({a: int(orders[t, k]) for k, a in enumerate(BEER)})
        par_rewards.append(rewards)
    assert all(truncations.values()) and par.agents == []
    aec = SupplyChainAECEnv.from_scenario(scenario, BEER, periods=20, record=True)
    aec.reset(seed=9)
    aec_rewards = []
    for t in range(20):
        for k in range(4):
            aec.step(int(orders[t, k]))
        aec_rewards.append(dict(aec.rewards))
    assert aec_rewards == par_rewards
    pd.testing.assert_frame_equal(aec.model.results(), par.model.results(), check_exact=True)


@pytest.mark.parametrize(
    ("name", "learners", "global_state"),
    [
        ("clark_scarf", STAGES, True),
        # the retailers decide together in the vectorized engine (one echelon step), as
        # turns on the same state: their local views are the AEC's, turn by turn
        ("owmr_lost_sales", [*RETAILERS, "warehouse"], False),
        ("owmr_lost_sales", ["retailer3", "retailer1"], False),
    ],
)
def test_team_vector_env_copies_are_aec_episodes_of_consecutive_seeds(name, learners, global_state):
    scenario = resolve(name)
    options = {"periods": 12, "alpha": 0.25, "global_state": global_state}
    venv = TeamVectorEnv.from_scenario(scenario, learners, 3, **options)
    singles = [SupplyChainAECEnv.from_scenario(scenario, learners, **options) for _ in range(3)]
    venv.reset(seed=20)
    for k, env in enumerate(singles):
        env.reset(seed=20 + k)
    rng = np.random.default_rng(2)
    while not venv.done:
        agent = venv.agent
        assert all(env.agent_selection == agent for env in singles)
        obs = venv.observe(agent)
        np.testing.assert_array_equal(obs, np.stack([env.observe(agent) for env in singles]))
        actions = rng.integers(0, 17, size=3)
        rewards = venv.step(actions)
        for env, a in zip(singles, actions, strict=True):
            env.step(int(a))
        if rewards is not None:
            expected = [[env.rewards[a] for env in singles] for a in venv.agents]
            np.testing.assert_array_equal(rewards, np.array(expected))
    assert all(env.truncations[a] for env in singles for a in learners)


def test_bad_arguments_are_one_line_errors():
    scenario = resolve("clark_scarf")
    with pytest.raises(ValueError, match="not a stocking node"):
        SupplyChainAECEnv.from_scenario(scenario, ["stage1", "source"])
    with pytest.raises(ValueError, match="each node once"):
        SupplyChainAECEnv.from_scenario(scenario, ["stage1", "stage1"])
    with pytest.raises(ValueError, match=r"alpha: must be a number in \[0, 1\]"):
        SupplyChainParallelEnv.from_scenario(scenario, STAGES, alpha=1.5)
    with pytest.raises(ValueError, match="at least one"):
        TeamVectorEnv.from_scenario(scenario, [], 2)
    with pytest.raises(ValueError, match="periodic review"):
        SupplyChainAECEnv.from_scenario(scenario, STAGES, options={"review": "continuous"})
    with pytest.raises(ValueError, match="num_envs"):
        TeamVectorEnv.from_scenario(scenario, STAGES, 0)


# ---------------------------------------------------------------------- self-play (a market)
FIRMS = ["firm1", "firm2"]


def _priced_action(priced) -> np.ndarray:
    """A :class:`~sim.policy.Priced` decision as the default price mapping's action:
    ``[units, price index]`` (50 prices 1, 2, ..., 50)."""
    return np.array([int(priced.quantity), round(priced.price - 1.0)])


def test_selfplay_firms_in_the_aec_env_give_the_engine_table_bit_for_bit():
    # the scenario's market comes with from_scenario; its BSLP firms played through the
    # environment are the engine's run: prices, rival prices and profit included
    scenario = resolve("pricing_selfplay")
    modules = scenario.policies()
    env = SupplyChainAECEnv.from_scenario(scenario, FIRMS, periods=25, reward="profit", record=True)
    assert env.action_space("firm1").nvec.tolist() == [40, 50]
    env.reset(seed=4)
    total = dict.fromkeys(FIRMS, 0.0)
    for agent in env.agent_iter():
        _, reward, _, truncated, _ = env.last()
        total[agent] += reward
        env.step(
            None if truncated else _priced_action(modules[agent].act(env.decision_observation()))
        )
    model = scenario.build(seed=4)
    model.run(25)
    table = model.results()
    pd.testing.assert_frame_equal(env.model.results(), table, check_exact=True)
    profit = table.groupby("node", observed=True)["profit"].sum()
    assert total == pytest.approx({a: float(profit[a]) for a in FIRMS}, abs=1e-9)


def test_selfplay_env_passes_the_pettingzoo_checkers():
    scenario = resolve("pricing_selfplay")
    options = {"periods": 20, "reward": "profit", "global_state": True}
    _quiet(api_test, SupplyChainAECEnv.from_scenario(scenario, FIRMS, **options), num_cycles=40)
    _quiet(
        parallel_api_test,
        SupplyChainParallelEnv.from_scenario(scenario, FIRMS, **options),
        num_cycles=40,
    )
    _quiet(seed_test, lambda: SupplyChainAECEnv.from_scenario(scenario, FIRMS, periods=20), 30)


def _play(env, seed, action_seed):
    """Random actions on ``env`` from one episode of ``seed``: observations and rewards."""
    rng = np.random.default_rng(action_seed)
    env.reset(seed=seed)
    seen = []
    while not env.done:
        agent = env.agent
        seen.append(env.observe(agent))
        high = env.action_spaces[agent].nvec
        rewards = env.step(rng.integers(0, high, size=(env.num_envs, len(high))))
        if rewards is not None:
            seen.append(rewards)
    return seen


def test_event_team_vector_env_copies_are_aec_episodes_and_deterministic_per_seed():
    scenario = resolve("pricing_selfplay")
    options = {"periods": 15, "reward": "profit"}
    venv = EventTeamVectorEnv.from_scenario(scenario, FIRMS, 3, **options)
    assert venv.agents == FIRMS and venv.state_size == 8
    singles = [SupplyChainAECEnv.from_scenario(scenario, FIRMS, **options) for _ in range(3)]
    venv.reset(seed=30)
    for k, env in enumerate(singles):
        env.reset(seed=30 + k)
    rng = np.random.default_rng(1)
    periods = 0
    while not venv.done:
        agent = venv.agent
        assert all(env.agent_selection == agent for env in singles)
        np.testing.assert_array_equal(
            venv.observe(agent), np.stack([env.observe(agent) for env in singles])
        )
        actions = rng.integers(0, [40, 50], size=(3, 2))
        rewards = venv.step(actions)
        for env, a in zip(singles, actions, strict=True):
            env.step(a)
        if rewards is not None:
            periods += 1
            expected = [[env.rewards[a] for env in singles] for a in FIRMS]
            np.testing.assert_array_equal(rewards, np.array(expected))
    assert periods == 15
    first = _play(EventTeamVectorEnv.from_scenario(scenario, FIRMS, 2, **options), 5, 0)
    again = _play(EventTeamVectorEnv.from_scenario(scenario, FIRMS, 2, **options), 5, 0)
    other = _play(EventTeamVectorEnv.from_scenario(scenario, FIRMS, 2, **options), 6, 0)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))
    with pytest.raises(RuntimeError, match="call reset"):
        venv.step(np.zeros((3, 2), dtype=int))
