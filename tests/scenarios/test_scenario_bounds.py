"""run.periods has an upper bound (a 64-bit maximum used to validate)."""

from __future__ import annotations

import pytest

from scenarios import ScenarioError, load
from scenarios.scenario import MAX_PERIODS


@pytest.mark.parametrize("periods", [MAX_PERIODS + 1, 9223372036854775807])
def test_periods_bound(periods):
    scenario = load("scenarios/library/beer_game.toml")
    with pytest.raises(ScenarioError, match=r"^run\.periods: must be <= 1_000_000_000, got"):
        scenario.with_overrides({"run.periods": periods})
