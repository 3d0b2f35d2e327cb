"""Every run figure shows the numbers of the run's summary (summary.json), for a
multi-replication run: bar heights, bullwhip ratios, the density's sample, the windows."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from analysis.experiment import replicate, summary_statistics
from analysis.plots import (
    COST_PARTS,
    plot_bullwhip,
    plot_costs,
    plot_inventory,
    plot_network,
    plot_orders,
    plot_reward_kde,
    profit_kde_skip,
    save_figure,
)
from scenarios import load

NODES = ["stage1", "stage2", "stage3", "stage4"]
WARMUP = 20


@pytest.fixture(scope="module")
def run():
    """clark_scarf, 6 short replications, with a price so that profit is not -cost."""
    scenario = load("scenarios/library/clark_scarf.toml").with_overrides(
        {"run.periods": 120, "run.warmup": WARMUP, "run.replications": 6, "nodes.stage1.price": 30}
    )
    result = replicate(scenario, workers=1, keep_periods=True)
    return result, summary_statistics(result.kpis)  # what `supplysim run` writes


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def stacks(ax) -> dict[str, np.ndarray]:
    """Bar heights per legend label (one bar per node, in order)."""
    handles, labels = ax.get_legend_handles_labels()
    return {
        label: np.array([bar.get_height() for bar in handle])
        for handle, label in zip(handles, labels, strict=True)
        if hasattr(handle, "patches")
    }


@pytest.mark.parametrize("source", ["kpis", "periods"])
def test_costs_equal_the_summary(run, source):
    result, stats = run
    data = result.kpis if source == "kpis" else result.periods
    (ax, *_) = plot_costs(data, warmup=WARMUP).axes
    assert [t.get_text() for t in ax.get_xticklabels()] == NODES
    drawn = stacks(ax)
    total = sum(drawn.values())
    # the bug: per-period sums over all replications divided by the periods only (x6 here)
    assert total == pytest.approx([stats[n]["cost_per_period"]["mean"] for n in NODES])
    for part, label in COST_PARTS.items():
        expected = [stats[n][part]["mean"] for n in NODES]
        assert drawn.get(label, np.zeros(4)) == pytest.approx(expected, abs=1e-12)
    assert "mean of 6 replications" in ax.get_title()


def test_bullwhip_equals_the_summary(run):
    result, stats = run
    ax = plot_bullwhip(result.kpis).axes[0]
    assert [b.get_height() for b in ax.patches] == pytest.approx(
        [stats[n]["bullwhip"]["mean"] for n in NODES]
    )
    assert f"network {stats['network']['bullwhip']['mean']:.2f}" in ax.get_title()
    same = plot_bullwhip(result.periods, warmup=WARMUP).axes[0]
    assert [b.get_height() for b in same.patches] == [b.get_height() for b in ax.patches]


def test_profit_density_sample_is_the_summary_sample(run):
    result, stats = run
    assert profit_kde_skip(result.kpis) is None
    profits = result.kpis.loc[result.kpis["node"] == "network", "profit_per_period"].to_numpy()
    assert profits.mean() == pytest.approx(stats["network"]["profit_per_period"]["mean"])
    ax = plot_reward_kde({"network": profits}).axes[0]
    rug = [line for line in ax.lines if line.get_marker() == "|"]
    assert np.array_equal(rug[0].get_xdata(), profits)


def test_no_profit_density_for_cost_only_or_few_replications(run):
    result, _ = run
    cost_only = result.kpis.assign(profit_per_period=-result.kpis["cost_per_period"])
    assert profit_kde_skip(cost_only).startswith("cost-only model")
    few = result.kpis[result.kpis["replication"] < 4]
    assert profit_kde_skip(few) == "4 replication(s): a density needs at least 5"


@pytest.mark.parametrize(("plot", "column"), [(plot_inventory, "net"), (plot_orders, "ordered")])
def test_run_window_is_after_warmup_of_one_named_replication(run, plot, column):
    result, _ = run
    table = result.periods
    fig = plot(table, 50, warmup=WARMUP, replication=2)
    title = fig.get_suptitle() or fig.axes[0].get_title()
    assert title.endswith(
        f"replication 2, periods {WARMUP}–{WARMUP + 49} (after a warm-up of {WARMUP})"
    )
    rows = table[(table["replication"] == 2) & (table["node"] == "stage3")]
    rows = rows[(rows["period"] >= WARMUP) & (rows["period"] < WARMUP + 50)]
    if column == "net":  # one chart, a line per node
        (line,) = [x for x in fig.axes[0].lines if x.get_label() == "stage3"]
        expected = rows["on_hand"] - rows["backlog"]
    else:  # a panel per node: demand seen and orders
        (panel,) = [ax for ax in fig.axes if ax.get_title() == "stage3"]
        (line,) = [x for x in panel.lines if x.get_label() == "orders"]
        expected = rows["ordered"]
    assert list(line.get_xdata()) == list(rows["period"])
    assert np.array_equal(line.get_ydata(), expected.to_numpy())
    ylabel = fig.get_supylabel() or fig.axes[0].get_ylabel()
    assert ylabel == ("net inventory (units)" if column == "net" else "units per period")


def test_many_nodes_get_one_panel_each_and_long_names_are_cut():
    names = [f"node{k}" for k in range(8)] + ["x" * 5000]
    table = pd.DataFrame(
        [
            {"period": t, "node": n, "on_hand": 1.0, "backlog": 0.0, "demand": 1.0, "ordered": 1.0}
            for t in range(3)
            for n in names
        ]
    )
    for plot in (plot_inventory, plot_orders):
        fig = plot(table)
        panels = [ax for ax in fig.axes if ax.get_visible()]
        assert len(panels) == 9
        assert panels[-1].get_title() == "x" * 23 + "…"
        width, height = fig.get_size_inches()
        assert width <= 12 and height <= 20


def test_a_5000_character_node_name_keeps_figures_small(tmp_path):
    from agents import BaseStock
    from networks import serial
    from sim import SupplyChainModel

    long = "x" * 5000  # once drew a 55,000-pixel-wide figure, for minutes
    graph = serial(2, names=[long, "stage2"])
    graph.graph["name"] = long
    model = SupplyChainModel(graph, BaseStock(level=8), seed=0)
    model.run(30)
    table = model.results()
    for name, fig in {
        "network": plot_network(graph),
        "costs": plot_costs(table),
        "bullwhip": plot_bullwhip(table),
        "inventory": plot_inventory(table),
        "orders": plot_orders(table),
    }.items():
        header = save_figure(fig, tmp_path / f"{name}.png").read_bytes()[16:24]
        width, height = int.from_bytes(header[:4], "big"), int.from_bytes(header[4:], "big")
        assert width < 2000 and height < 2000, (name, width, height)
