"""Heuristic search on common random numbers: known optimum, exact re-evaluation, bounds."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from agents import BaseStock
from analysis.cli import main
from analysis.exact import (
    dual_sourcing_optimum,
    dual_sourcing_scenario,
    lost_sales_optimum,
    lost_sales_scenario,
)
from analysis.tune import evaluate, tune, tune_jointly
from scenarios import Scenario, ScenarioError

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {"replications": 5, "periods": 2200, "warmup": 200, "seed": 1}


@pytest.fixture(scope="module")
def lost_sales():
    scenario = lost_sales_scenario(lost_sales_cost=9, lead_time=1)
    return {
        kind: tune(scenario, "stage1", kind, **SETTINGS)
        for kind in ("base_stock", "constant_order")
    }


def test_tuned_base_stock_is_zipkins_13(lost_sales):
    # the best base-stock level of Zipkin's p = 9, L = 1 instance is 13 (5.5475 per period)
    best = lost_sales["base_stock"]
    assert best.parameters == {"level": 13}
    assert best.estimate.covers(5.5475)
    # the neighbours were evaluated on the same seeds and lost
    table = best.table.set_index("level")["cost"]
    assert {12, 14} <= set(table.index)
    assert table[13] < table[12] and table[13] < table[14]


def test_tuned_constant_order_is_worse_than_tuned_base_stock(lost_sales):
    assert lost_sales["constant_order"].estimate.mean > lost_sales["base_stock"].estimate.mean + 1


def test_tune_cost_is_an_independent_evaluation_on_the_same_seeds(lost_sales):
    best = lost_sales["base_stock"]
    again = evaluate(lost_sales_scenario(), {"stage1": BaseStock(level=13)}, **SETTINGS)
    np.testing.assert_array_equal(again, best.costs)
    assert best.estimate.mean == again.mean()


def test_value_iteration_is_below_every_tuned_heuristic(lost_sales):
    optimum = lost_sales_optimum(lost_sales_cost=9, lead_time=1).cost
    for result in lost_sales.values():
        assert optimum <= result.estimate.high, result


def test_tuned_dual_index_is_above_the_dual_sourcing_optimum():
    scenario = dual_sourcing_scenario(lead_time=2, expedited_cost=105)
    best = tune(scenario, "shop", "dual_index", replications=3, periods=700, warmup=100, seed=2)
    assert best.parameters["regular_level"] >= best.parameters["expedited_level"]
    assert dual_sourcing_optimum(lead_time=2, expedited_cost=105).cost <= best.estimate.high


def two_products() -> Scenario:
    """Zipkin's lost-sales stage stocking tea (Poisson(5), h = 1, p = 9) and mugs
    (Poisson(2), h = 2, p = 6), L = 1; one base-stock module for both as declared."""
    return Scenario.from_dict(
        {
            "name": "two_products",
            "network": {
                "builder": "serial",
                "args": {
                    "n_stages": 1,
                    "lead_time": 1,
                    "products": ["tea", "mugs"],
                    "holding_cost": {"tea": 1, "mugs": 2},
                    "backlog_cost": 0,
                    "lost_sales_cost": {"tea": 9, "mugs": 6},
                    "shortage": "lost_sales",
                    "demand": {
                        "tea": {"dist": "poisson", "mean": 5},
                        "mugs": {"dist": "poisson", "mean": 2},
                    },
                },
            },
            "roles": {"retailer": {"policy": {"kind": "base_stock", "level": 10}}},
            "run": {"periods": 600, "warmup": 100, "replications": 3, "decide": "start"},
        }
    )


def test_joint_tuning_of_two_skus_finds_the_grid_search_optimum():
    scenario = two_products()
    tea, mugs = ("stage1", "tea"), ("stage1", "mugs")
    best = tune_jointly(scenario, {tea: "base_stock", mugs: "base_stock"})
    # each SKU's analytic start is its own product's newsvendor level (tea's above mugs')
    start = best.table.iloc[0]
    assert start["stage1:tea:level"] > start["stage1:mugs:level"]
    grid = {
        (a, b): evaluate(scenario, {tea: BaseStock(level=a), mugs: BaseStock(level=b)}).mean()
        for a, b in itertools.product(range(9, 17), range(2, 10))
    }
    assert min(grid, key=grid.get) == (
        best.parameters[tea]["level"],
        best.parameters[mugs]["level"],
    )
    assert best.parameters[tea] == {"level": 13}  # Zipkin's p = 9, L = 1: tea alone
    assert best.estimate.mean == min(grid.values())
    with pytest.raises(ScenarioError, match=r"^node 'stage1' stocks 2 products \('tea', 'mugs'\)"):
        tune_jointly(scenario, {"stage1": "base_stock"})
    with pytest.raises(ScenarioError, match=r"^node 'stage1': no product 'coffee'"):
        evaluate(scenario, {("stage1", "coffee"): BaseStock(level=3)})


def supplysim(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "analysis.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
        check=False,
    )


def test_cli_tune_prints_the_table_and_the_best():
    run = supplysim(
        "tune",
        "lost_sales",
        "--node",
        "stage1",
        "--policy",
        "base_stock",
        "--replications",
        "2",
        "--periods",
        "600",
    )
    assert run.returncode == 0, run.stderr
    assert "best: stage1: base_stock(level=" in run.stdout


def test_cli_tune_searches_several_nodes_jointly(capsys):
    args = ["tune", "owmr_lost_sales", "--node", "warehouse,retailer1", "--policy", "base_stock"]
    code = main([*args, "--replications", "2", "--periods", "100", "--max-evaluations", "7"])
    assert code == 0
    out = capsys.readouterr().out
    assert "base_stock at warehouse, base_stock at retailer1 (jointly)" in out
    assert "warehouse:level  retailer1:level" in out
    assert "best: warehouse: base_stock(level=" in out and "; retailer1: base_stock(level=" in out
    code = main([*args[:-1], "base_stock,s_S,base_stock"])
    assert code == 2
    assert "one kind for every node" in capsys.readouterr().err


def test_cli_tune_names_one_products_stock_point_as_node_colon_product(capsys):
    args = ["tune", "owmr_dual_products", "--node", "retailer1:standard,retailer1:premium"]
    code = main([*args, "--policy", "base_stock", "--replications", "2", "--periods", "100",
                 "--max-evaluations", "5"])  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "base_stock at retailer1:standard, base_stock at retailer1:premium (jointly)" in out
    assert "best: retailer1:standard: base_stock(level=" in out
    assert "; retailer1:premium: base_stock(level=" in out


def test_cli_tune_names_an_unknown_node_in_one_line(capsys):
    code = main(["tune", "lost_sales", "--node", "stage9", "--policy", "base_stock"])
    assert code == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "supplysim: error: node 'stage9': not a stocking node of scenario 'lost_sales'; "
        "did you mean 'stage1'?"
    ]
