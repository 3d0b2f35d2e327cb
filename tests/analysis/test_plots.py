"""Figures on small hand-made inputs: what is drawn, where, and the errors."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch
from scipy import stats

from analysis.plots import (
    LARGE_NETWORK,
    plot_bullwhip,
    plot_network,
    plot_reward_kde,
    plot_sensitivity,
    save_figure,
)
from analysis.report import KPI_COLUMNS
from analysis.statistics import mean_ci

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def node_positions(ax) -> dict[str, tuple[float, float]]:
    return {t.get_text(): tuple(t.xy) for t in ax.texts}


def test_backend_is_agg():
    assert matplotlib.get_backend().lower() == "agg"


# --------------------------------------------------------------------------- network


def small_network() -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_node("ore", role="supplier", echelon=3)
    g.add_node("plant", role="manufacturer", echelon=2)
    g.add_node("dc", role="warehouse", echelon=1)
    g.add_node("shop_a", role="retailer", echelon=0)
    g.add_node("shop_b", role="retailer", echelon=0)
    g.add_edges_from([("ore", "plant"), ("plant", "dc"), ("dc", "shop_a"), ("dc", "shop_b")])
    return g


def test_network_draws_nodes_by_role_edges_and_labels():
    fig = plot_network(small_network())
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert legend_texts(ax) == ["supplier (source)", "manufacturer", "warehouse", "retailer"]
    groups = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert [len(c.get_offsets()) for c in groups] == [1, 1, 1, 2]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == 4
    pos = node_positions(ax)
    assert set(pos) == {"ore", "plant", "dc", "shop_a", "shop_b"}
    assert [pos[n][0] for n in ("ore", "plant", "dc", "shop_a", "shop_b")] == [-3, -2, -1, 0, 0]
    assert pos["shop_a"][1] != pos["shop_b"][1]  # spread vertically
    assert [t.get_text() for t in ax.get_xticklabels()] == ["3", "2", "1", "0"]
    assert ax.get_title() == "Supply network: 5 nodes, 4 edges"


def test_network_sources_are_squares_other_suppliers_circles():
    g = small_network()
    g.add_node("broker", role="supplier", echelon=2)  # a supplier with a predecessor
    g.add_edges_from([("ore", "broker"), ("broker", "dc")])
    ax = plot_network(g).axes[0]
    assert legend_texts(ax)[:2] == ["supplier (source)", "supplier"]
    source, broker = [c for c in ax.collections if isinstance(c, PathCollection)][:2]
    assert len(source.get_paths()[0].vertices) == 5  # a closed square
    assert len(broker.get_paths()[0].vertices) > 5  # a circle


def test_network_without_echelons_uses_longest_path_to_a_sink():
    g = nx.DiGraph()
    for n, role in [("s", "supplier"), ("m", "manufacturer"), ("w", "warehouse")]:
        g.add_node(n, role=role)
    g.add_node("r", role="retailer")
    g.add_edges_from([("s", "m"), ("m", "w"), ("w", "r"), ("s", "r")])
    pos = node_positions(plot_network(g).axes[0])
    assert {n: -x for n, (x, _) in pos.items()} == {"s": 3, "m": 2, "w": 1, "r": 0}
    for u, v in g.edges:  # goods flow left to right
        assert pos[u][0] < pos[v][0]


def test_network_same_echelon_edge_is_an_arc():
    g = small_network()
    g.add_node("dc2", role="warehouse", echelon=1)
    g.add_edges_from([("plant", "dc2"), ("dc", "dc2")])
    ax = plot_network(g).axes[0]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == 6
    assert [getattr(a.get_connectionstyle(), "rad", 0.0) for a in arrows].count(0.5) == 1


def test_large_network_drops_labels_and_shrinks_markers():
    g = nx.DiGraph()
    g.add_node("source", role="supplier")
    for i in range(LARGE_NETWORK):
        g.add_node(i, role="retailer")
        g.add_edge("source", i)
    ax = plot_network(g).axes[0]
    assert len(ax.texts) == 0
    sizes = [c.get_sizes()[0] for c in ax.collections if isinstance(c, PathCollection)]
    assert max(sizes) <= 6.0**2 * 1.1
    small = plot_network(small_network()).axes[0]
    assert min(c.get_sizes()[0] for c in small.collections if isinstance(c, PathCollection)) > 36


def test_network_without_nodes_raises():
    with pytest.raises(ValueError, match="no nodes"):
        plot_network(nx.DiGraph())


# --------------------------------------------------------------------------- sensitivity

STD = "edge_defaults.lead_time.std"
POLICY = "policy.kind"


def sweep() -> pd.DataFrame:
    """2 policies x 3 lead-time stds x 4 replications, at the network and at one shop."""
    rng = np.random.default_rng(0)
    rows, point = [], 0
    for policy in ("sS", "base_stock"):
        for std in (2.0, 0.0, 1.0):  # not sorted: the axis sorts them
            for rep in range(4):
                for node in ("network", "shop"):
                    rows.append(
                        {
                            "point": point,
                            STD: std,
                            POLICY: policy,
                            "replication": rep,
                            "node": node,
                            "cost_per_period": 10 * std + rng.normal(0, 1),
                        }
                    )
            point += 1
    return pd.DataFrame(rows)


def band_at(band: PolyCollection, x: float) -> tuple[float, float]:
    """The band's lowest and highest y at ``x`` (from its polygon vertices)."""
    vertices = np.concatenate([p.vertices for p in band.get_paths()])
    ys = vertices[np.isclose(vertices[:, 0], x), 1]
    return float(ys.min()), float(ys.max())


