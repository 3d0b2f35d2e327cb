"""``supplysim run`` and ``supplysim train`` on the built-in §VI experiments
(``recommendation_lost``, ``recommendation_backlog``), in process at a tiny size."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.recommendation import base_stock
from scenarios.recommendation import BUILTIN
from sim.recommendation import RecommendationModel

PNG = b"\x89PNG\r\n\x1a\n"
TINY = ("--set", "n_products=3", "--set", "n_customers=12")


def test_list_shows_them(capsys):
    assert main(["list"]) == 0
    listed = {line.split()[0] for line in capsys.readouterr().out.splitlines()}
    assert {"recommendation_lost", "recommendation_backlog", "beer_game"} <= listed


def test_show_prints_the_experiment(capsys):
    assert main(["show", "recommendation_backlog"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("recommendation_backlog: ")
    assert "shortage: 'backlog'" in lines and "n_customers: 100" in lines


@pytest.mark.parametrize("name", ["recommendation_lost", "recommendation_backlog"])
def test_run_writes_the_summary_tables_and_figures(name, tmp_path, capsys):
    out = tmp_path / "run"
    args = ["run", name, *TINY, "--replications", "3", "--periods", "30", "--warmup", "5"]
    assert main([*args, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "firm" in printed and "product 2" in printed and "profit" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == name and summary["replications"] == 3
    assert set(summary["nodes"]) == {"product 0", "product 1", "product 2"}
    scenario = BUILTIN[name].with_overrides(
        {"n_products": 3, "n_customers": 12, "periods": 30, "warmup": 5}
    )
    problem = scenario.problem()
    # Every purchase occasion buys one unit: the firm's demand is the customers' capacity.
    assert summary["firm"]["demand"]["mean"] == problem.capacity.sum()
    # Replication 1 is the model run with seed 1 and base stock x1.2, uniform recommendation.
    run = RecommendationModel(problem, seed=1).run(30, base_stock(problem, 1.2))
    kpis = pd.read_parquet(out / "replications.parquet")
    firm = kpis[(kpis["node"] == "firm") & (kpis["replication"] == 1)]
    assert firm["profit"].item() == pytest.approx(run.reward[5:].mean(), rel=1e-12)
    periods = pd.read_parquet(out / "periods.parquet")
    assert sorted(periods["replication"].unique()) == [0, 1, 2]
    if name == "recommendation_lost":
        np.testing.assert_array_equal(periods["shortage"], periods["demand"] - periods["sales"])
    else:
        assert (periods["backlog"] == periods["shortage"]).all()
    for figure in ("inventory", "orders", "profit_kde"):
        assert (out / "figures" / f"{figure}.png").read_bytes().startswith(PNG)


def test_run_plays_margin_targeting_with_levels_that_follow_it(tmp_path, capsys):
    from agents.recommendation import CoverBaseStock, TargetedRecommendation

    overrides = ["--set", "recommendation=targeting", "--set", "mix=0.75", "--set",
                 "base_stock=cover"]  # fmt: skip
    args = ["run", "recommendation_lost", *TINY, *overrides, "--replications", "2"]
    assert main([*args, "--periods", "30", "--warmup", "5", "--out", str(tmp_path)]) == 0
    assert "x1.2 (cover) and targeting recommendation" in capsys.readouterr().out
    problem = (
        BUILTIN["recommendation_lost"]
        .with_overrides({"n_products": 3, "n_customers": 12})
        .problem()
    )
    run = RecommendationModel(problem, seed=1).run(
        30, CoverBaseStock(1.2), TargetedRecommendation(0.75)
    )
    kpis = pd.read_parquet(tmp_path / "replications.parquet")
    firm = kpis[(kpis["node"] == "firm") & (kpis["replication"] == 1)]
    assert firm["profit"].item() == pytest.approx(run.reward[5:].mean(), rel=1e-12)


def test_run_names_an_unknown_setting(tmp_path, capsys):
    code = main(["run", "recommendation_lost", "--set", "customers=5", "--out", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert "recommendation_lost: no field 'customers'" in err and "n_customers" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(("learners", "actions"), [(None, 6), ("inventory", 3)])
def test_train_writes_checkpoint_and_learning_curve(learners, actions, tmp_path, capsys):
    pytest.importorskip("torch")
    out = tmp_path / "train"
    args = ["train", "recommendation_lost", *TINY, "--steps", "64", "--num-envs", "2"]
    args += ["--episode-periods", "8", "--out", str(out)]
    args += [] if learners is None else ["--learners", learners]
    assert main(args) == 0, capsys.readouterr().err
    curve = pd.read_csv(out / "learning_curve.csv")
    assert curve["step"].tolist() == [64] and np.isfinite(curve["mean_reward"]).all()
    assert (out / "learning_curve.png").read_bytes().startswith(PNG)
    latest = (out / "checkpoints" / "latest").read_text().strip()
    assert latest == "step_64"
    policy = json.loads((out / "checkpoints" / latest / "policy.json").read_text())
    # Joint IM-RS: orders and scores of 3 products; IM-Only: the orders.
    assert policy["network"]["action"]["dim"] == actions
    # what it was trained on, checked when a half is put to work (Naive IM-RS)
    control = "joint" if learners is None else learners
    assert policy["fingerprint"].startswith(f"recommendation/{control}/")


def test_train_names_the_modules_that_can_learn(tmp_path, capsys):
    code = main(
        ["train", "recommendation_backlog", "--learners", "retailer", "--out", str(tmp_path)]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "--learners 'retailer'" in err and "inventory and/or recommendation" in err


def test_train_of_a_network_scenario_still_needs_its_learner(tmp_path, capsys):
    assert main(["train", "lost_sales", "--steps", "64", "--out", str(tmp_path)]) == 2
    assert "--learners: name the node that learns in lost_sales" in capsys.readouterr().err


@pytest.mark.parametrize("algo", ["mtma", "ippo"])
def test_train_of_the_team_keeps_each_agent_and_resumes(algo, tmp_path, capsys):
    torch = pytest.importorskip("torch")
    from agents.learning.recommendation import NaiveJointPolicy

    out = tmp_path / algo

    def args(algo: str) -> list[str]:
        return ["train", "recommendation_lost", *TINY, "--algo", algo, "--num-envs", "2",
                "--episode-periods", "8", "--out", str(out)]  # fmt: skip

    # 6 rollouts of 2 copies x 32 steps: MTMA's recommendation agent updates after the 1st
    # and the 4th only, IPPO's after each
    assert main([*args(algo), "--steps", "384"]) == 0, capsys.readouterr().err
    curve = pd.read_csv(out / "learning_curve.csv")
    assert curve["step"].tolist() == [64 * k for k in range(1, 7)]

    def changes(agent: str) -> list[bool]:
        """Whether the agent's actor changed from each checkpoint to the next."""
        folder = out / agent / "checkpoints"
        weights = [
            torch.load(folder / f"step_{64 * k}" / "policy.pt", weights_only=True)
            for k in range(1, 7)
        ]
        return [
            any(not torch.equal(before[key], after[key]) for key in before)
            for before, after in itertools.pairwise(weights)
        ]

    assert changes("inventory") == [True] * 5
    slow = [False, False, True, False, False] if algo == "mtma" else [True] * 5
    assert changes("recommendation") == slow
    assert "inventory/" in capsys.readouterr().out
    scenario = BUILTIN["recommendation_lost"].with_overrides({"n_products": 3, "n_customers": 12})
    team = NaiveJointPolicy.load(out / "inventory", out / "recommendation", scenario.problem())
    assert team.act(np.zeros(team.inventory.network.obs_size, np.float32)).shape == (6,)
    # the schedule is the run's: a resumed run with another one is refused
    assert main([*args(algo), "--steps", "448"]) == 0, capsys.readouterr().err
    assert pd.read_csv(out / "learning_curve.csv")["step"].iloc[-1] == 448
    capsys.readouterr()
    other = "ippo" if algo == "mtma" else "mtma"
    assert main([*args(other), "--steps", "512"]) == 2
    err = capsys.readouterr().err
    assert "trained with another configuration: lr_scale=" in err and err.count("\n") == 1


def test_the_multi_timescale_learner_is_for_the_recommendation_firm(tmp_path, capsys):
    code = main(["train", "beer_game", "--learners", "retailer,wholesaler", "--algo", "mtma",
                 "--out", str(tmp_path)])  # fmt: skip
    assert code == 2
    assert "--algo mtma: beer_game is a network" in capsys.readouterr().err
    code = main(["train", "recommendation_lost", "--learners", "inventory", "--algo", "mtma",
                 "--out", str(tmp_path)])  # fmt: skip
    assert code == 2
    assert "trains both modules as a team; leave --learners out" in capsys.readouterr().err
