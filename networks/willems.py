"""Read the real-world multi-echelon supply chains of Willems (2008).

Willems, S. P. (2008). Data set—Real-world multiechelon supply chains used for inventory
optimization. *Manufacturing & Service Operations Management* 10(1):19–23.

The data set describes each chain by two tables. The distributed workbook holds them as sheets
``NN_SD`` (stage data) and ``NN_LL`` (link list) for chain ``NN``; exported as CSV they are
``NN_SD.csv`` and ``NN_LL.csv`` (any ``<name>_SD.csv`` / ``<name>_LL.csv`` pair works).

Stage table (one row per stage; column order free; names matched ignoring case, spaces and
underscores; other columns ignored)
    ``Stage Name``, ``stageCost``, ``relDepth``, ``stageClassification``, ``avgDemand``,
    ``stdDevDemand``, ``maxServiceTime``, ``serviceLevel``, ``stageTime``,
    ``stdDev stageTime``. Required: ``Stage Name``, ``stageClassification``, ``stageCost``,
    ``stageTime`` and ``avgDemand`` (the column; its cells may be empty except at demand
    stages). The rest may be absent or empty.

Link table (one row per link; other columns ignored)
    ``sourceStage``, ``destinationStage``: goods flow from the source stage to the
    destination stage.

:func:`read_willems` maps them to the attribute vocabulary of :mod:`networks.attributes`;
its docstring gives the mapping. Rows are numbered from 1 for the first data row below the
header (blank rows count, so row ``k`` is line/sheet row ``k + 1``); every error raised while
reading is a :class:`~networks.io.NetworkFileError` naming the file (and sheet), the row and
the column.
"""

from __future__ import annotations

import copy
import csv
import math
import os
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import networkx as nx

from .attributes import DEFAULT_PRODUCTS, SHORTAGE_MODES
from .builders import set_echelons
from .distributions import normal_below_zero
from .io import NetworkFileError
from .validate import validate

__all__ = [
    "DEMAND_DISTRIBUTIONS",
    "NORMAL_BELOW_ZERO_WARNING",
    "STAGE_COST_READINGS",
    "WILLEMS_CLASSIFICATIONS",
    "DemandTruncationWarning",
    "read_willems",
]

PathLike = str | os.PathLike[str]

#: Accepted ``stageClassification`` values (compared case-insensitively) and the kind each
#: stands for. The data set uses ``Part``, ``Manuf``, ``Trans``, ``Dist`` and ``Retail``; the
#: spelled-out words are accepted too.
WILLEMS_CLASSIFICATIONS: dict[str, str] = {
    "part": "part",
    "manuf": "manuf",
    "manufacturing": "manuf",
    "trans": "trans",
    "transport": "trans",
    "transportation": "trans",
    "dist": "dist",
    "distribution": "dist",
    "retail": "retail",
    "retailer": "retail",
}
_ROLE = {"part": "supplier", "manuf": "manufacturer", "trans": "warehouse", "dist": "warehouse"}

# canonical column name -> display name (as in the data set)
_STAGE_COLUMNS = {
    "stagename": "Stage Name",
    "stagecost": "stageCost",
    "reldepth": "relDepth",
    "stageclassification": "stageClassification",
    "avgdemand": "avgDemand",
    "stddevdemand": "stdDevDemand",
    "maxservicetime": "maxServiceTime",
    "servicelevel": "serviceLevel",
    "stagetime": "stageTime",
    "stddevstagetime": "stdDev stageTime",
}
_STAGE_REQUIRED = ("stagename", "stageclassification", "stagecost", "stagetime", "avgdemand")
_LINK_COLUMNS = {"sourcestage": "sourceStage", "destinationstage": "destinationStage"}
# optional stage columns kept on the node as plain numbers: column -> attribute
_KEPT = {
    "stagecost": "stage_cost",
    "reldepth": "rel_depth",
    "maxservicetime": "max_service_time",
    "servicelevel": "service_level",
    "stagetime": "stage_time",
    "stddevstagetime": "std_stage_time",
    "avgdemand": "avg_demand",
    "stddevdemand": "std_demand",
}


