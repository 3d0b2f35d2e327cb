"""Evaluate and tune the §VI firm's heuristics by simulation on common random numbers.

:func:`analysis.tune.tune` searches one stock point of a network scenario; the §VI firm is
not a network (``sim.recommendation``), so it gets this small search instead: a full grid
over two parameters, every point simulated on the same seeds (paired comparisons), the
best mean profit per period wins.

* the base-stock levels are ``S_i = multiple * (L_i + 1) * mu_i``, with ``mu_i`` the
  expected demand per period at uniform intensities (Eq. (9)–(10): ``sum_j c_j gamma[i, j]``),
  the usual cover of the protection period scaled by one safety multiple;
* the recommendation module's ``mix`` (weight of its scores against uniform).

The winner's profit is optimistic (chosen on the seeds it is scored on); re-evaluate it
with :func:`evaluate` on other seeds for an unbiased figure.

:func:`episode_profits` and :func:`heuristic_episode_profits` score trained policies of
:class:`sim.recommendation_env.RecommendationEnv` and heuristic modules on the same
episodes: one ``env.reset(seed=s)`` per seed for every policy, so seed ``s`` is the same
customers' draws (and the same random half of an IM-Only or RS-Only action) whoever decides.

:func:`replicate` plays a built-in experiment (:class:`scenarios.recommendation.
RecommendationScenario`) for ``supplysim run``: per-replication KPIs and the per-period
table.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from agents.recommendation import (
    BaseStockLevels,
    CoverBaseStock,
    InventoryRecommendation,
    MarginRecommendation,
    TargetedRecommendation,
    UniformRecommendation,
)
from scenarios.recommendation import RecommendationScenario
from sim.recommendation import RecommendationModel, RecommendationProblem, purchase_probabilities

__all__ = [
    "KPIS",
    "RecommendationTuning",
    "base_stock",
    "episode_profits",
    "evaluate",
    "expected_demand",
    "heuristic_episode_profits",
    "inventory_module",
    "recommendation_module",
    "replicate",
    "tune",
]

#: KPIs of :func:`replicate`, per period after the warm-up (units; ``profit`` money).
KPIS = ("demand", "sales", "shortage", "on_hand", "ordered", "profit")


def expected_demand(problem: RecommendationProblem, intensities: Any = None) -> np.ndarray:
    """``E[d_t[i]] = sum_j c_j gamma[i, j]`` at ``intensities`` (default uniform), units."""
    alpha = problem.uniform_intensities() if intensities is None else intensities
    return purchase_probabilities(problem, alpha) @ problem.capacity


def base_stock(problem: RecommendationProblem, multiple: float) -> BaseStockLevels:
    """Levels ``multiple * (L_i + 1) * mu_i`` (rounded to whole units)."""
    cover = (problem.lead_time + 1) * expected_demand(problem)
    return BaseStockLevels(levels=tuple(np.round(multiple * cover)))


def evaluate(
    problem: RecommendationProblem,
    inventory: Any,
    recommendation: Any,
    *,
    periods: int = 200,
    warmup: int = 20,
    seeds: Iterable[int] = range(4),
) -> np.ndarray:
    """Mean profit per period after ``warmup`` (money) of one run per seed, in seed order."""
    out = []
    for seed in seeds:
        run = RecommendationModel(problem, seed=seed).run(periods, inventory, recommendation)
        out.append(run.reward[warmup:].mean())
    return np.array(out)


def episode_profits(
    problem: RecommendationProblem,
    policy: Any,
    seeds: Iterable[int],
    *,
    periods: int,
    **options: Any,
) -> np.ndarray:
    """Profit of one episode of ``periods`` periods (money, summed over periods) per seed,
    in seed order, of ``policy``: anything with ``control`` and ``act(obs) -> action`` of
    :class:`~sim.recommendation_env.RecommendationEnv` (e.g.
    :class:`agents.learning.recommendation.RecommendationPolicy`), played in the environment
    of its ``control`` (``options``: the environment's, e.g. ``actions``)."""
    from sim.recommendation_env import RecommendationEnv

    env = RecommendationEnv(problem, periods=periods, control=policy.control, **options)
    out = []
    for seed in seeds:
        obs, _ = env.reset(seed=int(seed))
        total, done = 0.0, False
        while not done:
            obs, reward, _, done, _ = env.step(policy.act(obs))
            total += reward
        out.append(total)
    return np.array(out)


def heuristic_episode_profits(
    problem: RecommendationProblem,
    inventory: Any,
    recommendation: Any,
    seeds: Iterable[int],
    *,
    periods: int,
) -> np.ndarray:
    """As :func:`episode_profits` for an inventory and a recommendation module
    (:mod:`agents.recommendation`): the same episodes (the environment's run of seed ``s``),
    the modules deciding on the model's own observations."""
    from sim.recommendation_env import RecommendationEnv

    env = RecommendationEnv(problem, periods=periods)
    out = []
    for seed in seeds:
        env.reset(seed=int(seed))
        out.append(env.model.run(periods, inventory, recommendation).reward.sum())
    return np.array(out)


@dataclass(frozen=True)
class RecommendationTuning:
    """The result of :func:`tune`.

    Attributes:
        multiple: the best safety multiple of the base-stock levels.
        mix: the best ``mix`` of the recommendation module.
        inventory: the tuned inventory module.
        recommendation: the tuned recommendation module.
        profit: mean profit per period of the winner over the seeds (money; optimistic).
        table: every grid point: ``multiple``, ``mix``, ``profit``, ``se`` (standard error
            over seeds).
    """

    multiple: float
    mix: float
    inventory: Any
    recommendation: Any
    profit: float
    table: pd.DataFrame


def tune(
    problem: RecommendationProblem,
    recommendation: Callable[[float], Any],
    *,
    multiples: Sequence[float] = (0.8, 1.0, 1.2, 1.4, 1.7, 2.0),
    mixes: Sequence[float] = (0.0, 0.25, 0.5, 0.75, 1.0),
    periods: int = 200,
    warmup: int = 20,
    seeds: Sequence[int] = (0, 1, 2, 3),
    inventory: Callable[[RecommendationProblem, float], Any] | None = None,
) -> RecommendationTuning:
    """Grid search of the base-stock multiple and the recommendation ``mix`` on common
    random numbers. ``recommendation(mix)`` builds the module (e.g. the class
    :class:`~agents.recommendation.InventoryRecommendation`); ``inventory(problem,
    multiple)`` the inventory module (default :func:`base_stock`, fixed levels; e.g.
    ``lambda problem, m: CoverBaseStock(m)`` for levels that follow the recommendation)."""
    inventory = inventory or base_stock
    if not multiples or not mixes or not seeds:
        raise ValueError("tune: multiples, mixes and seeds must each have at least one entry")
    rows = []
    for multiple, mix in itertools.product(multiples, mixes):
        profits = evaluate(
            problem,
            inventory(problem, multiple),
            recommendation(mix),
            periods=periods,
            warmup=warmup,
            seeds=seeds,
        )
        se = profits.std(ddof=1) / np.sqrt(len(profits)) if len(profits) > 1 else np.nan
        rows.append({"multiple": multiple, "mix": mix, "profit": profits.mean(), "se": se})
    table = pd.DataFrame(rows)
    best = table.loc[table["profit"].idxmax()]
    return RecommendationTuning(
        multiple=float(best["multiple"]),
        mix=float(best["mix"]),
        inventory=inventory(problem, float(best["multiple"])),
        recommendation=recommendation(float(best["mix"])),
        profit=float(best["profit"]),
        table=table,
    )


def recommendation_module(scenario: RecommendationScenario) -> Any:
    """The scenario's recommendation module (``uniform``, ``inventory``, ``margin`` or
    ``targeting``)."""
    if scenario.recommendation == "uniform":
        return UniformRecommendation()
    modules = {
        "inventory": InventoryRecommendation,
        "margin": MarginRecommendation,
        "targeting": TargetedRecommendation,
    }
    return modules[scenario.recommendation](scenario.mix)


def inventory_module(scenario: RecommendationScenario) -> Any:
    """The scenario's base stock: fixed levels (:func:`base_stock`) or levels that follow
    the recommendation (:class:`~agents.recommendation.CoverBaseStock`)."""
    if scenario.base_stock == "cover":
        return CoverBaseStock(scenario.base_stock_multiple)
    return base_stock(scenario.problem(), scenario.base_stock_multiple)


def replicate(scenario: RecommendationScenario) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Play ``scenario``'s replications (seeds ``seed``, ``seed + 1``, ...) with its base
    stock (:func:`inventory_module`) and its recommendation module.

    Returns:
        ``kpis``: one row per replication and product (``node`` ``"product i"``) plus one
        for the firm (``node`` ``"firm"``, sums over products), each :data:`KPIS` column the
        mean per period after the warm-up; ``periods``: the per-period table of every
        replication (``replication``, ``period``, ``node``, the :data:`KPIS` columns and
        ``backlog``, so that :mod:`analysis.plots`' inventory and order figures draw it).
    """
    problem = scenario.problem()
    inventory = inventory_module(scenario)
    recommendation = recommendation_module(scenario)
    names = [f"product {i}" for i in range(problem.n_products)]
    kpis, periods = [], []
    for r in range(scenario.replications):
        run = RecommendationModel(problem, seed=scenario.seed + r).run(
            scenario.periods, inventory, recommendation
        )
        table = run.table().rename(columns={"orders": "ordered"})
        table["node"] = np.array(names)[table.pop("product").to_numpy()]
        table["backlog"] = table["shortage"] if problem.shortage == "backlog" else 0.0
        table.insert(0, "replication", r)
        periods.append(table)
        kept = table[table["period"] >= scenario.warmup]
        per_product = kept.groupby("node", sort=False)[list(KPIS)].mean()
        per_product.loc["firm"] = kept.groupby("period")[list(KPIS)].sum().mean()
        kpis.append(per_product.reset_index().assign(replication=r))
    return pd.concat(kpis, ignore_index=True), pd.concat(periods, ignore_index=True)
