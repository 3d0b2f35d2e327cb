"""Pricing modules (agents.pricing): competitors' strategies, in the engine too, and the
firm's heuristics, pinned to hand-computed values and closed forms."""

from __future__ import annotations

import numpy as np
import pytest

import networks
from agents.pricing import (
    SSP,
    BaseStockListPrice,
    FixedPrice,
    FollowLeader,
    MyopicPricing,
    RandomWalkPrice,
    Undercut,
)
from sim.market import LogitDemand, Market, PriceObservation
from sim.model import SupplyChainModel
from sim.policy import InventoryObservation, Priced


def seen(price, rivals, t=0):
    return PriceObservation(t, "c", price, tuple(rivals), 30.0)


def inventory(ip, on_hand=None, price=30.0, rivals=(30.0,), reference=30.0):
    on_hand = max(ip, 0.0) if on_hand is None else on_hand
    return InventoryObservation(
        0, "r", "item", on_hand, 0.0, ip - on_hand, ip, 0.0, ("s",), (ip - on_hand,),
        price=price, competitor_prices=rivals, reference_price=reference,
    )  # fmt: skip


# ---------------------------------------------------------------------- competitors
def test_undercut_steps_below_the_cheapest_rival_down_to_the_floor():
    rule = Undercut(step=2.0, floor=20.0)
    assert rule.act(seen(35.0, [30.0, 27.0])) == 25.0
    assert rule.act(seen(35.0, [21.0])) == 20.0


def test_follow_leader_copies_with_its_delay():
    follower = FollowLeader(delay=2).spawn()
    posted = [follower.act(seen(30.0, [p], t)) for t, p in enumerate([25.0, 26.0, 27.0, 28.0])]
    assert posted == [30.0, 25.0, 26.0, 27.0]


def test_random_walk_is_seeded_bounded_and_reproducible():
    walk = RandomWalkPrice(step=1.0, low=29.0, high=31.0)

    def path(seed):
        walker, price, out = walk.seeded(np.random.default_rng(seed)), 30.0, []
        for t in range(50):
            price = walker.act(seen(price, [30.0], t))
            out.append(price)
        return out

    assert path(1) == path(1) != path(2)
    assert set(path(1)) <= {29.0, 30.0, 31.0}


def chain():
    return networks.serial(1, lead_time=1, holding_cost=0.5, backlog_cost=2.0, initial_stock=10)


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        (FixedPrice(price=33.0), [30.0, 33.0, 33.0, 33.0]),
        (Undercut(step=1.0, floor=10.0), [30.0, 27.0, 27.0, 27.0]),
        (FollowLeader(delay=2), [30.0, 30.0, 28.0, 28.0]),
    ],
)
def test_competitor_agents_price_at_each_close(strategy, expected):
    firm = BaseStockListPrice(level=12.0, price=28.0)
    m = SupplyChainModel(
        chain(),
        firm,
        decide="start",
        market=Market(
            demand=LogitDemand(eta=2500.0), firms=("stage1",), competitors={"c": strategy}
        ),
    )
    m.run(4)
    assert m.results().competitor_price.tolist() == expected


def test_random_walk_competitor_has_its_own_stream():
    def prices(firm_price, seed):
        m = SupplyChainModel(
            chain(),
            BaseStockListPrice(level=12.0, price=firm_price),
            decide="start",
            seed=seed,
            market=Market(
                demand=LogitDemand(eta=2500.0),
                firms=("stage1",),
                competitors={"walker": RandomWalkPrice(step=1.0)},
            ),
        )
        m.run(30)
        return m.results().competitor_price.tolist()

    # the firm's policy does not move the walker's draws (common random numbers)
    assert prices(25.0, 4) == prices(40.0, 4) != prices(25.0, 5)


# ---------------------------------------------------------------------- firm heuristics
def test_bslp_orders_up_to_its_level_at_its_list_price():
    assert BaseStockListPrice(level=20, price=35).act(inventory(12.0)) == Priced(8.0, 35)


def test_ssp_orders_below_s_and_prices_on_the_stock_after_ordering():
    rule = SSP(s=5, S=20, price=30, slope=0.5)
    assert rule.act(inventory(4.0)) == Priced(16.0, 30.0)  # ordered up to S
    assert rule.act(inventory(10.0)) == Priced(0.0, 35.0)  # 30 + 0.5 * (20 - 10)
    assert SSP(s=5, S=20, price=45, slope=2.0).act(inventory(6.0)).price == 50.0  # capped


def test_myopic_price_with_ample_stock_maximises_revenue_rate():
    rule = MyopicPricing(level=0, eta=2500.0, step=0.5)
    grid = rule.grid()
    rates = LogitDemand(eta=2500.0).rates(grid, (30.0,), 30.0)
    assert rule.act(inventory(1000.0)).price == grid[np.argmax(grid * rates)]


def test_myopic_price_rises_when_stock_is_short_under_lost_sales():
    rule = MyopicPricing(level=0, eta=2500.0, shortage_cost=5.0, holding_cost=0.5, lost_sales=True)
    with_none, with_some, with_ample = (rule.act(inventory(x)).price for x in (0.0, 5.0, 200.0))
    assert with_none == 50.0 and with_none >= with_some >= with_ample


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Undercut(step=-1.0), "step: must be >= 0"),
        (lambda: FollowLeader(delay=0), "delay: must be an integer >= 1"),
        (lambda: RandomWalkPrice(low=5.0, high=2.0), "high: must be > 5"),
        (lambda: SSP(s=10, S=5, price=30), "S: must be >= 10"),
        (lambda: SSP(s=1, S=5, price=60), "price: must be <= 50"),
        (lambda: MyopicPricing(level=1, eta=1.0, beta=(1.0,)), "beta: must be 6 numbers"),
    ],
)
def test_bad_parameters_name_the_parameter(build, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        build()


def test_myopic_pricing_refuses_an_unpriced_stock_point():
    m = SupplyChainModel(chain(), {"stage1": MyopicPricing(level=5, eta=10.0)}, decide="start")
    with pytest.raises(Exception, match="MyopicPricing needs a priced stock point"):
        m.run(1)