def test_sensitivity_mean_and_band_are_mean_ci():
    table = sweep()
    rows = table[(table[POLICY] == "sS") & (table["node"] == "network")]
    fig = plot_sensitivity(table[table[POLICY] == "sS"], STD, "cost_per_period")
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    (line,) = ax.lines
    (band,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert list(line.get_xdata()) == [0.0, 1.0, 2.0]
    for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True):
        estimate = mean_ci(rows.loc[rows[STD] == x, "cost_per_period"])
        assert y == pytest.approx(estimate.mean)
        assert band_at(band, x) == pytest.approx((estimate.low, estimate.high))
    assert legend_texts(ax) == ["mean", "95% CI (Student t)"]
    assert ax.get_xlabel() == "lead time std (edge defaults; periods)"
    assert ax.get_ylabel() == "cost per period (money per period)"


def test_sensitivity_other_node():
    table = sweep()
    table.loc[table["node"] == "shop", "cost_per_period"] += 100
    ax = plot_sensitivity(table[table[POLICY] == "sS"], STD, "cost_per_period", node="shop").axes[0]
    assert min(ax.lines[0].get_ydata()) > 90


def test_sensitivity_one_line_and_band_per_hue_value():
    ax = plot_sensitivity(sweep(), STD, "cost_per_period", hue=POLICY).axes[0]
    assert len(ax.lines) == 2
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 2
    assert legend_texts(ax) == ["sS", "base_stock"]
    assert ax.get_legend().get_title().get_text() == "policy kind\n(band: 95% CI)"