def _key(name: Any) -> str:
    """A column name compared ignoring case, spaces and underscores."""
    return re.sub(r"[\s_]+", "", str(name)).lower()


class _Table:
    """A table read from a CSV file or a workbook sheet: rows of cells by canonical column."""

    def __init__(self, label: str, header: list[Any], rows: list[list[Any]]):
        self.label = label
        self.columns: dict[str, int] = {}
        for i, name in enumerate(header):
            key = _key(name)
            if not key:
                continue
            if key in self.columns:
                raise NetworkFileError(
                    f"{label}: header row: column {str(name).strip()!r} appears twice"
                )
            self.columns[key] = i
        self.rows = rows

    def require(self, known: Mapping[str, str], required: tuple[str, ...]) -> None:
        missing = [known[k] for k in required if k not in self.columns]
        if missing:
            raise NetworkFileError(
                f"{self.label}: header row: missing column(s) {', '.join(map(repr, missing))}; "
                f"the table needs {', '.join(repr(known[k]) for k in required)}"
            )

    def cell(self, row: list[Any], key: str) -> Any:
        """The cell of ``row`` in column ``key``: ``""`` when empty, absent or NaN."""
        i = self.columns.get(key)
        if i is None or i >= len(row):
            return ""
        value = row[i]
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        return value.strip() if isinstance(value, str) else value


# ---------------------------------------------------------------------------- reading tables
def _read_csv_table(path: Path) -> _Table:
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            lines = list(reader)
    except UnicodeDecodeError:
        raise NetworkFileError(f"{path}: not UTF-8 text; save the table as UTF-8 CSV") from None
    except csv.Error as err:
        raise NetworkFileError(f"{path}: malformed CSV: {err}") from None
    if not lines or not any(c.strip() for c in lines[0]):
        raise NetworkFileError(f"{path}: header row: empty; the first line must name the columns")
    return _Table(str(path), lines[0], lines[1:])


def _sheet_names(chain: Any) -> list[str]:
    names = [str(chain)]
    if isinstance(chain, int) and not isinstance(chain, bool):
        names.insert(0, f"{chain:02d}")
    return list(dict.fromkeys(names))


def _read_workbook(path: Path, chain: Any) -> tuple[_Table, _Table]:
    import pandas as pd

    try:
        book = pd.ExcelFile(path)
    except FileNotFoundError:
        raise
    except Exception as err:  # any reader failure is a bad file
        raise NetworkFileError(f"{path}: not a readable .xlsx workbook: {err}") from None
    with book:
        tables = []
        for suffix in ("SD", "LL"):
            candidates = [f"{n}_{suffix}" for n in _sheet_names(chain)]
            sheet = next((s for s in candidates if s in book.sheet_names), None)
            if sheet is None:
                raise NetworkFileError(
                    f"{path}: no sheet {' or '.join(map(repr, candidates))} for chain={chain!r}; "
                    f"sheets: {', '.join(map(repr, book.sheet_names))}"
                )
            frame = pd.read_excel(book, sheet_name=sheet, header=0, dtype=object)
            rows = frame.astype(object).values.tolist()
            tables.append(_Table(f"{path} sheet {sheet!r}", list(frame.columns), rows))
    return tables[0], tables[1]


