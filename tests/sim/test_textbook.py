"""Long-run costs against textbook values, each inside its simulated 95% confidence interval."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import pytest
from scipy import stats

from agents import BaseStock, EchelonBaseStock
from analysis.statistics import batch_means
from sim import SupplyChainModel

WARMUP = 200


def network_cost_series(model: SupplyChainModel) -> np.ndarray:
    table = model.results()
    return table.groupby("period", observed=True)["cost"].sum().to_numpy()[WARMUP:]


def single_stage(**retailer):
    g = nx.DiGraph()
    g.add_node("source", role="supplier")
    g.add_node("shop", role="retailer", **retailer)
    g.add_edge("source", "shop", lead_time=retailer.pop("lead_time", 2))
    return g


@pytest.mark.parametrize(("decide", "periods_of_demand"), [("end", 2), ("start", 3)])
@pytest.mark.parametrize("level", [6, 14, 20])
def test_single_stage_base_stock_matches_closed_form(level, decide, periods_of_demand):
    # Lead time L = 2. Ordering after demand (decide="end"), the ending net inventory of
    # period t is S minus the demand of the L periods t-L+1..t; ordering before it
    # (decide="start"), of the L + 1 periods t-L..t. Expected cost per period:
    # h E[(S - D)^+] + b E[(D - S)^+] with D ~ Poisson(λ · periods_of_demand).
    lam, h, b = 4.0, 1.0, 9.0
    g = single_stage(holding_cost=h, backlog_cost=b, demand={"dist": "poisson", "mean": lam})
    model = SupplyChainModel(g, {"shop": BaseStock(level=level)}, decide=decide, seed=11)
    model.run(40_000 + WARMUP)
    d = np.arange(0, 200)
    pmf = stats.poisson.pmf(d, lam * periods_of_demand)
    exact = float(np.sum(pmf * (h * np.maximum(level - d, 0) + b * np.maximum(d - level, 0))))
    estimate = batch_means(network_cost_series(model))
    assert estimate.covers(exact), (exact, estimate)
    assert estimate.half_width < 0.03 * exact  # the check is sharp, not vacuous


def test_clark_scarf_four_stage_chen_zheng_optimum():
    # Chen & Zheng (1994)'s 4-stage instance: echelon base-stock [13, 22, 31, 39] (retailer
    # first), local holding 4, 3, 2, 1, backorder 20 at the retailer, shipping lead time 2,
    # Poisson(4) demand; in-transit stock at the shipping stage's local rate: 79.78 / period.
    g = nx.DiGraph()
    g.add_node("source", role="supplier")
    names = ["s1", "s2", "s3", "s4"]
    for k, (name, h) in enumerate(zip(names, [4.0, 3.0, 2.0, 1.0], strict=True)):
        g.add_node(name, role="retailer" if k == 0 else "warehouse", holding_cost=h)
    g.nodes["s1"].update(backlog_cost=20.0, demand={"dist": "poisson", "mean": 4})
    chain = ["source", "s4", "s3", "s2", "s1"]
    for u, v in itertools.pairwise(chain):
        g.add_edge(u, v, lead_time=2, order_lead_time=0)
    levels = dict(zip(names, [13, 22, 31, 39], strict=True))
    model = SupplyChainModel(
        g,
        {n: EchelonBaseStock(level=s) for n, s in levels.items()},
        decide="end",
        charge_in_transit=True,
        seed=2024,
    )
    model.run(40_000 + WARMUP)
    estimate = batch_means(network_cost_series(model))
    assert estimate.covers(79.78), estimate
    assert estimate.half_width < 1.0


def zipkin_lost_sales_cost(level: int, lam: float, h: float, p: float) -> float:
    """Exact long-run cost of base-stock ``level`` in Zipkin's lost-sales model with lead
    time 1: the on-hand level after receipt x_{t+1} = (x_t - D)^+ + (S - x_t)."""
    demand = np.arange(0, 80)
    pmf = stats.poisson.pmf(demand, lam)
    states = np.arange(0, level + 1)
    transition = np.zeros((level + 1, level + 1))
    for x in states:
        for d, w in zip(demand, pmf, strict=True):
            transition[x, max(x - d, 0) + level - x] += w
    eigenvalues, vectors = np.linalg.eig(transition.T)
    pi = np.real(vectors[:, np.argmin(np.abs(eigenvalues - 1))])
    pi /= pi.sum()
    per_state = [
        float(np.sum(pmf * (h * np.maximum(x - demand, 0) + p * np.maximum(demand - x, 0))))
        for x in states
    ]
    return float(pi @ per_state)


def test_zipkin_lost_sales_markov_chain_value():
    assert zipkin_lost_sales_cost(13, 5.0, 1.0, 9.0) == pytest.approx(5.5475, abs=5e-5)


def test_zipkin_lost_sales_single_stage():
    g = single_stage(
        holding_cost=1.0,
        lost_sales_cost=9.0,
        shortage="lost_sales",
        demand={"dist": "poisson", "mean": 5},
        lead_time=1,
    )
    model = SupplyChainModel(g, {"shop": BaseStock(level=13)}, decide="start", seed=5)
    model.run(100_000 + WARMUP)
    estimate = batch_means(network_cost_series(model))
    assert estimate.covers(5.5475), estimate
    assert estimate.half_width < 0.05


def test_continuous_review_one_for_one_matches_m_d_infinity():
    # Continuous review base-stock with Poisson arrivals: outstanding orders are
    # M/D/∞, N ~ Poisson(λL); time-average cost h E[(S - N)^+] + b E[(N - S)^+].
    lam, lead_time, level, h, b = 4.0, 2, 10, 1.0, 5.0
    g = single_stage(
        holding_cost=h,
        backlog_cost=b,
        initial_stock=level,
        demand={"dist": "poisson", "mean": lam},
        lead_time=lead_time,
    )
    model = SupplyChainModel(
        g, {"shop": BaseStock(level=level)}, review="continuous", arrivals="poisson", seed=9
    )
    model.run(20_000 + WARMUP)
    n = np.arange(0, 100)
    pmf = stats.poisson.pmf(n, lam * lead_time)
    exact = float(np.sum(pmf * (h * np.maximum(level - n, 0) + b * np.maximum(n - level, 0))))
    estimate = batch_means(network_cost_series(model))
    assert estimate.covers(exact), (exact, estimate)
    assert math.isclose(estimate.mean, exact, rel_tol=0.05)
