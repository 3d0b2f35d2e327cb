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

from scenarios import ScenarioError, parse_path

from .files import atomic_path
from .report import KPI_COLUMNS, summarize
from .statistics import mean_ci

__all__ = [
    "plot_bullwhip",
    "plot_costs",
    "plot_inventory",
    "plot_network",
    "plot_orders",
    "plot_reward_kde",
    "plot_sensitivity",
    "profit_kde_skip",
    "save_figure",
]

#: The cost KPIs of :func:`analysis.report.summarize` stacked in :func:`plot_costs`; they
#: add up to ``cost_per_period``.
COST_PARTS: dict[str, str] = {
    "holding_cost": "holding (on hand + in transit)",
    "shortage_cost": "shortage (backlog + lost sales)",
    "ordering_cost": "ordering",
}


def save_figure(fig: plt.Figure, path: str | os.PathLike) -> Path:
    """Write ``fig`` as PNG atomically (temp file, then rename) and close it."""
    path = Path(path)
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=120, bbox_inches="tight", format="png")
    finally:
        plt.close(fig)
    return path


#: Longest node name or category drawn in full; longer ones end in an ellipsis (a
#: 5,000-character name once made a 55,000-pixel-wide figure).
LABEL_WIDTH = 24
#: Above this many nodes the inventory figure draws one small panel per node (the orders
#: figure always does) ...
PANEL_NODES = 6
#: ... and at most this many panels (the first nodes of the table, retailers first).
MAX_PANELS = 24
#: Fewest replications for a profit density worth drawing.
KDE_MIN_REPLICATIONS = 5


def _short(label: Any, width: int = LABEL_WIDTH) -> str:
    """``label`` as text of at most ``width`` characters (an ellipsis marks a cut)."""
    text = str(label)
    return text if len(text) <= width else text[: width - 1] + "…"


def _replication_kpis(data: pd.DataFrame, warmup: int) -> pd.DataFrame:
    """Rows ``(replication, node, KPIs)``: ``data`` itself when it is such a table (e.g. a run
    folder's ``replications.parquet``), else a per-period table (with or without a
    ``replication`` column) summarized per replication by :func:`analysis.report.summarize`,
    so that a figure shows the numbers of the run's summary."""
    if "period" not in data.columns:
        missing = [c for c in ("node", *KPI_COLUMNS) if c not in data.columns]
        if missing:
            raise ValueError(
                f"table: neither a per-period table (no 'period' column) nor a KPI table "
                f"(missing {', '.join(map(repr, missing))})"
            )
        return data if "replication" in data.columns else data.assign(replication=0)
    if "replication" not in data.columns:
        data = data.assign(replication=0)
    parts = []
    for replication, rows in data.groupby("replication", sort=True):
        kpis = summarize(rows.drop(columns="replication"), warmup).reset_index()
        kpis.insert(0, "replication", replication)
        parts.append(kpis)
    return pd.concat(parts, ignore_index=True)


def _node_means(kpis: pd.DataFrame, columns: list[str]) -> tuple[list[str], pd.DataFrame, int]:
    """Per node (table order, ``network`` left out): the mean over replications of each
    column (NaN values left out, as in the summary), the node names and the replications."""
    rows = kpis[kpis["node"].astype(str) != "network"]
    names = rows["node"].astype(str)
    nodes = list(dict.fromkeys(names))
    means = rows.groupby(names, sort=False)[columns].mean().loc[nodes]
    return nodes, means, int(kpis["replication"].nunique())


def _ci95(kpis: pd.DataFrame, nodes: list[str], column: str) -> list[float]:
    """Half-width of the 95% Student-t interval of ``column`` per node (NaN below 2 values)."""
    names = kpis["node"].astype(str)
    out = []
    for node in nodes:
        values = kpis.loc[names == node, column].dropna().to_numpy(dtype=float)
        out.append(mean_ci(values).half_width if values.size >= 2 else np.nan)
    return out


def _node_ticks(ax: plt.Axes, nodes: list[str]) -> None:
    """Node names under bars at 0, 1, ... (numeric positions: cut names may coincide)."""
    labels = [_short(n) for n in nodes]
    ax.set_xticks(range(len(nodes)), labels=labels)
    if len(nodes) > 6 or max(map(len, labels), default=0) > 10:
        ax.tick_params(axis="x", labelrotation=30)
        for tick in ax.get_xticklabels():
            tick.set_horizontalalignment("right")


