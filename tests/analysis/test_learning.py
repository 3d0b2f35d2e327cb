"""Training a scenario's learner and evaluating it, from Python and from the command line."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")

from agents import ConstantOrder
from analysis.learning import train_scenario
from scenarios import resolve
from sim import SupplyChainModel


class _Random:
    """Uniform orders on 0..20 (its own generator: a fixed comparison)."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)

    def act(self, obs):
        return float(self.rng.integers(0, 21))


def _cost(scenario, module, seeds=(101, 102, 103), periods=600):
    costs = []
    for seed in seeds:
        model = SupplyChainModel(
            scenario.network(), {"stage1": module}, seed=seed, **scenario.options
        )
        model.run(periods)
        costs.append(model.cost_per_period(warmup=100))
    return float(np.mean(costs))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("ppo")
    scenario = resolve("lost_sales")
    train_scenario(
        scenario,
        "stage1",
        out,
        steps=65_536,
        seed=3,
        num_envs=64,
        periods=128,
        progress=False,
        lr=1e-3,
    )
    return scenario, out


def test_a_short_training_beats_random_and_constant_orders(trained):
    from agents import checkpoint

    scenario, out = trained
    learned = _cost(scenario, checkpoint(str(out)))
    constant = _cost(scenario, ConstantOrder(quantity=5))
    random = _cost(scenario, _Random(0))
    # measured: about 6-7 per period against about 9 (constant 5) and over 50 (random)
    assert learned < 0.85 * constant
    assert learned < 0.2 * random


def test_the_same_seed_gives_the_same_curve(tmp_path):
    scenario = resolve("lost_sales")
    curves = []
    for run in ("a", "b"):
        train_scenario(
            scenario,
            "stage1",
            tmp_path / run,
            steps=2 * 16 * 64,
            seed=5,
            num_envs=16,
            periods=50,
            progress=False,
            rollout_steps=64,
        )
        curves.append(pd.read_csv(tmp_path / run / "learning_curve.csv"))
    columns = ["step", "mean_reward", "policy_loss", "value_loss"]
    pd.testing.assert_frame_equal(curves[0][columns], curves[1][columns], check_exact=True)


def _cli(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "analysis.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_evaluate_on_worker_processes_and_one_line_errors(trained, tmp_path, capsys, monkeypatch):
    from analysis.cli import main

    _, out = trained
    monkeypatch.chdir(tmp_path)
    done = _cli(
        "evaluate", "lost_sales", "--checkpoint", f"stage1={out}",
        "--against", "stage1=base_stock(level=13)", "--replications", "3", "--periods", "400",
        "--warmup", "50", "--workers", "2", "--out", str(tmp_path / "eval"), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "eval" / "differences.csv").exists()
    assert "stage1=checkpoint:" in done.stdout
    for args, message in (
        (("train", "lost_sales", "--learners", "source", "--steps", "10"), "not a stocking node"),
        (
            ("evaluate", "lost_sales", "--checkpoint", f"stage1={out}",
             "--set", "nodes.stage1.lost_sales_cost=19", "--replications", "2"),
            "trained on another scenario",
        ),
        (
            ("evaluate", "lost_sales", "--checkpoint", f"stage1={tmp_path}", "--replications", "2"),
            "policy.json",
        ),
    ):  # fmt: skip
        # in this process: the command's exit status and stderr, without a new interpreter
        assert main([str(a) for a in args]) == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], lines


def test_a_corrupted_checkpoint_is_one_line(trained, tmp_path, capsys, monkeypatch):
    import shutil

    from analysis.cli import main

    monkeypatch.chdir(tmp_path)
    _, out = trained
    broken = tmp_path / "broken"
    shutil.copytree(out, broken)
    for weights in broken.rglob("policy.pt"):
        weights.write_bytes(b"not a tensor file")
    status = main(
        ["evaluate", "lost_sales", "--checkpoint", f"stage1={broken}", "--replications", "2"]
    )
    stderr = capsys.readouterr().err
    assert status == 2
    assert len(stderr.strip().splitlines()) == 1
    assert "policy.pt" in stderr


def test_one_products_stock_point_is_trained_compared_and_evaluated_by_name(tmp_path, capsys):
    # `retailer1:standard` names one product's stock point in train, compare and evaluate
    from analysis.cli import main

    common = ["--replications", "2", "--periods", "60", "--warmup", "10", "--workers", "1"]
    out = tmp_path / "sku"
    train = ["train", "owmr_dual_products", "--learners", "retailer1:standard"]
    assert main([*train, "--steps", "256", "--num-envs", "4", "--out", str(out)]) == 0
    assert f"--checkpoint retailer1:standard={out}" in capsys.readouterr().out
    higher = "retailer1:standard=base_stock(level=30)"  # declared: 18
    command = ["evaluate", "owmr_dual_products", "--checkpoint", f"retailer1:standard={out}"]
    assert main([*command, "--against", higher, *common, "--out", str(tmp_path / "e")]) == 0
    table = pd.read_parquet(tmp_path / "e" / "results.parquet")
    cost = table[table["node"] == "retailer1"].pivot(
        index="replication", columns="policies", values="cost_per_period"
    )
    assert set(cost.columns) == {"as declared", f"retailer1:standard=checkpoint:{out}", higher}
    # on the same demands, 12 more units always on hand at holding cost 1 (the standard
    # product never runs out at either level here): 12 more per period, to the cent
    assert (cost[higher] - cost["as declared"]).round(9).tolist() == [12.0, 12.0]
    two = "retailer1:standard,retailer2:standard=base_stock(level=30)"
    assert main(["compare", "owmr_dual_products", "--policy", two, *common]) == 2
    assert "name one stock point" in capsys.readouterr().err
