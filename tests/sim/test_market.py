"""The market layer (sim.market): Eq. (3), price-responsive populations, prices in actions
and observations, reference prices, the price columns, and the errors of bad parameters."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import networks
from agents import BaseStock
from sim.market import BETA, LogitDemand, Market, poisson_quantile
from sim.model import SupplyChainModel
from sim.policy import Priced
from sim.streams import Purpose, stream
from sim.vector import VectorizedSupplyChainModel


class Fixed:
    """A competitor's pricing module: always ``price``."""

    def __init__(self, price: float):
        self.price = price

    def act(self, obs):
        return self.price


class PriceBy:
    """Order up to ``level``; post ``prices[t]`` in period ``t`` (a firm's module)."""

    def __init__(self, level: float, prices):
        self.level, self.prices = level, prices

    def act(self, obs):
        return Priced(max(0.0, self.level - obs.inventory_position), self.prices(obs.period))


def chain(**kw):
    args = {"lead_time": 1, "holding_cost": 0.5, "backlog_cost": 2.0, "initial_stock": 10}
    return networks.serial(1, **{**args, **kw})


def market(**kw):
    args = {"demand": LogitDemand(eta=2500.0), "firms": ("stage1",), "competitors": {}}
    return Market(**{**args, **kw})


# ---------------------------------------------------------------------- Eq. (3)
def test_regressors_and_rate_by_hand():
    # p = o = r = 30, one competitor: rank 1 + (0 + 1) / 2 = 1.5
    assert LogitDemand.regressors(30.0, [30.0], 30.0) == (1.0, 1.5, 0.0, 1.0, 30.0, 0.0)
    # p = 28 below o = 29, r = 30: rank 1, x'beta = -3.89 - 0.56 + 0.01 + 0.07 - 0.855 + 0.02
    x = LogitDemand.regressors(28.0, [29.0], 30.0)
    assert x == (1.0, 1.0, -1.0, 1.0, 28.5, -2.0)
    z = sum(a * b for a, b in zip(x, BETA, strict=True))
    assert z == pytest.approx(-5.205, abs=1e-12)
    demand = LogitDemand(eta=2500.0, delta=0.5)
    assert demand.rate(28.0, [29.0], 30.0) == pytest.approx(1250 / (1 + math.exp(5.205)))
    # above the competitor: rank 2; no competitor: rank 1 and no gap
    assert LogitDemand.regressors(31.0, [30.0], 30.0)[1] == 2.0
    assert LogitDemand.regressors(20.0, [], 25.0) == (1.0, 1.0, 0.0, 0.0, 20.0, -5.0)


def test_rates_on_a_grid_agree_with_rate():
    demand = LogitDemand(eta=2500.0)
    grid = np.arange(1.0, 50.5, 0.5)
    expected = [demand.rate(p, [30.0, 27.0], 29.0) for p in grid]
    np.testing.assert_allclose(demand.rates(grid, [30.0, 27.0], 29.0), expected, rtol=1e-12)


def test_poisson_quantile_is_the_inverse_cdf():
    assert poisson_quantile(0.0, 3.0) == 0.0
    # lambda = 2: F(0) = 0.1353, F(1) = 0.4060, F(2) = 0.6767
    assert poisson_quantile(0.13, 2.0) == 0.0
    assert poisson_quantile(0.5, 2.0) == 2.0
    u = np.linspace(0.0005, 0.9995, 400)
    for rate in (0.3, 9.6, 120.0):
        assert [poisson_quantile(x, rate) for x in u] == list(stats.poisson.ppf(u, rate))


# ---------------------------------------------------------------------- populations
def test_periodic_demand_inverts_the_populations_own_stream():
    prices = lambda t: 28.0 if t % 2 else 33.0  # noqa: E731
    m = SupplyChainModel(
        chain(),
        PriceBy(12.0, prices),
        decide="start",
        seed=7,
        market=market(competitors={"rival": Fixed(29.0)}),
    )
    m.run(8)
    table = m.results()
    u = stream(7, Purpose.DEMAND, "stage1", "item").random(8)
    demand, r, o = LogitDemand(eta=2500.0), 30.0, 30.0  # competitor posts 29 from period 1
    for t in range(8):
        rate = demand.rate(prices(t), [o], r)
        assert table.demand[t] == poisson_quantile(u[t], rate)
        assert table.reference_price[t] == pytest.approx(r, abs=1e-12)
        assert table.competitor_price[t] == o
        assert table.price[t] == prices(t)
        r, o = 0.9 * r + 0.1 * prices(t), 29.0


