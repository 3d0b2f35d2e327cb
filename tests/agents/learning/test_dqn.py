"""DQN: the TD target by hand (plain and Double), determinism, that it learns, and that
its checkpoints act through TorchPolicy and resume through the trainer."""

from __future__ import annotations

import csv
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("gymnasium")

from agents.learning import TorchPolicy, train  # noqa: E402
from agents.learning.dqn import DQN, LOSSES, DQNConfig, td_update  # noqa: E402


def _config(**fields) -> DQNConfig:
    base = {"num_envs": 8, "rollout_steps": 4, "learning_starts": 64, "minibatch_size": 16}
    return DQNConfig(**{"total_steps": 8 * 4 * 4, **base, **fields})


def _params(learner: DQN) -> list[torch.Tensor]:
    return [p.detach().clone() for p in learner.policy.actor.parameters()]


@pytest.mark.parametrize("double", [False, True])
def test_td_target_matches_a_hand_computation(double):
    # Two actions; the online network prefers action 0 in s', the target network action 1.
    q, target = torch.nn.Linear(1, 2), torch.nn.Linear(1, 2)
    with torch.no_grad():
        q.weight.copy_(torch.tensor([[1.0], [0.5]]))
        q.bias.zero_()
        target.weight.copy_(torch.tensor([[2.0], [3.0]]))
        target.bias.zero_()
    obs, next_obs = torch.tensor([[1.0], [1.0]]), torch.tensor([[1.0], [1.0]])
    actions, rewards = torch.tensor([0, 1]), torch.tensor([-10.0, -20.0])
    terminations = torch.tensor([0.0, 1.0])
    optimizer = torch.optim.SGD(q.parameters(), lr=0.0)
    loss, q_mean = td_update(
        q,
        target,
        optimizer,
        (obs, actions, rewards, next_obs, terminations),
        gamma=0.9,
        reward_scale=0.1,
        double=double,
        max_grad_norm=1.0,
    )
    next_value = 2.0 if double else 3.0  # target's value of online's argmax, or its own max
    y = [0.1 * -10.0 + 0.9 * next_value, 0.1 * -20.0]  # the second one terminated
    assert loss == pytest.approx(((1.0 - y[0]) ** 2 + (0.5 - y[1]) ** 2) / 2)
    assert q_mean == pytest.approx(0.75)


def test_config_checks_name_the_field(lost_sales_env):
    with pytest.raises(ValueError, match=r"DQNConfig\.tau: must be in \(0, 1\], got 0"):
        _config(tau=0)
    with pytest.raises(ValueError, match=r"DQNConfig\.minibatch_size: must be an integer >= 1"):
        _config(minibatch_size=0)
    with pytest.raises(ValueError, match="num_envs: is 4, the environment has 8"):
        DQN(lost_sales_env(8), _config(num_envs=4))
    with pytest.raises(ValueError, match="DQN: needs one discrete action entry"):
        DQN(lost_sales_env(8, kind="continuous"), _config())


def test_exploration_decays_linearly_to_its_floor():
    config = _config(total_steps=1000, start_e=1.0, end_e=0.1, exploration_fraction=0.5)
    assert [config.epsilon(s) for s in (0, 250, 500, 900)] == pytest.approx([1, 0.55, 0.1, 0.1])


def test_same_seed_gives_bit_identical_updates(lost_sales_env):
    runs = []
    for seed in (7, 7, 8):
        learner = DQN(lost_sales_env(8), _config(seed=seed)).learn()
        assert learner.gradient_steps > 0  # the buffer filled: these are real updates
        runs.append(_params(learner))
    assert all(torch.equal(a, b) for a, b in zip(runs[0], runs[1], strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(runs[0], runs[2], strict=True))


def test_learns_lost_sales(lost_sales_env, cost_per_period, base_stock, greedy, capsys):
    """Measured (2-core machine shared with other jobs, 1 thread): 30k steps in 11-15 s;
    deterministic cost 6.45 per period (seeds 2, 3: 7.9, 9.0) against 5.57 for base-stock
    13, 20.4 for a constant order of 5 and ~800 for uniformly random orders."""
    config = DQNConfig(total_steps=30_000, num_envs=16, learning_starts=2000, seed=1)
    tic = time.perf_counter()
    learner = DQN(lost_sales_env(16, periods=100), config).learn()
    seconds = time.perf_counter() - tic
    learned = cost_per_period(greedy(learner.policy))
    rng = np.random.default_rng(0)
    random = cost_per_period(lambda obs, env: rng.integers(0, 21, len(obs)))
    constant = cost_per_period(lambda obs, env: np.full(len(obs), 5))
    best = cost_per_period(base_stock(13))
    with capsys.disabled():
        print(
            f"\nDQN lost-sales: {learner.step} steps in {seconds:.0f} s; cost/period learned "
            f"{learned:.2f}, base-stock 13 {best:.2f}, constant 5 {constant:.2f}, random {random:.0f}"
        )
    assert learned < 0.6 * constant
    assert learned < 0.05 * random
    assert learned > best - 0.3  # nothing beats the near-optimal base-stock by much


def test_trainer_checkpoints_act_as_argmax_q_and_resume(lost_sales_env, tmp_path):
    batch = 8 * 4
    train(lost_sales_env(8), _config(total_steps=2 * batch), tmp_path, progress=False)
    learner = train(lost_sales_env(8), _config(total_steps=4 * batch), tmp_path, progress=False)
    assert learner.step == 4 * batch and learner.updates == 4
    with open(tmp_path / "learning_curve.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["step"]) for r in rows] == [batch, 2 * batch, 3 * batch, 4 * batch]
    assert list(rows[0])[-3:] == list(LOSSES)
    assert (tmp_path / "learning_curve.png").read_bytes()[:4] == b"\x89PNG"
    policy = TorchPolicy.load(tmp_path)
    obs, _ = lost_sales_env(8).reset(seed=3)
    with torch.no_grad():
        argmax_q = learner.policy.actor(torch.as_tensor(obs)).argmax(-1).numpy()
    np.testing.assert_array_equal(policy._actions(obs)[:, 0], argmax_q)


def test_a_retailer_among_sterman_players_learns_the_networks_cost():
    # Table II item 1 in short: the beer game's retailer learns the whole network's cost
    # (alpha=0) among three Sterman players as declared, choosing order-up-to levels.
    from agents.learning.multi import team_cost
    from agents.learning.policy import greedy_actions
    from scenarios import resolve
    from sim.env import InventoryVectorEnv
    from sim.multi import TeamVectorEnv

    scenario = resolve("beer_game")  # the board's demand: 4, then 8 from week 5
    env = InventoryVectorEnv.from_scenario(
        scenario, "retailer", 16, periods=52, action="position", alpha=0.0
    )
    config = DQNConfig(
        total_steps=60_000, num_envs=16, seed=0, reward_scale=0.0005, lr=2e-4,
        gradient_steps=1, end_e=0.01, exploration_fraction=0.3,
    )  # fmt: skip
    learner = DQN(env, config).learn()
    judge = TeamVectorEnv.from_scenario(
        scenario, ["retailer"], 16, periods=52, action=env.mapping, alpha=0.0
    )
    rng = np.random.default_rng(0)
    random = team_cost(judge, lambda a, o: rng.integers(0, env.mapping.n, (len(o), 1)), seed=9)
    learned = team_cost(
        judge,
        lambda a, o: greedy_actions(learner.policy, None, o).reshape(len(o), 1),
        seed=9,
    )
    assert learned < random / 2, (learned, random)  # measured 21.5 against 48.1
