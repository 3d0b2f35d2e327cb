"""Periods per second of the §VI inventory–recommendation model (``sim/recommendation.py``).

Issue 11's bar: N = 50 products, M = 1,000 customers, at least 10,000 periods per second on
one core. Cases, each the best of three timings of CPU time (``time.process_time``, so that
other processes on a shared host count less) of periods played on a fresh model (building
it, 1,000 seeded streams and the alias tables, is timed once on its own):

* ``step``: the model's step with fixed orders and the intensities kept (a static
  recommendation module: the alias tables are built once);
* ``run``: :meth:`RecommendationModel.run` with base-stock orders and uniform recommendation
  (the decision modules' cost included);
* ``step, new intensities every period``: a learner's or an adaptive heuristic's case
  (Eq. (8)/(10) and the alias tables rebuilt every period, ``O(N M)``);
* control 1: Python's loop of 10 million additions (as in ``engine.py``), to compare hosts;
* control 2: the same demand drawn naively, one ``Generator.binomial`` call per customer
  per period (Eq. (9) with independent products): what the vectorised step replaces;
* control 3: the period of ``step`` written by hand in numpy with one stream for all
  customers (one uniform per purchase occasion, products by inverse CDF with
  ``np.searchsorted``, lost sales and profit): a plain vectorised reading of the equations
  without per-customer streams, for the ratio.

``python benchmarks/recommendation_speed.py [--quick]``
"""

from __future__ import annotations

import argparse
import math
import platform
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from agents.recommendation import BaseStockLevels, UniformRecommendation
from sim.recommendation import RecommendationModel, RecommendationProblem, purchase_probabilities


def best_rate(
    work: Callable[[Any], None],
    periods: int,
    repeats: int = 3,
    setup: Callable[[], Any] = lambda: None,
) -> float:
    """Periods per CPU second of ``work(setup())``, the best of ``repeats``; ``setup`` (a
    fresh model) is not timed."""
    best = math.inf
    for _ in range(repeats):
        state = setup()
        start = time.process_time()
        work(state)
        best = min(best, time.process_time() - start)
    return periods / best


def problem(n: int, m: int) -> RecommendationProblem:
    rng = np.random.default_rng(0)
    return RecommendationProblem(
        ratings=rng.uniform(0, 4, (n, m)), r_max=5.0, capacity=3, lead_time=2
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer periods, for a smoke run")
    periods = 500 if parser.parse_args().quick else 5_000
    n, m = 50, 1_000
    p = problem(n, m)
    q = np.full(n, 60.0)
    print(f"host: {platform.processor() or platform.machine()}, Python {platform.python_version()}")

    start = time.process_time()
    total = 0
    for i in range(10_000_000):
        total += i
    print(f"control 1: a Python loop of 10 million additions: {time.process_time() - start:.2f} s")

    def build() -> RecommendationModel:
        return RecommendationModel(p, seed=1)

    start = time.process_time()
    build()
    print(f"building the model (1,000 streams, alias tables): {time.process_time() - start:.3f} s")

    def steps(model: RecommendationModel) -> None:
        for _ in range(periods):
            model.advance(q)

    def runs(model: RecommendationModel) -> None:
        model.run(periods, BaseStockLevels(levels=(180.0,) * n), UniformRecommendation())

    alphas = np.random.default_rng(1).dirichlet(np.ones(m), size=(8, n))
    few = max(periods // 20, 20)

    def adaptive(model: RecommendationModel) -> None:
        for k in range(few):
            model.advance(q, alphas[k % 8])

    gamma = purchase_probabilities(p, p.uniform_intensities())
    streams = [np.random.default_rng(j) for j in range(m)]

    def naive(_: None) -> None:
        for _ in range(few):
            d = np.zeros(n)
            for j, rng in enumerate(streams):
                d += rng.binomial(3, gamma[:, j])

    def by_hand(_: None) -> None:
        rng = np.random.default_rng(1)
        # Customer j's cumulative probabilities shifted by j: one sorted array for all.
        cdf = np.cumsum(gamma.T, axis=1) + np.arange(m)[:, None]
        cdf[:, -1] = np.arange(1, m + 1)
        cdf = cdf.ravel()
        owner = np.repeat(np.arange(m), 3)
        on_hand = p.initial_inventory.copy()
        for _ in range(periods):
            bought = np.searchsorted(cdf, rng.random(3 * m) + owner, side="right") % n
            d = np.bincount(bought, minlength=n)
            available = on_hand + q
            sales = np.minimum(d, available)
            on_hand = available - sales
            profit = p.price * sales - p.cost * q - p.holding * on_hand - p.penalty * (d - sales)
            profit.sum()

    print(f"N = {n}, M = {m}, capacity 3 per customer:")
    print(
        f"  step, intensities kept:              {best_rate(steps, periods, setup=build):9,.0f} periods/s"
    )
    print(
        f"  run, base stock + uniform modules:   {best_rate(runs, periods, setup=build):9,.0f} periods/s"
    )
    print(
        f"  step, new intensities every period:  {best_rate(adaptive, few, setup=build):9,.0f} periods/s"
    )
    print(f"  control 2, per-customer binomial:    {best_rate(naive, few):9,.0f} periods/s")
    print(f"  control 3, numpy by hand, one stream: {best_rate(by_hand, periods):9,.0f} periods/s")


if __name__ == "__main__":
    main()
