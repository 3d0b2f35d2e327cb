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
