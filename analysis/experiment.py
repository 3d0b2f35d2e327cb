"""Replications, sweeps and paired comparisons, on a local process pool or on Ray.

Replication ``r`` of an experiment with seed ``s`` runs the model with the seed
:func:`replication_seed` ``(s, r)``: the same for every worker count, back end and sweep
point, so points are compared on common random numbers and results are bit-identical
wherever they were computed (the engine's arithmetic does not depend on hash seeds or
process layout). Results come back as tidy DataFrames: one row per replication
and node (plus the ``network`` row), one column per KPI of :func:`analysis.report.summarize`.

Sweeps write each finished point to ``OUT/points/<key>.parquet`` atomically; rerunning the
same sweep skips the points already there, so an interrupted sweep loses nothing.
"""

from __future__ import annotations

import ctypes
import hashlib
import itertools
import json
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import nullcontext
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from scenarios import Scenario

from .files import parquet_appender, write_parquet
from .report import KPI_COLUMNS, summarize
from .statistics import mean_ci

__all__ = [
    "Replications",
    "compare",
    "paired_differences",
    "replicate",
    "replication_seed",
    "run_replication",
    "summary_statistics",
    "sweep",
]

Backend = Literal["local", "ray"]


def replication_seed(seed: int, replication: int) -> int:
    """The model seed of replication ``replication`` of an experiment seeded ``seed``."""
    state = np.random.SeedSequence(seed, spawn_key=(replication,)).generate_state(2, np.uint32)
    return int(state[0]) << 31 | int(state[1]) >> 1


def run_replication(
    scenario: Scenario, replication: int, seed: int, keep_periods: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Run one replication: its KPI rows and, if asked, its per-period table."""
    model = scenario.build(seed=replication_seed(seed, replication))
    model.run(scenario.periods)
    table = model.results()
    kpis = summarize(table, scenario.warmup).reset_index()
    kpis.insert(0, "replication", replication)
    if keep_periods:
        table.insert(0, "replication", replication)
        return kpis, table
    return kpis, None


# ---------------------------------------------------------------------- back ends
Task = tuple[Scenario, int, int, bool]


def _default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _watch_parent(parent: int) -> None:
    """Exit as soon as this process's parent ``parent`` is gone (it is then re-parented)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _init_worker(parent: int) -> None:
    """Make a pool worker end with its parent, even a parent killed with SIGKILL (else the
    worker computes on for nobody, holding memory and the parent's stderr open)."""
    # Ctrl-C reaches the whole process group: the parent handles it and stops the workers
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # and stops them with SIGTERM: not the parent's handler, inherited through fork
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform == "linux":
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    # also where prctl is missing, and for its blind spot (it fires when the parent's
    # thread that forked this worker ends, not only the parent)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before prctl
        os._exit(1)


def _run_tasks(
    tasks: Sequence[Task], backend: Backend, workers: int | None, ray_address: str | None
) -> Iterator[tuple[int, tuple[pd.DataFrame, pd.DataFrame | None]]]:
    """Yield ``(task index, result)`` as tasks finish, in any order."""
    workers = _default_workers() if workers is None else workers
    if workers < 1:
        raise ValueError(f"workers: must be >= 1, got {workers}")
    if backend == "ray":
        yield from _run_ray(tasks, workers, ray_address)
        return
    if backend != "local":
        raise ValueError(f"backend: must be 'local' or 'ray', got {backend!r}")
    if workers == 1 or len(tasks) <= 1:
        for k, task in enumerate(tasks):
            yield k, run_replication(*task)
        return
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context(method),
        initializer=_init_worker,
        initargs=(os.getpid(),),
    ) as pool:
        pending = {pool.submit(run_replication, *task): k for k, task in enumerate(tasks)}
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield pending.pop(future), future.result()
        except BaseException:
            # interrupted (or the consumer stopped): end the workers now; leaving the block
            # would otherwise wait for their current replications
            for process in list(pool._processes.values()):  # no public way to stop them
                process.terminate()
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _run_ray(tasks: Sequence[Task], workers: int, address: str | None):
    try:
        import ray
    except ImportError:
        raise ValueError("backend 'ray' needs Ray: pip install 'supplysim[ray]'") from None
    if not ray.is_initialized():
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
    remote = ray.remote(run_replication)
    pending = {remote.remote(*task): k for k, task in enumerate(tasks)}
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        for ref in done:
            yield pending.pop(ref), ray.get(ref)


# ---------------------------------------------------------------------- replications
@dataclass(frozen=True)
class Replications:
    """The results of replicating one scenario.

    Attributes:
        kpis: one row per replication and node (and ``network``): ``replication, node`` and
            the KPI columns.
        periods: the per-period tables of all replications (``replication`` first), or
            ``None`` when they were not kept.
    """

    kpis: pd.DataFrame
    periods: pd.DataFrame | None


