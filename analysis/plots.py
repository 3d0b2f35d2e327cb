"""Figures: one run (per-period table), the network, sweeps and replications.

matplotlib on the Agg backend; every ``plot_*`` function returns a
:class:`matplotlib.figure.Figure` and writes nothing (callers use :func:`save_figure`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
from scipy import stats

from .files import atomic_path
from .statistics import mean_ci

__all__ = [
    "plot_bullwhip",
    "plot_costs",
    "plot_inventory",
    "plot_network",
    "plot_orders",
    "plot_reward_kde",
    "plot_sensitivity",
    "save_figure",
]

COST_PARTS = (
    "holding_cost",
    "transit_holding_cost",
    "backlog_cost",
    "lost_sales_cost",
    "ordering_cost",
)


def save_figure(fig: plt.Figure, path: str | os.PathLike) -> Path:
    """Write ``fig`` as PNG atomically (temp file, then rename) and close it."""
    path = Path(path)
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=120, bbox_inches="tight", format="png")
    finally:
        plt.close(fig)
    return path


def _window(table: pd.DataFrame, periods: int | None) -> pd.DataFrame:
    if periods is None:
        return table
    return table[table["period"] < table["period"].min() + periods]


def plot_inventory(table: pd.DataFrame, periods: int | None = 100) -> plt.Figure:
    """Net inventory (on hand − backlog) per node over the first ``periods`` periods."""
    rows = _window(table, periods)
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for node, g in rows.groupby("node", observed=True, sort=False):
        net = g.groupby("period")[["on_hand", "backlog"]].sum()
        ax.step(net.index, net["on_hand"] - net["backlog"], where="post", label=str(node))
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set(xlabel="period", ylabel="net inventory (units)", title="Net inventory by node")
    ax.legend(loc="best", fontsize="small")
    ax.grid(alpha=0.3)
    return fig


def plot_orders(table: pd.DataFrame, periods: int | None = 100) -> plt.Figure:
    """Orders placed per node, with the retailers' customer demand: the bullwhip effect."""
    rows = _window(table, periods)
    fig, ax = plt.subplots(figsize=(9, 4.5))
    nodes = list(dict.fromkeys(rows["node"]))
    demand = rows[rows["node"] == nodes[0]].groupby("period")["demand"].sum()
    ax.plot(
        demand.index, demand.to_numpy(), color="black", linewidth=2, label=f"demand at {nodes[0]}"
    )
    for node, g in rows.groupby("node", observed=True, sort=False):
        ordered = g.groupby("period")["ordered"].sum()
        ax.plot(ordered.index, ordered.to_numpy(), label=f"orders of {node}", alpha=0.85)
    ax.set(xlabel="period", ylabel="units per period", title="Orders by node (bullwhip)")
    ax.legend(loc="best", fontsize="small")
    ax.grid(alpha=0.3)
    return fig


def plot_costs(table: pd.DataFrame, warmup: int = 0) -> plt.Figure:
    """Mean cost per period by node, stacked by cost part."""
    rows = table[table["period"] >= warmup]
    n_periods = rows["period"].nunique()
    parts = rows.groupby("node", observed=True, sort=False)[list(COST_PARTS)].sum() / n_periods
    parts = parts.loc[:, parts.sum() > 0]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    bottom = None
    for part in parts.columns:
        ax.bar(parts.index.astype(str), parts[part], bottom=bottom, label=part.replace("_", " "))
        bottom = parts[part] if bottom is None else bottom + parts[part]
    ax.set(ylabel="money per period", title="Cost per period by node")
    ax.legend(loc="best", fontsize="small")
    ax.grid(axis="y", alpha=0.3)
    return fig


# --------------------------------------------------------------------------- network

ROLE_COLORS: dict[str, str] = {
    "supplier": "#8c564b",
    "manufacturer": "#1f77b4",
    "warehouse": "#2ca02c",
    "retailer": "#d62728",
}
#: Above this many nodes :func:`plot_network` drops labels and shrinks markers.
LARGE_NETWORK = 200


def _echelons(graph: nx.DiGraph) -> dict[Any, int]:
    """Each node's ``echelon`` attribute, or its longest distance (edges) to a sink."""
    echelon = {n: graph.nodes[n].get("echelon") for n in graph}
    if all(e is not None for e in echelon.values()):
        return {n: int(e) for n, e in echelon.items()}
    if nx.is_directed_acyclic_graph(graph):
        dist: dict[Any, int] = {}
        for n in reversed(list(nx.topological_sort(graph))):
            dist[n] = 1 + max((dist[s] for s in graph.successors(n)), default=-1)
    else:  # no longest path in a cycle: shortest distance to a sink instead
        dist = {n: 0 for n in graph if graph.out_degree(n) == 0}
        frontier = list(dist)
        while frontier:
            nxt = []
            for v in frontier:
                for u in graph.predecessors(v):
                    if u not in dist:
                        dist[u] = dist[v] + 1
                        nxt.append(u)
            frontier = nxt
    return {n: int(e) if e is not None else dist.get(n, 0) for n, e in echelon.items()}


