"""The example of a user's own decision module, loaded by import path from a scenario file."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.experiment import replicate, summary_statistics
from scenarios import load

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_custom_policy_runs_beside_builtins_and_dampens_the_bullwhip():
    scenario = load(EXAMPLES / "custom_policy.toml", allow_code=True).with_overrides(
        {"run.periods": 2100, "run.replications": 4}
    )
    policies = scenario.policies()
    assert type(policies["retailer"]).__name__ == "ProportionalOrderUpTo"
    assert type(policies["factory"]).__name__ == "BaseStock"
    stats = summary_statistics(replicate(scenario, workers=1).kpis)
    # POUT with a fixed forecast and i.i.d. demand: Var(q)/Var(d) = 1/(2T - 1) = 1/7 for T = 4
    bullwhip = stats["retailer"]["bullwhip"]
    assert bullwhip["mean"] == pytest.approx(1 / 7, abs=max(0.01, 2 * bullwhip["ci95"]))
    assert stats["factory"]["bullwhip"]["mean"] == pytest.approx(1.0)  # base-stock passes orders on