def _replication_text(n: int) -> str:
    return "one replication" if n == 1 else f"mean of {n} replications, error bars: 95% CI"


def _run_window(
    table: pd.DataFrame, periods: int | None, warmup: int, replication: Any
) -> tuple[pd.DataFrame, str]:
    """The rows of one replication in periods ``warmup .. warmup + periods - 1``, and a text
    saying which (for titles)."""
    if "replication" in table.columns:
        if replication is None:
            replication = table["replication"].min()
        table = table[table["replication"] == replication]
        if table.empty:
            raise ValueError(f"replication: {replication!r} has no rows in the table")
    rows = table[table["period"] >= warmup]
    if periods is not None:
        rows = rows[rows["period"] < warmup + periods]
    if rows.empty:
        raise ValueError(f"warmup: {warmup} leaves no periods in the table")
    first, last = int(rows["period"].min()), int(rows["period"].max())
    which = "" if replication is None else f"replication {replication}, "
    after = f" (after a warm-up of {warmup})" if warmup else ""
    return rows, f"{which}periods {first}–{last}{after}"


def _node_axes(
    nodes: list[Any], title: str, ylabel: str, *, panels: bool = False
) -> tuple[plt.Figure, list[plt.Axes]]:
    """One axes for a few nodes (unless ``panels``), else one small panel per node (at most
    :data:`MAX_PANELS`; one column of them for up to 4 nodes), sharing both axes so that
    the panels compare."""
    if not panels and len(nodes) <= PANEL_NODES:
        fig, ax = plt.subplots(figsize=(9, 4.5))
        ax.set(xlabel="period", ylabel=ylabel, title=title)
        return fig, [ax]
    shown = min(len(nodes), MAX_PANELS)
    cols = 1 if shown <= 4 else 4
    rows = -(-shown // cols)
    fig, grid = plt.subplots(
        rows,
        cols,
        figsize=(9 if cols == 1 else 12, 1.9 * rows + 1.2),
        sharex=True,
        sharey=True,
        squeeze=False,
        layout="constrained",
    )
    axes = list(grid.ravel())
    for ax in axes[shown:]:
        ax.set_visible(False)
    more = f" (first {shown} of {len(nodes)} nodes)" if shown < len(nodes) else ""
    fig.suptitle(title + more)
    fig.supxlabel("period")
    fig.supylabel(ylabel)
    return fig, axes[:shown]


def plot_inventory(
    table: pd.DataFrame, periods: int | None = 100, *, warmup: int = 0, replication: Any = None
) -> plt.Figure:
    """Net inventory (on hand − backlog, summed over products) per node, as steps.

    Args:
        table: a per-period table, with or without a ``replication`` column.
        periods: how many periods to show from the end of the warm-up (``None``: all).
        warmup: the warm-up periods, left out (start-up transients would set the scale).
        replication: which replication to draw (default the first); the title says which.
    """
    rows, which = _run_window(table, periods, warmup, replication)
    nodes = list(dict.fromkeys(rows["node"]))
    fig, axes = _node_axes(nodes, f"Net inventory by node: {which}", "net inventory (units)")
    one = len(axes) == 1
    for k, node in enumerate(nodes[: len(axes) if not one else None]):
        ax = axes[0] if one else axes[k]
        net = rows[rows["node"] == node].groupby("period")[["on_hand", "backlog"]].sum()
        ax.step(
            net.index, net["on_hand"] - net["backlog"], where="post", label=_short(node), alpha=0.85
        )
        if not one:
            ax.set_title(_short(node), fontsize="small")
    for ax in axes:
        ax.axhline(0, color="black", linewidth=0.8)
        ax.grid(alpha=0.3)
    if one:
        axes[0].legend(
            loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False
        )
    return fig


def plot_orders(
    table: pd.DataFrame, periods: int | None = 100, *, warmup: int = 0, replication: Any = None
) -> plt.Figure:
    """Orders placed against the demand seen, one panel per node on shared axes, as steps:
    the bullwhip effect is the orders swinging more than the demand, panel after panel.

    Args:
        table: a per-period table, with or without a ``replication`` column.
        periods: how many periods to show from the end of the warm-up (``None``: all).
        warmup: the warm-up periods, left out (start-up transients would set the scale).
        replication: which replication to draw (default the first); the title says which.
    """
    rows, which = _run_window(table, periods, warmup, replication)
    nodes = list(dict.fromkeys(rows["node"]))
    fig, axes = _node_axes(
        nodes, f"Orders and demand seen by node: {which}", "units per period", panels=True
    )
    for ax, node in zip(axes, nodes, strict=False):
        flows = rows[rows["node"] == node].groupby("period")[["demand", "ordered"]].sum()
        ax.step(flows.index, flows["demand"], where="post", color="black", label="demand seen")
        ax.step(flows.index, flows["ordered"], where="post", color="C0", alpha=0.85, label="orders")
        ax.set_title(_short(node), fontsize="small")
        ax.grid(alpha=0.3)
    axes[0].legend(loc="upper right", fontsize="x-small")
    return fig


def plot_costs(data: pd.DataFrame, warmup: int = 0) -> plt.Figure:
    """Mean cost per period by node, stacked by part, averaged over replications.

    The parts are the summary's: holding (on hand, plus in transit when charged), shortage
    (backlog plus lost sales) and ordering; a bar's height is the node's
    ``cost_per_period`` of :func:`analysis.report.summarize`, averaged over replications
    (the number in ``summary.json``), with its 95% confidence interval.

    Args:
        data: a KPI table (``replication, node`` and :data:`~analysis.report.KPI_COLUMNS`,
            as in ``replications.parquet``) or a per-period table (with or without a
            ``replication`` column), which is summarized per replication first.
        warmup: periods to drop from the start of a per-period table.
    """
    kpis = _replication_kpis(data, warmup)
    nodes, means, n = _node_means(kpis, [*COST_PARTS, "cost_per_period"])
    fig, ax = plt.subplots(figsize=(max(7.0, 0.7 * len(nodes) + 3.0), 4.5))
    bottom = np.zeros(len(nodes))
    for part, label in COST_PARTS.items():
        heights = means[part].to_numpy(dtype=float)
        if heights.sum() > 0:
            ax.bar(range(len(nodes)), heights, bottom=bottom, label=label)
            bottom = bottom + heights
    ci = _ci95(kpis, nodes, "cost_per_period")
    if n > 1:
        ax.errorbar(
            range(len(nodes)),
            means["cost_per_period"],
            yerr=ci,
            fmt="none",
            ecolor="black",
            capsize=3,
            label="95% CI of the total",
        )
    _node_ticks(ax, nodes)
    ax.set(
        xlabel="node",
        ylabel="money per period",
        title=f"Cost per period by node ({_replication_text(n)})",
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
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
                _short(n),
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
        f"Supply network{f' {_short(name, 2 * LABEL_WIDTH)}' if name else ''}: "
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


#: Scenario sections, as the context of a swept parameter's label.
_SECTIONS = {"edge_defaults": "edge defaults", "network": "network", "run": "run"}


def _parameter_label(parameter: str) -> str:
    """A swept TOML path as words with its unit: ``edge_defaults.lead_time.std`` ->
    ``lead time std (edge defaults; periods)``, ``roles.retailer.policy.level`` ->
    ``policy level (role retailer; units)``."""
    try:
        keys = list(parse_path(parameter))
    except ScenarioError:
        keys = parameter.split(".")
    if keys[0] in ("roles", "nodes", "edges", "agents") and len(keys) > 2:
        context = f"{'role' if keys[0] == 'roles' else keys[0].rstrip('s')} {_short(keys[1])}"
        keys = keys[2:]
    elif keys[0] in _SECTIONS and len(keys) > 1:
        context = _SECTIONS[keys[0]]
        keys = keys[1:]
        if keys[0] == "args" and len(keys) > 1:
            keys = keys[1:]
    else:
        context = None
    unit = None
    if "lead_time" in keys or "periods" in keys or "warmup" in keys:
        unit = "periods"
    elif any(key.endswith("cost") or key == "price" for key in keys):
        unit = "money"
    elif keys[-1] in ("level", "reorder_point", "order_up_to", "desired_stock", "initial_stock"):
        unit = "units"
    words = " ".join(key.replace("_", " ") for key in keys)
    extra = "; ".join(x for x in (context, unit) if x)
    return words + (f" ({extra})" if extra else "")


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
        label = "mean" if level is None else _short(level)
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
        labels = [_short(v) for v in x_levels]
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
        title=f"{kpi.replace('_', ' ')} at {_short(node)}: mean of {replications} replications, "
        "95% CI",
    )
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        title=None if hue is None else f"{_parameter_label(hue)}\n(band: 95% CI)",
        fontsize="small",
        frameon=False,
    )
    ax.grid(alpha=0.3)
    return fig


