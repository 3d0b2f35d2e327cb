"""IPPO / MAPPO / HAPPO: a team learns by a clear margin over a random team, the
deployable actors equal the trained networks, HAPPO's sequential update, determinism."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("pettingzoo")

from agents.learning.multi import MultiConfig, MultiPPO, greedy, team_cost  # noqa: E402
from scenarios import resolve  # noqa: E402
from sim.multi import TeamVectorEnv  # noqa: E402

STAGES = ["stage1", "stage2", "stage3", "stage4"]


def _env(copies: int = 8, periods: int = 50, **options) -> TeamVectorEnv:
    return TeamVectorEnv.from_scenario(
        resolve("clark_scarf"), STAGES, copies, periods=periods, alpha=0.0, **options
    )


def _config(**fields) -> MultiConfig:
    base = {"total_steps": 256, "num_envs": 8, "rollout_steps": 8, "update_epochs": 2}
    return MultiConfig(**{**base, **fields})


def test_mappo_team_beats_a_random_team_by_a_clear_margin():
    # All four stages of Chen & Zheng's chain learning on the team's cost (optimum 79.78):
    # a random team orders 8 per period on average against demand 4 and piles up stock.
    learner = MultiPPO(_env(), _config(total_steps=8000, algo="mappo", share=True)).learn()
    rng = np.random.default_rng(0)
    evaluation = _env(periods=100)
    random = team_cost(evaluation, lambda a, obs: rng.integers(0, 17, len(obs)), seed=10**6)
    trained = team_cost(evaluation, greedy(learner), seed=10**6)
    assert random > 8 * 79.78  # the random team: over 8 times the optimum
    assert trained < 0.5 * random, (trained, random)


@pytest.mark.parametrize("algo", ["ippo", "mappo"])
def test_shared_actor_folds_the_agent_id_into_a_plain_actor(algo):
    learner = MultiPPO(_env(), _config(algo=algo, share=True)).learn()
    env = learner.env
    env.reset(seed=3)
    for k, agent in enumerate(learner.agents):
        obs = torch.as_tensor(env.observe(agent))
        eye = torch.eye(4)[k].expand(len(obs), -1)
        x = torch.cat(
            [obs, eye] + ([torch.as_tensor(env.state()), eye] if algo == "mappo" else []), 1
        )
        net, plain = learner.nets[agent], learner.actor(agent)
        assert plain.obs_size == env.layouts[agent].size
        torch.testing.assert_close(plain.actor(obs), net.actor(x), rtol=1e-5, atol=1e-6)


def test_happo_updates_every_actor_in_turn_and_is_deterministic():
    def weights(seed: int) -> list[torch.Tensor]:
        learner = MultiPPO(_env(), _config(algo="happo", seed=seed)).learn()
        return [p.detach().clone() for a in learner.agents for p in learner.nets[a].parameters()]

    first, again, other = weights(0), weights(0), weights(1)
    assert all(torch.equal(x, y) for x, y in zip(first, again, strict=True))
    assert not all(torch.equal(x, y) for x, y in zip(first, other, strict=True))
    untrained = MultiPPO(_env(), _config(algo="happo", seed=0))
    fresh = [p for a in untrained.agents for p in untrained.nets[a].actor.parameters()]
    trained = MultiPPO(_env(), _config(algo="happo", seed=0)).learn()
    moved = [p for a in trained.agents for p in trained.nets[a].actor.parameters()]
    assert all(not torch.equal(x, y) for x, y in zip(fresh, moved, strict=True))


def test_centralised_critics_read_the_global_state():
    learner = MultiPPO(_env(), _config(algo="mappo"))
    size = learner.env.layouts["stage1"].size
    net = learner.nets["stage1"]
    assert net.obs_size == size + learner.env.team.state_size
    assert net.critic[0].lo == size  # the critic's columns: the state, not the observation


def test_bad_configurations_are_one_line_errors():
    with pytest.raises(ValueError, match="HAPPO's agents are heterogeneous"):
        _config(algo="happo", share=True)
    with pytest.raises(ValueError, match="algo: must be one of"):
        _config(algo="qmix")
    with pytest.raises(ValueError, match="num_envs: is 4, the environment has 8"):
        MultiPPO(_env(), _config(num_envs=4))
    with pytest.raises(ValueError, match="global_state=False"):
        MultiPPO(_env(global_state=True), _config())


def test_a_team_started_at_tuned_levels_plays_them_until_it_learns():
    from agents.learning.multi import heuristic_start
    from sim.spaces import ActionMapping

    echelon = ActionMapping("discrete", 0, 50, target="echelon_position")
    scenario = resolve("clark_scarf")
    modules = scenario.policies(scenario.network())  # echelon base stock, Chen & Zheng's
    levels = {"stage1": 13, "stage2": 22, "stage3": 31, "stage4": 39}
    starts = heuristic_start(_env(action=echelon), {a: modules[a] for a in STAGES})
    assert starts == {a: [float(v)] for a, v in levels.items()}
    learner = MultiPPO(_env(action=echelon), _config(algo="mappo", start_actions=starts))
    judge = _env(periods=100, action=echelon)
    started = team_cost(judge, greedy(learner), seed=7, warmup=50)
    constant = team_cost(judge, lambda a, obs: np.full(len(obs), levels[a]), seed=7, warmup=50)
    assert started == constant  # the optimal echelon base-stock team, to the bit
    assert abs(constant / 79.78 - 1) < 0.1  # after the empty start's transient
    # ... and still explores around them: about 0.46 on the level, 0.17 on each neighbour
    judge.reset(seed=7)
    obs = torch.as_tensor(judge.observe("stage1"))
    x = torch.cat([obs, torch.as_tensor(judge.state())], 1)
    with torch.no_grad():
        p = torch.softmax(learner.nets["stage1"].actor(x), -1).mean(0).tolist()
    assert p[13] == pytest.approx(0.46, abs=0.02) and p[12] == pytest.approx(0.17, abs=0.02)
    # a Gaussian policy's mean starts at the action
    continuous = ActionMapping("continuous", 0, 50, target="echelon_position")
    learner = MultiPPO(
        _env(action=continuous),
        _config(start_actions={a: continuous.action_of(v).tolist() for a, v in levels.items()}),
    )
    judge = _env(periods=100, action=continuous)
    gaussian = team_cost(judge, greedy(learner), seed=7, warmup=50)
    middle = team_cost(
        judge, greedy(MultiPPO(_env(action=continuous), _config())), seed=7, warmup=50
    )
    assert gaussian == pytest.approx(constant, rel=0.02)  # levels within a unit or two
    assert middle > 2 * constant  # unstarted: level 25 at every stage
    with pytest.raises(ValueError, match=r"start_actions\['stage1'\]: .*51 outside 0\.\.50"):
        MultiPPO(_env(action=echelon), _config(start_actions={"stage1": [51]}))
    with pytest.raises(ValueError, match=r"start_actions: no agents \['stage9'\]"):
        MultiPPO(_env(action=echelon), _config(start_actions={"stage9": [1]}))
    with pytest.raises(ValueError, match="start_actions: needs one network per agent"):
        _config(share=True, start_actions={"stage1": [13]})
    with pytest.raises(ValueError, match="'stage1': its action form 'quantity' has no constant"):
        heuristic_start(_env(), {"stage1": modules["stage1"]})
    with pytest.raises(ValueError, match=r"'stage4': .*39 is outside \[0, 30\]"):
        narrow = ActionMapping("discrete", 0, 30, target="echelon_position")
        heuristic_start(_env(action=narrow), {"stage4": modules["stage4"]})


def test_train_command_writes_a_curve_and_single_agent_checkpoints(tmp_path):
    from agents.learning.policy import TorchPolicy
    from analysis.cli import main

    out = tmp_path / "team"
    command = ["train", "clark_scarf", "--learners", "stage1,stage2", "--algo", "mappo"]
    command += ["--steps", "256", "--num-envs", "8", "--episode-periods", "10", "--out", str(out)]
    assert main(command) == 0  # in this process: the command as the shell runs it
    assert (out / "learning_curve.csv").read_text().startswith("step,wall_seconds,mean_reward")
    policy = TorchPolicy.load(out / "stage2")
    assert (
        policy.layout
        == TeamVectorEnv.from_scenario(resolve("clark_scarf"), ["stage1", "stage2"], 1).layouts[
            "stage2"
        ]
    )
    # Interrupted or not, the same command with more steps resumes from the last checkpoint.
    assert main([*command, "--steps", "512"]) == 0  # the last --steps counts
    steps = [line.split(",")[0] for line in (out / "learning_curve.csv").read_text().split()[1:]]
    assert steps == ["256", "512"]  # one update of 8 copies x 32 periods each
    assert (out / "stage1" / "checkpoints" / "latest").read_text().strip() == "step_512"


@pytest.mark.parametrize("algo", ["mappo", "happo"])
def test_critic_warmup_updates_only_the_critics_first(algo):
    learner = MultiPPO(_env(), _config(total_steps=4 * 64, algo=algo, critic_warmup=2))

    def parameters(part: str) -> list[torch.Tensor]:
        nets = [learner.nets[a] for a in learner.agents]
        return [p.detach().clone() for n in nets for p in getattr(n, part).parameters()]

    actors, critics = parameters("actor"), parameters("critic")
    for _ in range(2):
        learner.iterate()
    assert all(torch.equal(x, y) for x, y in zip(actors, parameters("actor"), strict=True))
    assert not any(torch.equal(x, y) for x, y in zip(critics, parameters("critic"), strict=True))
    learner.iterate()  # the third update moves the actors too
    assert not any(torch.equal(x, y) for x, y in zip(actors, parameters("actor"), strict=True))
    with pytest.raises(ValueError, match="critic_warmup: must be an integer >= 0, got -1"):
        _config(critic_warmup=-1)


def test_train_command_starts_a_team_at_the_scenarios_policies(tmp_path, capsys):
    from agents.learning.policy import TorchPolicy
    from analysis.cli import main

    out = tmp_path / "team"
    command = ["train", "clark_scarf", "--learners", ",".join(STAGES), "--algo", "mappo"]
    command += ["--steps", "256", "--num-envs", "8", "--out", str(out), "--start-at-policies"]
    assert main([*command, "--actions", "echelon-level", "--critic-warmup", "0"]) == 0
    # one update of 256 steps moves the policy little: its greedy levels are still 13/22/31/39
    policy = TorchPolicy.load(out / "stage3")
    with torch.no_grad():
        level = policy.network.mode(torch.zeros(1, policy.layout.size)).item()
    assert level == 31.0
    assert main(command) == 2  # quantities: no constant action plays echelon base stock
    assert "'stage1': its action form 'quantity' has no constant action" in capsys.readouterr().err
    assert main([*command[:5], "ppo", *command[6:]]) == 2
    assert "--start-at-policies: for a team" in capsys.readouterr().err
    assert main([*command[:-1], "--critic-warmup", "5"]) == 2
    assert "--critic-warmup: goes with --start-at-policies" in capsys.readouterr().err
    assert main([*command, "--actions", "echelon-level", "--action-step", "0.7"]) == 2
    err = capsys.readouterr().err
    assert "--action-step, learner 'stage1': ActionMapping.step: 0.7 does not divide [0, 24]" in err
    assert main([*command[:5], "ppo", *command[6:-1], "--action-step", "0.5"]) == 2
    assert (
        "--action-step: for a team (--algo ippo, mappo or happo), not ppo"
        in capsys.readouterr().err
    )


def test_train_command_puts_a_team_on_a_finer_action_grid(tmp_path):
    from agents.learning.policy import TorchPolicy
    from analysis.cli import main

    out = tmp_path / "half"
    tbs = (
        "agents.shop.policy={kind='tailored_base_surge', regular_quantity=4.5, "
        "expedited_level=8, expedited_lead_time=1, regular_supplier='regular', "
        "expedited_supplier='express'}"
    )
    command = ["train", "dual_sourcing", "--learners", "shop", "--algo", "mappo", "--set", tbs]
    command += ["--steps", "256", "--num-envs", "8", "--out", str(out), "--start-at-policies"]
    command += ["--actions", "base-surge", "--critic-warmup", "1", "--action-step", "0.5"]
    assert main(command) == 0
    policy = TorchPolicy.load(out / "shop")
    assert policy.mapping.step == 0.5 and policy.mapping.nvec == (41, 41)
    with torch.no_grad():
        start = policy.network.mode(torch.zeros(1, policy.layout.size))
    assert start.tolist() == [[9, 16]]  # regular 4.5, expedited level 8: critic-only update


def test_train_team_resumes_where_it_stopped(tmp_path):
    from agents.learning import CheckpointError
    from agents.learning.multi import train_team

    def run(folder, updates, **fields):
        config = _config(total_steps=updates * 64, algo="mappo", **fields)
        return train_team(_env(), config, folder, progress=False, checkpoint_every=1)

    run(tmp_path / "resumed", 2)
    resumed = run(tmp_path / "resumed", 4)
    straight = run(tmp_path / "straight", 4)
    assert resumed.step == straight.step == 256 and resumed.updates == 4

    def curve(folder):
        return [line.split(",") for line in (folder / "learning_curve.csv").read_text().split()]

    rows = curve(tmp_path / "resumed")
    assert [r[0] for r in rows[1:]] == ["64", "128", "192", "256"]
    # Up to the interruption, the resumed run is the straight one.
    assert [r[2] for r in rows[1:3]] == [r[2] for r in curve(tmp_path / "straight")[1:3]]
    assert (tmp_path / "resumed" / "checkpoints" / "latest").read_text().strip() == "step_256"
    with pytest.raises(CheckpointError, match=r"lr=0\.001 \(now 0\.0003\)"):
        run(tmp_path / "resumed", 5, lr=3e-4)


def test_evaluate_command_plays_a_team_of_checkpoints_on_common_random_numbers(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    import pandas as pd

    from agents.learning.multi import train_team

    env = TeamVectorEnv.from_scenario(resolve("clark_scarf"), ["stage1", "stage2"], 8, periods=10)
    train_team(env, _config(total_steps=64), tmp_path / "team", progress=False)
    root = Path(__file__).resolve().parents[3]
    command = [sys.executable, "-m", "analysis.cli", "evaluate", "clark_scarf"]
    command += ["--checkpoint", f"stage1={tmp_path / 'team' / 'stage1'}"]
    command += ["--checkpoint", f"stage2={tmp_path / 'team' / 'stage2'}"]
    command += ["--against", "stage1=base_stock(level=13);stage2=base_stock(level=9)"]
    command += ["--replications", "2", "--periods", "60", "--warmup", "10", "--workers", "1"]
    command += ["--out", str(tmp_path / "eval")]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    table = pd.read_parquet(tmp_path / "eval" / "results.parquet")
    sets = list(table["policies"].unique())
    team = [s for s in sets if "stage1=checkpoint:" in s and "stage2=checkpoint:" in s]
    assert len(sets) == 3 and len(team) == 1, sets  # declared, the team, the base-stock pair
    cost = table[table["node"] == "network"].pivot(
        index="replication", columns="policies", values="cost_per_period"
    )
    # Common random numbers: installation base-stock 13/9 under echelon levels 31/39 is the
    # declared echelon 13/22 (Axsaeter & Rosling), so on the same demands it costs the same
    # to the cent, replication by replication.
    pair = next(s for s in sets if s.startswith("stage1=base_stock"))
    assert cost[pair].tolist() == cost["as declared"].tolist()
    assert cost[team[0]].notna().all() and len(cost) == 2
    twice = subprocess.run(
        [*command[:5], "--checkpoint", f"stage1={tmp_path}", "--checkpoint", f"stage1={tmp_path}"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert twice.returncode == 2 and "given twice" in twice.stderr.strip().splitlines()[-1]


def test_train_command_trains_selfplay_firms_on_the_event_engine(tmp_path):
    # a scenario with a [market]: its firms learn price and quantity for profit on copies
    # of the event engine (the vectorized TeamVectorEnv has no market and refuses it)
    from agents.learning.policy import TorchPolicy
    from analysis.cli import main
    from sim import SupplyChainModel
    from sim.policy import Priced

    scenario = resolve("pricing_selfplay")
    with pytest.raises(ValueError, match=r"\[market\] needs the event engine"):
        TeamVectorEnv.from_scenario(scenario, ["firm1", "firm2"], 2)
    out = tmp_path / "selfplay"
    command = ["train", "pricing_selfplay", "--learners", "firm1,firm2", "--algo", "ippo"]
    command += ["--steps", "64", "--num-envs", "2", "--episode-periods", "10", "--out", str(out)]
    assert main(command) == 0
    firms = {f: TorchPolicy.load(out / f) for f in ("firm1", "firm2")}
    assert "competitor_prices[0]" in firms["firm1"].layout.names
    graph = scenario.network()
    model = SupplyChainModel(
        graph, firms, seed=1, market=scenario.market(graph), **scenario.options
    )
    model.run(5)
    assert model.results().price.between(1, 50).all()
    i = model.sku_index["firm2", model.products[0]]
    assert isinstance(firms["firm2"].act(model.observe(i, model.period)), Priced)


def test_a_learner_starts_at_tailored_base_surge_on_its_mappings_grid():
    import dataclasses

    from agents import TailoredBaseSurge
    from agents.learning.multi import heuristic_start

    scenario = resolve("dual_sourcing")  # regular lead time 4, express 1

    def env(step: float, periods: int = 50) -> TeamVectorEnv:
        surge = TeamVectorEnv.from_scenario(scenario, ["shop"], 8, action="base_surge")
        mapping = dataclasses.replace(surge.mappings["shop"], step=step)
        return TeamVectorEnv.from_scenario(
            scenario, ["shop"], 8, periods=periods, alpha=0.0, action=mapping
        )

    tbs = TailoredBaseSurge(
        regular_quantity=4.5,
        expedited_level=8,
        expedited_lead_time=1,
        regular_supplier="regular",
        expedited_supplier="express",
    )
    assert heuristic_start(env(1.0), {"shop": tbs}) == {"shop": [4.0, 8.0]}  # nearest whole
    starts = heuristic_start(env(0.5), {"shop": tbs})
    assert starts == {"shop": [9.0, 16.0]}  # 4.5 and 8 on the half-unit grid
    learner = MultiPPO(env(0.5), _config(start_actions=starts))
    judge = env(0.5, periods=100)
    started = team_cost(judge, greedy(learner), seed=7, warmup=50)
    tbs_team = team_cost(judge, lambda a, obs: np.tile([9, 16], (len(obs), 1)), seed=7, warmup=50)
    whole = team_cost(judge, lambda a, obs: np.tile([8, 16], (len(obs), 1)), seed=7, warmup=50)
    assert started == tbs_team != whole  # tailored base-surge with 4.5, to the bit
