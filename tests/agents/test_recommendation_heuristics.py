"""Heuristics of the §VI firm: base stock per product, uniform, inventory- and
margin-proportional recommendation; and their CRN grid search."""

from __future__ import annotations

import numpy as np
import pytest

from agents.recommendation import (
    BaseStockLevels,
    InventoryRecommendation,
    MarginRecommendation,
    UniformRecommendation,
)
from analysis.recommendation import evaluate, tune
from scenarios.recommendation import SCENARIOS
from sim.recommendation import RecommendationModel, RecommendationProblem, spread


def small(normalize: str = "product") -> RecommendationProblem:
    rng = np.random.default_rng(4)
    return RecommendationProblem(
        ratings=rng.uniform(0, 2, (3, 8)),
        r_max=2.0,
        capacity=2,
        lead_time=[1, 2, 1],
        price=[10.0, 6.0, 8.0],
        cost=[5.0, 5.0, 4.0],
        efficiency=[1.0, 1.0, 0.5],
        initial_inventory=[4.0, 0.0, 9.0],
        normalize=normalize,
    )


def test_base_stock_orders_up_to_the_level():
    model = RecommendationModel(small())
    model.advance([3.0, 5.0, 0.0])  # pipeline after: product 1's 5 (L = 2); others arrived or 0
    obs = model.observe()
    q = BaseStockLevels(levels=(10.0, 10.0, 0.0)).act(obs)
    np.testing.assert_array_equal(q, np.maximum([10, 10, 0] - obs.inventory_position, 0))
    with pytest.raises(
        ValueError, match=r"^BaseStockLevels.levels: has 2 entries, the problem has 3"
    ):
        BaseStockLevels(levels=(1.0, 2.0)).act(obs)
    with pytest.raises(ValueError, match=r"^BaseStockLevels.levels: must be finite numbers >= 0"):
        BaseStockLevels(levels=(1.0, -2.0))


def test_static_modules_decide_once():
    model = RecommendationModel(small())
    obs = model.observe()
    np.testing.assert_array_equal(UniformRecommendation().act(obs), np.full((3, 8), 1 / 8))
    assert MarginRecommendation().act(obs) is not None
    model.advance([0.0, 0.0, 0.0])
    assert UniformRecommendation().act(model.observe()) is None
    assert MarginRecommendation().act(model.observe()) is None
    with pytest.raises(
        ValueError, match=r"^MarginRecommendation.mix: must be a number in \[0, 1\]"
    ):
        MarginRecommendation(mix=1.5)


@pytest.mark.parametrize("normalize", ["product", "customer"])
def test_spread_satisfies_eq8_and_favours_high_scores(normalize):
    problem = small(normalize)
    scores = np.array([5.0, 0.0, 1.0])
    alpha = spread(problem, scores, 1.0)
    problem.check_intensities(alpha)  # sums to 1 the right way, in [0, 1]
    np.testing.assert_array_equal(spread(problem, scores, 0.0), problem.uniform_intensities())
    np.testing.assert_array_equal(spread(problem, np.zeros(3), 1.0), problem.uniform_intensities())
    if normalize == "customer":
        np.testing.assert_allclose(alpha[:, 0], [5 / 6, 0.0, 1 / 6])
    # The inventory heuristic shows more of what is in stock: product 2 has 9, product 1 none.
    model = RecommendationModel(problem)
    gamma_before = model.population.gamma.copy()
    model.set_intensities(InventoryRecommendation().act(model.observe()))
    demand_shift = (model.population.gamma - gamma_before) @ problem.capacity
    assert demand_shift[2] > 0
    if normalize == "customer":
        assert demand_shift[1] < 0
    # Under Eq. (8) as written product 1 keeps its unit of exposure: it cannot be hidden.


def test_tune_is_a_paired_grid_search():
    problem = SCENARIOS["recommendation_lost"](n_products=3, n_customers=12)
    result = tune(
        problem,
        InventoryRecommendation,
        multiples=(0.5, 1.2),
        mixes=(0.0, 1.0),
        periods=40,
        seeds=(0, 1),
    )
    assert len(result.table) == 4
    assert result.profit == result.table["profit"].max()
    again = evaluate(problem, result.inventory, result.recommendation, periods=40, seeds=(0, 1))
    assert again.mean() == pytest.approx(result.profit, abs=1e-12)  # common random numbers
    assert result.multiple == 1.2  # half the protection-period demand starves the firm


def test_builtin_scenarios_run_with_every_heuristic_pair():
    for name, build in SCENARIOS.items():
        problem = build()
        assert (problem.n_products, problem.n_customers) == (10, 100)
        assert problem.shortage == name.removeprefix("recommendation_")
        levels = BaseStockLevels(levels=tuple(3 * problem.initial_inventory))
        for module in (
            UniformRecommendation(),
            InventoryRecommendation(0.5),
            MarginRecommendation(),
        ):
            run = RecommendationModel(problem, seed=1).run(30, levels, module)
            assert np.isfinite(run.reward).all() and run.sales.sum() > 0