# --------------------------------------------------------------------------- replications


def plot_reward_kde(
    values_by_label: Mapping[str, Any],
    *,
    xlabel: str = "profit per period (money)",
    title: str | None = None,
    ax: plt.Axes | None = None,
) -> plt.Figure:
    """Kernel density estimates of per-replication values, one per label, with a rug.

    A sample without spread (all values equal) is drawn as a dashed vertical line. The rug
    of each sample sits in its own row below the densities.

    Args:
        values_by_label: label -> 1-D array of values, one per replication.
        xlabel: what the values are, with their unit.
        title: the axes' title (default: says what the values are and what the rug is).
        ax: draw into these axes (a panel of a larger figure) instead of a new figure;
            the legend then goes below the axes.

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
    panel = ax is not None
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 4.5))
    else:
        fig = ax.figure
    ax.set_ylim(-top * band / (1 - band), top)
    for i, (label, x) in enumerate(samples.items()):
        color = f"C{i % 10}"
        text = f"{_short(label, 2 * LABEL_WIDTH)} (n={x.size}, mean {x.mean():.4g})"
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
    if title is None:
        title = f"Distribution of {xlabel} over replications (KDE; rug: one tick a replication)"
    ax.set(xlabel=xlabel, ylabel="probability density (per unit of the x axis)", title=title)
    if panel:
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.16), fontsize="small", frameon=False)
    else:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    ax.grid(alpha=0.3)
    return fig


def profit_kde_skip(kpis: pd.DataFrame) -> str | None:
    """Why a density of the network's profit per period over these replications would
    mislead (``None``: draw it): a cost-only model (no revenue, so profit is minus the cost
    in every replication) or fewer than :data:`KDE_MIN_REPLICATIONS` replications.

    Args:
        kpis: a KPI table (``replications.parquet``): its ``network`` rows are used.
    """
    network = kpis[kpis["node"].astype(str) == "network"]
    if len(network) < KDE_MIN_REPLICATIONS:
        return f"{len(network)} replication(s): a density needs at least {KDE_MIN_REPLICATIONS}"
    if np.allclose(network["profit_per_period"], -network["cost_per_period"], rtol=0, atol=1e-9):
        return "cost-only model (no revenue: price 0 everywhere); see cost_per_period instead"
    return None


# --------------------------------------------------------------------------- bullwhip


def plot_bullwhip(data: pd.DataFrame, *, warmup: int = 0) -> plt.Figure:
    """Var(orders) / Var(demand seen) per node, downstream to upstream, with a line at 1.

    A bar is the node's ``bullwhip`` of :func:`analysis.report.summarize` averaged over
    replications (the number in ``summary.json``; replications in which the node's demand
    does not vary are left out), with its 95% confidence interval; a node whose demand never
    varies gets an empty bar marked ``n/a``. Nodes appear in table order (retailers first).
    The title gives the network's ratio (top echelon's orders over customer demand).

    Args:
        data: a KPI table (``replication, node`` and :data:`~analysis.report.KPI_COLUMNS`,
            as in ``replications.parquet``) or a per-period table (with or without a
            ``replication`` column), which is summarized per replication first.
        warmup: periods to drop from the start of a per-period table.
    """
    kpis = _replication_kpis(data, warmup)
    nodes, means, n = _node_means(kpis, ["bullwhip"])
    ratios = means["bullwhip"].to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.7 * len(nodes) + 2.5), 4.5))
    heights = np.nan_to_num(ratios, nan=0.0)
    bars = ax.bar(range(len(nodes)), heights, color="C0")
    if n > 1:
        ax.errorbar(
            range(len(nodes)),
            heights,
            yerr=_ci95(kpis, nodes, "bullwhip"),
            fmt="none",
            ecolor="black",
            capsize=3,
        )
    ax.bar_label(
        bars,
        labels=["n/a" if np.isnan(r) else f"{r:.2f}" for r in ratios],
        padding=2,
        fontsize="small",
    )
    ax.axhline(1.0, color="black", linestyle="--", linewidth=1, label="1: no amplification")
    ax.set_ylim(0, max([*heights, 1.0]) * 1.15)
    _node_ticks(ax, nodes)
    network = kpis.loc[kpis["node"].astype(str) == "network", "bullwhip"].mean()
    whole = "" if np.isnan(network) else f"; network {network:.2f}"
    ax.set(
        xlabel="node (downstream → upstream)",
        ylabel="Var(orders) / Var(demand seen) (ratio)",
        title=f"Bullwhip by node ({_replication_text(n)}{whole})",
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return fig
