"""Replications and sweeps: identical results on every back end and worker count; resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from analysis.experiment import compare, replicate, replication_seed, summary_statistics, sweep
from scenarios import Scenario

TEXT = """
name = "small"
[network]
builder = "serial"
args = { n_stages = 2, lead_time = { dist = "gamma", mean = 2, std = 1 }, demand = { dist = "poisson", mean = 4 } }
[roles.retailer]
policy = { kind = "base_stock", level = 12 }
[roles.manufacturer]
policy = { kind = "base_stock", level = 14 }
[run]
periods = 120
warmup = 20
replications = 4
seed = 3
"""


@pytest.fixture(scope="module")
def scenario():
    return Scenario.from_dict(tomllib.loads(TEXT))


@pytest.fixture(scope="module")
def serial_result(scenario):
    return replicate(scenario, workers=1)


def test_replication_seeds_are_stable_and_distinct():
    seeds = [replication_seed(3, r) for r in range(100)]
    assert len(set(seeds)) == 100 and all(0 <= s < 2**63 for s in seeds)
    assert replication_seed(3, 5) == replication_seed(3, 5) != replication_seed(4, 5)


def test_worker_counts_give_identical_results(scenario, serial_result):
    parallel = replicate(scenario, workers=2)
    pd.testing.assert_frame_equal(serial_result.kpis, parallel.kpis)
    assert serial_result.kpis["replication"].tolist() == [r for r in range(4) for _ in range(3)]


def test_more_replications_extend_fewer(scenario, serial_result):
    more = replicate(scenario, n=6, workers=2)
    head = more.kpis[more.kpis["replication"] < 4].reset_index(drop=True)
    pd.testing.assert_frame_equal(serial_result.kpis, head)


def test_ray_gives_identical_results(scenario, serial_result):
    ray = pytest.importorskip("ray")
    try:
        on_ray = replicate(scenario, backend="ray", workers=2)
    finally:
        ray.shutdown()
    pd.testing.assert_frame_equal(serial_result.kpis, on_ray.kpis)


def test_sweep_points_reuse_the_replication_seeds(scenario, serial_result, tmp_path):
    table = sweep(scenario, {"roles.retailer.policy.level": [12, 20]}, workers=2, out=tmp_path)
    assert sorted(table["roles.retailer.policy.level"].unique()) == [12, 20]
    same = table[table["roles.retailer.policy.level"] == 12].drop(
        columns=["point", "roles.retailer.policy.level"]
    )
    pd.testing.assert_frame_equal(serial_result.kpis, same.reset_index(drop=True))
    higher = table[table["roles.retailer.policy.level"] == 20]
    net = higher[higher["node"] == "network"]
    base = serial_result.kpis[serial_result.kpis["node"] == "network"]
    assert (net["fill_rate"].to_numpy() >= base["fill_rate"].to_numpy()).all()  # CRN: pathwise
    assert len(list((tmp_path / "points").glob("*.parquet"))) == 2


def test_compare_gives_paired_differences(scenario):
    table, diffs = compare(
        scenario,
        {
            "base": {},
            "same": {"stage1": {"kind": "base_stock", "level": 12}},
            "more": {"stage1": {"kind": "base_stock", "level": 16}},
        },
        workers=1,
    )
    assert set(table["policies"]) == {"base", "same", "more"}
    same = diffs[(diffs["policies"] == "same") & (diffs["node"] == "network")]
    assert (same["difference"].abs() < 1e-12).all() and (same["ci95"] == 0).all()
    more = diffs[
        (diffs["policies"] == "more")
        & (diffs["node"] == "stage1")
        & (diffs["kpi"] == "holding_cost")
    ]
    assert more["difference"].iloc[0] > more["ci95"].iloc[0] > 0


def test_summary_statistics(serial_result):
    stats = summary_statistics(serial_result.kpis)
    assert list(stats) == ["network", "stage1", "stage2"]
    cost = stats["network"]["cost_per_period"]
    values = serial_result.kpis.query("node == 'network'")["cost_per_period"]
    assert cost["n"] == 4 and cost["mean"] == pytest.approx(values.mean())
    assert cost["ci95"] > 0


def test_a_killed_sweep_resumes_without_losing_points(tmp_path):
    scenario_file = tmp_path / "s.toml"
    scenario_file.write_text(TEXT.replace("periods = 120", "periods = 1000"))
    out = tmp_path / "sweep"
    command = [
        sys.executable,
        "-m",
        "analysis.cli",
        "sweep",
        str(scenario_file),
        "--workers",
        "1",
        "--grid",
        "roles.retailer.policy.level=8,9,10,11,12,13,14,15",
        "--out",
        str(out),
    ]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    points = tmp_path / "sweep.partial" / "points"  # until the sweep is whole
    deadline = time.time() + 120
    while time.time() < deadline and len(list(points.glob("*.parquet"))) < 2:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    kept = {p.name: p.stat().st_mtime_ns for p in points.glob("*.parquet")}
    assert 2 <= len(kept) < 8, "the sweep should have been killed mid-way"
    assert not out.exists()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert not points.exists()
    # finished points were skipped
    assert all((out / "points" / p).stat().st_mtime_ns == t for p, t in kept.items())
    resumed = pd.read_parquet(out / "results.parquet")
    assert sorted(resumed["roles.retailer.policy.level"].unique()) == list(range(8, 16))
    fresh = sweep(
        Scenario.from_dict(tomllib.loads(scenario_file.read_text())),
        {"roles.retailer.policy.level": list(range(8, 16))},
        workers=2,
    )
    pd.testing.assert_frame_equal(resumed, fresh, check_dtype=False)


def test_each_point_uses_its_own_seed_and_replications(scenario):
    table = sweep(scenario, {"run.seed": [3, 5], "run.replications": [2]}, workers=1)
    at3 = table[table["run.seed"] == 3].drop(columns=["point", "run.seed", "run.replications"])
    at5 = table[table["run.seed"] == 5].drop(columns=["point", "run.seed", "run.replications"])
    direct3 = replicate(scenario, n=2, seed=3, workers=1).kpis
    direct5 = replicate(scenario, n=2, seed=5, workers=1).kpis
    pd.testing.assert_frame_equal(at3.reset_index(drop=True), direct3)
    pd.testing.assert_frame_equal(at5.reset_index(drop=True), direct5)


def test_a_resumed_sweep_labels_points_by_the_new_request(scenario, tmp_path):
    levels = "roles.retailer.policy.level"
    sweep(scenario, {levels: [10, 14]}, n=2, workers=1, out=tmp_path)
    again = sweep(scenario, {levels: [14, 10]}, n=2, workers=1, out=tmp_path)
    fresh = sweep(scenario, {levels: [14, 10]}, n=2, workers=1)
    pd.testing.assert_frame_equal(again, fresh)
    assert again.groupby("point")[levels].first().tolist() == [14, 10]


def test_tables_as_swept_values_become_json_labels(scenario):
    specs = [{"kind": "base_stock", "level": 9}, {"kind": "constant_order", "quantity": 4}]
    table = sweep(scenario, {"roles.retailer.policy": specs}, n=2, workers=1)
    assert set(table["roles.retailer.policy"]) == {
        '{"kind": "base_stock", "level": 9}',
        '{"kind": "constant_order", "quantity": 4}',
    }


def test_a_killed_worker_is_reported_and_the_sweep_resumes(tmp_path):
    scenario_file = tmp_path / "s.toml"
    scenario_file.write_text(TEXT.replace("periods = 120", "periods = 6000"))
    out = tmp_path / "sweep"
    command = [sys.executable, "-m", "analysis.cli", "sweep", str(scenario_file), "--workers", "2",
               "--grid", "roles.retailer.policy.level=8,9,10,11,12,13,14,15", "--out", str(out)]  # fmt: skip
    env = {**os.environ, "MPLBACKEND": "Agg"}
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    deadline = time.time() + 120
    points = tmp_path / "sweep.partial" / "points"
    while time.time() < deadline and not list(points.glob("*.parquet")):
        time.sleep(0.05)
    workers = [
        pid
        for pid in children.read_text().split()
        if "analysis.cli" in Path(f"/proc/{pid}/cmdline").read_text()  # not the resource tracker
    ]
    assert workers, "the sweep should run in worker processes"
    os.kill(int(workers[0]), signal.SIGKILL)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 2
    assert "a worker process died" in stderr and "rerun the same command to resume" in stderr
    assert "Traceback" not in stderr
    kept = {p.name: p.stat().st_mtime_ns for p in points.glob("*.parquet")}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert all((out / "points" / p).stat().st_mtime_ns == t for p, t in kept.items())
    assert pd.read_parquet(out / "results.parquet")["point"].nunique() == 8
