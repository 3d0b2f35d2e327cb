"""Trained §VI policies from checkpoints, and Naive IM-RS: the IM-Only policy's orders and
the RS-Only policy's recommendation in one joint action, each half checked by the
checkpoint's fingerprint and seen acting in the joint environment."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from agents.learning import CheckpointError, save_checkpoint  # noqa: E402
from agents.learning.ppo import ActionSpec, ActorCritic  # noqa: E402
from agents.learning.recommendation import NaiveJointPolicy, RecommendationPolicy  # noqa: E402
from scenarios.recommendation import recommendation_problem  # noqa: E402
from sim.recommendation import spread  # noqa: E402
from sim.recommendation_env import RecommendationEnv, fingerprint  # noqa: E402

N = 3


@pytest.fixture(scope="module")
def problem():
    return recommendation_problem(n_products=N, n_customers=12)


def network(problem, bias):
    """An actor whose action is about ``bias`` (tiny initial weights, this output bias)."""
    env = RecommendationEnv(problem)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        net = ActorCritic(env.observation_space.shape[0], ActionSpec("continuous", (), N), (8,))
    with torch.no_grad():
        net.actor[-1].bias.copy_(torch.tensor(bias, dtype=torch.float32))
    return net


def saved(folder, problem, control, bias):
    """A checkpoint of ``control`` on ``problem`` whose action is about ``bias``."""
    return save_checkpoint(
        folder,
        network(problem, bias),
        obs_rms=None,
        layout=None,
        mapping=None,
        fingerprint=fingerprint(problem, control),
        config={},
        step=0,
    )


@pytest.fixture
def halves(problem, tmp_path):
    inventory = saved(tmp_path / "im", problem, "inventory", [0.5, -0.5, 0.0])
    recommendation = saved(tmp_path / "rs", problem, "recommendation", [0.9, -0.9, 0.2])
    return inventory, recommendation


def test_the_joint_action_is_the_im_orders_then_the_rs_scores(problem, halves):
    naive = NaiveJointPolicy.load(*halves, problem)
    assert naive.control == "joint"
    obs, _ = RecommendationEnv(problem, control="joint").reset(seed=3)
    action = naive.act(obs)
    assert action.shape == (2 * N,) and action.dtype == np.float32
    np.testing.assert_array_equal(action[:N], naive.inventory.act(obs))
    np.testing.assert_array_equal(action[N:], naive.recommendation.act(obs))
    np.testing.assert_allclose(action, [0.5, -0.5, 0.0, 0.9, -0.9, 0.2], atol=0.05)


def test_in_the_joint_env_it_orders_as_im_only_and_recommends_as_rs_only(problem, halves):
    """Period 0 starts from the same state in every environment of one seed: Naive IM-RS
    places the IM-Only policy's orders (in IM-Only's own environment) and puts the RS-Only
    policy's intensities in force (in RS-Only's)."""
    naive = NaiveJointPolicy.load(*halves, problem)
    envs = {c: RecommendationEnv(problem, control=c) for c in ("joint", "inventory", "recommendation")}  # fmt: skip
    policies = {
        "joint": naive,
        "inventory": naive.inventory,
        "recommendation": naive.recommendation,
    }
    for control, env in envs.items():
        obs, _ = env.reset(seed=7)
        env.step(policies[control].act(obs))
    joint = envs["joint"].model
    np.testing.assert_array_equal(joint.orders, envs["inventory"].model.orders)
    np.testing.assert_array_equal(joint.intensities, envs["recommendation"].model.intensities)
    # and they are the halves' actions, not the environments' random ones
    assert (
        joint.orders.tolist()
        == np.round((np.array([0.5, -0.5, 0.0]) + 1) / 2 * 3.0 * envs["joint"].scale).tolist()
    )
    scores = np.exp(3.0 * naive.recommendation.act(obs).astype(np.float64))
    np.testing.assert_allclose(joint.intensities, spread(problem, scores, 1.0), rtol=1e-12)


def test_a_swapped_pair_or_another_instance_is_refused_in_one_line(problem, halves, tmp_path):
    inventory, recommendation = halves
    with pytest.raises(CheckpointError, match=r"control 'inventory' on this instance") as e:
        NaiveJointPolicy.load(recommendation, inventory, problem)
    assert "recommendation/recommendation/" in str(e.value) and "\n" not in str(e.value)
    other = recommendation_problem(n_products=N, n_customers=12, seed=1)
    with pytest.raises(CheckpointError, match="trained on 'recommendation/inventory/"):
        NaiveJointPolicy.load(inventory, recommendation, other)
    untagged = save_checkpoint(
        tmp_path / "old", network(problem, [0, 0, 0]), obs_rms=None, layout=None,
        mapping=None, fingerprint=None, config={}, step=0,
    )  # fmt: skip
    with pytest.raises(CheckpointError, match="trained on None"):
        RecommendationPolicy.load(untagged, problem, "inventory")


def test_halves_must_play_their_own_roles(problem):
    im = RecommendationPolicy(network(problem, [0, 0, 0]), "inventory")
    rs = RecommendationPolicy(network(problem, [0, 0, 0]), "recommendation")
    with pytest.raises(ValueError, match=r"^NaiveJointPolicy.inventory: must be a policy with"):
        NaiveJointPolicy(rs, im)
    with pytest.raises(ValueError, match=r"^control: must be one of"):
        RecommendationPolicy(network(problem, [0, 0, 0]), "orders")
