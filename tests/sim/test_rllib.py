"""Ray RLlib trains the Parallel environment with multi-agent PPO through its PettingZoo
wrapper (the ``rllib`` extra; examples/rllib_beer_game.py).

RLlib pins its own gymnasium (ray 2.60: 1.2.2), so CI's install line, which has the newest
gymnasium, leaves the extra out and this module skips there. Run it in an environment
made by ``pip install torch==2.13.0 && pip install -e ".[rllib,test]"``.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

# ray.rllib first: where the extra is missing it fails fast, before torch is loaded
pytest.importorskip(
    "ray.rllib",
    reason="needs Ray RLlib: pip install -e '.[rllib]' (pins gymnasium 1.2.2, so not in CI)",
)
pytest.importorskip("torch", reason="needs torch (the rllib extra)")

import ray
from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv

from scenarios import resolve
from sim.multi import SupplyChainParallelEnv

BEER = ["retailer", "wholesaler", "distributor", "factory"]
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rllib_beer_game.py"


def _example():
    spec = importlib.util.spec_from_file_location("rllib_beer_game", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _start_ray(attempts: int = 3) -> None:
    """A local one-CPU Ray node. On a loaded machine Ray 2.60's raylet may exit before it
    registers (its dashboard agent must write a port file within a fixed 15 s; Ray issue
    65983), so a node that times out during startup is started again, up to ``attempts``
    times."""
    for attempt in range(1, attempts + 1):
        try:
            ray.init(num_cpus=1, include_dashboard=False)
            return
        except Exception as error:  # Ray raises a bare Exception here
            if "timed out during startup" not in str(error) or attempt == attempts:
                raise
            ray.shutdown()


def test_the_wrapper_keeps_agent_ids_spaces_and_rewards():
    scenario = resolve("beer_game")
    parallel = SupplyChainParallelEnv.from_scenario(scenario, BEER, periods=6)
    env = ParallelPettingZooEnv(SupplyChainParallelEnv.from_scenario(scenario, BEER, periods=6))
    assert sorted(env.possible_agents) == sorted(BEER)
    for agent in BEER:
        assert env.observation_space[agent] == parallel.observation_space(agent)
        assert env.action_space[agent] == parallel.action_space(agent)
    obs, _ = env.reset(seed=3)
    expected, _ = parallel.reset(seed=3)
    assert set(obs) == set(BEER)
    for agent in BEER:
        np.testing.assert_array_equal(obs[agent], expected[agent])
    for _ in range(6):
        actions = {a: 4 for a in BEER}
        obs, rewards, terminated, truncated, _ = env.step(actions)
        _, own, _, _, _ = parallel.step(actions)
        assert rewards == own
    assert truncated == {**dict.fromkeys(BEER, True), "__all__": True}
    assert terminated["__all__"] is False


def test_rllib_multi_agent_ppo_trains_two_iterations_on_the_beer_game():
    example = _example()
    env_config = {"scenario": "beer_game", "learners": BEER, "periods": 20, "alpha": 1.0}
    example.register_env(example.ENV_NAME, example.make_env)
    _start_ray()
    try:
        config = example.ppo_config(env_config, BEER, batch=200, minibatch=100, epochs=2, seed=0)
        algo = config.build_algo()
        returns = []
        for _ in range(2):
            team, per_agent = example.episode_returns(algo.train())
            returns.append(team)
        assert set(per_agent) == set(BEER)
        assert all(math.isfinite(v) and v < 0 for v in per_agent.values())  # costs
        assert math.isfinite(returns[-1])
        assert returns[-1] == pytest.approx(sum(per_agent.values()))
        costs = example.team_cost(algo, env_config, seeds=[1, 2])
        assert costs.shape == (2,) and np.all(np.isfinite(costs)) and np.all(costs > 0)
        algo.stop()
    finally:
        ray.shutdown()
