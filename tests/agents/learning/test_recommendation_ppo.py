"""A short PPO run on the §VI environment (Joint IM-RS) beats a random policy."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import gymnasium as gym  # noqa: E402
from gymnasium.vector import AutoresetMode  # noqa: E402

from agents.learning.ppo import PPOConfig, train  # noqa: E402
from scenarios.recommendation import recommendation_problem  # noqa: E402
from sim.recommendation_env import RecommendationEnv  # noqa: E402


def episode_return(env: RecommendationEnv, seed: int, act) -> float:
    obs, _ = env.reset(seed=seed)
    total, done = 0.0, False
    while not done:
        obs, r, _, truncated, _ = env.step(act(obs))
        total, done = total + r, truncated
    return total


def test_ppo_beats_random_joint_policy():
    problem = recommendation_problem(n_products=3, n_customers=20)
    make = lambda: RecommendationEnv(problem, periods=20)  # noqa: E731
    venv = gym.vector.SyncVectorEnv([make] * 8, autoreset_mode=AutoresetMode.NEXT_STEP)
    config = PPOConfig(total_steps=8_192, num_envs=8, rollout_steps=32, lr=1e-3, seed=0)
    learner = train(venv, config)
    env = make()
    rng = np.random.default_rng(0)

    def greedy(obs):
        with torch.no_grad():
            return learner.policy.mode(torch.as_tensor(obs[None], dtype=torch.float32))[0].numpy()

    seeds = range(100, 120)
    trained = np.mean([episode_return(env, s, greedy) for s in seeds])
    random = np.mean([episode_return(env, s, lambda _: rng.uniform(-1, 1, 6)) for s in seeds])
    # measured: 2,784 against 140 per episode (paired difference 2,644 +- 335)
    assert trained > random + 1_000, (trained, random)
