"""The follow-up paper's managerial insights, measured on the trained agents of the seed
paper's Fig. 2 (``benchmarks/recommendation_fig2.py``) in the §VI firm.

Run: ``PYTHONPATH=. nice -n 10 python benchmarks/recommendation_insights.py [--fig2 DIR]
[--scenarios recommendation_lost,recommendation_backlog] [--episodes 100] [--start T]
[--product K] [--out DIR]``.

It reads the Fig. 2 output folder (``--fig2``, default
``benchmarks/results/recommendation_fig2``): each scenario's instance and the tuned
base-stock multiple from ``<scenario>/heuristic.json`` and the trained checkpoints of
**Joint IM-RS** (``<scenario>/joint``) and **IM-Only** (``<scenario>/inventory``); nothing
is trained here (a missing file is a one-line error saying to run the Fig. 2 script
first). Every agent plays the same evaluation episodes as in Fig. 2 (``env.reset(seed=s)``
for ``s = replication_seed(2000, r)``, episodes of the length Fig. 2 trained on): the
same customers' draws whoever decides (common random numbers), so comparisons are paired
by episode. Each CI is a Student-t 95% interval across episodes.

Definitions (``mu_i``: product ``i``'s expected demand per period at uniform
intensities, :func:`analysis.recommendation.expected_demand`):

* **Recommendation lift** of product ``i`` in period ``t``: the expected demand at the
  intensities ``alpha_t`` in force that period over that at uniform intensities,
  ``lift_t[i] = E[d_t[i] | alpha_t] / mu_i`` (:func:`lift`). Under ``normalize="product"``
  (Eq. (8) as written) every product's intensities sum to 1, so how much a product is
  recommended shows only in what its exposure does to demand: lift 1 is neutral, above 1
  the product gains customers from others. Uniform recommendation has lift 1 everywhere.
* **Cover**: an inventory level in periods of demand, divided by ``mu_i`` so that products
  of different sizes compare. *On-hand cover* is ``I_{t-1}[i] / mu_i`` (the stock on hand
  at the start of period ``t``, what the policy sees when it chooses ``alpha_t``);
  *position cover* is ``(on hand + pipeline - backlog) / mu_i`` at the same moment.

The four insights:

1. **Synchronisation**: in every period the Pearson correlation across the ``N`` products
   between ``lift_t`` and the cover (:func:`across_products`; a period where either is
   constant over products is left out), averaged over the episode's periods
   (:func:`episode_correlation`): one number per episode. Also the policy's raw
   recommendation score (its action, in ``[-1, 1]``) against on-hand cover, and the
   dynamic part alone: the correlation over the episode's periods within each product
   (the same functions on the transposed arrays), averaged over products, which products'
   fixed differences (lead times, sizes) cannot produce. IM-Only (recommendation drawn at
   random each period) is the reference without coordination; Joint IM-RS minus IM-Only
   is paired by episode.
2. **Margin and marketing efficiency**: per episode, each product's lift averaged over
   periods, correlated across products with ``(p_out - p_in) * E[i]``, with the margin
   ``p_out - p_in`` alone and with ``E[i]`` alone; against IM-Only's, whose random
   recommendation already lifts products of high ``E`` more (Eq. (8) scales the effect of
   exposure by ``E``).
3. **Demand smoothing**: per episode, the coefficient of variation over periods
   (:func:`coefficient_of_variation`: standard deviation / mean) of each product's demand,
   averaged over products, for Joint IM-RS, IM-Only and base stock with uniform
   recommendation (the Fig. 2 heuristic, tuned), paired by episode (both learners against
   the heuristic, and Joint IM-RS against IM-Only); also the CV of each
   product's *expected* demand ``lift_t[i] * mu_i``, the part of the variation the
   recommendation itself makes (0 under uniform recommendation), and the *within-period
   noise CV*, the standard deviation of ``d_t[i]`` given the period's intensities over its
   mean, averaged over periods and products: the customers' own randomness, which
   concentrating a product's exposure on the customers who like it lowers whether or not
   the concentration changes over time. All periods of the episode. The firm's total demand is not measured: every purchase occasion buys one
   unit of some product, so it is ``sum_j c_j`` in every period whatever the intensities.
4. **Adaptive ordering**: from period ``T = --start`` (default: half the episode) on, the
   recommendation half of Joint IM-RS's action for product ``k`` is set to the maximum
   score 1 (:func:`boost`); its orders, and everything else, stay the policy's. The product
   (``--product``; default the one with the lowest mean lift in the un-intervened
   episodes, so that the boost is a real shift) is compared period by period with the
   same episodes un-intervened: the difference in its demand, its sales and its orders,
   with 95% CIs. Before ``T`` the two are the same to the bit (the same actions on the
   same draws); the orders of period ``T`` are decided before its demand, so they can
   differ from ``T + 1`` on. "Orders follow" when the orders' CI lies above zero; the
   report gives the first such period (:func:`first_above_zero`, a scan of per-period
   CIs, so one period may pass by chance) and the mean differences over
   ``T + 1 .. end`` (per episode, then a CI over episodes).

Written atomically into ``--out`` (default ``benchmarks/results/recommendation_insights``):
``insights.csv`` (one row per scenario, insight, measure, agent and, where they apply,
product or period: mean, 95% CI half-width, episodes), ``insights.md`` (the tables and,
per insight, whether it held) and ``insights.png`` (one row of five panels per scenario).
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from agents.recommendation import UniformRecommendation
from analysis.experiment import replication_seed
from analysis.files import write_text
from analysis.recommendation import base_stock, expected_demand
from analysis.statistics import mean_ci
from scenarios.recommendation import BUILTIN, RecommendationScenario
from sim.recommendation import (
    RecommendationModel,
    RecommendationProblem,
    purchase_probabilities,
)

#: The seeds of Fig. 2's evaluation episodes: ``replication_seed(EVAL_SEED, r)``.
EVAL_SEED = 2000
JOINT, IM_ONLY, HEURISTIC = "Joint IM-RS", "IM-Only", "base stock + uniform (tuned)"
#: The trained agents read here: label -> ``RecommendationEnv.control`` (its folder).
TRAINED = {JOINT: "joint", IM_ONLY: "inventory"}
AGENTS = (JOINT, IM_ONLY, HEURISTIC)
SYNC = (
    "lift vs on-hand cover",
    "lift vs position cover",
    "score vs on-hand cover",
    "lift vs on-hand cover, within product",
)
MARGIN = ("lift vs margin x E", "lift vs margin", "lift vs E")
SMOOTH = ("CV of product demand", "CV of product expected demand", "within-period noise CV")
COLUMNS = ["scenario", "insight", "measure", "agent", "product", "period", "x"]
COLUMNS += ["mean", "ci95", "n"]


# --- the statistics (pure functions) ---------------------------------------------------


def lift(problem: RecommendationProblem, intensities: np.ndarray) -> np.ndarray:
    """``E[d[i] | intensities] / E[d[i] | uniform]`` per product (1 = neutral); see the
    module docstring."""
    return expected_demand(problem, intensities) / expected_demand(problem)


def across_products(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson correlation across products (the last axis) of ``x`` and ``y`` row by row:
    shape ``(..., N)`` each gives ``(...)``; NaN where either row is constant."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    xc = x - x.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    den = np.sqrt((xc * xc).sum(axis=-1) * (yc * yc).sum(axis=-1))
    flat = (np.ptp(x, axis=-1) == 0) | (np.ptp(y, axis=-1) == 0)
    return np.where(flat, np.nan, (xc * yc).sum(axis=-1) / np.where(flat, 1.0, den))


def episode_correlation(x: np.ndarray, y: np.ndarray) -> float:
    """The mean over periods (rows) of :func:`across_products`, periods with a constant
    row left out (NaN when every period is)."""
    r = across_products(x, y)
    return float(r[~np.isnan(r)].mean()) if (~np.isnan(r)).any() else float("nan")


def coefficient_of_variation(series: np.ndarray) -> np.ndarray:
    """Standard deviation (``ddof=1``) over periods (axis 0) divided by the mean."""
    s = np.asarray(series, dtype=float)
    return s.std(axis=0, ddof=1) / s.mean(axis=0)


def boost(
    action: np.ndarray, period: int, *, start: int, product: int, score: float = 1.0
) -> np.ndarray:
    """A joint action (``N`` orders, then ``N`` scores) with product ``product``'s score
    set to ``score`` from period ``start`` on; before ``start`` the action itself."""
    if period < start:
        return action
    a = np.array(action, dtype=np.float64)
    a[len(a) // 2 + product] = score
    return a


def first_above_zero(differences: np.ndarray, periods: Sequence[int]) -> int | None:
    """The first of ``periods`` whose column of ``differences`` (episodes x periods) has a
    95% CI entirely above zero; ``None`` if none has."""
    for t in periods:
        est = mean_ci(differences[:, t])
        if est.low > 0:
            return int(t)
    return None


# --- playing episodes -----------------------------------------------------------------


@dataclass
class Episode:
    """One episode's per-period record, arrays ``(periods, N)`` (units unless stated).

    Attributes:
        on_hand: ``I_{t-1}``, on hand at the start of the period.
        position: on hand + pipeline - backlog at the start of the period.
        orders: ``q_t``.
        demand: ``d_t``.
        sales: ``S_t`` (units sold in the period).
        lift: :func:`lift` of the intensities in force in the period (ratio).
        noise: the standard deviation of ``d_t[i]`` given those intensities,
            ``sqrt(sum_j c_j gamma[i, j] (1 - gamma[i, j]))`` (Eq. (9)).
        scores: the policy's recommendation scores in ``[-1, 1]`` (NaN: none).
        profit: the period's profit per product (money).
    """

    on_hand: np.ndarray
    position: np.ndarray
    orders: np.ndarray
    demand: np.ndarray
    sales: np.ndarray
    lift: np.ndarray
    noise: np.ndarray
    scores: np.ndarray
    profit: np.ndarray


def _play(model: RecommendationModel, periods: int, decide: Callable[[int], np.ndarray]) -> Episode:
    """Record ``periods`` periods of ``model``; ``decide(t)`` plays period ``t`` (advances
    the model) and returns the recommendation scores it used."""
    n = model.problem.n_products
    rec = {f: np.empty((periods, n)) for f in Episode.__dataclass_fields__}
    for t in range(periods):
        obs = model.observe()
        rec["on_hand"][t], rec["position"][t] = obs.on_hand, obs.inventory_position
        rec["scores"][t] = decide(t)
        rec["orders"][t], rec["demand"][t] = model.orders, model.demand
        rec["sales"][t] = model.sales
        rec["lift"][t] = lift(model.problem, model.intensities)
        gamma = purchase_probabilities(model.problem, model.intensities)
        rec["noise"][t] = np.sqrt((gamma * (1.0 - gamma)) @ model.problem.capacity)
        rec["profit"][t] = model.profit
    return Episode(**rec)


def play_policy(
    env: Any,
    policy: Any,
    seed: int,
    override: Callable[[np.ndarray, int], np.ndarray] | None = None,
) -> Episode:
    """One episode of ``policy`` in ``env`` (a :class:`~sim.recommendation_env.
    RecommendationEnv` of its control) from ``env.reset(seed=seed)``, stepped by the
    environment itself; ``override(action, t)`` may change the action of period ``t``."""
    obs, _ = env.reset(seed=int(seed))
    n = env.problem.n_products

    def decide(t: int) -> np.ndarray:
        nonlocal obs
        action = policy.act(obs)
        if override is not None:
            action = override(action, t)
        obs, *_ = env.step(action)
        if env.control == "joint":
            return np.clip(np.asarray(action, dtype=np.float64)[n:], -1.0, 1.0)
        return np.full(n, np.nan)

    return _play(env.model, env.periods, decide)


def play_modules(env: Any, inventory: Any, recommendation: Any, seed: int) -> Episode:
    """One episode of an inventory and a recommendation module on the model of
    ``env.reset(seed=seed)`` (as :func:`analysis.recommendation.heuristic_episode_profits`)."""
    env.reset(seed=int(seed))
    model = env.model
    n = model.problem.n_products

    def decide(t: int) -> np.ndarray:
        obs = model.observe()
        alpha = recommendation.act(obs)
        if alpha is not None:
            model.set_intensities(alpha, type(recommendation).__name__)
        model.advance(inventory.act(obs), source=type(inventory).__name__)
        return np.full(n, np.nan)

    return _play(model, env.periods, decide)


def _stack(episodes: list[Episode], field: str) -> np.ndarray:
    return np.stack([getattr(e, field) for e in episodes])  # (episodes, periods, N)


# --- the measurements -----------------------------------------------------------------


def _row(scenario: str, insight: str, measure: str, agent: str, values: Any, **extra: Any):
    """One row of ``insights.csv``: the mean of ``values`` (one per episode; NaN ones, e.g.
    an episode without a defined correlation, left out) with its 95% CI half-width."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    est = mean_ci(v) if len(v) > 1 else None
    row = dict.fromkeys(COLUMNS, np.nan)
    row.update(scenario=scenario, insight=insight, measure=measure, agent=agent, **extra)
    row.update(
        mean=est.mean if est else (float(v[0]) if len(v) else np.nan),
        ci95=est.half_width if est else np.nan,
        n=len(v),
    )
    return row


