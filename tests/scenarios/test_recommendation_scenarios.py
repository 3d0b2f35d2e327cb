"""The built-in §VI experiments (``scenarios.recommendation``): defaults and one-line
errors for bad settings."""

from __future__ import annotations

import pytest

from scenarios.recommendation import BUILTIN


def test_defaults_are_the_issue_sizes_and_both_shortage_rules():
    for name, scenario in BUILTIN.items():
        problem = scenario.problem()
        assert (problem.n_products, problem.n_customers) == (10, 100)
        assert problem.shortage == name.removeprefix("recommendation_")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"warmup": 200}, "warmup: must be below periods=200, got 200"),
        ({"replications": 0}, "replications: must be a whole number >= 1, got 0"),
        ({"periods": 2.5}, "periods: must be a whole number >= 1, got 2.5"),
        ({"mix": 1.5}, "mix: must be a number in [0, 1], got 1.5"),
        ({"base_stock_multiple": -1.0}, "base_stock_multiple: must be >= 0, got -1.0"),
        ({"base_stock": "moving"}, "base_stock: must be one of ('fixed', 'cover'), got 'moving'"),
        (
            {"recommendation": "random"},
            "recommendation: must be one of ('uniform', 'inventory', 'margin', 'targeting'), "
            "got 'random'",
        ),
        (
            {"customers": 5},
            "recommendation_lost: no field 'customers'; known: shortage, n_products, "
            "n_customers, normalize, instance_seed, replications, periods, warmup, seed, "
            "base_stock_multiple, base_stock, recommendation, mix",
        ),
    ],
)
def test_bad_settings_name_themselves(overrides, message):
    with pytest.raises(ValueError) as info:
        BUILTIN["recommendation_lost"].with_overrides(overrides)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"n_customers": 0}, "n_customers: must be a whole number >= 1, got 0"),
        ({"normalize": "both"}, "normalize: must be one of ('product', 'customer'), got 'both'"),
    ],
)
def test_bad_instance_sizes_name_themselves_when_the_instance_is_built(overrides, message):
    scenario = BUILTIN["recommendation_backlog"].with_overrides(overrides)
    with pytest.raises(ValueError) as info:
        scenario.problem()
    assert str(info.value) == message