def _locate(path: Path, chain: Any) -> tuple[str, _Table, _Table]:
    """The chain's label and its stage and link tables."""
    if path.is_dir():
        if chain is None:
            raise ValueError(f"chain: required with a folder ({path}), e.g. chain=1 for 01_SD.csv")
        for name in _sheet_names(chain):
            stage_path = path / f"{name}_SD.csv"
            if stage_path.exists():
                break
        else:
            tried = " or ".join(f"{n}_SD.csv" for n in _sheet_names(chain))
            raise NetworkFileError(f"{path}: no stage table {tried} for chain={chain!r}")
        return name, _read_csv_table(stage_path), _read_link_csv(stage_path, name)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        if chain is None:
            raise ValueError(f"chain: required with a workbook ({path}), e.g. chain=1 for 01_SD")
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such workbook")
        stages, links = _read_workbook(path, chain)
        return _sheet_names(chain)[0], stages, links
    if chain is not None:
        raise ValueError(
            f"chain: only with a folder or an .xlsx workbook; {path} is one chain's stage table"
        )
    match = re.fullmatch(r"(.+)_SD\.csv", path.name, flags=re.IGNORECASE)
    if match is None:
        raise NetworkFileError(
            f"{path}: a stage table must be named <name>_SD.csv, with its link table "
            f"<name>_LL.csv beside it (or pass a folder or workbook and chain=NN)"
        )
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such stage table")
    return match.group(1), _read_csv_table(path), _read_link_csv(path, match.group(1))


def _read_link_csv(stage_path: Path, name: str) -> _Table:
    link_path = stage_path.with_name(f"{name}_LL.csv")
    if not link_path.exists():
        raise NetworkFileError(
            f"{link_path}: missing; the link table of {stage_path.name} must sit beside it "
            f"(columns sourceStage, destinationStage)"
        )
    return _read_csv_table(link_path)


# ---------------------------------------------------------------------------- cells
def _number(table: _Table, row: list[Any], k: int, key: str, *, required: bool) -> float | None:
    """The cell as a finite number >= 0; ``None`` when empty and not required."""
    value = table.cell(row, key)
    where = f"{table.label}: row {k} column {_STAGE_COLUMNS[key]!r}"
    if value == "":
        if required:
            raise NetworkFileError(f"{where}: empty; give a number")
        return None
    if isinstance(value, bool):
        raise NetworkFileError(f"{where}: expected a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise NetworkFileError(f"{where}: expected a number, got {value!r}") from None
    if not math.isfinite(number):
        raise NetworkFileError(f"{where}: expected a finite number, got {value!r}")
    if number < 0:
        raise NetworkFileError(f"{where}: must be >= 0, got {value!r}")
    return number


def _text(table: _Table, row: list[Any], k: int, key: str, display: str) -> str:
    value = table.cell(row, key)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a numeric stage name read from a workbook
    text = str(value).strip()
    if not text:
        raise NetworkFileError(f"{table.label}: row {k} column {display!r}: empty")
    return text


def _is_blank(row: list[Any]) -> bool:
    return all(
        v is None
        or (isinstance(v, float) and math.isnan(v))
        or (isinstance(v, str) and not v.strip())
        for v in row
    )


# ---------------------------------------------------------------------------- the reader
#: ``demand_distribution`` choices: how a demand stage's avgDemand and stdDevDemand become a
#: distribution (see :func:`read_willems`).
DEMAND_DISTRIBUTIONS: tuple[str, ...] = ("gamma", "negative_binomial", "normal", "poisson")
#: ``stage_cost`` choices: what the stageCost column holds.
STAGE_COST_READINGS: tuple[str, ...] = ("added", "cumulative")
#: Probability below zero above which a ``normal`` demand declaration draws a warning: cut at
#: zero, such a declaration's effective mean is materially above the stated one.
NORMAL_BELOW_ZERO_WARNING = 0.01


class DemandTruncationWarning(UserWarning):
    """Normal demand declarations put material probability below zero (cut at zero, their
    effective mean is above the stated one)."""


def _check_options(
    holding_cost_rate: Any,
    backlog_cost_ratio: Any,
    shortage: Any,
    demand_distribution: Any,
    lead_time_distribution: Any,
    stage_cost: Any,
) -> None:
    for name, value in (
        ("holding_cost_rate", holding_cost_rate),
        ("backlog_cost_ratio", backlog_cost_ratio),
    ):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 0
        ):
            raise ValueError(f"{name}: must be a finite number >= 0, got {value!r}")
    for name, value, allowed in (
        ("shortage", shortage, SHORTAGE_MODES),
        ("demand_distribution", demand_distribution, DEMAND_DISTRIBUTIONS),
        ("lead_time_distribution", lead_time_distribution, ("auto", "normal")),
        ("stage_cost", stage_cost, STAGE_COST_READINGS),
    ):
        if value not in allowed:
            raise ValueError(
                f"{name}: must be one of {', '.join(map(repr, allowed))}, got {value!r}"
            )