def measure(
    name: str,
    problem: RecommendationProblem,
    policies: dict[str, Any],
    heuristic: tuple[Any, Any],
    *,
    seeds: Sequence[int],
    periods: int,
    start: int,
    product: int | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The four insights in one scenario.

    Args:
        name: the scenario's name (the rows' ``scenario``).
        problem: its instance.
        policies: ``JOINT`` and ``IM_ONLY`` -> anything with ``control`` and ``act(obs)``.
        heuristic: the inventory and recommendation modules of ``HEURISTIC``.
        seeds: the episodes' seeds.
        periods: episode length.
        start: the period ``T`` of the intervention.
        product: the boosted product (default: the lowest mean lift under Joint IM-RS).

    Returns:
        The rows of ``insights.csv`` and facts for the report (``product``, ``start``,
        the Joint IM-RS episode profits, the largest difference before ``T``).
    """
    from sim.recommendation_env import RecommendationEnv

    if not 1 <= start < periods - 1:
        raise ValueError(f"start: must lie in 1..{periods - 2}, got {start}")
    envs = {c: RecommendationEnv(problem, periods=periods, control=c) for c in TRAINED.values()}
    runs = {
        label: [play_policy(envs[policies[label].control], policies[label], s) for s in seeds]
        for label in TRAINED
    }
    runs[HEURISTIC] = [play_modules(envs["joint"], *heuristic, s) for s in seeds]
    mu = expected_demand(problem)
    rows: list[dict[str, Any]] = []

    # 1. synchronisation
    sync: dict[str, dict[str, np.ndarray]] = {}
    for label in (JOINT, IM_ONLY):
        eps = runs[label]
        pairs = {
            SYNC[0]: [(e.lift, e.on_hand / mu) for e in eps],
            SYNC[1]: [(e.lift, e.position / mu) for e in eps],
            SYNC[2]: [(e.scores, e.on_hand / mu) for e in eps],
            # over periods within each product (transposed: rows are products)
            SYNC[3]: [(e.lift.T, e.on_hand.T) for e in eps],
        }
        if label != JOINT:
            del pairs[SYNC[2]]  # IM-Only's scores are the environment's random draws
        sync[label] = {
            m: np.array([episode_correlation(x, y) for x, y in xy]) for m, xy in pairs.items()
        }
    for m in SYNC:
        for label in (JOINT, IM_ONLY):
            if m in sync[label]:
                rows.append(_row(name, "synchronisation", m, label, sync[label][m]))
        if m in sync[IM_ONLY]:
            diff = sync[JOINT][m] - sync[IM_ONLY][m]
            rows.append(_row(name, "synchronisation", m, f"{JOINT} - {IM_ONLY}", diff))

    # 2. margin and marketing efficiency
    margin = problem.price - problem.cost
    targets = dict(
        zip(MARGIN, (margin * problem.efficiency, margin, problem.efficiency), strict=True)
    )
    corr: dict[str, dict[str, np.ndarray]] = {}
    for label in (JOINT, IM_ONLY):
        mean_lift = _stack(runs[label], "lift").mean(axis=1)  # (episodes, N)
        corr[label] = {
            m: across_products(mean_lift, np.broadcast_to(target, mean_lift.shape))
            for m, target in targets.items()
        }
        for i in range(problem.n_products):
            rows.append(
                _row(
                    name,
                    "margin and efficiency",
                    "mean lift",
                    label,
                    mean_lift[:, i],
                    product=i,
                    x=float(targets[MARGIN[0]][i]),
                )
            )
    for m in MARGIN:
        for label in (JOINT, IM_ONLY):
            rows.append(_row(name, "margin and efficiency", m, label, corr[label][m]))
        diff = corr[JOINT][m] - corr[IM_ONLY][m]
        rows.append(_row(name, "margin and efficiency", m, f"{JOINT} - {IM_ONLY}", diff))

    # 3. demand smoothing (the firm's total demand is sum_j c_j every period: not measured)
    cv = {}
    for label in AGENTS:
        demand = _stack(runs[label], "demand")
        lifts = _stack(runs[label], "lift")  # CV of lift_t[i] * mu_i is that of lift_t[i]
        cv[label] = {
            SMOOTH[0]: np.array([coefficient_of_variation(d).mean() for d in demand]),
            SMOOTH[1]: np.array([coefficient_of_variation(d).mean() for d in lifts]),
            SMOOTH[2]: (_stack(runs[label], "noise") / (lifts * mu)).mean(axis=(1, 2)),
        }
    for m in SMOOTH:
        for label in AGENTS:
            rows.append(_row(name, "demand smoothing", m, label, cv[label][m]))
        for label in (JOINT, IM_ONLY):
            diff = cv[label][m] - cv[HEURISTIC][m]
            rows.append(_row(name, "demand smoothing", m, f"{label} - {HEURISTIC}", diff))
        diff = cv[JOINT][m] - cv[IM_ONLY][m]
        rows.append(_row(name, "demand smoothing", m, f"{JOINT} - {IM_ONLY}", diff))

    # 4. adaptive ordering
    base = runs[JOINT]
    if product is None:
        product = int(np.argmin(_stack(base, "lift").mean(axis=(0, 1))))
    joint = policies[JOINT]
    boosted = [
        play_policy(
            envs["joint"],
            joint,
            s,
            lambda a, t: boost(a, t, start=start, product=product),
        )
        for s in seeds
    ]
    before = max(
        float(np.abs(getattr(b, f)[:start] - getattr(e, f)[:start]).max())
        for b, e in zip(boosted, base, strict=True)
        for f in Episode.__dataclass_fields__
    )
    k = product
    diffs = {
        "demand": _stack(boosted, "demand")[:, :, k] - _stack(base, "demand")[:, :, k],
        "sales": _stack(boosted, "sales")[:, :, k] - _stack(base, "sales")[:, :, k],
        "orders": _stack(boosted, "orders")[:, :, k] - _stack(base, "orders")[:, :, k],
        "lift": _stack(boosted, "lift")[:, :, k] - _stack(base, "lift")[:, :, k],
    }
    for what, d in diffs.items():
        for t in range(max(0, start - 5), periods):
            rows.append(
                _row(
                    name,
                    "adaptive ordering",
                    f"difference in {what}",
                    JOINT,
                    d[:, t],
                    product=k,
                    period=t,
                )
            )
        rows.append(
            _row(
                name,
                "adaptive ordering",
                f"mean difference in {what} after T",
                JOINT,
                d[:, start + 1 :].mean(axis=1),
                product=k,
            )
        )
    for what in ("demand", "orders"):
        first = first_above_zero(diffs[what], range(start, periods))
        rows.append(
            _row(
                name,
                "adaptive ordering",
                f"first period {what} above",
                JOINT,
                [np.nan if first is None else first],
                product=k,
            )
        )
    rows.append(_row(name, "adaptive ordering", "T", JOINT, [start], product=k))
    score = _stack(base, "scores")[:, start:, k].mean(axis=1)
    rows.append(
        _row(
            name,
            "adaptive ordering",
            "policy's score after T (un-intervened)",
            JOINT,
            score,
            product=k,
        )
    )
    facts = {
        "product": k,
        "start": start,
        "before_max_difference": before,
        "joint_profits": np.array([e.profit.sum() for e in base]),
    }
    return rows, facts


# --- the report ---------------------------------------------------------------------


def _cell(r: pd.Series, digits: int = 3) -> str:
    if np.isnan(r["ci95"]):
        return f"{r['mean']:.{digits}f}"
    return f"{r['mean']:.{digits}f} ± {r['ci95']:.{digits}f}"


def _sig(r: pd.Series) -> int:
    """+1 / -1 when the 95% CI lies above / below zero, else 0."""
    return int(r["mean"] - r["ci95"] > 0) - int(r["mean"] + r["ci95"] < 0)


def markdown(table: pd.DataFrame, facts: dict[str, dict[str, Any]], settings: str) -> str:
    """The summary as Markdown, with a verdict per insight and scenario."""
    lines = ["# Managerial insights on the trained §VI agents\n", settings, ""]
    pick = lambda s, i, m, a: table[  # noqa: E731
        (table["scenario"] == s)
        & (table["insight"] == i)
        & (table["measure"] == m)
        & (table["agent"] == a)
        & table["period"].isna()
    ].iloc[0]
    names = list(dict.fromkeys(table["scenario"]))
    yes = lambda ok: "**held**" if ok else "**not held**"  # noqa: E731

    paired = f"{JOINT} - {IM_ONLY}"

    def block(
        title: str, insight: str, measures: Sequence[str], agents: Sequence[str], digits: int
    ) -> None:
        nonlocal lines
        lines += [title, "", "| scenario | measure | " + " | ".join(agents) + " |"]
        lines += ["|---" * (2 + len(agents)) + "|"]
        for s in names:
            for m in measures:
                t = table[(table["scenario"] == s) & (table["insight"] == insight)]
                have = set(t.loc[t["measure"] == m, "agent"])
                cells = [_cell(pick(s, insight, m, a), digits) if a in have else "" for a in agents]
                lines.append(f"| {s} | {m} | " + " | ".join(cells) + " |")
        lines.append("")

    block(
        "## 1. Synchronisation: Pearson correlation across products in each period, mean "
        "over the episode's periods (the last row: over periods within each product, mean "
        "over products); mean ± 95% CI over episodes, differences paired by episode",
        "synchronisation",
        SYNC,
        (JOINT, IM_ONLY, paired),
        3,
    )
    block(
        "## 2. Margin and marketing efficiency: Pearson correlation across products of "
        "each product's lift averaged over the episode; mean ± 95% CI over episodes",
        "margin and efficiency",
        MARGIN,
        (JOINT, IM_ONLY, paired),
        3,
    )
    lines += [
        "## 3. Demand smoothing: coefficient of variation over the episode's "
        "periods (mean ± 95% CI over episodes; differences paired by episode)",
        "",
    ]
    diffs = [f"{a} - {HEURISTIC}" for a in (JOINT, IM_ONLY)] + [paired]
    lines += ["| scenario | measure | " + " | ".join((*AGENTS, *diffs)) + " |"]
    lines += ["|---" * (2 + len(AGENTS) + len(diffs)) + "|"]
    for s in names:
        for m in SMOOTH:
            cells = [_cell(pick(s, "demand smoothing", m, a), 4) for a in (*AGENTS, *diffs)]
            lines.append(f"| {s} | {m} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## 4. Adaptive ordering: product k's score set to the maximum from period "
        "T on; boosted minus un-intervened, same episodes (units per period)",
        "",
    ]
    lines += [
        "| scenario | k | T | policy's score of k after T | mean Δ lift after T | "
        "mean Δ demand after T | mean Δ sales after T | mean Δ orders after T | "
        "first period Δ demand > 0 | "
        "first period Δ orders > 0 |",
        "|---" * 10 + "|",
    ]
    first = {}
    for s in names:
        f = facts[s]
        a = "adaptive ordering"
        first[s] = {
            w: pick(s, a, f"first period {w} above", JOINT)["mean"] for w in ("demand", "orders")
        }
        show = lambda v: "none" if np.isnan(v) else f"{int(v)}"  # noqa: E731
        lines.append(
            f"| {s} | {f['product']} | {f['start']} | "
            f"{_cell(pick(s, a, 'policy' + chr(39) + 's score after T (un-intervened)', JOINT))} | "
            + " | ".join(
                _cell(pick(s, a, f"mean difference in {w} after T", JOINT))
                for w in ("lift", "demand", "sales", "orders")
            )
            + f" | {show(first[s]['demand'])} | {show(first[s]['orders'])} |"
        )
    lines += [
        "",
        "Periods before T: largest difference between boosted and un-intervened "
        "episodes in any recorded quantity: "
        + ", ".join(f"{s} {facts[s]['before_max_difference']:g}" for s in names)
        + " (the same to the bit).",
        "",
    ]
    lines += ["## Verdicts (a 95% CI above zero counts)", ""]
    for s in names:
        c = lambda i, m, a, d=3, s=s: _cell(pick(s, i, m, a), d)  # noqa: E731
        sig = lambda i, m, a, s=s: _sig(pick(s, i, m, a))  # noqa: E731
        sync, mar, smo, ada = (
            "synchronisation",
            "margin and efficiency",
            "demand smoothing",
            "adaptive ordering",
        )
        held = sig(sync, SYNC[0], JOINT) > 0 and sig(sync, SYNC[0], paired) > 0
        lines += [
            f"- **{s}**",
            f"  - synchronisation: {yes(held)} (lift vs on-hand cover {c(sync, SYNC[0], JOINT)},"
            f" above random recommendation's by {c(sync, SYNC[0], paired)}; within products "
            f"over time {c(sync, SYNC[3], JOINT)}; against the inventory position "
            f"{c(sync, SYNC[1], JOINT)})",
        ]
        held = sig(mar, MARGIN[0], JOINT) > 0 and sig(mar, MARGIN[0], paired) > 0
        lines.append(
            f"  - more recommendation for higher margin x efficiency: {yes(held)} "
            f"({c(mar, MARGIN[0], JOINT)}, above random recommendation's by "
            f"{c(mar, MARGIN[0], paired)}); margin alone {c(mar, MARGIN[1], JOINT)} "
            f"({c(mar, MARGIN[1], paired)} above random), efficiency alone "
            f"{c(mar, MARGIN[2], JOINT)} ({c(mar, MARGIN[2], paired)} against random)"
        )
        lines.append(
            f"  - demand smoother than under uniform recommendation: "
            f"{yes(sig(smo, SMOOTH[0], diffs[0]) < 0)} (CV of product demand "
            f"{c(smo, SMOOTH[0], diffs[0], 4)}; against random recommendation "
            f"{c(smo, SMOOTH[0], paired, 4)}); of which the within-period noise "
            f"{c(smo, SMOOTH[2], diffs[0], 4)}, while the recommendation itself makes "
            f"expected demand vary over time (CV {c(smo, SMOOTH[1], JOINT, 4)}; uniform 0)"
        )
        gain = {w: pick(s, ada, f"mean difference in {w} after T", JOINT)["mean"]
                for w in ("demand", "sales", "orders")}  # fmt: skip
        follow = not np.isnan(first[s]["orders"])
        share = lambda a, b: f"{a / b:.0%}" if b else "n/a"  # noqa: E731
        lines.append(
            f"  - orders follow the boosted demand: {yes(follow)} (first periods with a CI "
            f"above zero: demand {show(first[s]['demand'])}, orders "
            f"{show(first[s]['orders'])}; "
            f"after T orders rose {share(gain['orders'], gain['demand'])} of the demand's "
            f"rise and {share(gain['orders'], gain['sales'])} of the sales')"
        )
    return "\n".join(lines) + "\n"


def _bars(
    ax: Any, t: pd.DataFrame, insight: str, measures: Sequence[str], agents: Sequence[str]
) -> None:
    """Grouped bars of ``t``'s rows of ``insight``: one group per measure, one bar per agent
    (with its 95% CI); a missing row is no bar."""
    width = 0.8 / len(agents)
    for j, a in enumerate(agents):
        sel = t[(t["insight"] == insight) & (t["agent"] == a) & t["period"].isna()]
        sel = sel.set_index("measure")
        kept = [m for m in measures if m in sel.index]
        xs = [measures.index(m) + width * (j - (len(agents) - 1) / 2) for m in kept]
        ax.bar(xs, sel.loc[kept, "mean"], width, yerr=sel.loc[kept, "ci95"], capsize=3, label=a)
    ax.axhline(0, color="black", lw=0.8)
    labels = [textwrap.fill(m, 16) for m in measures]
    ax.set_xticks(range(len(measures)), labels, fontsize=8)
    ax.legend(fontsize=8)


def figure(table: pd.DataFrame, episodes: int) -> Any:
    """One row of five panels per scenario, every plotted number a row of ``table``:
    (a) synchronisation and (b) margin correlations as bars with 95% CIs, (c) each
    product's mean lift against its margin x E, (d) the coefficients of variation of
    demand, (e) the intervention's period-by-period differences in the boosted product's
    demand, sales and orders with 95% CI bands."""
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(table["scenario"]))
    fig, axes = plt.subplots(len(names), 5, figsize=(28, 5.6 * len(names)), squeeze=False)
    for row, s in zip(axes, names, strict=True):
        t = table[table["scenario"] == s]
        _bars(row[0], t, "synchronisation", SYNC, (JOINT, IM_ONLY))
        row[0].set_ylabel("Pearson r (mean over periods)")
        row[0].set_ylim(-1, 1)
        row[0].set_title(f"{s}: (a) synchronisation\n{episodes} episodes, all periods, 95% CI")
        _bars(row[1], t, "margin and efficiency", MARGIN, (JOINT, IM_ONLY))
        row[1].set_ylabel("Pearson r across products")
        row[1].set_ylim(-1, 1)
        row[1].set_title(f"{s}: (b) lift vs margin and efficiency\n{episodes} episodes, 95% CI")
        ax = row[2]
        for a, marker in ((JOINT, "o"), (IM_ONLY, "s")):
            p = t[(t["measure"] == "mean lift") & (t["agent"] == a)]
            ax.errorbar(p["x"], p["mean"], yerr=p["ci95"], fmt=marker, capsize=3, label=a)
        ax.axhline(1, color="grey", lw=0.8, ls="--", label="uniform (lift 1)")
        ax.set_xlabel("margin x marketing efficiency (money per unit)")
        ax.set_ylabel("lift averaged over periods (ratio)")
        ax.set_title(f"{s}: (c) each product's lift\n{episodes} episodes, all periods, 95% CI")
        ax.legend(fontsize=8)
        _bars(row[3], t, "demand smoothing", SMOOTH, AGENTS)
        row[3].set_ylim(0, 1.35 * row[3].get_ylim()[1])  # room for the legend above the bars
        row[3].set_ylabel("coefficient of variation over periods (ratio)")
        row[3].set_title(
            f"{s}: (d) demand variability, mean over products\n"
            f"{episodes} episodes, all periods, 95% CI"
        )
        ax = row[4]
        k = int(t.loc[t["measure"] == "difference in demand", "product"].iloc[0])
        start = int(t.loc[t["measure"] == "T", "mean"].iloc[0])
        for what in ("demand", "sales", "orders"):
            p = t[t["measure"] == f"difference in {what}"].sort_values("period")
            line = ax.plot(p["period"], p["mean"], marker=".", label=f"Δ {what}")[0]
            ax.fill_between(
                p["period"],
                p["mean"] - p["ci95"],
                p["mean"] + p["ci95"],
                alpha=0.25,
                color=line.get_color(),
            )
        ax.axvline(start, color="grey", ls=":", label=f"T = {start}")
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xlabel("period")
        ax.set_ylabel(f"product {k}: boosted minus un-intervened (units)")
        ax.set_title(
            f"{s}: (e) product {k}'s score at max from T\n"
            f"{episodes} paired episodes, periods {start - 5}-end, 95% CI"
        )
        ax.legend(fontsize=8)
    fig.suptitle(
        "Managerial insights of the trained Joint IM-RS agents (IM-Only: random "
        "recommendation; lift: expected demand / uniform recommendation's)"
    )
    fig.tight_layout()
    return fig


# --- the command ----------------------------------------------------------------------


def _missing(path: Path) -> None:
    sys.exit(
        f"{path}: not found; run benchmarks/recommendation_fig2.py first (it trains the "
        "agents and tunes the heuristic this script reads), or give its output with --fig2"
    )


def load_scenario(folder: Path) -> tuple[RecommendationScenario, dict[str, Any]]:
    """The scenario and heuristic settings Fig. 2 kept in ``folder/heuristic.json``."""
    path = folder / "heuristic.json"
    if not path.is_file():
        _missing(path)
    kept = json.loads(path.read_text(encoding="utf-8"))
    return RecommendationScenario(**kept["settings"]["instance"]), kept


def load_policies(folder: Path, problem: RecommendationProblem) -> dict[str, Any]:
    """Fig. 2's trained Joint IM-RS and IM-Only policies of one scenario."""
    from agents.learning.recommendation import RecommendationPolicy

    policies = {}
    for label, control in TRAINED.items():
        if not (folder / control / "checkpoints" / "latest").is_file():
            _missing(folder / control / "checkpoints" / "latest")
        policies[label] = RecommendationPolicy.load(folder / control, problem, control)
    return policies


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--fig2",
        default="benchmarks/results/recommendation_fig2",
        help="the output folder of benchmarks/recommendation_fig2.py",
    )
    parser.add_argument("--out", default="benchmarks/results/recommendation_insights")
    parser.add_argument("--scenarios", default=",".join(BUILTIN), help="comma-separated")
    parser.add_argument("--episodes", type=int, default=100, help="evaluation episodes")
    parser.add_argument(
        "--start",
        type=int,
        default=None,
        help="period T of the intervention (default: half the episode)",
    )
    parser.add_argument(
        "--product",
        type=int,
        default=None,
        help="product boosted from T (default: the lowest mean lift)",
    )
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    unknown = [n for n in names if n not in BUILTIN]
    if unknown or not names:
        parser.error(f"--scenarios: unknown {unknown}; known: {', '.join(BUILTIN)}")
    if args.episodes < 2:
        parser.error(f"--episodes: must be >= 2 (a CI needs two), got {args.episodes}")
    fig2, out = Path(args.fig2), Path(args.out)
    loaded = {}
    for n in names:  # every file checked before anything runs
        scenario, kept = load_scenario(fig2 / n)
        problem = scenario.problem()
        loaded[n] = (problem, kept, load_policies(fig2 / n, problem))
    import torch

    torch.set_num_threads(1)
    started = time.perf_counter()
    seeds = [replication_seed(EVAL_SEED, r) for r in range(args.episodes)]
    rows, facts = [], {}
    for n, (problem, kept, policies) in loaded.items():
        periods = int(kept["settings"]["periods"])
        heuristic = (base_stock(problem, kept["multiple"]), UniformRecommendation())
        start = periods // 2 if args.start is None else args.start
        r, facts[n] = measure(
            n,
            problem,
            policies,
            heuristic,
            seeds=seeds,
            periods=periods,
            start=start,
            product=args.product,
        )
        rows += r
        print(f"{n}: measured after {time.perf_counter() - started:.0f} s", flush=True)
    table = pd.DataFrame(rows, columns=COLUMNS)
    checks = []
    profits = fig2 / "fig2_profits.csv"
    if profits.is_file():
        kept = pd.read_csv(profits)
        for n in names:
            ref = kept[(kept["scenario"] == n) & (kept["agent"] == JOINT)].set_index("seed")
            mine = pd.Series(facts[n]["joint_profits"], index=seeds)
            common = ref.index.intersection(mine.index)
            if len(common):
                gap = float(np.abs(ref.loc[common, "profit"] - mine[common]).max())
                checks.append(f"{n}: {len(common)} episodes, largest gap {gap:.3g}")
    first = next(iter(loaded.values()))
    settings = (
        f"N = {first[0].n_products} products, M = {first[0].n_customers} customers; the "
        f"trained agents of `{fig2}`; {args.episodes} evaluation episodes of "
        f"{int(first[1]['settings']['periods'])} periods (Fig. 2's seeds), the same for "
        f"every agent; lift = expected demand at the chosen intensities / at uniform ones; "
        f"cover = stock at the start of the period / expected demand per period at uniform "
        f"intensities. Joint IM-RS's episode profits against Fig. 2's: "
        f"{'; '.join(checks) if checks else 'fig2_profits.csv not found'}. "
        f"Measured in {time.perf_counter() - started:.0f} s."
    )
    write_text(out / "insights.csv", table.to_csv(index=False))
    write_text(out / "insights.md", markdown(table, facts, settings))
    from analysis.plots import save_figure

    save_figure(figure(table, args.episodes), out / "insights.png")
    print(f"done after {time.perf_counter() - started:.0f} s")
    print((out / "insights.md").read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
