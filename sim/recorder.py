"""A columnar per-period recorder: typed columns appended in the loop, one DataFrame at the end.

Mesa's DataCollector keys rows on ``model.steps``; SimPy time does not advance it and its
rows are dicts, so the engine records into ``array.array`` columns (8 bytes a value) and
builds the table once, when asked.
"""

from __future__ import annotations

from array import array
from typing import Any

import numpy as np
import pandas as pd

from networks.attributes import ROLES

__all__ = ["COST_COLUMNS", "EDGE_COLUMNS", "STOCK_COLUMNS", "Recorder"]

#: Per stock point and period. Levels (on_hand, backlog, pipeline) are at the period's
#: close; flows (demand .. received) are totals over the period; costs are money. At a
#: manufacturer, ordered, received and pipeline count kits (see SupplyChainModel); the edge
#: table has what was ordered on each supply edge in the supplier's units.
STOCK_COLUMNS: tuple[str, ...] = (
    "on_hand",
    "backlog",
    "pipeline",
    "demand",
    "sales",
    "shipped",
    "lost",
    "ordered",
    "received",
    "holding_cost",
    "backlog_cost",
    "lost_sales_cost",
    "ordering_cost",
    "transit_holding_cost",
    "revenue",
)
COST_COLUMNS: tuple[str, ...] = (
    "holding_cost",
    "backlog_cost",
    "lost_sales_cost",
    "ordering_cost",
    "transit_holding_cost",
)
#: Per supply edge and period: ordered on the edge, and stock in transit on it at the close.
EDGE_COLUMNS: tuple[str, ...] = ("ordered", "in_transit")


class Recorder:
    """Typed columns of the per-period table of one run.

    The table (:meth:`frame`) has one row per period and stock point with columns
    ``period, node, product, role, echelon`` then :data:`STOCK_COLUMNS`, ``inventory_position``
    (``on_hand + pipeline - backlog``), ``cost`` (the sum of :data:`COST_COLUMNS`) and
    ``profit`` (``revenue - cost``).
    """

    def __init__(
        self,
        skus: list[tuple[Any, str]],
        edges: list[tuple[Any, Any, str]],
        roles: list[str],
        echelons: list[int],
    ):
        self.skus = list(skus)
        self.roles = list(roles)
        self.echelons = list(echelons)
        self.edges = list(edges)
        self._period = array("q")
        self._sku = array("q")
        self._columns = [array("d") for _ in STOCK_COLUMNS]
        self._edge_period = array("q")
        self._edge = array("q")
        self._edge_columns = [array("d") for _ in EDGE_COLUMNS]
        self._sku_ids = array("q", range(len(self.skus)))
        self._edge_ids = array("q", range(len(self.edges)))

    def append_period(self, period: int, *columns: list[float] | np.ndarray) -> None:
        """Append one period: one list (or float64 array) per :data:`STOCK_COLUMNS` entry,
        one value per stock point in the recorder's stock-point order."""
        self._period.extend([period] * len(self.skus))
        self._sku.extend(self._sku_ids)
        for column, values in zip(self._columns, columns, strict=True):
            _extend(column, values)

    def append_edges(
        self,
        period: int,
        ordered: list[float] | np.ndarray,
        in_transit: list[float] | np.ndarray,
    ) -> None:
        """Append one period of edge values, one per edge in the recorder's edge order."""
        self._edge_period.extend([period] * len(self.edges))
        self._edge.extend(self._edge_ids)
        _extend(self._edge_columns[0], ordered)
        _extend(self._edge_columns[1], in_transit)

    def frame(self) -> pd.DataFrame:
        """The per-period stock-point table (see the class docstring)."""
        sku = np.frombuffer(self._sku, dtype=np.int64) if self._sku else np.zeros(0, np.int64)
        nodes = list(dict.fromkeys(n for n, _ in self.skus))
        products = list(dict.fromkeys(p for _, p in self.skus))
        node_index = {n: k for k, n in enumerate(nodes)}
        product_index = {p: k for k, p in enumerate(products)}
        node_code = np.array([node_index[n] for n, _ in self.skus], dtype=np.int64)
        product_code = np.array([product_index[p] for _, p in self.skus], dtype=np.int64)
        role_code = np.array([ROLES.index(r) for r in self.roles], dtype=np.int64)
        table = pd.DataFrame(
            {
                "period": np.frombuffer(self._period, dtype=np.int64).copy(),
                "node": pd.Categorical.from_codes(
                    node_code[sku], categories=[str(n) for n in nodes]
                ),
                "product": pd.Categorical.from_codes(product_code[sku], categories=products),
                "role": pd.Categorical.from_codes(role_code[sku], categories=list(ROLES)),
                "echelon": np.array(self.echelons, dtype=np.int64)[sku],
            }
        )
        for name, column in zip(STOCK_COLUMNS, self._columns, strict=True):
            table[name] = pd.Series(column, dtype="float64")
        table["inventory_position"] = table["on_hand"] + table["pipeline"] - table["backlog"]
        table["cost"] = table[list(COST_COLUMNS)].sum(axis=1)
        table["profit"] = table["revenue"] - table["cost"]
        return table

    def edge_frame(self) -> pd.DataFrame:
        """The per-period edge table: period, supplier, node, product, ordered, in_transit."""
        k = list(self._edge)  # edge indices, one per row
        table = pd.DataFrame(
            {
                "period": pd.Series(self._edge_period, dtype="int64"),
                "supplier": [str(self.edges[e][0]) for e in k],
                "node": [str(self.edges[e][1]) for e in k],
                "product": [self.edges[e][2] for e in k],
            }
        )
        for name, column in zip(EDGE_COLUMNS, self._edge_columns, strict=True):
            table[name] = pd.Series(column, dtype="float64")
        return table

    def cost_per_period(self, warmup: int = 0) -> float:
        """Mean total cost per period over periods ``>= warmup`` (money)."""
        periods = self._period
        if not periods:
            raise ValueError("nothing recorded yet: run the model first")
        last = periods[-1]
        if warmup > last:
            raise ValueError(f"warmup: {warmup} is past the last recorded period {last}")
        keep = np.frombuffer(periods, dtype=np.int64) >= warmup
        total = sum(
            float(np.frombuffer(self._columns[STOCK_COLUMNS.index(c)])[keep].sum())
            for c in COST_COLUMNS
        )
        return total / (last + 1 - warmup)


def _extend(column: array, values: list[float] | np.ndarray) -> None:
    if isinstance(values, np.ndarray):  # a float64 array: one copy, not one box per value
        column.frombytes(values.tobytes())
    else:
        column.extend(values)
