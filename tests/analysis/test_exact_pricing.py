"""The §V firm's exact optimum (analysis.exact.pricing_optimum): a closed form, the engine's
own accounting, the reference-price grid, and errors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from analysis.exact import pricing_optimum, pricing_problem
from analysis.statistics import mean_ci
from scenarios import resolve
from sim import SupplyChainModel
from sim.policy import PolicyError

NEAR = tuple(float(p) for p in range(24, 37))  # a small grid around the optima (29)


def problem(case: str) -> dict:
    return {**pricing_problem(resolve(f"pricing_{case}")), "prices": NEAR}


def simulated_profits(case: str, module, seeds: range, periods: int, warmup: int) -> np.ndarray:
    scenario = resolve(f"pricing_{case}")
    graph = scenario.network()
    policies = {**scenario.policies(graph), "stage1": module}
    market = scenario.market(graph)
    out = []
    for seed in seeds:
        model = SupplyChainModel(graph, policies, seed=seed, market=market, **scenario.options)
        model.run(periods)
        out.append(model.results().profit.to_numpy()[warmup:].mean())
    return np.array(out)


def test_without_stock_costs_the_optimum_is_the_best_margin_times_rate():
    # backlog with h = b = 0: every unit ordered is sold at its price, so the long-run
    # profit is (p - c) rate(p, o, r = p), maximised over the grid (the reference price
    # settles at a constant price)
    args = {**problem("a"), "holding_cost": 0.0, "shortage_cost": 0.0}
    optimum = pricing_optimum(**args, reference_step=1.0, max_stock=40)
    p = np.array(NEAR)
    margins = [(q - 10.0) * args["demand"].rates(np.array([q]), (30.0,), q)[0] for q in p]
    assert optimum.profit == pytest.approx(max(margins), abs=1e-3)
    assert optimum.high - optimum.low < 1e-4


@pytest.mark.parametrize("case", ["a", "b", "c", "d"])
def test_optimal_table_earns_its_value_in_the_engine(case):
    # the engine's accounting (price of arrival, purchases when ordered, holding and
    # shortage on the ending stock, the reference price's smoothing) is the value
    # iteration's: the optimal table, simulated, covers its value
    optimum = pricing_optimum(**problem(case), reference_step=1.0, max_stock=80)
    profits = simulated_profits(case, optimum.policy, range(6), periods=4_050, warmup=50)
    estimate = mean_ci(profits)
    assert estimate.covers(optimum.profit), (optimum.profit, estimate)
    assert estimate.half_width < 0.01 * optimum.profit


def test_the_optimum_has_the_textbook_structure():
    # backlog, no fixed cost: base stock with a list price (Federgruen & Heching 1999);
    # with a fixed cost: (s, S) (Chen & Simchi-Levi 2004); the price stays 29 where the
    # optimal policy lives (the rival's 30 less one: rank 1)
    for case, fixed in (("a", False), ("c", True)):
        table = pricing_optimum(**problem(case), reference_step=1.0, max_stock=80).policy
        row = int(np.argmin(abs(table.references - 29.0)))
        x = np.arange(table.orders.shape[1]) + table.min_stock
        ordering = table.orders[row] > 0
        reorder = x[ordering].max()  # s: the highest net inventory that orders
        assert np.all(ordering[x <= reorder]) and not np.any(ordering[x > reorder])
        levels = set((x + table.orders[row])[ordering].tolist())
        assert len(levels) == 1  # one order-up-to level S
        assert (levels.pop() - reorder > 1) == fixed
        assert np.all(table.prices[row][(x >= -10) & (x <= 60)] == 29.0)


def test_a_finer_reference_grid_does_not_move_the_optimum():
    coarse = pricing_optimum(**problem("b"), reference_step=1.0, max_stock=70)
    fine = pricing_optimum(**problem("b"), reference_step=0.5, max_stock=70)
    assert abs(fine.profit - coarse.profit) < 1e-4 * coarse.profit


def test_bad_input_is_refused_in_one_line():
    args = problem("a")
    for bad, match in [
        ({"prices": (30.0, 29.0)}, "prices: must be increasing"),
        ({"smoothing": 1.0}, r"smoothing: must be in \[0, 1\)"),
        ({"reference_step": 0.0}, "reference_step: must be > 0"),
        ({"max_stock": -1}, "stock box"),
    ]:
        with pytest.raises(ValueError, match=match):
            pricing_optimum(**{**args, **bad})
    with pytest.raises(ValueError, match="'stage1' must be the market's only firm"):
        pricing_problem(resolve("beer_game"))
    scenario = resolve("pricing_a")
    slow = dataclasses.replace(scenario, options={**scenario.options, "decide": "end"})
    with pytest.raises(ValueError, match='needs decide = "start"'):
        pricing_problem(slow)


def test_one_period_left_is_the_best_price_for_the_stock_on_hand():
    # lost sales, one period from 5 on hand at reference 30: no order (it would arrive after
    # the end), so the profit is max_p of p E min(D, 5) - h E (5 - D)^+ - b E (D - 5)^+
    from scipy import stats

    args = {**problem("b"), "start": (5, 30.0)}
    one = pricing_optimum(**args, reference_step=1.0, max_stock=40, horizon=1)
    d = np.arange(200)
    best = -np.inf
    for p in NEAR:
        pmf = stats.poisson.pmf(d, args["demand"].rates(np.array([p]), (30.0,), 30.0)[0])
        sold, left = pmf @ np.minimum(d, 5), pmf @ np.maximum(5 - d, 0)
        best = max(
            best, p * sold - args["holding_cost"] * left - args["shortage_cost"] * (pmf @ d - sold)
        )
    assert one.profit == pytest.approx(best, rel=1e-9)
    assert one.low == one.high == one.profit and one.iterations == 1


@pytest.mark.parametrize("case", ["b", "d"])
def test_a_finite_horizon_schedule_earns_its_value_in_the_engine(case):
    # lost sales (the backward induction is exact there): 20 periods from the scenario's
    # start (20 on hand, reference price 30), simulated on 300 seeds, cover the value
    assert problem(case)["start"] == (20, 30.0)
    optimum = pricing_optimum(**problem(case), reference_step=1.0, max_stock=80, horizon=20)
    tables = optimum.policy.tables
    assert len(tables) == 20 and not tables[-1].orders.any()  # the last period never orders
    estimate = mean_ci(simulated_profits(case, optimum.policy, range(300), periods=20, warmup=0))
    assert estimate.covers(optimum.profit), (optimum.profit, estimate)
    stationary = pricing_optimum(**problem(case), reference_step=1.0, max_stock=80).policy
    assert (
        mean_ci(simulated_profits(case, stationary, range(300), periods=20, warmup=0)).mean
        < estimate.mean
    )  # knowing the end is worth something, on the same seeds
    with pytest.raises(PolicyError, match="period 20 is past the horizon of 20 periods"):
        simulated_profits(case, optimum.policy, range(1), periods=21, warmup=0)


def test_a_finite_horizon_needs_a_start_inside_the_box():
    args = {**problem("a"), "reference_step": 1.0, "max_stock": 40, "start": None}
    with pytest.raises(ValueError, match="start: a finite horizon needs"):
        pricing_optimum(**args, horizon=5)
    args.pop("start")
    with pytest.raises(ValueError, match="start: net inventory 50 is outside the stock box"):
        pricing_optimum(**args, horizon=5, start=(50, 30.0))
    with pytest.raises(ValueError, match="horizon: must be an integer >= 1"):
        pricing_optimum(**args, horizon=0, start=(5, 30.0))
