"""The supplysim command, run as a user would: a subprocess writing real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from analysis.report import KPI_COLUMNS

PNG = b"\x89PNG\r\n\x1a\n"


def supplysim(*args, cwd=None):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, "-m", "analysis.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )


def test_run_beer_game_writes_what_it_promises(tmp_path):
    out = tmp_path / "beer"
    done = supplysim("run", "beer_game", "--out", out)
    assert done.returncode == 0, done.stderr
    assert "network" in done.stdout and "cost_per_period" in done.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["format"] == 1 and summary["scenario"] == "beer_game"
    assert set(summary["nodes"]) == {"retailer", "wholesaler", "distributor", "factory"}
    for stats in [summary["network"], *summary["nodes"].values()]:
        assert set(stats) == set(KPI_COLUMNS)
        assert set(stats["cost_per_period"]) == {"mean", "std", "ci95", "n"}
    periods = pd.read_parquet(out / "periods.parquet")
    assert len(periods) == 52 * 4
    # the beer game's bullwhip: each stage's orders swing more than the orders it sees, and
    # the factory's far more than customer demand
    assert all(summary["nodes"][n]["bullwhip"]["mean"] > 1 for n in summary["nodes"])
    assert summary["network"]["bullwhip"]["mean"] > 10
    peaks = periods.groupby("node", observed=True)["ordered"].max()
    assert peaks["retailer"] < peaks["wholesaler"] < peaks["distributor"] < peaks["factory"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 0 and manifest["versions"]["simpy"]
    assert manifest["command"][:3] == ["supplysim", "run", "beer_game"]
    for name in ("inventory", "orders", "costs", "bullwhip", "network"):
        assert (out / "figures" / f"{name}.png").read_bytes()[:8] == PNG


def test_run_with_overrides_and_replications(tmp_path):
    out = tmp_path / "ls"
    done = supplysim(
        "run",
        "lost_sales",
        "--replications",
        "3",
        "--periods",
        "300",
        "--warmup",
        "50",
        "--set",
        "roles.retailer.policy.level=14",
        "--workers",
        "2",
        "--out",
        out,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["replications"] == 3 and summary["periods"] == 300
    assert summary["network"]["cost_per_period"]["n"] == 3
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"]["roles"]["retailer"]["policy"]["level"] == 14
    # lost_sales is cost-only (no price) and 3 replications are too few: no profit density
    assert not (out / "figures" / "profit_kde.png").exists()
    assert "note: no figures/profit_kde.png: 3 replication(s)" in done.stderr
    redraw = supplysim("plot", out)
    assert redraw.returncode == 0, redraw.stderr


def test_sweep_and_compare(tmp_path):
    out = tmp_path / "sw"
    done = supplysim(
        "sweep",
        "lead_time_study",
        "--replications",
        "2",
        "--periods",
        "200",
        "--warmup",
        "20",
        "--grid",
        "edge_defaults.lead_time.std=0,1",
        "--grid",
        "edge_defaults.crossing=true,false",
        "--out",
        out,
    )
    assert done.returncode == 0, done.stderr
    results = pd.read_parquet(out / "results.parquet")
    assert results["point"].nunique() == 4
    assert (out / "figures" / "sensitivity_cost_per_period.png").read_bytes()[:8] == PNG
    cmp = supplysim(
        "compare",
        "lost_sales",
        "--replications",
        "3",
        "--periods",
        "300",
        "--warmup",
        "50",
        "--policy",
        "stage1=base_stock(level=15)",
        "--out",
        tmp_path / "cmp",
    )
    assert cmp.returncode == 0, cmp.stderr
    assert "paired differences" in cmp.stdout


def test_list_and_validate(tmp_path):
    listed = supplysim("list")
    assert (
        listed.returncode == 0 and "beer_game" in listed.stdout and "clark_scarf" in listed.stdout
    )
    ok = supplysim("validate", "clark_scarf")
    assert ok.returncode == 0 and ok.stdout.startswith("ok: clark_scarf")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("run", "no_such_scenario"),
            "no_such_scenario: neither a scenario file nor a built-in scenario",
        ),
        (
            ("run", "beer_game", "--set", "run.periods=0"),
            "run.periods: must be an integer >= 1, got 0",
        ),
        (
            ("run", "beer_game", "--set", "agents.retailer.policy.level"),
            "--set 'agents.retailer.policy.level': write PATH=VALUE",
        ),
        (
            ("sweep", "lost_sales", "--grid", "roles.retailer.policy.levl=1,2"),
            "unknown parameter of BaseStock; did you mean 'level'?",
        ),
        (("plot", "nowhere"), "nowhere: no manifest.json here"),
    ],
)
def test_errors_are_one_line_without_traceback(args, message):
    done = supplysim(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_bad_scenario_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[network]\nbuilder = "serial"\nargs = { n_stages = 1 }\n[agents.stage1]\npolicy = { kind = "base_stock", level = -3 }\n'
    )
    done = supplysim("validate", bad)
    assert done.returncode == 2
    assert "bad.toml: agents.stage1.policy.level: must be >= 0, got -3" in done.stderr


@pytest.mark.parametrize("command", ["run", "sweep", "compare", "validate", "plot", "list"])
def test_every_command_has_help(command):
    done = supplysim(command, "--help")
    assert done.returncode == 0 and "usage: supplysim" in done.stdout