def read_willems(
    path: PathLike,
    *,
    chain: int | str | None = None,
    holding_cost_rate: float = 0.25,
    backlog_cost_ratio: float = 9.0,
    shortage: str = "backlog",
    demand_distribution: str = "negative_binomial",
    lead_time_distribution: str = "auto",
    stage_cost: str = "added",
) -> nx.DiGraph:
    """Read one chain of the Willems (2008) data set as a validated supply network.

    Where the tables are:

    * ``path`` is a stage table ``<name>_SD.csv``: its link table ``<name>_LL.csv`` sits
      beside it (``chain`` must be ``None``);
    * ``path`` is a folder: ``chain`` picks ``<chain>_SD.csv`` and ``<chain>_LL.csv`` in it
      (an integer is tried zero-padded first, ``1`` -> ``01_SD.csv``, then as is);
    * ``path`` is an ``.xlsx`` workbook: ``chain`` picks the sheets ``<chain>_SD`` and
      ``<chain>_LL`` (read with :func:`pandas.read_excel`, which needs ``openpyxl``).

    One period is the time unit of ``stageTime`` (days in the data set); demand is per period.

    Field mapping (stage table, one node per stage):

    ======================== ===============================================================
    ``Stage Name``           the node name (text; duplicates are an error)
    ``stageClassification``  ``role``: ``Part`` -> ``supplier`` (a stocking supplier),
                             ``Manuf`` -> ``manufacturer``, ``Trans`` and ``Dist`` ->
                             ``warehouse``, ``Retail`` -> ``retailer``. Every stage with two
                             or more suppliers is a ``manufacturer`` (an assembly: see the
                             link table), every other stage without successors a
                             ``retailer`` (it faces the customers, whatever its class), and a
                             ``Retail`` stage that has successors is a ``warehouse``.
                             Case-insensitive; spelled-out words
                             (``Manufacturing``...) accepted; anything else is an error. The
                             text as given is kept as ``classification``.
    ``stageTime``            ``lead_time`` of every edge *into* the stage, in periods:
                             a constant when ``stdDev stageTime`` is empty or 0, else
                             ``{"dist": "gamma", "mean", "std"}`` (``lead_time_distribution=
                             "auto"``; needs stageTime > 0) or ``{"dist": "normal", "mean",
                             "std"}`` truncated at 0 (``"normal"``).
    ``stdDev stageTime``     the ``std`` above.
    ``stageCost``            with ``stage_cost="added"`` (the default, the data set's own
                             definition: the cost added at the stage, which is why most
                             retail stages have 0) the stage's cumulative cost is its
                             stageCost plus the cumulative costs of its inputs (each times its
                             ``bom``), summed through the bill of materials; with
                             ``"cumulative"`` stageCost is taken as that cumulative cost. The
                             node gets ``cumulative_cost`` and ``holding_cost =
                             holding_cost_rate * cumulative_cost`` money per unit per period
                             (the rate is *per period*: for an annual rate on daily periods
                             pass ``rate / 365``).
    (derived)                ``backlog_cost = backlog_cost_ratio * holding_cost`` at demand
                             stages (0 elsewhere); with ``shortage="lost_sales"`` also
                             ``lost_sales_cost`` of that amount. ``shortage`` at demand stages
                             (``"backlog"`` elsewhere).
    ``avgDemand``            at demand stages (required there): ``demand``, units per period.
                             ``demand_distribution`` says how the stated mean and std become a
                             law: ``"negative_binomial"`` (default: whole units, which
                             assemblies need, as they make whole kits) keeps both exactly
                             where std^2 > mean (a stage with std^2 <= mean gets
                             ``poisson``, whose variance is its mean); ``"gamma"`` keeps both
                             exactly at every stage, in fractional units; ``"normal"`` is cut at 0 by ``max(0, x)``,
                             which raises the mean (up to 2.7 times in the data set) and is
                             warned about (:class:`DemandTruncationWarning`) when a stage has
                             P(X < 0) above :data:`NORMAL_BELOW_ZERO_WARNING`; ``"poisson"``
                             keeps the mean only. A stage with mean 0 or std 0 gets a
                             constant demand.
    ``stdDevDemand``         the ``std`` above (empty: 0).
    ``relDepth``,            kept as plain node attributes ``rel_depth``,
    ``maxServiceTime``,      ``max_service_time``, ``service_level`` (read by the planner,
    ``serviceLevel``         :mod:`networks.guaranteed_service`, not by the engine);
                             ``stage_cost``, ``stage_time``, ``std_stage_time``,
                             ``avg_demand`` and ``std_demand`` keep the raw numbers too.
    ======================== ===============================================================

    Demand stages are the stages without successors: they face the customers, whatever
    their class.

    Link table: each ``sourceStage, destinationStage`` row is an edge from source to
    destination (goods flow) with ``bom`` 1. Every upstream link of a stage is an input of its
    bill of materials (the data set's meaning): a stage with two or more suppliers is an
    assembly, role ``manufacturer`` (whatever its class; a demand stage among them keeps its
    demand), so that it orders a kit from every supplier. Every stage without predecessors (a
    ``Part``, or any other stage the data leaves unsupplied) gets its own external source
    node ``source:<stage>`` (role ``supplier``) and an edge from it, so that it holds stock
    and orders from an unlimited supply. Graph attributes: ``products`` ``["item"]`` and
    ``name`` (the chain label, e.g. ``"01"``). Echelons are set by
    :func:`networks.set_echelons`.

    Args:
        path: a ``<name>_SD.csv`` stage table, a folder, or an ``.xlsx`` workbook.
        chain: the chain number or label (``1`` or ``"01"``); with a folder or workbook only.
        holding_cost_rate: money per period per unit of stageCost held (>= 0).
        backlog_cost_ratio: retailers' backlog cost as a multiple of their holding cost (>= 0;
            the default 9 is a 90% critical ratio).
        shortage: ``"backlog"`` or ``"lost_sales"`` for unmet customer demand.
        demand_distribution: one of :data:`DEMAND_DISTRIBUTIONS` (see the table).
        lead_time_distribution: ``"auto"`` (gamma) or ``"normal"`` for stochastic stageTimes.
        stage_cost: ``"added"`` or ``"cumulative"``, what stageCost holds (see the table).

    Returns:
        The validated network.

    Raises:
        NetworkFileError: a table is missing or malformed: a missing column, an empty or
            non-numeric cell, an unknown classification, a link to an unknown stage, a
            duplicate stage or link, a cycle, a demand stage without demand (the message names
            the file or sheet, the row and the column).
        FileNotFoundError: ``path`` (a stage table or workbook) does not exist.
        ValueError: an option is invalid (the message names it).
    """
    _check_options(
        holding_cost_rate,
        backlog_cost_ratio,
        shortage,
        demand_distribution,
        lead_time_distribution,
        stage_cost,
    )
    label, stages, links = _locate(Path(path), chain)
    stages.require(_STAGE_COLUMNS, _STAGE_REQUIRED)
    links.require(_LINK_COLUMNS, tuple(_LINK_COLUMNS))

    # stages: name -> (row number, parsed fields)
    records: dict[str, dict[str, Any]] = {}
    for k, row in enumerate(stages.rows, start=1):
        if _is_blank(row):
            continue
        name = _text(stages, row, k, "stagename", "Stage Name")
        if name in records:
            raise NetworkFileError(
                f"{stages.label}: row {k} column 'Stage Name': stage {name!r} already listed in "
                f"row {records[name]['row']}; stage names must be unique"
            )
        given = _text(stages, row, k, "stageclassification", "stageClassification")
        kind = WILLEMS_CLASSIFICATIONS.get(given.lower())
        if kind is None:
            raise NetworkFileError(
                f"{stages.label}: row {k} column 'stageClassification': unknown classification "
                f"{given!r} of stage {name!r}; expected one of Part, Manuf, Trans, Dist, Retail"
            )
        numbers = {
            key: _number(stages, row, k, key, required=key in ("stagecost", "stagetime"))
            for key in _KEPT
        }
        records[name] = {"row": k, "classification": given, "kind": kind, **numbers}

    graph = nx.DiGraph()
    link_rows: dict[tuple[str, str], int] = {}
    for k, row in enumerate(links.rows, start=1):
        if _is_blank(row):
            continue
        ends = []
        for key, display in _LINK_COLUMNS.items():
            stage = _text(links, row, k, key, display)
            if stage not in records:
                raise NetworkFileError(
                    f"{links.label}: row {k} column {display!r}: unknown stage {stage!r}; "
                    f"it is not in the stage table {stages.label}"
                )
            ends.append(stage)
        u, v = ends
        if u == v:
            raise NetworkFileError(
                f"{links.label}: row {k} columns 'sourceStage', 'destinationStage': stage "
                f"{u!r} linked to itself"
            )
        if (u, v) in link_rows:
            raise NetworkFileError(
                f"{links.label}: row {k} columns 'sourceStage', 'destinationStage': link "
                f"{u!r}->{v!r} already listed in row {link_rows[u, v]}"
            )
        link_rows[u, v] = k
        graph.add_edge(u, v)
    graph.add_nodes_from(records)
    if not nx.is_directed_acyclic_graph(graph):  # linear; find_cycle is slow on large DAGs
        cycle = nx.find_cycle(graph)
        rows = ", ".join(str(link_rows[e]) for e in cycle)
        path_text = "->".join(repr(u) for u, _ in cycle) + f"->{cycle[0][0]!r}"
        raise NetworkFileError(
            f"{links.label}: rows {rows} columns 'sourceStage', 'destinationStage': the links "
            f"form a cycle {path_text}; goods must flow one way: remove one of these links"
        )

    network = nx.DiGraph(products=list(DEFAULT_PRODUCTS), name=label)
    cumulative = _cumulative_costs(graph, records, stage_cost)
    truncated: list[tuple[float, str]] = []
    for name, rec in records.items():
        attrs = _node_attributes(name, rec, graph, holding_cost_rate * cumulative[name])
        if graph.out_degree(name) == 0:
            attrs.update(_demand_attributes(name, rec, stages, backlog_cost_ratio, shortage, attrs))
            attrs["demand"] = _demand(rec, demand_distribution)
            if demand_distribution == "normal":
                below = normal_below_zero(rec["avgdemand"], rec["stddevdemand"] or 0.0)
                if below > NORMAL_BELOW_ZERO_WARNING:
                    truncated.append((below, name))
        attrs["cumulative_cost"] = cumulative[name]
        network.add_node(name, **attrs)
    if truncated:
        worst, stage = max(truncated)
        warnings.warn(
            f"{stages.label}: {len(truncated)} demand stage(s) have normal demand with "
            f"P(demand < 0) > {NORMAL_BELOW_ZERO_WARNING:g} (worst: {stage!r}, {worst:.2f}); "
            "cut at zero their mean is above the stated one; pass "
            "demand_distribution='gamma' or 'negative_binomial' to keep mean and std",
            DemandTruncationWarning,
            stacklevel=2,
        )
    for name, rec in records.items():
        suppliers = list(graph.predecessors(name))
        if not suppliers:
            source = f"source:{name}"
            if source in records:
                raise NetworkFileError(
                    f"{stages.label}: row {records[source]['row']} column 'Stage Name': the name "
                    f"{source!r} is reserved for the external source of stage {name!r}"
                )
            network.add_node(source, role="supplier")
            suppliers = [source]
        lead = _lead_time(rec, stages, lead_time_distribution)
        for u in suppliers:
            network.add_edge(u, name, lead_time=copy.deepcopy(lead), bom=1.0)
    set_echelons(network)
    validate(network)
    return network


