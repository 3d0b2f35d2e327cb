"""Heuristics of the §VI firm: base stock per product (fixed, or following the demand),
uniform, inventory- and margin-proportional and margin-targeted recommendation; and their
CRN grid search."""

from __future__ import annotations

import numpy as np
import pytest

from agents.recommendation import (
    BaseStockLevels,
    CoverBaseStock,
    InventoryRecommendation,
    MarginRecommendation,
    TargetedRecommendation,
    UniformRecommendation,
)
from analysis.recommendation import base_stock, evaluate, tune
from scenarios.recommendation import SCENARIOS
from sim.recommendation import (
    RecommendationModel,
    RecommendationProblem,
    Targeting,
    purchase_probabilities,
    spread,
)


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


@pytest.mark.parametrize("normalize", ["product", "customer"])
def test_targeting_satisfies_eq8_uniform_at_equal_weights_and_follows_weights(normalize):
    problem = small(normalize)
    target = Targeting(problem, sharpness=20.0)
    uniform = problem.uniform_intensities()
    for w in (np.zeros(3), np.full(3, 0.7)):
        np.testing.assert_allclose(target(w), uniform, rtol=0, atol=1e-15)
    mu = purchase_probabilities(problem, uniform) @ problem.capacity
    for i in range(3):
        w = -np.ones(3)
        w[i] = 1.0
        alpha = target(w)
        problem.check_intensities(alpha)  # in [0, 1], summing to 1 the way Eq. (8) says
        # the favoured product gains expected demand, the others lose it
        shifted = purchase_probabilities(problem, alpha) @ problem.capacity
        assert shifted[i] > mu[i]
        assert shifted.sum() == pytest.approx(mu.sum())  # no outside option: demand moves
        # only differences of weights matter
        np.testing.assert_allclose(target(w + 0.3), alpha, rtol=1e-12)


def test_targeting_by_margin_raises_the_expected_margin_and_checks_its_input():
    problem = SCENARIOS["recommendation_lost"](n_products=10, n_customers=100)
    margin = problem.price - problem.cost
    w = 2 * (margin - margin.mean()) / (margin.max() - margin.min())

    def expected_margin(alpha):
        return margin @ (purchase_probabilities(problem, alpha) @ problem.capacity)

    uniform = expected_margin(problem.uniform_intensities())
    targeted = expected_margin(Targeting(problem)(0.5 * w))
    assert targeted > 1.03 * uniform  # 872.3 against 843.4 per period on this instance
    assert expected_margin(Targeting(problem)(-0.5 * w)) < uniform
    with pytest.raises(ValueError, match="Targeting: weights must be 10 finite numbers"):
        Targeting(problem)(np.zeros(3))
    with pytest.raises(ValueError, match="Targeting: weights must be 10 finite numbers"):
        Targeting(problem)(np.full(10, np.nan))
    with pytest.raises(ValueError, match=r"Targeting\.sharpness: must be a finite number > 0"):
        Targeting(problem, sharpness=0)


def test_targeted_recommendation_and_cover_base_stock():
    problem = small()
    obs = RecommendationModel(problem, seed=0).observe()
    np.testing.assert_array_equal(
        TargetedRecommendation(mix=0.0).act(obs), problem.uniform_intensities()
    )
    margin = problem.price - problem.cost  # 5, 1, 4: scaled onto [-1, 1] by 2 / 4
    np.testing.assert_allclose(
        TargetedRecommendation(mix=0.5, sharpness=8.0).act(obs),
        Targeting(problem, 8.0)(0.5 * (margin - margin.mean()) / 2.0),
    )
    # at uniform intensities CoverBaseStock orders what the fixed levels of base_stock do
    np.testing.assert_array_equal(CoverBaseStock(1.3).act(obs), base_stock(problem, 1.3).act(obs))
    with pytest.raises(ValueError, match=r"CoverBaseStock\.multiple"):
        CoverBaseStock(-1.0)
    with pytest.raises(ValueError, match=r"TargetedRecommendation\.mix"):
        TargetedRecommendation(mix=2.0)


def test_tune_takes_an_inventory_module_that_follows_the_recommendation():
    problem = SCENARIOS["recommendation_lost"](n_products=3, n_customers=12)
    result = tune(
        problem,
        TargetedRecommendation,
        inventory=lambda _, m: CoverBaseStock(m),
        multiples=(1.0, 1.2),
        mixes=(0.0, 0.5),
        periods=40,
        seeds=(0, 1),
    )
    assert isinstance(result.inventory, CoverBaseStock)
    assert result.inventory.multiple == result.multiple
    again = evaluate(problem, result.inventory, result.recommendation, periods=40, seeds=(0, 1))
    assert again.mean() == pytest.approx(result.profit, abs=1e-12)
