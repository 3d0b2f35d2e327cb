"""Plan, then simulate: the on-time fill rate by hand, a plan's simulated service against
its target, and ``supplysim plan`` run as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.planning import on_time_fill_rate, simulate_plan
from networks import parse_distribution, plan_safety_stocks, read_willems

FIXTURE = Path(__file__).parents[1] / "networks" / "fixtures" / "willems" / "01_SD.csv"


@pytest.mark.parametrize(
    ("service_time", "expected"),
    [
        # S = 0: periods 0 and 1 each leave their 5 owed at the close: 10 of 20 late
        (0, (20.0, 10.0)),
        # S = 1: period 0's 5 are owed at the close of 1 only behind period 1's own 5, period
        # 1's are shipped by the close of 2; the last period has no t + 1: 15 units, 0 late
        (1, (15.0, 0.0)),
    ],
)
def test_on_time_fill_rate_by_hand(service_time, expected):
    rows = pd.DataFrame({"demand": [5.0, 5, 5, 5], "backlog": [5.0, 5, 0, 0]})
    assert on_time_fill_rate(rows, service_time) == expected


def test_late_beyond_the_service_time():
    # 9 owed at the close of period 1 while period 1 brought 4: 5 of period 0's units late
    rows = pd.DataFrame({"demand": [6.0, 4, 0], "backlog": [6.0, 9, 0]})
    assert on_time_fill_rate(rows, 1) == (10.0, 5.0)


@pytest.mark.slow
def test_a_plan_reaches_about_its_service_level_when_its_assumptions_hold():
    # the fixture chain with constant lead times (the model has no lead-time spread to
    # pass on) and whole-unit demand: measured 0.948 for the target 0.95
    graph = read_willems(FIXTURE)
    for _, _, data in graph.edges(data=True):
        data["lead_time"] = parse_distribution(data["lead_time"]).mean
    plan = plan_safety_stocks(graph, 0.95)
    run = simulate_plan(
        graph,
        plan.base_stock_levels,
        0.95,
        service_times=plan.service_times,
        periods=3000,
        warmup=100,
    )
    network = run.service.loc["network"]
    assert network["target"] == 0.95
    assert 0.92 < network["on_time_fill_rate"] < 0.98
    assert list(run.service.index) == ["Store East", "Store West", "network"]


def test_supplysim_plan_writes_the_plan_and_the_service_reached(tmp_path):
    out = tmp_path / "plan"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis.cli",
            "plan",
            str(FIXTURE),
            "--periods",
            "200",
            "--warmup",
            "20",
            "--option",
            "holding_cost_rate=0.5",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "(optimal)" in done.stdout and "target 0.95" in done.stdout
    plan = pd.read_csv(out / "plan.csv", index_col="node")
    assert len(plan) == 8  # the stock points of the fixture
    assert plan.loc["Store East", "service_time"] == 0  # maxServiceTime 0 in the data
    summary = json.loads((out / "summary.json").read_text())
    assert summary["exact"] is True and summary["stock_points"] == 8
    assert 0 <= summary["on_time_fill_rate"] <= 1
    assert summary["safety_stock_cost"] == pytest.approx(plan["cost"].sum())


def test_supplysim_plan_names_a_bad_option(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "analysis.cli", "plan", str(FIXTURE), "--option", "rate=1"],
        env={**os.environ, "MPLBACKEND": "Agg"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("supplysim: error: rate: not an option of networks.read_willems")
