"""PPO: GAE by hand, normalisers, determinism, action spaces, and that it learns."""

from __future__ import annotations

import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")
gym = pytest.importorskip("gymnasium")

from agents.learning.ppo import (  # noqa: E402
    PPO,
    ActionSpec,
    ActorCritic,
    PPOConfig,
    RunningMeanStd,
    compute_gae,
)


def test_gae_matches_a_hand_computation_with_truncation_and_autoreset():
    # One copy, 4 steps: step 1 truncates (bootstraps from values[2], the final
    # observation's value), step 2 is the autoreset (invalid), step 3 terminates.
    gamma, lam = 0.9, 0.5
    rewards = torch.tensor([[1.0], [2.0], [0.0], [4.0]])
    values = torch.tensor([[10.0], [20.0], [30.0], [40.0]])
    terminations = torch.tensor([[0.0], [0.0], [0.0], [1.0]])
    dones = torch.tensor([[0.0], [1.0], [0.0], [1.0]])
    last = torch.tensor([50.0])
    adv, ret = compute_gae(rewards, values, terminations, dones, last, gamma, lam)
    d3 = 4.0 - 40.0  # terminated: no bootstrap
    d2 = 0.0 + gamma * 40.0 - 30.0
    d1 = 2.0 + gamma * 30.0 - 20.0  # truncated: bootstrap from the final observation
    d0 = 1.0 + gamma * 20.0 - 10.0
    a3, a2, a1 = d3, d2 + gamma * lam * d3, d1  # the chain stops after a done step
    a0 = d0 + gamma * lam * a1
    assert adv[:, 0].tolist() == pytest.approx([a0, a1, a2, a3])
    assert ret[:, 0].tolist() == pytest.approx([a0 + 10, a1 + 20, a2 + 30, a3 + 40])


def test_running_mean_std_equals_the_statistics_of_all_batches():
    rng = np.random.default_rng(0)
    batches = [rng.normal(3, 2, (n, 2)) for n in (5, 17, 1, 40)]
    rms = RunningMeanStd.zeros((2,))
    for b in batches:
        rms.update(b)
    every = np.concatenate(batches)
    np.testing.assert_allclose(rms.mean, every.mean(0), rtol=1e-5)
    np.testing.assert_allclose(rms.var, every.var(0), rtol=1e-4)
    np.testing.assert_array_equal(RunningMeanStd.from_dict(rms.to_dict()).mean, rms.mean)


@pytest.mark.parametrize(
    ("space", "dim"),
    [
        (gym.spaces.Discrete(4), 1),
        (gym.spaces.MultiDiscrete([3, 5]), 2),
        (gym.spaces.Box(-1, 1, (2,)), 2),
    ],
)
def test_actor_critic_log_probs_match_the_distributions(space, dim):
    torch.manual_seed(0)
    spec = ActionSpec.from_space(space)
    net = ActorCritic(3, spec, (8,))
    obs = torch.randn(6, 3)
    action, logp, value = net.sample(obs)
    assert action.shape == (6, dim) and logp.shape == (6,) and value.shape == (6,)
    logp2, entropy, value2 = net.evaluate(obs, action)
    torch.testing.assert_close(logp, logp2)
    torch.testing.assert_close(value, value2)
    if spec.kind == "discrete":
        # log p(a) = sum over heads of log softmax(logits)[a]
        logits = torch.split(net.actor(obs), spec.nvec, dim=-1)
        by_hand = sum(
            torch.log_softmax(lg, -1).gather(1, action[:, [i]].long())[:, 0]
            for i, lg in enumerate(logits)
        )
        torch.testing.assert_close(logp, by_hand)
        assert spec.to_env(action.numpy()).shape == ((6,) if spec.scalar else (6, dim))
    else:
        assert (np.abs(spec.to_env(3 * action.numpy())) <= 1).all()
    assert (entropy > 0).all()


def test_config_checks_name_the_field():
    with pytest.raises(ValueError, match=r"PPOConfig\.num_envs"):
        PPOConfig(num_envs=0)
    with pytest.raises(ValueError, match=r"PPOConfig\.gamma"):
        PPOConfig(gamma=1.5)
    with pytest.raises(ValueError, match=r"PPOConfig\.device"):
        PPOConfig(device="tpu")
    with pytest.raises(ValueError, match=r"PPOConfig\.init_log_std: must be finite"):
        PPOConfig(init_log_std=float("nan"))