def _layout(
    graph: nx.DiGraph, echelon: dict[Any, int], stretch: bool = False
) -> dict[Any, tuple[float, float]]:
    """x = -echelon; within an echelon, nodes ordered by the mean height of their downstream
    neighbours (fewer crossings), centred on y = 0, one unit apart (``stretch``: spread over
    the height of the tallest echelon)."""
    order = {n: i for i, n in enumerate(graph)}
    y: dict[Any, float] = {}
    for e in sorted(set(echelon.values())):
        column = [n for n in graph if echelon[n] == e]

        def key(n: Any) -> tuple[float, int]:
            placed = [y[s] for s in graph.successors(n) if s in y]
            return (-float(np.mean(placed)) if placed else np.inf, order[n])

        column.sort(key=key)
        top = (len(column) - 1) / 2
        for k, n in enumerate(column):
            y[n] = top - k
    if stretch:  # every column spans the height of the tallest one
        tallest = max(list(echelon.values()).count(e) for e in set(echelon.values()))
        for e in set(echelon.values()):
            column = [n for n in graph if echelon[n] == e]
            if len(column) > 1:
                scale = (tallest - 1) / (len(column) - 1)
                for n in column:
                    y[n] *= scale
    return {n: (-float(echelon[n]), y[n]) for n in graph}


def plot_network(graph: nx.DiGraph) -> plt.Figure:
    """The supply network, goods flowing left (sources) to right (retailers).

    Nodes sit at x = -echelon (node attribute ``echelon``, else the longest path to a sink),
    spread vertically within an echelon, colored by ``role``; external sources (suppliers
    without predecessors) are squares. Arrows point the way goods flow. Above
    :data:`LARGE_NETWORK` nodes, labels are dropped and markers shrunk.

    Args:
        graph: a supply network (see :mod:`networks.attributes`).
    """
    if graph.number_of_nodes() == 0:
        raise ValueError("graph: has no nodes to draw")
    echelon = _echelons(graph)
    n_nodes = graph.number_of_nodes()
    large = n_nodes > LARGE_NETWORK
    pos = _layout(graph, echelon, stretch=large)
    tallest = max(list(echelon.values()).count(e) for e in set(echelon.values()))
    columns = len(set(echelon.values()))

    if large:
        height = float(np.clip(0.04 * tallest + 4.0, 5.0, 12.0))
    else:
        height = float(np.clip(0.32 * tallest + 1.5, 3.5, 24.0))
    width = float(np.clip(2.4 * columns + 2.5, 6.0, 20.0))
    fig, ax = plt.subplots(figsize=(width, height))
    spacing = height * 72 * 0.8 / max(tallest, 1)  # points between neighbours in a column
    diameter = float(np.clip(spacing * (0.6 if large else 0.4), 2.0, 6.0 if large else 14.0))
    node_size = diameter**2

    flows = [(u, v) for u, v in graph.edges if echelon[u] != echelon[v]]
    sideways = [(u, v) for u, v in graph.edges if echelon[u] == echelon[v]]
    edge_style = {
        "ax": ax,
        "arrows": True,
        "arrowstyle": "-|>",
        "arrowsize": 6 if large else 12,
        "edge_color": "0.45",
        "width": 0.4 if large else 1.0,
        "alpha": 0.35 if large else 0.8,
        "node_size": node_size,
    }
    if flows:
        nx.draw_networkx_edges(graph, pos, edgelist=flows, **edge_style)
    if sideways:  # within an echelon: an arc, drawn above the labels it would hide under
        arcs = nx.draw_networkx_edges(
            graph, pos, edgelist=sideways, connectionstyle="arc3,rad=0.5", **edge_style
        )
        for arc in arcs if isinstance(arcs, list) else [arcs]:
            arc.set_zorder(5)

    groups: dict[tuple[str, bool], list[Any]] = {}
    for n in graph:
        role = str(graph.nodes[n].get("role", "unknown"))
        source = role == "supplier" and graph.in_degree(n) == 0
        groups.setdefault((role, source), []).append(n)
    rank = {role: i for i, role in enumerate(ROLE_COLORS)}
    for role, source in sorted(groups, key=lambda g: (rank.get(g[0], len(rank)), g[0], not g[1])):
        members = groups[(role, source)]
        ax.scatter(
            [pos[n][0] for n in members],
            [pos[n][1] for n in members],
            s=node_size * (1.1 if source else 1.0),
            marker="s" if source else "o",
            c=ROLE_COLORS.get(role, "0.6"),
            edgecolors="black",
            linewidths=0.3 if large else 0.8,
            zorder=3,
            label=f"{role} (source)" if source else role,
        )

    if not large:
        fontsize = float(np.clip(spacing * 0.4, 5.0, 9.0))
        for n, (x, y) in pos.items():
            ax.annotate(
                str(n),
                (x, y),
                xytext=(0, diameter / 2 + 1.5),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=fontsize,
                zorder=4,
                bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.75},
            )

    ticks = sorted(set(echelon.values()), reverse=True)  # left to right
    ax.set_xticks([-e for e in ticks], labels=[str(e) for e in ticks])
    ax.tick_params(axis="x", bottom=True, labelbottom=True)  # networkx drawing hides them
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.margins(x=0.6 / max(columns, 1) if columns > 1 else 0.5, y=0.5 / max(tallest, 1) + 0.04)
    ax.set_xlabel("echelon (0 = retailers); goods flow left to right")
    name = graph.graph.get("name")
    ax.set_title(
        f"Supply network{f' {name}' if name else ''}: "
        f"{n_nodes} nodes, {graph.number_of_edges()} edges"
    )
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        title="role",
        frameon=False,
        markerscale=max(1.0, 10.0 / diameter),
    )
    return fig


