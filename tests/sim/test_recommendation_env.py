"""The §VI Gymnasium environment: the ecosystem's checker, determinism, action mapping."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("gymnasium")

from gymnasium.utils.env_checker import check_env

from scenarios.recommendation import recommendation_problem
from sim.recommendation_env import RecommendationEnv, fingerprint


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(
    ("control", "width"), [("joint", 6), ("inventory", 3), ("recommendation", 3)]
)
def test_checker_and_spaces(control, width):
    env = RecommendationEnv(recommendation_problem(n_products=3, n_customers=20), control=control)
    check_env(env, skip_render_check=True)
    assert env.action_space.shape == (width,)


def test_same_seed_same_episode_and_truncation():
    problem = recommendation_problem(n_products=3, n_customers=20)
    returns = []
    for _ in range(2):
        env = RecommendationEnv(problem, periods=5)
        env.reset(seed=4)
        rewards, done = [], False
        while not done:
            _, r, terminated, truncated, _ = env.step(np.zeros(6, dtype=np.float32))
            rewards.append(r)
            assert not terminated
            done = truncated
        returns.append(rewards)
    assert len(returns[0]) == 5 and returns[0] == returns[1]


def test_orders_map_to_periods_of_expected_demand():
    env = RecommendationEnv(recommendation_problem(n_products=3, n_customers=20), order_cap=2.0)
    env.reset(seed=0)
    env.step(np.array([1, -1, 0, 0, 0, 0], dtype=np.float32))
    np.testing.assert_array_equal(env.model.orders, np.round([2 * env.scale[0], 0, env.scale[2]]))
    with pytest.raises(ValueError, match=r"^action: must have shape \(6,\)"):
        env.step(np.zeros(3))


def test_fingerprint_names_instance_control_and_mapping_not_episode_length():
    problem = recommendation_problem(n_products=3, n_customers=20)
    env = RecommendationEnv(problem, periods=5, control="inventory")
    assert (
        env.fingerprint == RecommendationEnv(problem, periods=50, control="inventory").fingerprint
    )
    assert env.fingerprint == fingerprint(problem, "inventory")
    assert env.fingerprint.startswith("recommendation/inventory/")
    others = {
        fingerprint(problem, "recommendation"),
        fingerprint(problem, "inventory", order_cap=2.0),
        fingerprint(recommendation_problem(n_products=3, n_customers=20, seed=1), "inventory"),
        fingerprint(recommendation_problem(n_products=3, n_customers=21), "inventory"),
    }
    assert env.fingerprint not in others and len(others) == 4
