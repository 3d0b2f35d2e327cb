"""Stable-Baselines3 trains on the Gymnasium environment, and its policy runs in the engine."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")
sb3 = pytest.importorskip("stable_baselines3")

from scenarios import resolve  # noqa: E402
from sim import SupplyChainModel  # noqa: E402
from sim.env import InventoryEnv  # noqa: E402


class SB3Module:
    """An SB3 model as a decision module: the environment's layout and mapping translate."""

    def __init__(self, model, env: InventoryEnv):
        self.model, self.layout, self.mapping = model, env.layout, env.mapping
        self.observes = env.layout.observes

    def act(self, obs):
        action, _ = self.model.predict(self.layout.vector(obs), deterministic=True)
        return self.mapping.quantity(int(action))


def test_sb3_ppo_trains_on_the_env_and_runs_in_the_engine(tmp_path, monkeypatch):
    monkeypatch.setenv("SB3_LOGDIR", str(tmp_path))  # else SB3 leaves a folder in /tmp
    scenario = resolve("lost_sales")
    env = InventoryEnv.from_scenario(scenario, "stage1", periods=100)
    model = sb3.PPO("MlpPolicy", env, n_steps=512, batch_size=128, seed=0, verbose=0)
    model.learn(total_timesteps=3_072)
    engine = SupplyChainModel(
        scenario.network(), {"stage1": SB3Module(model, env)}, seed=3, **scenario.options
    )
    engine.run(200)
    orders = engine.results().ordered.to_numpy()
    assert np.all((orders >= 0) & (orders <= 20) & (orders == np.round(orders)))
    assert np.isfinite(engine.cost_per_period())