# --------------------------------------------------------------------------- sweeps

#: Units of the KPIs of :data:`analysis.report.KPI_COLUMNS`, for axis labels.
KPI_UNITS: dict[str, str] = {
    "cost_per_period": "money per period",
    "holding_cost": "money per period",
    "shortage_cost": "money per period",
    "ordering_cost": "money per period",
    "profit_per_period": "money per period",
    "fill_rate": "share of demand",
    "cycle_service_level": "share of periods",
    "mean_on_hand": "units",
    "mean_backlog": "units",
    "bullwhip": "ratio",
}


def _kpi_label(kpi: str) -> str:
    unit = KPI_UNITS.get(kpi)
    return kpi.replace("_", " ") + (f" ({unit})" if unit else "")


def _parameter_label(parameter: str) -> str:
    last = parameter.split(".")
    unit = None
    if "lead_time" in last:
        unit = "periods"
    elif any(part.endswith("cost") or part == "price" for part in last):
        unit = "money"
    return parameter + (f" ({unit})" if unit else "")


def _is_categorical(values: pd.Series) -> bool:
    """Strings, bools and mixtures are categories; numbers (not bools) are a numeric axis."""
    if pd.api.types.is_bool_dtype(values):
        return True
    if pd.api.types.is_numeric_dtype(values):
        return False
    return not all(
        isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool | np.bool_)
        for v in values.dropna()
    )


def _levels(values: pd.Series, categorical: bool) -> list[Any]:
    """Distinct values: sorted when numeric, in order of first appearance otherwise."""
    distinct = list(dict.fromkeys(values.dropna()))
    return distinct if categorical else sorted(distinct)


