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
#: close; flows (demand .. refused) are totals over the period (``refused``: received
#: beyond the node's ``storage_capacity``, and lost); costs are money. At a
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
    "refused",
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
        # One period is one block of values: each column's values, one per stock point (per
        # edge), column after column. One extend per period, the rest at frame time.
        self._periods = array("q")
        self._values = array("d")
        self._edge_periods = array("q")
        self._edge_values = array("d")

    def append_period(self, period: int, *columns: list[float] | np.ndarray) -> None:
        """Append one period: one list (or float64 array) per :data:`STOCK_COLUMNS` entry,
        one value per stock point in the recorder's stock-point order."""
        _append(self._values, columns, len(STOCK_COLUMNS) * len(self.skus))
        self._periods.append(period)

    def append_edges(
        self,
        period: int,
        ordered: list[float] | np.ndarray,
        in_transit: list[float] | np.ndarray,
    ) -> None:
        """Append one period of edge values, one per edge in the recorder's edge order."""
        _append(self._edge_values, (ordered, in_transit), len(EDGE_COLUMNS) * len(self.edges))
        self._edge_periods.append(period)

    @staticmethod
    def _blocks(
        values: array, periods: array, columns: int, width: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The recorded periods, and the values as ``(period, column, item)``."""
        count = len(periods)
        if not count:
            return np.zeros(0, np.int64), np.zeros((0, columns, width))
        data = np.frombuffer(values, dtype=np.float64).reshape(count, columns, width)
        return np.frombuffer(periods, dtype=np.int64), data

    def frame(self) -> pd.DataFrame:
        """The per-period stock-point table (see the class docstring)."""
        n = len(self.skus)
        periods, values = self._blocks(self._values, self._periods, len(STOCK_COLUMNS), n)
        sku = np.tile(np.arange(n, dtype=np.int64), len(periods))
        nodes = list(dict.fromkeys(n for n, _ in self.skus))
        products = list(dict.fromkeys(p for _, p in self.skus))
        node_index = {n: k for k, n in enumerate(nodes)}
        product_index = {p: k for k, p in enumerate(products)}
        node_code = np.array([node_index[n] for n, _ in self.skus], dtype=np.int64)
        product_code = np.array([product_index[p] for _, p in self.skus], dtype=np.int64)
        role_code = np.array([ROLES.index(r) for r in self.roles], dtype=np.int64)
        table = pd.DataFrame(
            {
                "period": np.repeat(periods, n),
                "node": pd.Categorical.from_codes(
                    node_code[sku], categories=[str(n) for n in nodes]
                ),
                "product": pd.Categorical.from_codes(product_code[sku], categories=products),
                "role": pd.Categorical.from_codes(role_code[sku], categories=list(ROLES)),
                "echelon": np.array(self.echelons, dtype=np.int64)[sku],
            }
        )
        for k, name in enumerate(STOCK_COLUMNS):
            table[name] = values[:, k, :].reshape(-1)  # a copy: the table owns its data
        table["inventory_position"] = table["on_hand"] + table["pipeline"] - table["backlog"]
        table["cost"] = table[list(COST_COLUMNS)].sum(axis=1)
        table["profit"] = table["revenue"] - table["cost"]
        return table

    def edge_frame(self) -> pd.DataFrame:
        """The per-period edge table: period, supplier, node, product, ordered, in_transit."""
        m = len(self.edges)
        periods, values = self._blocks(self._edge_values, self._edge_periods, len(EDGE_COLUMNS), m)
        k = np.tile(np.arange(m), len(periods)).tolist()  # edge indices, one per row
        table = pd.DataFrame(
            {
                "period": pd.Series(np.repeat(periods, m), dtype="int64"),
                "supplier": [str(self.edges[e][0]) for e in k],
                "node": [str(self.edges[e][1]) for e in k],
                "product": [self.edges[e][2] for e in k],
            }
        )
        for c, name in enumerate(EDGE_COLUMNS):
            table[name] = pd.Series(values[:, c, :].reshape(-1), dtype="float64")
        return table

    def cost_per_period(self, warmup: int = 0) -> float:
        """Mean total cost per period over periods ``>= warmup`` (money)."""
        if not self._periods:
            raise ValueError("nothing recorded yet: run the model first")
        last = self._periods[-1]
        if warmup > last:
            raise ValueError(f"warmup: {warmup} is past the last recorded period {last}")
        periods, values = self._blocks(
            self._values, self._periods, len(STOCK_COLUMNS), len(self.skus)
        )
        costs = [STOCK_COLUMNS.index(c) for c in COST_COLUMNS]
        total = sum(float(values[periods >= warmup, c, :].sum()) for c in costs)
        return total / (last + 1 - warmup)


def _append(values: array, columns: tuple, size: int) -> None:
    if isinstance(columns[0], np.ndarray):  # float64 arrays: one copy, no box per value
        block = np.concatenate(columns)
        if block.size == size:
            values.frombytes(block.tobytes())
            return
    else:
        block = []
        for column in columns:
            block += column
        if len(block) == size:  # numpy converts floats in C: 2x array.extend's speed
            values.frombytes(np.fromiter(block, np.float64, size).tobytes())
            return
    raise ValueError(f"a recorded period needs {size} values (columns x items), got {len(block)}")