def _cumulative_costs(
    graph: nx.DiGraph, records: dict[str, dict[str, Any]], reading: str
) -> dict[str, float]:
    """Each stage's cumulative cost: stageCost as given (``"cumulative"``), or stageCost plus
    the inputs' cumulative costs through the bill of materials (``"added"``; bom 1)."""
    if reading == "cumulative":
        return {name: rec["stagecost"] for name, rec in records.items()}
    out: dict[str, float] = {}
    for name in nx.topological_sort(graph):
        out[name] = records[name]["stagecost"] + sum(out[u] for u in graph.predecessors(name))
    return out


def _node_attributes(
    name: str, rec: dict[str, Any], graph: nx.DiGraph, holding: float
) -> dict[str, Any]:
    """Role, costs and the raw numbers of stage ``name`` (demand stages get more from
    :func:`_demand_attributes`)."""
    kind = rec["kind"]
    if graph.in_degree(name) >= 2:
        role = "manufacturer"  # every upstream link is a bill-of-materials input
    elif graph.out_degree(name) == 0:
        role = "retailer"
    else:
        role = _ROLE.get(kind, "warehouse")
    attrs: dict[str, Any] = {
        "role": role,
        "holding_cost": holding,
        "backlog_cost": 0.0,
        "shortage": "backlog",
        "classification": rec["classification"],
    }
    for key, attr in _KEPT.items():
        if rec[key] is not None:
            attrs[attr] = rec[key]
    return attrs