def plot_sensitivity(
    results: pd.DataFrame,
    parameter: str,
    kpi: str,
    *,
    hue: str | None = None,
    node: str = "network",
) -> plt.Figure:
    """Mean ``kpi`` over replications against ``parameter``, with a 95% Student-t band.

    Args:
        results: tidy sweep table: ``point``, one column per swept parameter (named by its
            scenario path), ``replication``, ``node`` and KPI columns.
        parameter: the swept parameter on the x axis; numbers give a sorted numeric axis,
            strings and bools a categorical one (in order of first appearance).
        kpi: the KPI column on the y axis.
        hue: another swept parameter: one line per value.
        node: rows of this ``node`` (``"network"``: the whole network).

    Raises:
        ValueError: a named column is missing, ``node`` has no rows, or several sweep points
            share one (parameter, hue) value (another parameter varies: pass it as ``hue``
            or filter the table first).
    """
    for arg, column in (("parameter", parameter), ("kpi", kpi), ("hue", hue)):
        if column is not None and column not in results.columns:
            raise ValueError(
                f"{arg}: column {column!r} is not in the results table "
                f"(columns: {', '.join(map(str, results.columns))})"
            )
    rows = results
    if "node" in results.columns:
        rows = results[results["node"].astype(str) == str(node)]
        if rows.empty:
            known = ", ".join(map(str, dict.fromkeys(results["node"].astype(str))))
            raise ValueError(f"node: {node!r} has no rows in the results table (nodes: {known})")
    keys = [parameter] if hue is None else [parameter, hue]
    if "point" in rows.columns:
        points = rows.groupby(keys, sort=False)["point"].nunique()
        if (points > 1).any():
            where = points[points > 1].index[0]
            raise ValueError(
                f"parameter: {len(points)} values of {keys} map to several sweep points "
                f"(e.g. {where!r}): another swept parameter varies; pass it as hue= "
                "or filter the table first"
            )

    categorical = _is_categorical(rows[parameter])
    x_levels = _levels(rows[parameter], categorical)
    hue_levels = [None] if hue is None else _levels(rows[hue], _is_categorical(rows[hue]))
    fig, ax = plt.subplots(figsize=(8, 4.5))
    counts: list[int] = []
    slot = 0.8 / len(hue_levels)  # categorical axis: each hue level gets a slot of a category
    for j, level in enumerate(hue_levels):
        subset = rows if level is None else rows[rows[hue] == level]
        shift = (j - (len(hue_levels) - 1) / 2) * slot
        xs, means, lows, highs = [], [], [], []
        for i, value in enumerate(x_levels):
            sample = subset.loc[subset[parameter] == value, kpi].dropna().to_numpy(dtype=float)
            if sample.size == 0:
                continue
            counts.append(sample.size)
            xs.append(i + shift if categorical else float(value))
            if sample.size >= 2:
                estimate = mean_ci(sample, 0.95)
                means.append(estimate.mean)
                lows.append(estimate.low)
                highs.append(estimate.high)
            else:  # one replication: a mean, no interval
                means.append(float(sample[0]))
                lows.append(np.nan)
                highs.append(np.nan)
        label = "mean" if level is None else f"{level}"
        band = "95% CI (Student t)" if level is None else None
        if categorical:  # categories are not a continuum: a marker and a box each
            (line,) = ax.plot(xs, means, marker="o", linestyle="none", label=label, zorder=3)
            half = 0.4 * slot
            bx, blow, bhigh = [], [], []
            for x, lo, hi in zip(xs, lows, highs, strict=True):
                bx += [x - half, x + half, x + half]  # the NaN point breaks the band
                blow += [lo, lo, np.nan]
                bhigh += [hi, hi, np.nan]
            ax.fill_between(
                bx, blow, bhigh, color=line.get_color(), alpha=0.25, linewidth=0, label=band
            )
        else:
            (line,) = ax.plot(xs, means, marker="o", label=label)
            ax.fill_between(
                xs, lows, highs, color=line.get_color(), alpha=0.2, linewidth=0, label=band
            )

    if categorical:
        labels = [str(v) for v in x_levels]
        ax.set_xticks(range(len(labels)), labels=labels)
        if len(labels) > 6 or max(map(len, labels)) > 10:
            ax.tick_params(axis="x", labelrotation=30)
            for tick in ax.get_xticklabels():
                tick.set_horizontalalignment("right")
        ax.set_xlim(-0.5, len(labels) - 0.5)
    replications = (
        f"{min(counts)}"
        if counts and min(counts) == max(counts)
        else f"{min(counts, default=0)}–{max(counts, default=0)}"
    )
    ax.set(
        xlabel=_parameter_label(parameter),
        ylabel=_kpi_label(kpi),
        title=f"{kpi.replace('_', ' ')} at {node}: mean of {replications} replications, 95% CI",
    )
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        title=None if hue is None else f"{hue}\n(band: 95% CI)",
        fontsize="small",
        frameon=False,
    )
    ax.grid(alpha=0.3)
    return fig


# --------------------------------------------------------------------------- replications


