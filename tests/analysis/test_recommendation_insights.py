"""``benchmarks/recommendation_insights.py`` (the follow-up's managerial insights): its
statistics on hand-made inputs, the intervention's common random numbers, and its figure
against its table; stub policies stand in for the (git-ignored) trained checkpoints."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("gymnasium")

from agents.recommendation import UniformRecommendation
from analysis.recommendation import base_stock, episode_profits, expected_demand
from benchmarks.recommendation_insights import (
    AGENTS,
    IM_ONLY,
    JOINT,
    SYNC,
    across_products,
    boost,
    coefficient_of_variation,
    episode_correlation,
    figure,
    first_above_zero,
    lift,
    main,
    markdown,
    measure,
    play_policy,
)
from scenarios.recommendation import recommendation_problem
from sim.recommendation import purchase_probabilities, spread
from sim.recommendation_env import RecommendationEnv

N, PERIODS, START, SEEDS = 3, 12, 6, [11, 12, 13, 14]


class _Joint:
    """Orders more when stock is low, recommends what is in stock (a function of the
    observation only, as a trained policy is)."""

    control = "joint"

    def act(self, obs):
        on_hand = np.asarray(obs[:N], dtype=np.float64)
        return np.concatenate([np.clip(1.5 - on_hand, -1, 1), np.clip(on_hand - 1.0, -1, 1)])


class _Orders:
    """IM-Only: orders only (the environment draws the recommendation)."""

    control = "inventory"

    def act(self, obs):
        return _Joint().act(obs)[:N]


def _problem(shortage="lost"):
    return recommendation_problem(shortage, n_products=N, n_customers=10)


# --- the statistics on hand-made inputs -------------------------------------------------


def test_correlation_across_products_on_constructed_rows():
    x = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [5.0, 5.0, 5.0], [1.0, 2.0, 3.0]])
    y = np.array([[2.0, 4.0, 6.0], [6.0, 4.0, 2.0], [1.0, 2.0, 3.0], [7.0, 7.0, 7.0]])
    r = across_products(x, y)
    assert r[0] == 1.0 and r[1] == -1.0
    assert np.isnan(r[2]) and np.isnan(r[3])  # a constant row has no correlation
    # xc = (-1.5, -.5, .5, 1.5), yc = (-1.5, .5, -.5, 1.5): 4 / sqrt(5 * 5)
    assert across_products([1.0, 2.0, 3.0, 4.0], [1.0, 3.0, 2.0, 4.0]) == 0.8
    # the episode's mean leaves the constant periods out
    assert episode_correlation(x, y) == 0.0
    assert np.isnan(episode_correlation(x[2:3], y[2:3]))


def test_coefficient_of_variation_and_first_period_above_zero():
    cv = coefficient_of_variation(np.array([[1.0, 2.0], [3.0, 2.0]]))
    assert cv[0] == pytest.approx(np.sqrt(2) / 2, rel=1e-15) and cv[1] == 0.0
    d = np.zeros((5, 4))
    d[:, 2] = [1.0, 1.1, 0.9, 1.0, 1.2]  # clearly above zero
    d[:, 3] = [5.0, -5.0, 4.0, -4.0, 0.1]  # mean above zero, CI not
    assert first_above_zero(d, range(4)) == 2
    assert first_above_zero(d, [3]) is None


def test_lift_is_one_under_uniform_intensities_and_keeps_total_demand():
    problem = _problem()
    assert np.array_equal(lift(problem, problem.uniform_intensities()), np.ones(N))
    alpha = spread(problem, np.array([20.0, 1.0, 0.05]), 1.0)
    got = lift(problem, alpha)
    assert not np.allclose(got, 1.0)
    # every occasion buys one unit: lifts weighted by uniform demand add up to it
    mu = expected_demand(problem)
    assert (got * mu).sum() == pytest.approx(problem.capacity.sum(), rel=1e-12)


def test_boost_changes_one_score_from_start_on():
    a = np.array([0.1, 0.2, 0.3, -0.4, -0.5, -0.6], dtype=np.float32)
    assert boost(a, 4, start=5, product=1) is a
    b = boost(a, 5, start=5, product=1)
    assert b.tolist() == pytest.approx([0.1, 0.2, 0.3, -0.4, 1.0, -0.6])
    assert a[4] == np.float32(-0.5)  # the policy's own action is left alone


# --- episodes on common random numbers ----------------------------------------------------


def test_recorded_episodes_are_the_environments_and_the_intervention_starts_at_t():
    problem = _problem("backlog")
    env = RecommendationEnv(problem, periods=PERIODS)
    base = [play_policy(env, _Joint(), s) for s in SEEDS]
    # the same episodes as Fig. 2's scoring
    profits = episode_profits(problem, _Joint(), SEEDS, periods=PERIODS)
    np.testing.assert_allclose([e.profit.sum() for e in base], profits, rtol=1e-12)

    def intervene(a, t):
        return boost(a, t, start=START, product=2)

    boosted = [play_policy(env, _Joint(), s, intervene) for s in SEEDS]
    for b, e in zip(boosted, base, strict=True):
        for field in ("on_hand", "position", "orders", "demand", "lift", "scores", "profit"):
            assert np.array_equal(getattr(b, field)[:START], getattr(e, field)[:START]), field
        # the period-T orders are decided before T's demand: the same
        assert np.array_equal(b.orders[START], e.orders[START])
        assert (b.scores[START:, 2] == 1.0).all()
    assert any(
        not np.array_equal(b.lift[START:], e.lift[START:])
        for b, e in zip(boosted, base, strict=True)
    )


@pytest.fixture(scope="module")
def measured():
    problem = _problem()
    heuristic = (base_stock(problem, 1.2), UniformRecommendation())
    policies = {JOINT: _Joint(), IM_ONLY: _Orders()}
    rows, facts = measure(
        "tiny", problem, policies, heuristic, seeds=SEEDS, periods=PERIODS, start=START
    )
    return pd.DataFrame(rows), {"tiny": facts}


def test_the_table_holds_every_insight(measured):
    table, facts = measured
    assert set(table["insight"]) == {
        "synchronisation",
        "margin and efficiency",
        "demand smoothing",
        "adaptive ordering",
    }
    assert facts["tiny"]["before_max_difference"] == 0.0
    smooth = table[table["insight"] == "demand smoothing"].set_index(["measure", "agent"])
    # uniform recommendation has lift 1 every period: no recommendation-made variation
    assert smooth.loc[("CV of product expected demand", AGENTS[2]), "mean"] == 0.0
    # ... and the customers' noise of Eq. (9) at uniform intensities
    problem = _problem()
    gamma = purchase_probabilities(problem, problem.uniform_intensities())
    noise = np.sqrt((gamma * (1 - gamma)) @ problem.capacity) / expected_demand(problem)
    got = smooth.loc[("within-period noise CV", AGENTS[2]), "mean"]
    assert got == pytest.approx(noise.mean(), rel=1e-12)
    # paired rows are means of per-episode differences
    sync = table[table["insight"] == "synchronisation"].set_index(["measure", "agent"])
    assert sync.loc[(SYNC[0], JOINT), "n"] == len(SEEDS)
    diff = sync.loc[(SYNC[0], f"{JOINT} - {IM_ONLY}"), "mean"]
    both = sync.loc[(SYNC[0], JOINT), "mean"] - sync.loc[(SYNC[0], IM_ONLY), "mean"]
    assert diff == pytest.approx(both, abs=1e-12)
    text = markdown(table, facts, "settings")
    assert "- **tiny**\n  - synchronisation: **" in text and "the same to the bit" in text


def test_the_figure_draws_the_tables_numbers(measured):
    import matplotlib.pyplot as plt

    table, _ = measured
    fig = figure(table, len(SEEDS))
    try:
        a, b, c, d, e = fig.axes
        rows = table[table["period"].isna()]
        for ax, insight in ((a, "synchronisation"), (b, "margin and efficiency"), (d, "demand smoothing")):  # fmt: skip
            bars = [cont for cont in ax.containers if hasattr(cont, "patches")]
            assert bars
            for cont in bars:
                want = rows[(rows["insight"] == insight) & (rows["agent"] == cont.get_label())]
                want = want[want["measure"] != "mean lift"]["mean"].to_numpy()
                heights = [p.get_height() for p in cont.patches]
                np.testing.assert_array_equal(heights, want)
        for agent in (JOINT, IM_ONLY):
            (cont,) = [x for x in c.containers if x.get_label() == agent]
            want = table[(table["measure"] == "mean lift") & (table["agent"] == agent)]
            np.testing.assert_array_equal(cont.lines[0].get_xdata(), want["x"])
            np.testing.assert_array_equal(cont.lines[0].get_ydata(), want["mean"])
        for what in ("demand", "sales", "orders"):
            (line,) = [x for x in e.get_lines() if x.get_label() == f"Δ {what}"]
            want = table[table["measure"] == f"difference in {what}"].sort_values("period")
            np.testing.assert_array_equal(line.get_xdata(), want["period"])
            np.testing.assert_array_equal(line.get_ydata(), want["mean"])
        assert "units" in e.get_ylabel() and "4 paired episodes" in e.get_title()
        assert "money" in c.get_xlabel()
    finally:
        plt.close(fig)


def test_missing_fig2_output_is_one_line_naming_the_script(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--fig2", str(tmp_path), "--out", str(tmp_path / "out")])
    message = str(exc.value.code)
    assert "\n" not in message and "run benchmarks/recommendation_fig2.py first" in message
    assert not (tmp_path / "out").exists()
