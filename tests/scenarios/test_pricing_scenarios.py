"""The four built-in pricing scenarios (seed paper §V cases a-d) and ``[market]`` errors."""

from __future__ import annotations

import numpy as np
import pytest

from scenarios import library
from scenarios.scenario import Scenario, ScenarioError


@pytest.mark.parametrize("case", "abcd")
def test_pricing_cases_build_and_run_with_profit_of_eq7(case):
    scenario = library.resolve(f"pricing_{case}")
    model = scenario.build(seed=3)
    model.run(20)
    t = model.results()
    np.testing.assert_array_equal(t.revenue, t.price * t.sales)  # p A
    np.testing.assert_allclose(t.profit, t.revenue - t.cost)  # - h I - b B - c q - K
    fixed = 50.0 if case in "cd" else 0.0
    np.testing.assert_allclose(t.ordering_cost, 10.0 * t.ordered + fixed * (t.ordered > 0))
    assert (t.competitor_price[1:] == 30.0).all()


def data(**market):
    base = library.resolve("pricing_a").data
    return {**base, "market": {**base["market"], **market}}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"demand": {"eta": 10, "beta": [1, 2]}}, "market.demand.beta: must be 6 numbers"),
        ({"low": -1}, "market.low: must be >= 0, got -1"),
        ({"low": 40, "high": 20}, "market.high: must be > low (40), got 20"),
        ({"firms": ["nowhere"]}, "market.firms"),
        ({"smoothin": 0.5}, "market.smoothin"),
        (
            {"competitors": {"x": {"strategy": {"kind": "undercut", "step": -1}}}},
            "market.competitors.x.strategy.step: must be >= 0",
        ),
    ],
)
def test_bad_market_tables_name_the_toml_path(change, message):
    with pytest.raises(ScenarioError) as e:
        Scenario.from_dict(data(**change))
    assert message in str(e.value) and "\n" not in str(e.value)


def test_a_market_needs_decide_start():
    bad = {**library.resolve("pricing_a").data, "run": {"decide": "end"}}
    with pytest.raises(ScenarioError, match=r"run\.decide: a \[market\] needs 'start'"):
        Scenario.from_dict(bad)


# ---------------------------------------------------------------------- competitors, self-play
class _RandomPrices:
    """The firm of a case: base stock 25, a uniform price on 5..45 each period (its own
    generator), so that the rival has something to react to."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)

    def act(self, obs):
        from sim.policy import Priced

        return Priced(max(25.0 - obs.inventory_position, 0.0), float(self.rng.integers(5, 46)))


def _rival_path(name: str, periods: int = 30):
    from sim import SupplyChainModel

    scenario = library.resolve(name)
    graph = scenario.network()
    model = SupplyChainModel(
        graph,
        {"stage1": _RandomPrices(7)},
        seed=1,
        market=scenario.market(graph),
        **scenario.options,
    )
    model.run(periods)
    t = model.results()
    return t.price.to_numpy(), t.competitor_price.to_numpy()


def test_undercut_rival_path_is_one_step_below_the_firms_last_price_down_to_10():
    p, o = _rival_path("pricing_undercut")
    expected = [30.0] + [max(10.0, x - 1.0) for x in p[:-1]]
    assert o.tolist() == expected
    assert (o == 10.0).any()  # the floor is reached (firm prices 5..10 occur)


def test_follow_rival_path_is_the_firms_price_two_periods_before():
    p, o = _rival_path("pricing_follow")
    expected = [30.0, 30.0, *p[:-2].tolist()]  # its own price until it has seen two periods
    assert o.tolist() == expected


@pytest.mark.parametrize("name", ["pricing_undercut", "pricing_follow", "pricing_selfplay"])
def test_competitor_and_selfplay_scenarios_build_and_run_with_profit_of_eq7(name):
    scenario = library.resolve(name)
    model = scenario.build(seed=3)
    model.run(20)
    t = model.results()
    assert len(t) == 20 * len(scenario.market().firms)
    np.testing.assert_array_equal(t.revenue, t.price * t.sales)
    np.testing.assert_allclose(t.profit, t.revenue - t.cost)


def test_selfplay_firms_are_each_others_competitor():
    scenario = library.resolve("pricing_selfplay")
    market = scenario.market()
    assert market.firms == ("firm1", "firm2") and not market.competitors
    model = scenario.build(seed=2)
    model.run(10)
    t = model.results().pivot(index="period", columns="node")
    np.testing.assert_array_equal(t.competitor_price.firm1, t.price.firm2)
    np.testing.assert_array_equal(t.competitor_price.firm2, t.price.firm1)
