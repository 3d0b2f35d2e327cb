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