def _demand_attributes(
    name: str,
    rec: dict[str, Any],
    stages: _Table,
    backlog_cost_ratio: float,
    shortage: str,
    attrs: dict[str, Any],
) -> dict[str, Any]:
    """The shortage terms of a demand stage (one without successors)."""
    if rec["avgdemand"] is None:
        raise NetworkFileError(
            f"{stages.label}: row {rec['row']} column 'avgDemand': empty, but stage {name!r} "
            f"has no successors, so it faces customer demand; give its average demand per "
            f"period (or link it to a downstream stage)"
        )
    penalty = float(backlog_cost_ratio) * attrs["holding_cost"]
    out: dict[str, Any] = {"backlog_cost": penalty, "shortage": shortage}
    if shortage == "lost_sales":
        out["lost_sales_cost"] = penalty
    return out


def _demand(rec: dict[str, Any], kind: str) -> float | dict[str, Any]:
    """The demand declaration of a demand stage for ``demand_distribution=kind``."""
    mean, std = rec["avgdemand"], rec["stddevdemand"] or 0.0
    if kind == "poisson":
        return {"dist": "poisson", "mean": mean}
    if kind == "normal":
        return {"dist": "normal", "mean": mean, "std": std}
    if mean == 0 or std == 0:
        return mean
    if kind == "negative_binomial" and std * std <= mean:
        return {"dist": "poisson", "mean": mean}
    return {"dist": kind, "mean": mean, "std": std}


def _lead_time(rec: dict[str, Any], stages: _Table, kind: str) -> float | dict[str, Any]:
    mean, std = rec["stagetime"], rec["stddevstagetime"]
    if not std:
        return mean
    if kind == "normal":
        return {"dist": "normal", "mean": mean, "std": std}
    if mean <= 0:
        raise NetworkFileError(
            f"{stages.label}: row {rec['row']} columns 'stageTime', 'stdDev stageTime': a gamma "
            f"lead time needs stageTime > 0 when its std dev is > 0, got {mean!r}; fix the data "
            f"or pass lead_time_distribution='normal'"
        )
    return {"dist": "gamma", "mean": mean, "std": std}
