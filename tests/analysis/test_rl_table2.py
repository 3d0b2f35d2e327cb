"""``benchmarks/rl_table2.py`` (Table II item 6): its table is its runs' results, its figure
their learning curves, and a second run skips what is done."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from scenarios import resolve

pytest.importorskip("torch")


def _script():
    path = Path(__file__).parents[2] / "benchmarks" / "rl_table2.py"
    spec = importlib.util.spec_from_file_location("rl_table2", path)
    script = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = script  # its dataclass looks its module up
    spec.loader.exec_module(script)
    return script


@pytest.mark.parametrize(
    ("case", "actions"), [("chen_zheng", "echelon_position"), ("owmr", "position")]
)
def test_table_and_figure_are_the_runs_and_a_rerun_skips_them(
    case, actions, tmp_path, monkeypatch, capsys
):
    script = _script()
    monkeypatch.setattr(script, "EVAL", {"copies": 4, "periods": 60, "warmup": 10, "seed": 5})
    tiny = {"copies": 2, "periods": 40, "warmup": 10, "seed": 7}
    monkeypatch.setattr(script, "VALIDATION", tiny)
    monkeypatch.setattr(script, "TUNING", {"replications": 2, "periods": 60, "max_evaluations": 6})
    args = ["--case", case, "--actions", actions, "--algos", "mappo", "--seeds", "0"]
    args += ["--steps", "1024", "--copies", "8", "--periods", "16", "--out", str(tmp_path)]
    script.main(args)
    results = [json.loads(p.read_text()) for p in sorted(tmp_path.glob("*/result.json"))]
    assert [(r["algo"], r["seed"], len(r["costs"])) for r in results] == [("mappo", 0, 4)]
    table = (tmp_path / "table.md").read_text()
    rows = [line for line in table.splitlines() if "| 1,024 |" in line]
    the_case = script.CASES[case]
    for r, row in zip(results, rows, strict=True):
        assert f"| {np.mean(r['costs']):.2f} ±" in row
        validation = {int(k): v for k, v in r["validation"].items()}
        assert len(validation) == 4  # a checkpoint per update: 1,024 steps of 8 x 32
        assert r["chosen_step"] == min(validation, key=validation.get)
        team = script.team_of(
            the_case, tmp_path / f"{actions}_mappo_seed{r['seed']}", r["chosen_step"]
        )
        chosen = script.evaluate(the_case, team, actions)
        assert chosen.tolist() == r["costs"]
    levels, label = the_case.reference(tmp_path)
    assert (
        f"Reference, {label}: **{script.evaluate_reference(the_case, tmp_path).mean():.2f}**"
        in table
    )
    if case == "owmr":  # the tuned levels are the search's best, kept for the next run
        kept = json.loads((tmp_path / "baseline.json").read_text())
        assert kept["levels"] == levels and set(levels) == set(the_case.learners)
        assert kept["points_evaluated"] == 6
    stamps = {p: p.stat().st_mtime_ns for p in tmp_path.glob("*/result.json")}
    stamps[tmp_path / "baseline.json"] = 0
    stamps = {p: p.stat().st_mtime_ns for p in stamps if p.exists()}
    capsys.readouterr()
    script.main(args)  # done: skipped, the same table
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    fig = script.plot_curves(the_case, tmp_path, results, 16, 90.0)
    (mean, *_) = fig.axes[0].lines
    returns = np.loadtxt(tmp_path / f"{actions}_mappo_seed0" / "learning_curve.csv",
                         delimiter=",", skiprows=1, usecols=3, ndmin=1)  # fmt: skip
    closed = returns[np.isfinite(returns)]
    assert len(closed) >= 1  # 16-period episodes close in 32-step rollouts
    np.testing.assert_allclose(mean.get_ydata(), -closed / 16)


def test_joint_tuning_beats_or_equals_every_level_it_tried():
    from analysis.tune import tune_jointly

    scenario = resolve("owmr_lost_sales")
    nodes = ["warehouse", "retailer1"]
    best = tune_jointly(
        scenario, dict.fromkeys(nodes, "base_stock"), replications=2, periods=120,
        max_evaluations=15,
    )  # fmt: skip
    assert list(best.table.columns) == ["warehouse:level", "retailer1:level", "cost", "ci95"]
    assert len(best.table) == 15
    assert best.estimate.mean == best.table["cost"].min()
    chosen = best.table.loc[best.table["cost"].idxmin()]
    assert best.parameters == {n: {"level": int(chosen[f"{n}:level"])} for n in nodes}