def test_refuses_a_mismatched_env(lost_sales_env):
    with pytest.raises(ValueError, match="num_envs"):
        PPO(lost_sales_env(4), PPOConfig(num_envs=8))
    same_step = gym.make_vec(
        "CartPole-v1",
        num_envs=2,
        vectorization_mode="sync",
        vector_kwargs={"autoreset_mode": "SameStep"},
    )
    with pytest.raises(ValueError, match="NEXT_STEP"):
        PPO(same_step, PPOConfig(num_envs=2))


def _params(learner):
    return [p.detach().clone() for p in learner.policy.parameters()]


def test_same_seed_gives_bit_identical_updates(lost_sales_env):
    config = PPOConfig(num_envs=8, rollout_steps=16, total_steps=8 * 16 * 3, seed=7)
    runs = []
    for seed in (7, 7, 8):
        learner = PPO(lost_sales_env(8), PPOConfig(**{**config.to_dict(), "seed": seed}))
        learner.learn()
        runs.append(_params(learner))
    assert all(torch.equal(a, b) for a, b in zip(runs[0], runs[1], strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(runs[0], runs[2], strict=True))


def test_continuous_actions_train_on_the_stand_in(lost_sales_env):
    learner = PPO(
        lost_sales_env(8, kind="continuous"),
        PPOConfig(num_envs=8, rollout_steps=16, total_steps=256),
    )
    before = _params(learner)
    learner.learn()
    assert learner.step == 256
    assert all(torch.isfinite(p).all() for p in learner.policy.parameters())
    assert not torch.equal(before[-1], learner.policy.log_std.detach())


def test_learns_lost_sales(lost_sales_env, cost_per_period, base_stock, greedy, capsys):
    """Measured (2-core machine shared with other jobs, 1 thread): ~100k steps in 30-40 s;
    deterministic cost ~6.5 per period against 5.57 for base-stock 13, 20.4 for a constant
    order of 5 and ~800 for uniformly random orders (stock piles up)."""
    config = PPOConfig(num_envs=64, rollout_steps=32, total_steps=100_000, lr=1e-3, seed=1)
    tic = time.perf_counter()
    learner = PPO(lost_sales_env(64, periods=100), config).learn()
    seconds = time.perf_counter() - tic
    learned = cost_per_period(greedy(learner.policy, learner.obs_rms))
    rng = np.random.default_rng(0)
    random = cost_per_period(lambda obs, env: rng.integers(0, 21, len(obs)))
    constant = cost_per_period(lambda obs, env: np.full(len(obs), 5))
    best = cost_per_period(base_stock(13))
    with capsys.disabled():
        print(
            f"\nPPO lost-sales: {learner.step} steps in {seconds:.0f} s; cost/period learned {learned:.2f}, "
            f"base-stock 13 {best:.2f}, constant 5 {constant:.2f}, random {random:.0f}"
        )
    assert learned < 0.6 * constant
    assert learned < 0.05 * random
    assert learned > best - 0.3  # nothing beats the near-optimal base-stock by much


def test_cartpole_sanity():
    env = gym.make_vec("CartPole-v1", num_envs=8, vectorization_mode="sync")
    returns = []
    config = PPOConfig(
        num_envs=8, rollout_steps=64, total_steps=8 * 64 * 18, lr=2.5e-3, seed=3, minibatches=2
    )
    PPO(env, config).learn(lambda learner, stats: returns.append(stats.mean_return))
    first, last = np.nanmean(returns[:3]), np.nanmean(returns[-3:])
    assert first < 40  # a random CartPole policy lasts ~22 steps
    assert last > 3 * first


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_is_a_clear_error(lost_sales_env):
    with pytest.raises(ValueError, match="no GPU"):
        PPO(lost_sales_env(2), PPOConfig(num_envs=2, device="cuda"))


def test_init_log_std_sets_the_first_gaussian(lost_sales_env):
    env = lost_sales_env(8, kind="continuous")
    for value in (0.0, -1.5):
        learner = PPO(env, PPOConfig(num_envs=8, init_log_std=value))
        assert torch.equal(learner.policy.log_std.detach(), torch.full((1,), value))