def test_common_random_numbers_couple_demand_monotonically():
    def demand(price):
        m = SupplyChainModel(
            chain(),
            PriceBy(15.0, lambda t: price),
            decide="start",
            seed=3,
            market=market(competitors={"rival": Fixed(30.0)}),
        )
        m.run(60)
        return m.results().demand.to_numpy()

    low, high = demand(25.0), demand(35.0)
    assert (low >= high).all() and low.sum() > high.sum()


def test_event_form_rate_changes_when_the_price_changes():
    # purchase probability logistic(-0.1 * (p + o) / 2): 0.2689 at 10/10, 0.1192 at 20/20
    demand = LogitDemand(eta=40.0, beta=(0.0, 0.0, 0.0, 0.0, -0.1, 0.0))
    n = 1500
    m = SupplyChainModel(
        chain(initial_stock=0),
        PriceBy(0.0, lambda t: 10.0 if t < n else 30.0),
        decide="start",
        arrivals="poisson",
        seed=1,
        market=Market(demand=demand, firms=("stage1",), competitors={"rival": Fixed(10.0)}),
    )
    m.run(2 * n)
    d = m.results().demand.to_numpy()
    for part, rate in ((d[:n], 40 / (1 + math.e)), (d[n:], 40 / (1 + math.exp(2.0)))):
        assert abs(part.mean() - rate) < 4 * math.sqrt(rate / n)
        assert abs(part.var() - rate) < 0.15 * rate  # Poisson: variance = mean


# ---------------------------------------------------------------------- prices in actions
def test_a_plain_quantity_module_keeps_working_and_the_price_stays():
    m = SupplyChainModel(chain(), BaseStock(level=12), decide="start", market=market())
    m.run(5)
    t = m.results()
    assert (t.price == 30.0).all() and t.competitor_price.isna().all()
    assert (t.reference_price == 30.0).all()
    np.testing.assert_array_equal(t.revenue, 30.0 * t.sales)
    np.testing.assert_allclose(t.profit, t.revenue - t.cost)


def test_observation_shows_price_posted_competitor_and_reference():
    seen = []

    class Spy:
        def act(self, obs):
            seen.append((obs.price, obs.competitor_prices, obs.reference_price))
            return Priced(0.0, 40.0)

    m = SupplyChainModel(
        chain(), Spy(), decide="start", market=market(competitors={"a": Fixed(20.0)})
    )
    m.run(3)
    assert seen == [(30.0, (30.0,), 30.0), (40.0, (20.0,), 31.0), (40.0, (20.0,), 0.9 * 31.0 + 4.0)]


def test_take_reward_revenue_uses_the_posted_price():
    from sim.policy import EXTERNAL

    m = SupplyChainModel(chain(), EXTERNAL, decide="start", market=market())
    decision = m.advance()
    assert decision.observation.price == 30.0
    m.advance(Priced(5.0, 42.0))
    reward = m.take_reward("stage1")
    row = m.results().iloc[0]
    assert row.price == 42.0 and reward.revenue == 42.0 * row.sales


@pytest.mark.parametrize("shortage", ["backlog", "lost_sales"])
def test_customers_pay_the_price_they_arrived_at_first_in_first_out(shortage):
    # Cheap (1) in even periods, dear (50) in odd ones, with little stock: under backlog
    # the orders taken at 1 are filled later at 1, never at 50 (a learner sold them at 50).
    def prices(t):
        return 1.0 if t % 2 == 0 else 50.0

    m = SupplyChainModel(
        chain(initial_stock=3, shortage=shortage),
        PriceBy(8.0, prices),
        decide="start",
        market=market(),
        seed=4,
    )
    m.run(30)
    t = m.results()
    waiting, expected = [], []  # [units, price] by arrival, first in first out
    for row in t.itertuples():
        if shortage == "lost_sales":
            expected.append(row.price * row.sales)
            continue
        waiting.append([row.demand, row.price])
        left, paid = row.sales, 0.0
        while left > 0:
            x = min(waiting[0][0], left)
            paid, left, waiting[0][0] = paid + x * waiting[0][1], left - x, waiting[0][0] - x
            if waiting[0][0] == 0:
                waiting.pop(0)
        expected.append(paid)
    np.testing.assert_allclose(t.revenue, expected)
    assert (t.price == [prices(k) for k in range(30)]).all()  # the posted prices
    if shortage == "backlog":  # the trace does fill cheap orders in dear periods
        assert (t.revenue < t.price * t.sales - 1).any()