def replicate(
    scenario: Scenario,
    n: int | None = None,
    seed: int | None = None,
    *,
    backend: Backend = "local",
    workers: int | None = None,
    keep_periods: bool = False,
    periods_file: str | os.PathLike | None = None,
    ray_address: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Replications:
    """Run ``n`` replications (default: the scenario's) with experiment seed ``seed``.

    Args:
        backend: ``"local"`` (a process pool on this machine) or ``"ray"``.
        workers: processes (default: all cores); ``1`` runs in this process.
        keep_periods: also return every replication's per-period table.
        periods_file: write every replication's per-period table to this Parquet file, one
            row group per replication in replication order, holding only the tables that
            finished ahead of their turn (memory stays flat in ``n``).
        ray_address: a Ray cluster to join (default: start a local one).
        progress: called with 1 after each finished replication.
    """
    n = scenario.replications if n is None else n
    seed = scenario.seed if seed is None else seed
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n: must be an integer >= 1, got {n!r}")
    if keep_periods and periods_file is not None:
        raise ValueError("keep_periods and periods_file: give one or the other")
    with_periods = keep_periods or periods_file is not None
    tasks = [(scenario, r, seed, with_periods) for r in range(n)]
    kpis: dict[int, pd.DataFrame] = {}
    periods: dict[int, pd.DataFrame] = {}  # all of them, or those waiting for their turn
    written = 0
    with parquet_appender(periods_file) if periods_file is not None else nullcontext() as append:
        for k, (kpi, table) in _run_tasks(tasks, backend, workers, ray_address):
            kpis[k] = kpi
            if table is not None:
                periods[k] = table
            while append is not None and written in periods:
                append(periods.pop(written))
                written += 1
            if progress is not None:
                progress(1)
    return Replications(
        pd.concat([kpis[k] for k in range(n)], ignore_index=True),
        pd.concat([periods[k] for k in range(n)], ignore_index=True) if keep_periods else None,
    )


# ---------------------------------------------------------------------- sweeps
def _point_key(variant: Scenario, n: int, seed: int) -> str:
    """What identifies a point's results: the scenario as declared (after the point's
    overrides), the contents of its network file, replications, seed, and this version."""
    network_file = variant.network_file()
    parts = [
        variant.to_json(),
        hashlib.sha256(network_file.read_bytes()).hexdigest() if network_file else None,
        n,
        seed,
        metadata.version("supplysim"),
    ]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:20]


def _label(value: Any) -> Any:
    """A table cell for a swept value: tables (dicts) and lists as JSON text."""
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value


