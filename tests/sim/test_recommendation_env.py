"""The §VI Gymnasium environment: the ecosystem's checker, determinism, action mapping."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("gymnasium")

from gymnasium.utils.env_checker import check_env

from scenarios.recommendation import recommendation_problem
from sim.recommendation import Targeting, purchase_probabilities
from sim.recommendation_env import RecommendationActions, RecommendationEnv, fingerprint


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
    env = RecommendationEnv(
        recommendation_problem(n_products=3, n_customers=20),
        actions=RecommendationActions(order_cap=2.0),
    )
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
        fingerprint(problem, "inventory", RecommendationActions(order_cap=2.0)),
        fingerprint(problem, "inventory", RecommendationActions(orders="cover")),
        fingerprint(problem, "inventory", RecommendationActions(recommendation="targeting")),
        fingerprint(recommendation_problem(n_products=3, n_customers=20, seed=1), "inventory"),
        fingerprint(recommendation_problem(n_products=3, n_customers=21), "inventory"),
    }
    assert env.fingerprint not in others and len(others) == 6


@pytest.mark.parametrize("shortage", ["lost", "backlog"])
def test_zero_action_of_the_residual_forms_is_base_stock_with_uniform(shortage):
    """orders="cover", recommendation="targeting": the zero action plays the tuned baseline
    (base stock at the cover multiple, uniform recommendation) to the bit."""
    from agents.recommendation import UniformRecommendation
    from analysis.recommendation import base_stock

    problem = recommendation_problem(shortage, n_products=4, n_customers=30)
    actions = RecommendationActions(orders="cover", recommendation="targeting", cover_multiple=1.3)
    env = RecommendationEnv(problem, periods=12, actions=actions)
    env.reset(seed=9)
    rewards = [env.step(np.zeros(8, dtype=np.float32))[1] for _ in range(12)]
    env.reset(seed=9)
    run = env.model.run(12, base_stock(problem, 1.3), UniformRecommendation())
    np.testing.assert_array_equal(rewards, run.reward)


def test_cover_orders_up_to_a_multiple_of_the_demand_the_recommendation_creates():
    problem = recommendation_problem(n_products=3, n_customers=20)
    actions = RecommendationActions(orders="cover", recommendation="targeting", level_range=0.5)
    env = RecommendationEnv(problem, actions=actions)
    env.reset(seed=1)
    weights = np.array([1.0, -1.0, 0.0])
    alpha = Targeting(problem, actions.sharpness)(weights)
    mu = purchase_probabilities(problem, alpha) @ problem.capacity
    level = 1.2 * (problem.lead_time + 1) * mu * np.array([1.5, 0.5, 1.0])  # a = 1, -1, 0
    position = env.model.inventory_position
    intensities = env.intensities(weights)
    env.model.set_intensities(intensities)
    orders = env.orders(env.model, np.array([1.0, -1.0, 0.0]))
    np.testing.assert_array_equal(intensities, alpha)
    np.testing.assert_array_equal(orders, np.maximum(np.round(level - position), 0.0))
    assert orders[0] > 0 and orders[1] == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("orders", "level", "RecommendationActions.orders: must be one of"),
        ("recommendation", "spread", "RecommendationActions.recommendation: must be one of"),
        ("sharpness", 0.0, "RecommendationActions.sharpness: must be a finite number > 0"),
        ("level_range", float("nan"), "RecommendationActions.level_range"),
        ("order_cap", -1.0, "RecommendationActions.order_cap"),
    ],
)
def test_bad_action_forms_are_one_line_errors(field, value, message):
    with pytest.raises(ValueError, match=message):
        RecommendationActions(**{field: value})
