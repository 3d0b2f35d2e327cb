"""``benchmarks/recommendation_fig2.py`` (the seed paper's Fig. 2) end to end at a tiny
size, its figure against its table, and the evaluation it rests on: trained policies and
heuristic modules scored on the same episodes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("gymnasium")

from agents.recommendation import BaseStockLevels, UniformRecommendation
from analysis.recommendation import base_stock, episode_profits, heuristic_episode_profits
from scenarios.recommendation import builtin_with, recommendation_problem

PNG = b"\x89PNG\r\n\x1a\n"
TINY = ["--set", "n_products=2", "--set", "n_customers=8", "--scenarios", "recommendation_backlog"]
TINY += ["--steps", "128", "--num-envs", "2", "--episodes", "4", "--periods", "6"]
TINY += ["--tune-seeds", "2"]


class _Idle:
    """A joint policy that orders nothing and gives every product the same score."""

    control = "joint"

    def act(self, obs):
        return np.array([-1.0, -1.0, -1.0, 0.0, 0.0, 0.0], dtype=np.float32)


def test_learned_and_heuristic_policies_play_the_same_episodes():
    """Under per-customer normalisation equal scores are uniform recommendation, and order
    nothing is base stock 0: the same decisions through the environment's action and
    through modules give the same profits seed by seed only if both paths play the same
    customers' draws."""
    problem = recommendation_problem(n_products=3, n_customers=10, normalize="customer")
    seeds = [5, 6, 7]
    learned = episode_profits(problem, _Idle(), seeds, periods=8)
    modules = (BaseStockLevels(levels=(0, 0, 0)), UniformRecommendation())
    heuristic = heuristic_episode_profits(problem, *modules, seeds, periods=8)
    np.testing.assert_allclose(learned, heuristic, rtol=1e-12)
    assert len(set(learned)) == 3  # the seeds are different episodes
    assert (learned > 0).all()  # the initial stock sells


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    pytest.importorskip("torch")
    from benchmarks.recommendation_fig2 import main

    out = tmp_path_factory.mktemp("fig2")
    main([*TINY, "--out", str(out)])
    return out


def test_the_script_trains_composes_evaluates_and_resumes(run):
    from agents.learning.recommendation import NaiveJointPolicy
    from benchmarks.recommendation_fig2 import AGENTS, main

    profits = pd.read_csv(run / "fig2_profits.csv")
    assert list(dict.fromkeys(profits["agent"])) == list(AGENTS)
    seeds = profits.groupby("agent", sort=False)["seed"].apply(tuple)
    assert seeds.nunique() == 1 and len(seeds.iloc[0]) == 4  # common random numbers
    folder = run / "recommendation_backlog"
    for control in ("joint", "inventory", "recommendation"):
        assert (folder / control / "checkpoints" / "latest").read_text().strip() == "step_128"
    # Naive IM-RS is the two single-function checkpoints together; the heuristic the tuned one
    settings = ["n_products=2", "n_customers=8"]
    problem = builtin_with("recommendation_backlog", settings).problem()
    episodes = [int(s) for s in seeds.iloc[0]]
    naive = NaiveJointPolicy.load(folder / "inventory", folder / "recommendation", problem)
    rows = profits.set_index("agent")
    np.testing.assert_allclose(
        episode_profits(problem, naive, episodes, periods=6), rows.loc["Naive IM-RS", "profit"]
    )
    multiple = json.loads((folder / "heuristic.json").read_text())["multiple"]
    heuristic = heuristic_episode_profits(
        problem, base_stock(problem, multiple), UniformRecommendation(), episodes, periods=6
    )
    np.testing.assert_allclose(heuristic, rows.loc["base stock + uniform (tuned)", "profit"])
    # the paired rows are means of per-episode differences
    table = pd.read_csv(run / "fig2.csv")
    by = {a: t["profit"].to_numpy() for a, t in profits.groupby("agent")}
    paired = table[table["kind"] == "paired"].set_index("label")
    diff = by["Joint IM-RS"] - by["RS-Only"]
    assert paired.loc["Joint IM-RS - RS-Only", "mean"] == pytest.approx(diff.mean(), rel=1e-12)
    assert paired.loc["Joint IM-RS - RS-Only", "ci95"] > 0
    best = max(("IM-Only", "RS-Only"), key=lambda a: by[a].mean())
    assert f"Naive IM-RS - {best}" in paired.index
    # the findings line says what the paired CIs say
    low = paired["mean"] - paired["ci95"]
    better = all(low[f"Joint IM-RS - {a}"] > 0 for a in ("IM-Only", "RS-Only", "Naive IM-RS"))
    verdict = f"better than IM-Only, RS-Only and Naive IM-RS: **{'yes' if better else 'no'}**"
    assert verdict in (run / "fig2.md").read_text()
    assert (run / "fig2.png").read_bytes().startswith(PNG)
    # a second run resumes: nothing trained again, the same numbers
    curve = (folder / "joint" / "learning_curve.csv").read_text()
    main([*TINY, "--out", str(run)])
    assert (folder / "joint" / "learning_curve.csv").read_text() == curve
    pd.testing.assert_frame_equal(pd.read_csv(run / "fig2.csv"), table)


def test_the_figure_draws_the_tables_numbers(run):
    import matplotlib.pyplot as plt

    from benchmarks.recommendation_fig2 import AGENTS, figure

    profits = pd.read_csv(run / "fig2_profits.csv")
    table = pd.read_csv(run / "fig2.csv")
    means = table[table["kind"] == "agent"].set_index("label")["mean"]
    fig = figure(profits, 6)
    try:
        (ax,) = fig.axes
        # one rug line per agent, in the table's order: its ticks are the episodes' profits
        rugs = [line for line in ax.get_lines() if line.get_marker() == "|"]
        assert len(rugs) == len(AGENTS)
        for agent, rug in zip(AGENTS, rugs, strict=True):
            assert len(rug.get_xdata()) == 4
            assert np.mean(rug.get_xdata()) == pytest.approx(means[agent], rel=1e-12)
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert all(
            text.startswith(a) and "n=4" in text for a, text in zip(AGENTS, legend, strict=True)
        )
        assert "money" in ax.get_xlabel() and "density" in ax.get_ylabel()
        assert "4 episodes" in ax.get_title()
    finally:
        plt.close(fig)


def test_residual_actions_train_and_play_every_agent_in_that_form(tmp_path):
    pytest.importorskip("torch")
    from agents.learning.recommendation import NaiveJointPolicy, RecommendationPolicy
    from analysis.learning import residual_actions
    from benchmarks.recommendation_fig2 import main

    main([*TINY, "--actions", "residual", "--out", str(tmp_path)])
    scenario = builtin_with("recommendation_backlog", ["n_products=2", "n_customers=8"])
    problem, actions = scenario.problem(), residual_actions(scenario.base_stock_multiple)
    folder = tmp_path / "recommendation_backlog"
    with pytest.raises(Exception, match="trained on"):  # not the paper's form
        RecommendationPolicy.load(folder / "joint", problem, "joint")
    naive = NaiveJointPolicy.load(
        folder / "inventory", folder / "recommendation", problem, actions=actions
    )
    profits = pd.read_csv(tmp_path / "fig2_profits.csv").set_index("agent")
    episodes = profits.loc["Naive IM-RS", "seed"].tolist()
    np.testing.assert_allclose(
        episode_profits(problem, naive, episodes, periods=6, actions=actions),
        profits.loc["Naive IM-RS", "profit"],
    )
    assert (tmp_path / "fig2.md").read_text().startswith("# Fig. 2")
    assert "Action form: residual." in (tmp_path / "fig2.md").read_text()
