"""``benchmarks/rl_table2.py`` (Table II item 6): its table is its runs' results, its figure
their learning curves, and a second run skips what is done."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import agents
from scenarios import resolve

pytest.importorskip("torch")


def _script():
    path = Path(__file__).parents[2] / "benchmarks" / "rl_table2.py"
    spec = importlib.util.spec_from_file_location("rl_table2", path)
    script = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = script  # its dataclass looks its module up
    spec.loader.exec_module(script)
    return script


@pytest.mark.parametrize(
    ("case", "actions", "algo"),
    [
        ("chen_zheng", "echelon_position", "mappo"),
        ("owmr", "position", "mappo"),
        ("serial_jump_fixed_cost", "quantity", "mappo"),
        ("two_per_echelon", "quantity", "mappo"),  # two suppliers each; two more references
        ("beer_poisson_wholesaler", "position", "dqn"),  # one learner, Sterman teammates
        ("owmr_dual_products", "mixed", "mappo"),  # stock points of two products
    ],
)
def test_table_and_figure_are_the_runs_and_a_rerun_skips_them(
    case, actions, algo, tmp_path, monkeypatch, capsys
):
    script = _script()
    settings = {
        "eval": {"copies": 4, "periods": 60, "warmup": 10, "seed": 5},
        "validation": {"copies": 2, "periods": 40, "warmup": 10, "seed": 7},
        "tuning": {"replications": 2, "periods": 60, "max_evaluations": 6},
    }
    monkeypatch.setitem(
        script.CASES, case, dataclasses.replace(script.CASES[case], settings=settings)
    )
    args = ["--case", case, "--actions", actions, "--algos", algo, "--seeds", "0"]
    args += ["--steps", "1024", "--copies", "8", "--periods", "16", "--out", str(tmp_path)]
    script.main(args)
    results = [json.loads(p.read_text()) for p in sorted(tmp_path.glob("*/result.json"))]
    assert [(r["algo"], r["seed"], len(r["costs"])) for r in results] == [(algo, 0, 4)]
    table = (tmp_path / "table.md").read_text()
    rows = [line for line in table.splitlines() if "| 1,024 |" in line]
    the_case = script.CASES[case]
    for r, row in zip(results, rows, strict=True):
        assert f"| {np.mean(r['costs']):.2f} ±" in row
        validation = {int(k): v for k, v in r["validation"].items()}
        # a checkpoint per update: 1,024 steps of 8 x 32 (PPO), of 8 x 4 (DQN)
        assert len(validation) == (4 if algo == "mappo" else 32)
        assert r["chosen_step"] == min(validation, key=validation.get)
        team = script.team_of(
            the_case, tmp_path / f"{actions}_{algo}_seed{r['seed']}", r["chosen_step"]
        )
        chosen = script.evaluate(the_case, team, actions)
        assert chosen.tolist() == r["costs"]
    # the seed kept by validation (the only one here): its gaps are its row's
    below = table[table.index("The team kept by validation") :].splitlines()
    (kept,) = [line for line in below if line.startswith(f"| {actions} | {algo} | 1 |")]
    kept_cells, row_cells = (
        [c.strip() for c in line.strip(" |").split("|")] for line in (kept, rows[0])
    )
    validated = results[0]["validation"][str(results[0]["chosen_step"])]
    assert kept_cells[3:5] == ["0", f"{validated:.2f}"]
    assert kept_cells[5] == row_cells[7] and kept_cells[6:] == row_cells[9:]
    team_modules, label = the_case.reference(tmp_path)
    assert (
        f"Reference, {label}: **{script.evaluate_reference(the_case, tmp_path).mean():.2f}**"
        in table
    )
    for kind in the_case.other_references:  # tuned too, reported beside the reference
        cost = script.evaluate_reference(the_case, tmp_path, kind=kind).mean()
        assert f"Also {the_case.reference(tmp_path, kind)[1]}: **{cost:.2f}**." in table
        assert json.loads((tmp_path / f"baseline_{kind}.json").read_text())["kind"] == kind
    if the_case.optimal_levels is None:  # tuned: the search's best, kept for the next run
        kept = json.loads((tmp_path / "baseline.json").read_text())
        assert kept["kind"] == the_case.reference_kind
        assert set(kept["parameters"]) == set(the_case.learners)
        names = dict(zip(the_case.keys, the_case.learners, strict=True))
        assert {
            key: type(m)(**kept["parameters"][names[key]]) for key, m in team_modules.items()
        } == team_modules
        assert 0 < kept["points_evaluated"] <= 6  # points outside (s, S)'s domain not kept
        warm = (the_case.warm_starts or {}).get(the_case.reference_kind)
        assert kept["warm_start"] == warm  # tuned first, kept beside it
        assert warm is None or (tmp_path / f"baseline_{warm}.json").is_file()
    stamps = {p: p.stat().st_mtime_ns for p in tmp_path.glob("*/result.json")}
    stamps[tmp_path / "baseline.json"] = 0
    stamps = {p: p.stat().st_mtime_ns for p in stamps if p.exists()}
    capsys.readouterr()
    script.main(args)  # done: skipped, the same table
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    fig = script.plot_curves(the_case, tmp_path, results, 16, 90.0, 80.0)
    (greedy, reference) = fig.axes[1].lines  # the checkpoints on the validation episodes
    np.testing.assert_allclose(greedy.get_ydata(), list(results[0]["validation"].values()))
    assert list(greedy.get_xdata()) == [int(k) for k in results[0]["validation"]]
    assert list(reference.get_ydata()) == [80.0, 80.0]
    (mean, *_) = fig.axes[0].lines
    run = tmp_path / f"{actions}_{algo}_seed0"
    curve = run / "learning_curve.csv"  # a team's; a DQN's is its learner's
    curve = curve if curve.is_file() else run / the_case.learners[0] / "learning_curve.csv"
    returns = np.loadtxt(curve, delimiter=",", skiprows=1, usecols=3, ndmin=1)
    closed = returns[np.isfinite(returns)]
    assert len(closed) >= 1  # 16-period episodes close in 32-step rollouts
    share = the_case.alpha / len(the_case.learners) + 1 - the_case.alpha  # 1 on the team's
    np.testing.assert_allclose(mean.get_ydata(), -closed / 16 / share)


def test_joint_tuning_beats_or_equals_every_level_it_tried():
    from analysis.tune import tune_jointly

    scenario = resolve("owmr_lost_sales")
    nodes = ["warehouse", "retailer1"]
    best = tune_jointly(
        scenario, dict.fromkeys(nodes, "base_stock"), replications=2, periods=120,
        max_evaluations=15,
    )  # fmt: skip
    assert list(best.table.columns) == ["warehouse:level", "retailer1:level", "cost", "ci95"]
    assert len(best.table) == 15
    assert best.estimate.mean == best.table["cost"].min()
    chosen = best.table.loc[best.table["cost"].idxmin()]
    assert best.parameters == {n: {"level": int(chosen[f"{n}:level"])} for n in nodes}


@pytest.mark.parametrize(
    ("case", "actions"), [("chen_zheng", "echelon_position"), ("owmr", "position")]
)
def test_a_reference_team_in_the_engine_is_its_constant_levels_played_in_the_environment(
    case, actions
):
    """The reference is evaluated by its modules in the engine; on the same seeds that is,
    copy by copy and to the bit, the team environment played with its levels as actions."""
    script = _script()
    the_case = script.CASES[case]
    levels = [13, 22, 31, 39] if case == "chen_zheng" else [26, 20, 22, 23, 23]
    kind = agents.REGISTRY[the_case.reference_kind]
    modules = {n: kind(level=v) for n, v in zip(the_case.learners, levels, strict=True)}
    by_agent = dict(zip(the_case.learners, levels, strict=True))
    settings = {"copies": 3, "periods": 90, "warmup": 20, "seed": 11}
    in_engine = script.evaluate_modules(the_case, modules, settings)
    played = script.evaluate(
        the_case, lambda a, obs: np.full(len(obs), by_agent[a]), actions, settings
    )
    assert in_engine.tolist() == played.tolist()


def test_the_agents_mean_reward_is_a_fixed_share_of_the_team_cost():
    """What the figure converts back: with every stock point learning, the mean of the
    agents' ``alpha * own + (1 - alpha) * team`` is the team's times ``alpha / n + 1 -
    alpha``."""
    script = _script()
    case = script.CASES["serial_jump_fixed_cost"]
    share = case.alpha / len(case.learners) + 1 - case.alpha
    levels = {"stage1": 40, "stage2": 35, "stage3": 45}
    totals = []
    for alpha in (case.alpha, 0.0):
        env = case.team_env(3, 30, "position", alpha=alpha)
        env.reset(seed=4)
        total = np.zeros(3)
        while not env.done:
            rewards = env.step(np.full(3, levels[env.agent]))
            if rewards is not None:
                total += rewards.mean(axis=0)
        totals.append(total)
    np.testing.assert_allclose(totals[0], share * totals[1], rtol=1e-12)
    assert (totals[1] < 0).all()


def test_a_team_on_the_half_unit_surge_grid_starts_exactly_at_tuned_base_surge(tmp_path):
    """Item 5's tuned tailored base-surge orders 10.5 a period regularly: on whole units a
    started team plays 10, on ``--surge-step 0.5`` the tuned team itself, copy by copy."""
    from agents.learning.multi import MultiConfig, MultiPPO, greedy

    script = _script()
    case = script.CASES["owmr_dual_products"]
    kept = Path(case.out) / "baseline_tailored_base_surge.json"
    (tmp_path / kept.name).write_text(kept.read_text())
    settings = {"copies": 3, "periods": 60, "warmup": 10, "seed": 11}
    tuned = script.evaluate_reference(case, tmp_path, settings, kind="tailored_base_surge")
    played = {}
    for step in (1.0, 0.5):
        env = case.team_env(3, 60, "surge", surge_step=step)
        assert env.mappings["warehouse:standard"].n == 24 / step + 1
        assert env.mappings["retailer1:standard"].step == 1.0  # levels stay whole
        starts = script.start_actions(case, tmp_path, "tailored_base_surge", env)
        config = MultiConfig(total_steps=64, num_envs=3, start_actions=starts)
        played[step] = script.evaluate(
            case, greedy(MultiPPO(env, config)), "surge", settings, surge_step=step
        )
    assert starts["warehouse:standard"] == [21.0, 20.0]  # regular 10.5, expedited level 10
    np.testing.assert_allclose(played[0.5], tuned, rtol=1e-9)
    assert (played[1.0] != tuned).any()  # regular quantity 10: another team
    with pytest.raises(ValueError, match="surge_step: only for the 'surge' actions"):
        case.team_env(1, 60, "mixed", surge_step=0.5)
