"""Output folders: one run per folder, locked, checked before computing; workers that end
with their parent; interrupts that say what they kept; strict JSON; periods streamed."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import analysis.plots
from analysis import cli
from analysis.experiment import replicate
from analysis.files import locked, output_folder, strict_json
from scenarios import Scenario

TEXT = """
name = "small"
[network]
builder = "serial"
args = { n_stages = 2, lead_time = { dist = "gamma", mean = 2, std = 1 }, demand = { dist = "poisson", mean = 4 }, price = [10, 0] }
[roles.retailer]
policy = { kind = "base_stock", level = 12 }
[roles.manufacturer]
policy = { kind = "base_stock", level = 14 }
[run]
periods = 60
warmup = 10
replications = 5
seed = 3
"""


def supplysim(*args, **popen):
    """The command as a user runs it, started and not waited for."""
    command = [sys.executable, "-m", "analysis.cli", *map(str, args)]
    return subprocess.Popen(
        command,
        env={**os.environ, "MPLBACKEND": "Agg"},
        text=True,
        # Ctrl-C as in a user's terminal: a suite started in the background by a shell
        # without job control ignores SIGINT, and children would inherit that
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        **popen,
    )


def main(capsys, *args) -> tuple[int, str]:
    """The command in this process (no start-up time): its status and stderr."""
    capsys.readouterr()
    status = cli.main(list(map(str, args)))
    return status, capsys.readouterr().err


@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(TEXT)
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def workers_of(pid: int) -> list[int]:
    """The child processes of ``pid`` (pool workers and the resource tracker)."""
    return [
        int(child)
        for task in Path(f"/proc/{pid}/task").iterdir()
        for child in (task / "children").read_text().split()
    ]


def alive(pid: int) -> bool:
    try:  # a zombie no one reaps (no init in a container) has ended too
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def start_until_workers(args, n: int = 2) -> tuple[subprocess.Popen, list[int]]:
    """Start the command and wait until it runs ``n`` pool workers."""
    process = supplysim(*args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline:
        children = workers_of(process.pid)
        pool = [c for c in children if "analysis.cli" in Path(f"/proc/{c}/cmdline").read_text()]
        if len(pool) >= n:
            time.sleep(0.3)  # let them take their first replication
            return process, workers_of(process.pid)
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"no {n} workers within 120 s")


# --------------------------------------------------------------------- one run per folder
def test_a_rerun_replaces_the_folder_whole(scenario_file, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(capsys, "run", scenario_file, "--workers", "1", "--out", out) == (0, "")
    assert (out / "figures" / "profit_kde.png").exists()
    status, _ = main(capsys, "run", scenario_file, "--replications", "1", "--seed", "5",
                     "--no-periods", "--out", out)  # fmt: skip
    assert status == 0
    # neither the KDE of five replications nor their periods are left beside the new files
    assert sorted(p.name for p in (out / "figures").iterdir()) == [
        "bullwhip.png",
        "costs.png",
        "network.png",
    ]
    assert not (out / "periods.parquet").exists()
    assert json.loads((out / "summary.json").read_text())["seed"] == 5
    assert json.loads((out / "manifest.json").read_text())["seed"] == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out", "small.toml"]


@pytest.mark.parametrize("resume", [False, True])
def test_a_failed_command_leaves_the_old_folder(tmp_path, resume):
    out = tmp_path / "out"
    with output_folder(out) as folder:
        (folder / "summary.json").write_text("old")
        (folder / "periods.parquet").write_text("old")
    before = snapshot(out)
    with pytest.raises(OSError) as failure, output_folder(out, resume=resume) as folder:
        (folder / "summary.json").write_text("new")
        (folder / "points").mkdir()
        (folder / "points" / "done.parquet").write_text("point")
        raise OSError(28, "No space left on device")  # before periods.parquet
    assert snapshot(out) == before
    partial = tmp_path / "out.partial"
    if resume:  # what finished is kept for the rerun, the rest goes
        assert failure.value.__notes__ == [
            f"finished points are kept in {partial}/points: rerun the same command to resume"
        ]
        assert snapshot(partial) == {"points/done.parquet": b"point"}
    else:
        assert failure.value.__notes__ == [f"nothing was written: {out} is as it was"]
        assert not partial.exists()


def test_a_rerun_keeps_the_finished_points(tmp_path):
    out = tmp_path / "out"
    with output_folder(out, resume=True) as folder:
        (folder / "points").mkdir()
        (folder / "points" / "a.parquet").write_text("a")
        (folder / "results.csv").write_text("grid a")
    with output_folder(out, resume=True) as folder:
        assert snapshot(folder) == {"points/a.parquet": b"a"}  # not the old results
        (folder / "points" / "b.parquet").write_text("b")
    assert snapshot(out) == {"points/a.parquet": b"a", "points/b.parquet": b"b"}


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda out: out.write_text("x"), "is a file, not a folder"),
        (
            lambda out: (out.mkdir(), (out / "notes.txt").write_text("mine")),
            "holds files supplysim did not write (notes.txt), which a new run would delete",
        ),
    ],
)
def test_the_folder_is_checked_before_computing(tmp_path, scenario_file, make, message, capsys):
    out = tmp_path / "out"
    make(out)
    before = snapshot(tmp_path)
    # a run of ten million periods: the test ends only if nothing is computed
    status, stderr = main(capsys, "run", scenario_file, "--periods", "10000000", "--out", out)
    assert status == 2 and message in stderr and len(stderr.strip().splitlines()) == 1
    after = snapshot(tmp_path)
    after.pop(".out.lock")  # the lock file stays: deleting it would race with a new lock
    assert after == before


def test_a_second_command_on_a_folder_fails_at_once(tmp_path, scenario_file, capsys):
    out = tmp_path / "out"
    with locked(out):  # flock: a second open file is refused, even in this process
        status, stderr = main(capsys, "run", scenario_file, "--periods", "10000000", "--out", out)
    assert status == 2
    assert stderr == (
        f"supplysim: error: {out}: another supplysim command (process {os.getpid()}) is "
        "writing this folder; wait for it to finish or choose another --out\n"
    )
    assert not out.exists()


def test_plot_replaces_the_figures_whole(tmp_path, scenario_file, monkeypatch, capsys):
    out = tmp_path / "out"
    status, _ = main(capsys, "run", scenario_file, "--no-periods", "--workers", "1",
                     "--out", out)  # fmt: skip
    assert status == 0
    before = snapshot(out)

    def broken(values):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(analysis.plots, "plot_reward_kde", broken)  # after the network's
    status, stderr = main(capsys, "plot", out)
    assert status == 1 and stderr.endswith(f"; the figures of {out} are as they were\n")
    assert snapshot(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


# --------------------------------------------------------------------- processes
def test_workers_end_when_the_parent_is_killed(tmp_path, scenario_file):
    out = tmp_path / "out"
    process, children = start_until_workers(
        ["run", scenario_file, "--periods", "200000", "--replications", "8", "--workers", "2",
         "--out", out]
    )  # fmt: skip
    os.kill(process.pid, signal.SIGKILL)
    # the orphans no longer hold the pipes: reading the output ends
    process.communicate(timeout=10)
    deadline = time.time() + 5
    while time.time() < deadline and any(map(alive, children)):
        time.sleep(0.05)
    assert not [c for c in children if alive(c)], "workers outlived their parent"


@pytest.mark.parametrize(
    ("command", "sent", "status", "message"),
    [
        (
            "run",
            signal.SIGTERM,
            143,
            "supplysim: stopped by SIGTERM; nothing was written: {out} is as it was",
        ),
        (
            "sweep",
            signal.SIGINT,
            130,
            "supplysim: interrupted; finished points are kept in {out}.partial/points: "
            "rerun the same command to resume",
        ),
    ],
)
def test_an_interrupt_says_what_it_kept(tmp_path, scenario_file, command, sent, status, message):
    out = tmp_path / "out"
    args = [command, scenario_file, "--periods", "200000", "--replications", "8",
            "--workers", "2", "--out", out]  # fmt: skip
    if command == "sweep":
        args += ["--grid", "roles.retailer.policy.level=10,12"]
    process, children = start_until_workers(args)
    process.send_signal(sent)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == status
    assert stderr == message.format(out=out) + "\n"
    assert not list(tmp_path.rglob("*.tmp")) and not out.exists()
    assert (tmp_path / "out.partial").exists() == (command == "sweep")
    deadline = time.time() + 5
    while time.time() < deadline and any(map(alive, children)):
        time.sleep(0.05)
    assert not [c for c in children if alive(c)]


# --------------------------------------------------------------------- contents
def test_json_is_strict():
    def refuse(token):
        raise ValueError(f"not JSON: {token}")

    text = strict_json({"a": math.inf, "b": [math.nan, 1.5], "c": {"d": -math.inf}, "e": 2})
    assert json.loads(text, parse_constant=refuse) == {
        "a": None,
        "b": [None, 1.5],
        "c": {"d": None},
        "e": 2,
    }


def test_infinite_costs_give_strict_json(tmp_path, scenario_file, capsys):
    out = tmp_path / "out"
    status, stderr = main(capsys, "run", scenario_file, "--set", "network.args.holding_cost=1e308",
                          "--replications", "1", "--no-periods", "--out", out)  # fmt: skip
    assert status == 0, stderr

    def refuse(token):
        raise ValueError(f"not JSON: {token}")

    summary = json.loads((out / "summary.json").read_text(), parse_constant=refuse)
    assert summary["network"]["holding_cost"]["mean"] is None  # overflowed to infinity
    json.loads((out / "manifest.json").read_text(), parse_constant=refuse)


def test_periods_are_streamed_in_replication_order(tmp_path):
    scenario = Scenario.from_dict(tomllib.loads(TEXT))
    path = tmp_path / "periods.parquet"
    streamed = replicate(scenario, n=5, workers=2, periods_file=path)
    kept = replicate(scenario, n=5, workers=1, keep_periods=True)
    assert streamed.periods is None
    pd.testing.assert_frame_equal(streamed.kpis, kept.kpis)
    pd.testing.assert_frame_equal(pd.read_parquet(path), kept.periods)
    meta = pq.ParquetFile(path).metadata
    assert meta.num_row_groups == 5  # one per replication: a figure reads one alone


def test_no_periods(tmp_path, scenario_file, capsys):
    out = tmp_path / "out"
    status, stderr = main(capsys, "run", scenario_file, "--no-periods", "--workers", "1",
                          "--out", out)  # fmt: skip
    assert status == 0 and "skipped figures inventory, orders" in stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "figures",
        "manifest.json",
        "network.json",
        "replications.parquet",
        "summary.json",
    ]
    assert sorted(p.name for p in (out / "figures").iterdir()) == [
        "bullwhip.png",
        "costs.png",
        "network.png",
        "profit_kde.png",
    ]
    assert main(capsys, "plot", out)[0] == 0
    assert sorted(p.name for p in (out / "figures").iterdir()) == [
        "bullwhip.png",
        "costs.png",
        "network.png",
        "profit_kde.png",
    ]