def run_points(
    scenario: Scenario,
    points: Sequence[Mapping[str, Any]],
    *,
    n: int | None = None,
    seed: int | None = None,
    out: str | Path | None = None,
    backend: Backend = "local",
    workers: int | None = None,
    ray_address: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Replicate ``scenario`` at each point (a mapping of TOML path -> value), on common
    random numbers; with ``out``, each finished point is saved and later reused.

    ``n`` and ``seed`` default to each point's own ``run.replications`` and ``run.seed``.
    The table has ``point`` (the index in ``points``), one column per path (tables and lists
    as JSON text), ``replication``, ``node`` and the KPIs.
    """
    variants = [scenario.with_overrides(point) for point in points]  # every error up front
    folder = Path(out) / "points" if out is not None else None
    plans = [
        (variant.replications if n is None else n, variant.seed if seed is None else seed)
        for variant in variants
    ]
    finished: dict[int, pd.DataFrame] = {}
    files: dict[int, Path] = {}
    tasks: list[Task] = []
    owner: list[int] = []
    for p, (variant, (n_p, seed_p)) in enumerate(zip(variants, plans, strict=True)):
        if folder is not None:
            files[p] = folder / f"{_point_key(variant, n_p, seed_p)}.parquet"
            if files[p].exists():
                finished[p] = pd.read_parquet(files[p])
                if progress is not None:
                    progress(n_p)
                continue
        tasks.extend((variant, r, seed_p, False) for r in range(n_p))
        owner.extend([p] * n_p)
    collected: dict[int, dict[int, pd.DataFrame]] = {}
    for k, (kpis, _) in _run_tasks(tasks, backend, workers, ray_address):
        p = owner[k]
        collected.setdefault(p, {})[int(kpis["replication"].iloc[0])] = kpis
        if progress is not None:
            progress(1)
        n_p = plans[p][0]
        if len(collected[p]) == n_p:
            by_replication = collected.pop(p)
            finished[p] = pd.concat([by_replication[r] for r in range(n_p)], ignore_index=True)
            if folder is not None:  # the replications only: labels are added below
                write_parquet(finished[p], files[p])
    tables = []
    for p, point in enumerate(points):
        table = finished[p].copy()
        for name, value in reversed(point.items()):
            table.insert(0, name, [_label(value)] * len(table))
        table.insert(0, "point", p)
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def sweep(scenario: Scenario, grid: Mapping[str, Sequence[Any]], **options: Any) -> pd.DataFrame:
    """Replicate ``scenario`` over the cartesian product of ``grid`` (TOML path -> values).

    Returns the tidy table: ``point``, one column per swept path, ``replication``, ``node``
    and the KPIs. Options are those of :func:`run_points` (``n``, ``seed``, ``out``,
    ``backend``, ``workers``, ``ray_address``, ``progress``).
    """
    if not grid:
        raise ValueError("grid: give at least one path with values")
    for path, values in grid.items():
        if isinstance(values, str) or not isinstance(values, Sequence) or len(values) == 0:
            raise ValueError(f"grid[{path!r}]: must be a non-empty list of values, got {values!r}")
    names = list(grid)
    points = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*grid.values())]
    return run_points(scenario, points, **options)


def compare(
    scenario: Scenario, policy_sets: Mapping[str, Mapping[str, Mapping[str, Any]]], **options: Any
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Replicate ``scenario`` under several policy sets on the same random numbers.

    Args:
        policy_sets: label -> {stock point: policy table}; the first label is the baseline.
            A stock point is a node, or ``(node, product)`` for one product's stock point
            of a multi-product network (``[agents.NODE.products.P]``).

    Returns:
        The tidy KPI table (with a ``policies`` column) and the paired differences of every
        other set against the baseline (:func:`paired_differences`).
    """
    if len(policy_sets) < 2:
        raise ValueError("policy_sets: give at least two sets to compare")

    def path(key: Any) -> str:
        if isinstance(key, tuple):
            node, product = key
            return f'agents."{node}".products."{product}".policy'
        return f'agents."{key}".policy'

    points = [{path(key): spec for key, spec in keys.items()} for keys in policy_sets.values()]
    table = run_points(scenario, points, **options)
    labels = list(policy_sets)
    table = table[["point", "replication", "node", *KPI_COLUMNS]].copy()
    table.insert(0, "policies", [labels[p] for p in table["point"]])
    table = table.drop(columns="point")
    return table, paired_differences(table, "policies", labels[0])


def paired_differences(table: pd.DataFrame, by: str, baseline: Any) -> pd.DataFrame:
    """Mean differences (other − baseline) per node and KPI over paired replications, with
    95% Student-t half-widths."""
    rows = []
    base = table[table[by] == baseline].set_index(["replication", "node"])
    for label, group in table[table[by] != baseline].groupby(by, sort=False):
        other = group.set_index(["replication", "node"])
        for node in other.index.get_level_values("node").unique():
            for kpi in KPI_COLUMNS:
                diff = (
                    other.xs(node, level="node")[kpi] - base.xs(node, level="node")[kpi]
                ).dropna()
                if len(diff) < 2:
                    continue
                est = mean_ci(diff.to_numpy())
                rows.append(
                    {
                        by: label,
                        "node": node,
                        "kpi": kpi,
                        "difference": est.mean,
                        "ci95": est.half_width,
                        "n": est.n,
                    }
                )
    return pd.DataFrame(rows)


def summary_statistics(
    kpis: pd.DataFrame, columns: Sequence[str] = KPI_COLUMNS, first: str = "network"
) -> dict[str, dict[str, dict[str, float]]]:
    """``{node: {kpi: {mean, std, ci95, n}}}`` of ``columns`` over replications (node
    ``first`` first); KPIs that are undefined in a replication (NaN) are left out of that
    KPI's statistics."""
    nodes = [first, *[n for n in dict.fromkeys(kpis["node"]) if n != first]]
    out: dict[str, dict[str, dict[str, float]]] = {}
    for node in nodes:
        rows = kpis[kpis["node"] == node]
        out[node] = {}
        for kpi in columns:
            values = rows[kpi].dropna().to_numpy(dtype=float)
            if len(values) == 0:
                out[node][kpi] = {"mean": None, "std": None, "ci95": None, "n": 0}
            elif len(values) == 1:
                out[node][kpi] = {"mean": float(values[0]), "std": None, "ci95": None, "n": 1}
            else:
                est = mean_ci(values)
                out[node][kpi] = {
                    "mean": est.mean,
                    "std": est.std,
                    "ci95": est.half_width,
                    "n": est.n,
                }
    return out