def plot_reward_kde(
    values_by_label: Mapping[str, Any], *, xlabel: str = "profit per period"
) -> plt.Figure:
    """Kernel density estimates of per-replication values, one per label, with a rug.

    A sample without spread (all values equal) is drawn as a dashed vertical line. The rug
    of each sample sits in its own row below the densities.

    Args:
        values_by_label: label -> 1-D array of values, one per replication.
        xlabel: what the values are, with their unit.

    Raises:
        ValueError: no samples, an empty sample, or non-finite values.
    """
    if not values_by_label:
        raise ValueError("values_by_label: no samples to draw")
    samples: dict[str, np.ndarray] = {}
    for label, values in values_by_label.items():
        x = np.asarray(values, dtype=float).ravel()
        if x.size == 0:
            raise ValueError(f"values_by_label[{label!r}]: no values")
        if not np.isfinite(x).all():
            raise ValueError(f"values_by_label[{label!r}]: has NaN or infinite values")
        samples[str(label)] = x
    kdes = {
        label: stats.gaussian_kde(x) if x.size >= 2 and np.ptp(x) > 0 else None
        for label, x in samples.items()
    }
    everything = np.concatenate(list(samples.values()))
    low, high = float(everything.min()), float(everything.max())
    pad = max(
        [3 * float(np.sqrt(k.covariance[0, 0])) for k in kdes.values() if k is not None]
        + [0.05 * (high - low), 0.05 * max(abs(high), 1.0)]
    )
    grid = np.linspace(low - pad, high + pad, 512)
    densities = {label: k(grid) for label, k in kdes.items() if k is not None}
    top = 1.08 * max((float(d.max()) for d in densities.values()), default=1.0)

    rows = len(samples)
    row = min(0.045, 0.25 / rows)  # axes fraction per rug row
    band = row * rows
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.set_ylim(-top * band / (1 - band), top)
    for i, (label, x) in enumerate(samples.items()):
        color = f"C{i % 10}"
        text = f"{label} (n={x.size}, mean {x.mean():.4g})"
        if label in densities:
            ax.plot(grid, densities[label], color=color, linewidth=1.8, label=text)
            ax.fill_between(grid, densities[label], color=color, alpha=0.15, linewidth=0)
        else:
            ax.axvline(
                x[0],
                ymin=band,
                color=color,
                linestyle="--",
                linewidth=1.8,
                label=f"{text}, no spread",
            )
        ax.plot(
            x,
            np.full(x.size, band - row * (i + 0.5)),
            "|",
            color=color,
            markersize=max(200 * row, 4),
            alpha=0.7,
            transform=ax.get_xaxis_transform(),
        )
    ax.axhline(0, color="0.5", linewidth=0.8)
    ax.set_yticks([t for t in ax.get_yticks() if 0 <= t <= top])  # none in the rug rows
    ax.set_xlim(grid[0], grid[-1])
    ax.set(
        xlabel=xlabel,
        ylabel=f"probability density (per unit of {xlabel})",
        title=f"Distribution of {xlabel} over replications (KDE; rug: one tick a replication)",
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    ax.grid(alpha=0.3)
    return fig


# --------------------------------------------------------------------------- bullwhip


def plot_bullwhip(table: pd.DataFrame, *, warmup: int = 0) -> plt.Figure:
    """Var(orders) / Var(demand seen) per node, downstream to upstream, with a line at 1.

    Nodes appear in the order they first appear in the table (retailers first); each node's
    orders and demand are summed over its products per period, variances have ``ddof=1``.
    A node whose demand does not vary gets an empty bar marked ``n/a``.

    Args:
        table: the per-period table of one run (``period, node, ordered, demand``).
        warmup: periods to drop from the start.
    """
    for column in ("period", "node", "ordered", "demand"):
        if column not in table.columns:
            raise ValueError(f"table: column {column!r} is missing (a per-period table has it)")
    rows = table[table["period"] >= warmup]
    if rows.empty:
        raise ValueError(f"warmup: {warmup} leaves no periods in the table")
    names = rows["node"].astype(str)
    nodes = list(dict.fromkeys(names))
    ratios = []
    for n in nodes:
        per_period = rows[names == n].groupby("period")[["ordered", "demand"]].sum()
        var_demand = per_period["demand"].var()
        ratios.append(per_period["ordered"].var() / var_demand if var_demand > 0 else np.nan)

    fig, ax = plt.subplots(figsize=(max(6.0, 0.7 * len(nodes) + 2.5), 4.5))
    heights = [0.0 if np.isnan(r) else r for r in ratios]
    bars = ax.bar(nodes, heights, color="C0")
    ax.bar_label(
        bars,
        labels=["n/a" if np.isnan(r) else f"{r:.2f}" for r in ratios],
        padding=2,
        fontsize="small",
    )
    ax.axhline(1.0, color="black", linestyle="--", linewidth=1, label="1: no amplification")
    ax.set_ylim(0, max([*heights, 1.0]) * 1.15)
    if len(nodes) > 6 or max(map(len, nodes)) > 10:
        ax.tick_params(axis="x", labelrotation=30)
        for tick in ax.get_xticklabels():
            tick.set_horizontalalignment("right")
    ax.set(
        xlabel="node (downstream → upstream)",
        ylabel="Var(orders) / Var(demand seen) (ratio)",
        title="Bullwhip: order variance amplification by node",
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return fig
