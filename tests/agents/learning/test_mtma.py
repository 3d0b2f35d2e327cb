"""The multi-timescale learner (MTMA) on the §VI firm's team of two: the team environment
is the model, to the bit; the schedule's slow agent takes smaller and rarer steps; a short
run beats a random team."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from agents.learning.multi import MultiConfig, MultiPPO  # noqa: E402
from scenarios.recommendation import recommendation_problem  # noqa: E402
from sim.recommendation import RecommendationModel  # noqa: E402
from sim.recommendation_env import RecommendationActions, RecommendationTeamEnv  # noqa: E402

PROBLEM = recommendation_problem(n_products=3, n_customers=20)


def _config(**fields) -> MultiConfig:
    base = {"total_steps": 256, "num_envs": 4, "rollout_steps": 8, "update_epochs": 2}
    return MultiConfig(**{**base, **fields})


@pytest.mark.parametrize(
    "actions", [None, RecommendationActions("cover", "targeting")], ids=["paper", "residual"]
)
def test_the_team_environment_plays_the_model_to_the_bit(actions):
    env = RecommendationTeamEnv(PROBLEM, 3, periods=6, actions=actions)

    def play(model, orders, scores):  # one period by hand: intensities first, then orders
        model.set_intensities(env.single.intensities(scores))
        return model.advance(env.single.orders(model, orders))

    rng = np.random.default_rng(4)
    env.reset(seed=10)
    models = [RecommendationModel(PROBLEM, seed=10 + k) for k in range(3)]
    while not env.done:
        assert env.agent == "inventory"
        orders = rng.uniform(-1, 1, (3, 3))
        assert env.step(orders) is None and env.agent == "recommendation"
        scores = rng.uniform(-1, 1, (3, 3))
        rewards = env.step(scores)
        expected = [play(m, o, s) for m, o, s in zip(models, orders, scores, strict=True)]
        assert rewards.shape == (2, 3)
        assert rewards[0].tolist() == expected and rewards[1].tolist() == expected
        want = np.stack([env.single.vector(m) for m in models])
        assert np.array_equal(env.observe("inventory"), want)
        assert np.array_equal(env.observe("recommendation"), env.state())
    assert models[0].period == 6 and env.agent is None
    with pytest.raises(ValueError, match=r"inventory actions: must have shape \(3, 3\)"):
        env.reset(seed=0)
        env.step(np.zeros(3))
    with pytest.raises(ValueError, match="agent: must be one of"):
        env.observe("pricing")


@pytest.mark.parametrize("group_rows", [2048, 45, 1])  # 4 models in one, two, four groups
def test_intensities_set_together_are_those_set_one_by_one(group_rows, monkeypatch):
    monkeypatch.setattr("sim.recommendation._TABLE_ROWS", group_rows)
    rng = np.random.default_rng(0)
    together = [RecommendationModel(PROBLEM, seed=k) for k in range(4)]
    alone = [RecommendationModel(PROBLEM, seed=k) for k in range(4)]
    env = RecommendationTeamEnv(PROBLEM, 1)
    for _ in range(5):
        alphas = [env.single.intensities(rng.uniform(-1, 1, 3)) for _ in range(4)]
        RecommendationModel.set_intensities_of(together, alphas)
        for model, alpha in zip(alone, alphas, strict=True):
            model.set_intensities(alpha)
        q = rng.integers(0, 5, 3).astype(float)
        assert [m.advance(q) for m in together] == [m.advance(q) for m in alone]
        for a, b in zip(together, alone, strict=True):
            assert np.array_equal(a.population._threshold, b.population._threshold)
            assert np.array_equal(a.population._products, b.population._products)
    with pytest.raises(ValueError, match="MyModule: intensities must lie in"):
        RecommendationModel.set_intensities_of(together[:1], [-alphas[0]], "MyModule")


def test_the_slow_agent_updates_every_nth_rollout_with_its_own_learning_rate():
    config = _config(
        total_steps=4 * 4 * 8, lr_scale={"recommendation": 0.25}, update_every={"recommendation": 2}
    )
    learner = MultiPPO(RecommendationTeamEnv(PROBLEM, 4, periods=10), config)
    slow, fast = (learner.optimizers[id(learner.nets[a])] for a in ("recommendation", "inventory"))
    assert slow.param_groups[0]["lr"] == 0.25 * fast.param_groups[0]["lr"]

    def weights(agent: str) -> list[torch.Tensor]:
        return [p.detach().clone() for p in learner.nets[agent].parameters()]

    moved = {"inventory": [], "recommendation": []}
    for _ in range(4):
        before = {a: weights(a) for a in moved}
        learner.iterate()
        for a in moved:
            moved[a].append(
                not all(torch.equal(x, y) for x, y in zip(before[a], weights(a), strict=True))
            )
    assert moved == {"inventory": [True] * 4, "recommendation": [True, False, True, False]}


def test_bad_schedules_are_one_line_errors():
    env = RecommendationTeamEnv(PROBLEM, 4)
    with pytest.raises(ValueError, match=r"update_every\['recommendation'\]: must be a whole"):
        _config(update_every={"recommendation": 0})
    with pytest.raises(ValueError, match=r"lr_scale\['inventory'\]: must be a number > 0"):
        _config(lr_scale={"inventory": float("nan")})
    with pytest.raises(ValueError, match="needs one network per agent"):
        _config(lr_scale={"inventory": 0.5}, share=True)
    with pytest.raises(ValueError, match=r"no agents \['pricing'\]"):
        MultiPPO(env, _config(update_every={"pricing": 2}))
    with pytest.raises(ValueError, match="at least one agent must update every rollout"):
        MultiPPO(env, _config(update_every={"inventory": 2, "recommendation": 3}))


def test_a_short_mtma_run_beats_a_random_team():
    env = RecommendationTeamEnv(PROBLEM, 8, periods=20)
    config = _config(
        total_steps=12_800, num_envs=8, rollout_steps=20, lr=1e-3,
        lr_scale={"recommendation": 0.3}, update_every={"recommendation": 2},
    )  # fmt: skip
    learner = MultiPPO(env, config).learn()
    rng = np.random.default_rng(0)

    def profit(act) -> float:
        env.reset(seed=10**6)
        total = 0.0
        while not env.done:
            agent = env.agent
            rewards = env.step(act(agent, env.observe(agent)))
            total += 0.0 if rewards is None else float(rewards[0].sum())
        return total

    def greedy(agent, obs):
        with torch.no_grad():
            return learner.actor(agent).mode(torch.as_tensor(obs)).numpy()

    random = profit(lambda agent, obs: rng.uniform(-1, 1, (8, 3)))
    trained = profit(greedy)
    assert trained > random + 0.2 * abs(random), (trained, random)


def test_the_joint_vector_env_is_the_team_env_with_one_learner_and_autoresets():
    from sim.recommendation_env import JointTeamVectorEnv

    joint = JointTeamVectorEnv(RecommendationTeamEnv(PROBLEM, 2, periods=3))
    team = RecommendationTeamEnv(PROBLEM, 2, periods=3)
    obs, _ = joint.reset(seed=5)
    team.reset(seed=5)
    rng = np.random.default_rng(1)
    for period in range(3):
        a = rng.uniform(-1, 1, (2, 6))
        obs, reward, terminated, truncated, _ = joint.step(a)
        team.step(a[:, :3])
        assert reward.tolist() == team.step(a[:, 3:])[0].tolist()
        assert np.array_equal(obs, team.state()) and not terminated.any()
        assert truncated.tolist() == [period == 2] * 2
    obs, reward, _, truncated, _ = joint.step(np.zeros((2, 6)))  # NEXT_STEP: a fresh episode
    team.reset(seed=7)  # the seed after the first episode's two copies
    assert reward.tolist() == [0.0, 0.0] and not truncated.any()
    assert np.array_equal(obs, team.state())


def test_the_mtma_benchmark_table_is_its_runs_and_resumes(tmp_path, monkeypatch):
    import json

    import benchmarks.recommendation_mtma as bench

    monkeypatch.setattr(bench, "SIZES", {"small": (3, 20)})
    monkeypatch.setattr(bench, "EVAL_EPISODES", 1)
    args = ["--sizes", "small", "--seeds", "0,1", "--steps", "800", "--out", str(tmp_path)]
    bench.main(args)
    runs = {
        (r["method"], r["seed"]): r
        for r in (json.loads(p.read_text()) for p in (tmp_path / "runs").glob("*.json"))
    }
    assert len(runs) == 6 and all(len(r["episode_profits"]) == 16 for r in runs.values())
    table = pd.read_csv(tmp_path / "mtma.csv").set_index("method")
    for method in bench.METHODS:
        finals = [np.mean(runs[method, s]["episode_profits"]) for s in (0, 1)]
        assert table.loc[method, "final_profit"] == pytest.approx(np.mean(finals), rel=1e-12)
        assert table.loc[method, "across_seed_std"] == pytest.approx(np.std(finals, ddof=1))
        if method != "mtma":
            mtma = [np.mean(runs["mtma", s]["episode_profits"]) for s in (0, 1)]
            want = np.mean(np.subtract(mtma, finals))
            assert table.loc[method, "mtma_minus_this"] == pytest.approx(want, rel=1e-12)
    assert (tmp_path / "mtma.png").stat().st_size > 0
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "runs").glob("*.json")}
    bench.main(args)  # every run is found: nothing is trained again
    assert stamps == {p: p.stat().st_mtime_ns for p in (tmp_path / "runs").glob("*.json")}
