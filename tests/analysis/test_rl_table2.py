"""``benchmarks/rl_table2.py`` (Table II item 6): its table is its runs' results, its figure
their learning curves, and a second run skips what is done."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from scenarios import resolve

pytest.importorskip("torch")


def _script():
    path = Path(__file__).parents[2] / "benchmarks" / "rl_table2.py"
    spec = importlib.util.spec_from_file_location("rl_table2", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script


def test_table_and_figure_are_the_runs_and_a_rerun_skips_them(tmp_path, monkeypatch, capsys):
    script = _script()
    monkeypatch.setattr(script, "EVAL", {"copies": 4, "periods": 60, "warmup": 10, "seed": 5})
    tiny = {"copies": 2, "periods": 40, "warmup": 10, "seed": 7}
    monkeypatch.setattr(script, "VALIDATION", tiny)
    args = ["--actions", "echelon_position", "--algos", "mappo", "--seeds", "0"]
    args += ["--steps", "1024", "--copies", "8", "--periods", "16", "--out", str(tmp_path)]
    script.main(args)
    results = [json.loads(p.read_text()) for p in sorted(tmp_path.glob("*/result.json"))]
    assert [(r["algo"], r["seed"], len(r["costs"])) for r in results] == [("mappo", 0, 4)]
    rows = [
        line for line in (tmp_path / "table.md").read_text().splitlines() if "| 1,024 |" in line
    ]
    for r, row in zip(results, rows, strict=True):
        assert f"| {np.mean(r['costs']):.2f} ±" in row
        validation = {int(k): v for k, v in r["validation"].items()}
        assert len(validation) == 4  # a checkpoint per update: 1,024 steps of 8 x 32
        assert r["chosen_step"] == min(validation, key=validation.get)
        team = script.team_of(
            tmp_path / f"echelon_position_mappo_seed{r['seed']}", r["chosen_step"]
        )
        chosen = script.evaluate(resolve("clark_scarf"), team, "echelon_position")
        assert chosen.tolist() == r["costs"]
    stamps = {p: p.stat().st_mtime_ns for p in tmp_path.glob("*/result.json")}
    capsys.readouterr()
    script.main(args)  # done: skipped, the same table
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    fig = script.plot_curves(tmp_path, results, 16, 90.0)
    (mean, *_) = fig.axes[0].lines
    returns = [
        np.loadtxt(tmp_path / f"echelon_position_mappo_seed{s}" / "learning_curve.csv",
                   delimiter=",", skiprows=1, usecols=3, ndmin=1)
        for s in (0,)
    ]  # fmt: skip
    closed = [r[np.isfinite(r)] for r in returns]
    assert len(closed[0]) >= 1  # 16-period episodes close in 32-step rollouts
    np.testing.assert_allclose(mean.get_ydata(), -np.mean(closed, axis=0) / 16)