# ---------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: LogitDemand(eta=1.0, beta=(1.0, 2.0)), "beta: must be 6 numbers"),
        (lambda: LogitDemand(eta=math.inf), "eta: must be a finite number"),
        (lambda: LogitDemand(eta=-1.0), "eta: must be > 0"),
        (lambda: LogitDemand(eta=1.0, delta=2.0), "delta: must be in (0, 1]"),
        (lambda: LogitDemand(eta=1.0, beta=(0, 0, 0, math.nan, 0, 0)), "beta[3]: must be"),
        (lambda: market(low=-1.0), "low: must be >= 0"),
        (lambda: market(low=50.0, high=1.0), "high: must be > low (50)"),
        (lambda: market(initial_price=60.0), "initial_price: price 60 is outside"),
        (lambda: market(smoothing=1.5), "smoothing: must be in [0, 1]"),
        (lambda: market(competitors={"x": 3}), "competitors['x']: 3 is not a pricing module"),
    ],
)
def test_bad_parameters_are_refused_with_one_line(build, message):
    with pytest.raises(ValueError) as e:
        build()
    assert message in str(e.value) and "\n" not in str(e.value)


def test_bad_prices_and_placements_name_the_node():
    with pytest.raises(
        ValueError, match=r"node 'stage1' product .* price 60 is outside .*\[1, 50\]"
    ):
        SupplyChainModel(
            chain(), PriceBy(1.0, lambda t: 60.0), decide="start", market=market()
        ).run(1)
    with pytest.raises(ValueError, match=r"competitor 'c': price 0.5 is outside"):
        SupplyChainModel(
            chain(),
            BaseStock(level=1),
            decide="start",
            market=market(competitors={"c": Fixed(0.5)}),
        ).run(1)
    with pytest.raises(ValueError, match="no market prices this stock point"):
        SupplyChainModel(chain(), PriceBy(1.0, lambda t: 20.0), decide="start").run(1)
    with pytest.raises(ValueError, match=r"market.firms\[0\]: 'nowhere' is not a stock point"):
        SupplyChainModel(
            chain(), BaseStock(level=1), decide="start", market=market(firms=("nowhere",))
        )
    with pytest.raises(ValueError, match="decide='start'"):
        SupplyChainModel(chain(), BaseStock(level=1), decide="end", market=market())
    with pytest.raises(ValueError, match="vectorized engine has no market"):
        VectorizedSupplyChainModel(chain(), BaseStock(level=1), decide="start", market=market())


# ---------------------------------------------------------------------- theory (issue item 5)
def test_best_constant_price_by_simulation_is_the_maximiser_of_eq3_expected_profit():
    """Competitor fixed at 30, no inventory limit, no costs: the expected profit of a
    constant price p over T periods is sum_t p * rate(p, 30, r_t) with r_0 = 30 and
    r_{t+1} = 0.9 r_t + 0.1 p. Simulation on common random numbers finds its maximiser on
    the grid 1, 2, ..., 50 within one step."""
    periods, seeds, demand = 100, range(8), LogitDemand(eta=2500.0)
    grid = np.arange(1.0, 51.0)

    def expected(p):
        r, total = 30.0, 0.0
        for _ in range(periods):
            total += p * demand.rate(p, [30.0], r)
            r = 0.9 * r + 0.1 * p
        return total

    best = grid[np.argmax([expected(p) for p in grid])]
    profits = []
    for p in grid:
        g = networks.serial(1, lead_time=1, holding_cost=0.0, backlog_cost=0.0, initial_stock=10**9)
        total = 0.0
        for seed in seeds:
            m = SupplyChainModel(
                g,
                PriceBy(0.0, lambda t, p=p: p),
                decide="start",
                seed=seed,
                market=market(competitors={"rival": Fixed(30.0)}),
                track_rewards=True,
                record=False,
            )
            m.run(periods)
            total += m.take_reward("stage1").profit
        profits.append(total / len(seeds))
    found = grid[int(np.argmax(profits))]
    assert abs(found - best) <= 1.0, (found, best)
    # and the simulated mean profit at the maximiser is near its expectation
    assert profits[int(np.argmax(profits))] == pytest.approx(expected(found), rel=0.03)