def test_sensitivity_categorical_parameter():
    table = sweep()
    rows = table[(table[STD] == 1.0) & (table["node"] == "network")]
    ax = plot_sensitivity(table[table[STD] == 1.0], POLICY, "cost_per_period").axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["sS", "base_stock"]
    (line,) = ax.lines
    assert list(line.get_xdata()) == [0, 1]
    (band,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(band.get_paths()) == 2  # one box per category, not a band across them
    for i, policy in enumerate(["sS", "base_stock"]):
        estimate = mean_ci(rows.loc[rows[POLICY] == policy, "cost_per_period"])
        assert line.get_ydata()[i] == pytest.approx(estimate.mean)
        ys = band.get_paths()[i].vertices[:, 1]
        assert (ys.min(), ys.max()) == pytest.approx((estimate.low, estimate.high))


def test_sensitivity_bool_parameter_with_numeric_hue():
    table = sweep()
    table["crossing"] = table[POLICY] == "sS"
    ax = plot_sensitivity(table, "crossing", "cost_per_period", hue=STD).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["True", "False"]
    assert legend_texts(ax) == ["0.0", "1.0", "2.0"]  # numeric hue sorted
    assert len(ax.lines) == 3


@pytest.mark.parametrize(
    ("kwargs", "missing"),
    [
        ({"parameter": "nope", "kpi": "cost_per_period"}, "parameter: column 'nope'"),
        ({"parameter": STD, "kpi": "nope"}, "kpi: column 'nope'"),
        ({"parameter": STD, "kpi": "cost_per_period", "hue": "nope"}, "hue: column 'nope'"),
    ],
)
def test_sensitivity_missing_column_raises(kwargs, missing):
    with pytest.raises(ValueError, match=missing):
        plot_sensitivity(sweep(), **kwargs)


def test_sensitivity_unknown_node_and_mixed_points_raise():
    with pytest.raises(ValueError, match="node: 'depot'"):
        plot_sensitivity(sweep(), STD, "cost_per_period", node="depot")
    with pytest.raises(ValueError, match="another swept parameter varies"):
        plot_sensitivity(sweep(), STD, "cost_per_period")  # policy varies too


# --------------------------------------------------------------------------- reward KDE


def test_reward_kde_lines_rugs_and_point_mass():
    rng = np.random.default_rng(1)
    a, b = rng.normal(100, 5, 20), rng.normal(90, 10, 25)
    fig = plot_reward_kde({"PPO": a, "base stock": b, "idle": np.full(5, 50.0)})
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert len(ax.lines) == 2 + 1 + 3 + 1  # 2 densities, a vertical line, 3 rugs, y = 0
    kde_line = ax.lines[0]
    expected = stats.gaussian_kde(a)(kde_line.get_xdata())
    np.testing.assert_allclose(kde_line.get_ydata(), expected)
    rugs = [ln for ln in ax.lines if ln.get_marker() == "|"]
    assert [len(r.get_xdata()) for r in rugs] == [20, 25, 5]
    vertical = ax.lines[4]
    assert list(vertical.get_xdata()) == [50.0, 50.0]
    assert legend_texts(ax)[0].startswith("PPO (n=20")
    assert legend_texts(ax)[2].endswith("no spread")
    assert ax.get_xlabel() == "profit per period (money)"


def test_reward_kde_rejects_empty_and_nan():
    with pytest.raises(ValueError, match="no samples"):
        plot_reward_kde({})
    with pytest.raises(ValueError, match=r"\['x'\]: no values"):
        plot_reward_kde({"x": []})
    with pytest.raises(ValueError, match="NaN"):
        plot_reward_kde({"x": [1.0, np.nan]})


# --------------------------------------------------------------------------- bullwhip


def test_bullwhip_bars_are_means_over_replications_in_table_order_with_line_at_one():
    # a KPI table (replications.parquet): ratios per replication and node
    kpis = pd.DataFrame(
        {
            "replication": [0, 0, 0, 0, 1, 1, 1, 1],
            "node": ["network", "shop", "dc", "plant"] * 2,
            "bullwhip": [3.0, 8.0, 1.0, np.nan, 5.0, 10.0, 1.0, np.nan],
        }
    ).assign(**{k: 0.0 for k in KPI_COLUMNS if k != "bullwhip"})
    fig = plot_bullwhip(kpis)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_xticklabels()] == ["shop", "dc", "plant"]
    assert [b.get_height() for b in ax.patches] == pytest.approx([9.0, 1.0, 0.0])
    assert [t.get_text() for t in ax.texts] == ["9.00", "1.00", "n/a"]
    one = [line for line in ax.lines if list(line.get_ydata()) == [1.0, 1.0]]
    assert len(one) == 1
    assert legend_texts(ax) == ["1: no amplification"]
    assert ax.get_title() == (
        "Bullwhip by node (mean of 2 replications, error bars: 95% CI; network 4.00)"
    )


def test_bullwhip_missing_column_raises():
    with pytest.raises(ValueError, match="'ordered'"):
        plot_bullwhip(pd.DataFrame({"period": [0], "node": ["a"], "demand": [1.0]}))
    with pytest.raises(ValueError, match=r"nor a KPI table \(missing 'cost_per_period'"):
        plot_bullwhip(pd.DataFrame({"node": ["a"], "bullwhip": [1.0]}))


# --------------------------------------------------------------------------- files


def test_save_figure_writes_png_and_closes(tmp_path):
    fig = plot_network(small_network())
    path = save_figure(fig, tmp_path / "figs" / "network.png")
    assert path == tmp_path / "figs" / "network.png"
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and len(data) > 1000
    assert not plt.fignum_exists(fig.number)
    assert [p.name for p in path.parent.iterdir()] == ["network.png"]  # no temp file left
