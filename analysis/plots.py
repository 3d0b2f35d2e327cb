"""Figures of one run, from its per-period table (matplotlib, Agg backend, files only)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

__all__ = ["plot_costs", "plot_inventory", "plot_orders", "save_figure"]

COST_PARTS = ("holding_cost", "transit_holding_cost", "backlog_cost", "lost_sales_cost", "ordering_cost")


def save_figure(fig: plt.Figure, path: str | os.PathLike) -> Path:
    """Write ``fig`` as PNG atomically (temp file, then rename) and close it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".png.tmp")
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=120, bbox_inches="tight", format="png")
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.unlink(tmp)
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
    ax.plot(demand.index, demand.to_numpy(), color="black", linewidth=2, label=f"demand at {nodes[0]}")
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
