"""Key figures of a run, read from its per-period table (never from a live model)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["KPI_COLUMNS", "PERIOD_COLUMNS", "summarize"]

#: Per node, money per period unless stated.
KPI_COLUMNS: tuple[str, ...] = (
    "cost_per_period",
    "holding_cost",
    "shortage_cost",
    "ordering_cost",
    "profit_per_period",
    "fill_rate",
    "cycle_service_level",
    "mean_on_hand",
    "mean_backlog",
    "bullwhip",
)


#: Per-period columns summed per node and period.
_SUMMED: tuple[str, ...] = (
    "cost",
    "holding_cost",
    "transit_holding_cost",
    "backlog_cost",
    "lost_sales_cost",
    "ordering_cost",
    "profit",
    "demand",
    "lost",
    "ordered",
    "on_hand",
    "backlog",
)
#: The columns of a per-period table that :func:`summarize` reads.
PERIOD_COLUMNS: tuple[str, ...] = ("period", "node", "role", "echelon", *_SUMMED)


def summarize(table: pd.DataFrame, warmup: int = 0) -> pd.DataFrame:
    """One row per node and a ``network`` row: the KPIs of :data:`KPI_COLUMNS`.

    * costs: means per period; ``shortage_cost`` is backlog plus lost-sales cost, and
      ``holding_cost`` includes stock in transit when the run charged it;
    * ``fill_rate``: share of demand (customer demand or downstream orders) met from stock in
      the period it arrived, i.e. neither lost nor still owed at that period's close (NaN
      without demand);
    * ``cycle_service_level``: share of periods ending with no backlog and no lost sales;
    * ``mean_on_hand``, ``mean_backlog``: units at the period's close;
    * ``bullwhip``: Var(ordered) / Var(demand seen) (NaN when demand does not vary).

    The ``network`` row sums the money and the stock on hand over nodes; its service levels
    and ``mean_backlog`` are those of the stock points that face customers (retailers, and
    any stock point without customers of its own, echelon 0: in an assembly chain the end
    item may be made where it is sold). Its ``bullwhip`` is the variance of the orders the
    highest echelon places, counted in *end-item equivalents*, over that of customer demand:
    the highest echelon's orders summed per period and divided by how many units of it one
    unit of customer demand calls for on average (its mean orders over mean customer demand).
    In a serial or distribution network that factor is 1 in steady state; in an assembly of
    ``k`` parts it is ``k`` (bill of materials 1), so that parts which pass demand on unchanged
    give 1, not ``k^2``. Quantities of several products at a node are summed, except in the fill rate,
    which is counted per product.

    Args:
        table: the per-period table of one run (``SupplyChainModel.results()``).
        warmup: periods to drop from the start.
    """
    missing = [c for c in PERIOD_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(
            f"table: column(s) {', '.join(map(repr, missing))} missing; summarize a per-period "
            "table of SupplyChainModel.results()"
        )
    if "network" in set(table["node"]):
        raise ValueError("node name 'network' is reserved for the whole network's row; rename it")
    rows = table[table["period"] >= warmup]
    if rows.empty:
        raise ValueError(
            f"warmup: {warmup} leaves no periods (the table has {table['period'].max() + 1})"
        )
    out = {}
    for node, g in rows.groupby("node", observed=True, sort=False):
        sums = g.groupby("period")[list(_SUMMED)].sum()
        demand = sums["demand"].sum()
        unmet = _unmet(g)
        var_demand = sums["demand"].var()
        out[node] = {
            "cost_per_period": sums["cost"].mean(),
            "holding_cost": (sums["holding_cost"] + sums["transit_holding_cost"]).mean(),
            "shortage_cost": (sums["backlog_cost"] + sums["lost_sales_cost"]).mean(),
            "ordering_cost": sums["ordering_cost"].mean(),
            "profit_per_period": sums["profit"].mean(),
            "fill_rate": 1 - unmet / demand if demand > 0 else np.nan,
            "cycle_service_level": _cycle_service_level(sums),
            "mean_on_hand": sums["on_hand"].mean(),
            "mean_backlog": sums["backlog"].mean(),
            "bullwhip": sums["ordered"].var() / var_demand if var_demand > 0 else np.nan,
        }
    out["network"] = _network_row(rows, out)
    summary = pd.DataFrame.from_dict(out, orient="index")
    summary.index.name = "node"
    return summary[list(KPI_COLUMNS)]


_EPS = 1e-9  # units: float residue of fractional quantities is not a stockout


def _cycle_service_level(per_period: pd.DataFrame) -> float:
    """Share of periods that end with nothing owed and nothing lost."""
    return float(((per_period["backlog"] <= _EPS) & (per_period["lost"] <= _EPS)).mean())


def _unmet(rows: pd.DataFrame) -> float:
    """Units of demand not met in the period they arrived: lost, or still owed at its close.
    Demand queues behind older backlog, so that is min(demand, backlog) per stock point."""
    return float(rows["lost"].sum() + np.minimum(rows["demand"], rows["backlog"]).sum())


def _network_row(rows: pd.DataFrame, nodes: dict[str, dict[str, float]]) -> dict[str, float]:
    money = (
        "cost_per_period",
        "holding_cost",
        "shortage_cost",
        "ordering_cost",
        "profit_per_period",
    )
    row = {k: sum(n[k] for n in nodes.values()) for k in money}
    per_period = rows.groupby("period")
    retail_rows = rows[(rows["role"] == "retailer") | (rows["echelon"] == 0)]
    retail = retail_rows.groupby("period")[["demand", "lost", "backlog"]].sum()
    demand = retail["demand"].sum()
    unmet = _unmet(retail_rows)
    top = rows[rows["echelon"] == rows["echelon"].max()].groupby("period")["ordered"].sum()
    if retail["demand"].mean() > 0 and top.mean() > 0:
        top = top / (top.mean() / retail["demand"].mean())  # in end-item equivalents
    var_demand = retail["demand"].var()
    row.update(
        fill_rate=1 - unmet / demand if demand > 0 else np.nan,
        cycle_service_level=_cycle_service_level(retail),
        mean_on_hand=per_period["on_hand"].sum().mean(),
        mean_backlog=retail["backlog"].mean(),
        bullwhip=top.var() / var_demand if var_demand > 0 else np.nan,
    )
    return row
