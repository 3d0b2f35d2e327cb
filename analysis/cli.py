"""The ``supplysim`` command: run, sweep and compare scenarios; plan a network from a file
and simulate the plan; validate, show, plot, list.

Every command has ``--help``. Errors print one line and exit with status 2 (``--verbose``
shows the traceback). A scenario that names a policy class of its own (``module:Class``
outside supplysim) is code: it is imported only with ``--allow-code`` (or
``SUPPLYSIM_ALLOW_CODE=1``).

pandas, matplotlib, the engines and the analysis modules are imported inside the commands
that use them, so that ``--help``, ``list`` and ``--version`` answer at once.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import platform
import shlex
import signal
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import BrokenExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from scenarios import Scenario

__all__ = ["main"]

SUMMARY_FORMAT = 1


class CommandError(Exception):
    """A user error: printed as one line, exit status 2."""


# ---------------------------------------------------------------------- files
def manifest(scenario: Scenario, args: argparse.Namespace, **extra: Any) -> str:
    from importlib import metadata

    from .files import strict_json

    versions = {}
    for package in (
        "supplysim",
        "simpy",
        "mesa",
        "numpy",
        "networkx",
        "pandas",
        "scipy",
        "matplotlib",
    ):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    versions["python"] = platform.python_version()
    return strict_json(
        {
            "command": ["supplysim", *args.argv],
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "scenario": json.loads(scenario.to_json()),
            "seed": scenario.seed,
            "replications": scenario.replications,
            "periods": scenario.periods,
            "warmup": scenario.warmup,
            "backend": getattr(args, "backend", None),
            "versions": versions,
            **extra,
        }
    )


# ---------------------------------------------------------------------- arguments
def _nonnegative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}")
    return value


def _positive(text: str) -> int:
    value = _nonnegative(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _kpi(text: str) -> str:
    from .report import KPI_COLUMNS

    if text not in KPI_COLUMNS:
        raise argparse.ArgumentTypeError(f"must be one of {', '.join(KPI_COLUMNS)}, got {text!r}")
    return text


def _assignment(text: str, flag: str) -> tuple[str, str]:
    from scenarios import parse_path

    path, sep, value = text.partition("=")
    if not sep or not path.strip():
        raise CommandError(f"{flag} {text!r}: write PATH=VALUE, e.g. run.periods=200")
    parse_path(path.strip())
    return path.strip(), value.strip()


def split_values(text: str) -> list[str]:
    """Split ``a,b,{x = 1, y = 2}`` on the commas outside brackets and quotes."""
    out, depth, quote, current = [], 0, None, ""
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(current.strip())
            current = ""
            continue
        current += ch
    out.append(current.strip())
    return [v for v in out if v]


def policy_spec(text: str, where: str) -> dict[str, Any]:
    """``base_stock(level=14)`` or a TOML table ``{kind = "base_stock", level = 14}``."""
    from scenarios import parse_value

    text = text.strip()
    if text.startswith("checkpoint:"):  # a trained policy's folder
        return {"kind": "checkpoint", "path": text.partition(":")[2]}
    if text.startswith("{"):
        value = parse_value(text)
        if not isinstance(value, dict):
            raise CommandError(f"{where}: {text!r} is not a TOML table")
        return value
    kind, sep, rest = text.partition("(")
    if not sep:
        return {"kind": kind.strip()}
    if not rest.endswith(")"):
        raise CommandError(f"{where}: {text!r}: write KIND(param=value, ...)")
    table = parse_value("{" + rest[:-1] + "}")
    if not isinstance(table, dict):
        raise CommandError(
            f"{where}: cannot read the parameters of {text!r} (TOML values, e.g. level=14)"
        )
    return {"kind": kind.strip(), **table}


def allow_code(args: argparse.Namespace) -> bool | None:
    """``True`` with ``--allow-code``, else ``None``: the environment variable decides."""
    return True if getattr(args, "allow_code", False) else None


def scenario_from(args: argparse.Namespace) -> Scenario:
    from scenarios import resolve

    scenario = resolve(args.scenario, allow_code=allow_code(args))
    overrides = _overrides(args, "run.")
    return scenario.with_overrides(overrides) if overrides else scenario


def _overrides(args: argparse.Namespace, run_prefix: str) -> dict[str, Any]:
    """``--set PATH=VALUE`` and the run flags (``--replications``, ...) as overrides; the
    flags' fields are ``run_prefix`` + their names."""
    from scenarios import parse_value

    overrides: dict[str, Any] = {}
    for text in args.set or []:
        path, value = _assignment(text, "--set")
        overrides[path] = parse_value(value)
    for flag in ("replications", "periods", "warmup", "seed"):
        value = getattr(args, flag, None)
        if value is not None:
            overrides[run_prefix + flag] = value
    return overrides


@contextmanager
def pool(args: argparse.Namespace, total: int, label: str) -> Iterator[dict[str, Any]]:
    """The back-end options of the command line, with a progress bar over ``total`` runs."""
    from tqdm import tqdm

    # disable=None: drawn on a terminal, silent when stderr is a file or a pipe
    bar = tqdm(total=total, desc=label, unit="run", file=sys.stderr, leave=False, disable=None)
    try:
        yield {
            "backend": args.backend,
            "workers": args.workers,
            "ray_address": args.ray_address,
            "progress": bar.update,
        }
    finally:
        bar.close()


# ---------------------------------------------------------------------- commands
def cmd_list(args: argparse.Namespace) -> None:
    from scenarios import LIBRARY, describe
    from scenarios.recommendation import BUILTIN

    described = describe()
    if not described:
        raise CommandError(
            f"no built-in scenarios in {LIBRARY}: this installation of supplysim is incomplete; "
            "reinstall it"
        )
    described |= {name: s.description for name, s in BUILTIN.items()}
    width = max(map(len, described))
    for name, text in sorted(described.items()):
        print(f"{name:<{width}}  {text}")


def cmd_validate(args: argparse.Namespace) -> None:
    from scenarios import resolve

    scenario = resolve(args.scenario, allow_code=allow_code(args))
    graph = scenario.network()
    policies = scenario.policies(graph)
    print(
        f"ok: {scenario.name}: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges, "
        f"{len(policies)} stocking agents; {scenario.replications} replications of "
        f"{scenario.periods} periods (warm-up {scenario.warmup}), seed {scenario.seed}"
    )


def cmd_show(args: argparse.Namespace) -> None:
    from networks.attributes import is_source
    from scenarios import resolve
    from scenarios.recommendation import BUILTIN

    if args.scenario in BUILTIN:  # a §VI experiment: one firm, no supply network
        experiment = BUILTIN[args.scenario]
        print(f"{experiment.name}: {experiment.description}")
        for field in dataclasses.fields(experiment):
            if field.name not in ("name", "description"):
                print(f"{field.name}: {getattr(experiment, field.name)!r}")
        return
    scenario = resolve(args.scenario, allow_code=allow_code(args))
    graph = scenario.network()
    policies = scenario.policies(graph)
    spec = scenario.data.get("network", {})
    if "file" in spec:
        made = f"read from {scenario.network_file()}"
    else:
        arguments = ", ".join(f"{k}={v!r}" for k, v in spec.get("args", {}).items())
        made = f"networks.{spec['builder']}({arguments})"
    products = ", ".join(map(str, graph.graph.get("products", ("item",))))
    print(f"{scenario.name}: {scenario.description}")
    print(f"source: {scenario.source or 'built from a dict'}")
    print(
        f"network: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges, "
        f"products {products}; {made}"
    )
    rows = [
        (
            str(node),
            data.get("role", "-"),
            "external source" if is_source(graph, node) else repr(policies[node]),
        )
        for node, data in graph.nodes(data=True)
    ]
    widths = [max(len(row[k]) for row in [("node", "role", ""), *rows]) for k in range(2)]
    print(f"\n{'node':<{widths[0]}}  {'role':<{widths[1]}}  policy")
    for name, role, policy in rows:
        print(f"{name:<{widths[0]}}  {role:<{widths[1]}}  {policy}")
    options = ", ".join(f"{k}={v!r}" for k, v in scenario.options.items())
    n = scenario.replications
    print(
        f"\nrun: {n} replication{'s' * (n != 1)} of {scenario.periods} periods (warm-up "
        f"{scenario.warmup}), seed {scenario.seed}, engine {scenario.engine!r}; {options}"
    )


def cmd_policies(args: argparse.Namespace) -> None:
    import inspect

    import agents

    print("policy kinds (policy = { kind = KIND, PARAMETER = VALUE, ... }):\n")
    for kind, cls in agents.REGISTRY.items():
        parameters = [
            p.name if p.default is p.empty else f"{p.name}={p.default!r}"
            for p in inspect.signature(cls).parameters.values()
        ]
        summary = (inspect.getdoc(cls) or "").split("\n", 1)[0]
        print(f"{kind}: {cls.__name__}({', '.join(parameters)})\n    {summary}")
    print(
        "\nmodule:Class: a decision-module class of yours (with act(obs)), by import path or "
        "beside the scenario file; it is code, so it needs --allow-code"
    )


def format_summary(
    stats: dict[str, dict[str, dict[str, float]]], columns: tuple[str, ...] | None = None
) -> str:
    """The summary table of ``stats`` (``{node: {kpi: {mean, ci95, ...}}}``), one column
    per KPI of ``columns`` (default :data:`analysis.report.KPI_COLUMNS`)."""
    import pandas as pd

    from .report import KPI_COLUMNS

    rows = {}
    for node, kpis in stats.items():
        row = {}
        for kpi in columns or KPI_COLUMNS:
            s = kpis[kpi]
            if s["mean"] is None:
                row[kpi] = "-"
            elif s["ci95"] is None:
                row[kpi] = f"{s['mean']:.3f}"
            else:
                row[kpi] = f"{s['mean']:.3f} ± {s['ci95']:.3f}"
        rows[node] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "node"
    with pd.option_context(
        "display.width", 250, "display.max_columns", 20, "display.max_colwidth", 30
    ):
        return table.to_string()


def recommendation_scenario(args: argparse.Namespace) -> Any:
    """The built-in §VI experiment ``args.scenario`` (:data:`scenarios.recommendation.
    BUILTIN`) with ``--set FIELD=VALUE`` and the run flags applied; ``None`` for any other
    scenario name or file."""
    from scenarios.recommendation import BUILTIN

    scenario = BUILTIN.get(args.scenario)
    if scenario is None:
        return None
    return scenario.with_overrides(_overrides(args, ""))


def run_recommendation(args: argparse.Namespace, scenario: Any) -> None:
    """``run`` of a §VI experiment: base stock and the scenario's recommendation module,
    one run per replication; the summary per product and for the firm, the tables and the
    figures (inventory and orders of the first replication, profit across replications)."""
    from . import plots
    from .experiment import summary_statistics
    from .files import output_folder, strict_json, write_parquet, write_text
    from .recommendation import KPIS, replicate

    out = Path(args.out or f"runs/{scenario.name}")
    with output_folder(out) as folder:
        start = time.perf_counter()
        kpis, periods = replicate(scenario)
        elapsed = time.perf_counter() - start
        stats = summary_statistics(kpis, KPIS, first="firm")
        summary = {
            "format": SUMMARY_FORMAT,
            "scenario": scenario.name,
            "settings": json.loads(scenario.to_json()),
            "seed": scenario.seed,
            "replications": scenario.replications,
            "periods": scenario.periods,
            "warmup": scenario.warmup,
            "confidence": 0.95,
            "firm": stats["firm"],
            "nodes": {k: v for k, v in stats.items() if k != "firm"},
        }
        write_text(folder / "summary.json", strict_json(summary))
        write_parquet(kpis, folder / "replications.parquet")
        if not args.no_periods:
            write_parquet(periods, folder / "periods.parquet")
        write_text(folder / "manifest.json", manifest(scenario, args, seconds=round(elapsed, 3)))
        figures, warmup = folder / "figures", scenario.warmup
        first = periods[periods["replication"] == 0]
        drawn = _draw(figures, "inventory", lambda: plots.plot_inventory(first, warmup=warmup))
        drawn += _draw(figures, "orders", lambda: plots.plot_orders(first, warmup=warmup))
        profits = kpis.loc[kpis["node"] == "firm", "profit"].to_numpy()
        if len(profits) > 1:  # a density needs a spread
            drawn += _draw(figures, "profit_kde", lambda: plots.plot_reward_kde({"firm": profits}))
    print(f"{scenario.name}: {scenario.description}")
    n = scenario.replications
    print(
        f"N = {scenario.n_products} products, M = {scenario.n_customers} customers; base stock "
        f"x{scenario.base_stock_multiple:g} ({scenario.base_stock}) and "
        f"{scenario.recommendation} recommendation; "
        f"{n} replication{'s' * (n > 1)} × {scenario.periods} periods (warm-up "
        f"{scenario.warmup}), seed {scenario.seed}, {elapsed:.2f} s; per period, mean ± 95% CI "
        "half-width\n"
    )
    print(format_summary(stats, KPIS))
    print(
        f"\nwrote {out}/: summary.json, {'' if args.no_periods else 'periods.parquet, '}"
        f"replications.parquet, manifest.json, figures/ ({', '.join(p.name for p in drawn)})"
    )


def cmd_run(args: argparse.Namespace) -> None:
    import networks

    from .experiment import replicate, summary_statistics
    from .files import output_folder, strict_json, write_parquet, write_text

    recommendation = recommendation_scenario(args)
    if recommendation is not None:
        run_recommendation(args, recommendation)
        return
    scenario = scenario_from(args)
    out = Path(args.out or f"runs/{scenario.name}")
    with output_folder(out) as folder:
        start = time.perf_counter()
        with pool(args, scenario.replications, scenario.name) as options:
            result = replicate(
                scenario,
                periods_file=None if args.no_periods else folder / "periods.parquet",
                **options,
            )
        elapsed = time.perf_counter() - start
        stats = summary_statistics(result.kpis)
        write_text(
            folder / "summary.json",
            strict_json(
                {
                    "format": SUMMARY_FORMAT,
                    "scenario": scenario.name,
                    "seed": scenario.seed,
                    "replications": scenario.replications,
                    "periods": scenario.periods,
                    "warmup": scenario.warmup,
                    "confidence": 0.95,
                    "network": stats["network"],
                    "nodes": {k: v for k, v in stats.items() if k != "network"},
                }
            ),
        )
        write_parquet(result.kpis, folder / "replications.parquet")
        networks.write_json(scenario.network(), folder / "network.json")
        write_text(folder / "manifest.json", manifest(scenario, args, seconds=round(elapsed, 3)))
        figures = draw_run(folder, scenario.warmup, folder / "figures")
    print(f"{scenario.name}: {scenario.description}")
    n = scenario.replications
    shown = "mean ± 95% CI half-width" if n > 1 else "one replication: no confidence intervals"
    print(
        f"{n} replication{'s' * (n > 1)} × {scenario.periods} periods (warm-up "
        f"{scenario.warmup}), seed {scenario.seed}, {elapsed:.2f} s; {shown}\n"
    )
    print(format_summary(stats))
    print(
        f"\nwrote {out}/: summary.json, {'' if args.no_periods else 'periods.parquet, '}"
        f"replications.parquet, network.json, manifest.json, "
        f"figures/ ({', '.join(p.name for p in figures)})"
    )


#: The figures drawn from ``periods.parquet``.
PERIOD_FIGURES = ("inventory", "orders")


def _first_replication(path: Path) -> pd.DataFrame:
    """The per-period table of the first replication in ``path``, read alone (the file
    holds one row group per replication)."""
    import pandas as pd
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    column = meta.schema.names.index("replication")
    first = min(meta.row_group(g).column(column).statistics.min for g in range(meta.num_row_groups))
    return pd.read_parquet(path, filters=[("replication", "==", first)])


def _draw(figures: Path, name: str, make: Callable[[], Any]) -> list[Path]:
    """Save the figure ``make()`` as ``figures/NAME.png``; one that these results cannot
    draw (``ValueError``, e.g. infinite costs) is skipped with a note, so that the run's
    tables are still written."""
    from . import plots

    try:
        return [plots.save_figure(make(), figures / f"{name}.png")]
    except ValueError as e:
        print(f"supplysim: note: figure {name} skipped: {e}", file=sys.stderr)
        return []


def draw_run(folder: Path, warmup: int, figures: Path) -> list[Path]:
    """Draw the figures of the run folder ``folder`` into ``figures``, from its files."""
    import pandas as pd

    import networks

    from . import plots

    kpis = pd.read_parquet(folder / "replications.parquet")
    drawn = []
    periods = folder / "periods.parquet"
    if periods.exists():
        first = _first_replication(periods)
        drawn += _draw(figures, "inventory", lambda: plots.plot_inventory(first, warmup=warmup))
        drawn += _draw(figures, "orders", lambda: plots.plot_orders(first, warmup=warmup))
    else:
        print(
            f"supplysim: note: no periods.parquet (--no-periods): skipped figures "
            f"{', '.join(PERIOD_FIGURES)}",
            file=sys.stderr,
        )
    drawn += _draw(figures, "costs", lambda: plots.plot_costs(kpis))
    drawn += _draw(figures, "bullwhip", lambda: plots.plot_bullwhip(kpis))
    graph = networks.read_json(folder / "network.json")
    drawn += _draw(figures, "network", lambda: plots.plot_network(graph))
    skip = plots.profit_kde_skip(kpis)
    if skip is None:
        profits = kpis.loc[kpis["node"] == "network", "profit_per_period"].to_numpy()
        drawn += _draw(figures, "profit_kde", lambda: plots.plot_reward_kde({"network": profits}))
    else:
        print(f"supplysim: note: no figures/profit_kde.png: {skip}", file=sys.stderr)
    return drawn


def cmd_sweep(args: argparse.Namespace) -> None:
    from scenarios import parse_value

    from .experiment import sweep
    from .files import output_folder, write_parquet, write_text

    scenario = scenario_from(args)
    grid: dict[str, list[Any]] = {}
    for text in args.grid:
        path, values = _assignment(text, "--grid")
        grid[path] = [parse_value(v) for v in split_values(values)]
        if not grid[path]:
            raise CommandError(f"--grid {text!r}: give at least one value")
    out = Path(args.out or f"runs/{scenario.name}-sweep")
    points = math.prod(len(values) for values in grid.values())
    # finished points live in OUT.partial/points until the whole sweep is done: a rerun of
    # an interrupted sweep skips them
    with output_folder(out, resume=True) as folder:
        start = time.perf_counter()
        with pool(args, points * scenario.replications, f"{scenario.name} sweep") as options:
            results = sweep(scenario, grid, out=folder, **options)
        elapsed = time.perf_counter() - start
        write_parquet(results, folder / "results.parquet")
        write_text(folder / "results.csv", results.to_csv(index=False))
        write_text(
            folder / "manifest.json",
            manifest(scenario, args, grid=grid, seconds=round(elapsed, 3)),
        )
        drawn = draw_sweep(folder, list(grid), args.kpi, folder / "figures")
    network = results[results["node"] == "network"]
    table = network.groupby(list(grid), sort=False)[args.kpi].agg(["mean", "std", "count"])
    print(
        f"{scenario.name} sweep: {points} points × {scenario.replications} replications, {elapsed:.2f} s"
    )
    print(f"network {args.kpi} (mean, std over replications):\n")
    print(table.to_string())
    print(
        f"\nwrote {out}/: results.parquet, results.csv, manifest.json, points/, figures/ "
        f"({', '.join(p.name for p in drawn)})"
    )


def draw_sweep(folder: Path, parameters: list[str], kpi: str, figures: Path) -> list[Path]:
    """Draw the figure of the sweep folder ``folder`` into ``figures``."""
    import pandas as pd

    from . import plots

    results = pd.read_parquet(folder / "results.parquet")
    hue = parameters[1] if len(parameters) > 1 else None
    return _draw(
        figures,
        f"sensitivity_{kpi}",
        lambda: plots.plot_sensitivity(results, parameters[0], kpi, hue=hue),
    )


def cmd_compare(args: argparse.Namespace) -> None:
    from . import plots
    from .experiment import compare
    from .files import output_folder, write_parquet, write_text

    scenario = scenario_from(args)
    sets: dict[str, dict[str, dict[str, Any]]] = {"as declared": {}}
    for text in args.policy:
        chosen = {}
        for part in text.split(";"):
            node, sep, spec = part.partition("=")
            if not sep:
                raise CommandError(
                    f"--policy {text!r}: write NODE=SPEC[;NODE=SPEC], e.g. stage1=base_stock(level=14)"
                )
            keys = stock_points(scenario, node)
            if len(keys) != 1:
                raise CommandError(f"--policy {text!r}: name one stock point before each '='")
            chosen[keys[0]] = policy_spec(spec, f"--policy {text!r}")
        sets[text] = chosen
    out = Path(args.out or f"runs/{scenario.name}-compare")
    with output_folder(out) as folder:
        with pool(args, len(sets) * scenario.replications, f"{scenario.name} compare") as options:
            table, diffs = compare(scenario, sets, **options)
        write_parquet(table, folder / "results.parquet")
        write_text(folder / "differences.csv", diffs.to_csv(index=False))
        write_text(folder / "manifest.json", manifest(scenario, args, policies=list(sets)))
        network = table[table["node"] == "network"]
        profits = {
            label: g["profit_per_period"].to_numpy()
            for label, g in network.groupby("policies", sort=False)
        }
        skip = plots.profit_kde_skip(table[table["policies"] == "as declared"])
        drawn = []
        if skip is None:
            drawn = _draw(folder / "figures", "profit_kde", lambda: plots.plot_reward_kde(profits))
        else:
            print(f"supplysim: note: no figures/profit_kde.png: {skip}", file=sys.stderr)
    print(
        f"{scenario.name}: {len(sets)} policy sets × {scenario.replications} replications on common random numbers\n"
    )
    # firms of a market are judged by profit (revenue counts), other networks by cost
    kpis = ["cost_per_period", "fill_rate"]
    if scenario.market() is not None:
        kpis = ["profit_per_period", *kpis]
    print(network.groupby("policies", sort=False)[kpis].mean().to_string())
    shown = diffs[(diffs["node"] == "network") & (diffs["kpi"].isin(kpis))]
    print("\npaired differences against 'as declared' (mean ± 95% CI half-width):\n")
    for _, row in shown.iterrows():
        print(f"  {row['policies']}: {row['kpi']} {row['difference']:+.4f} ± {row['ci95']:.4f}")
    figures = "".join(f", figures/{p.name}" for p in drawn)
    print(f"\nwrote {out}/: results.parquet, differences.csv, manifest.json{figures}")


def cmd_plot(args: argparse.Namespace) -> None:
    from .files import atomic_folder, locked

    out = Path(args.folder)
    manifest_path = out / "manifest.json"
    if not manifest_path.exists():
        raise CommandError(
            f"{out}: no manifest.json here; give a folder written by `supplysim run` or `sweep`"
        )
    info = json.loads(manifest_path.read_text())
    is_run = (out / "replications.parquet").exists()
    if not is_run and not ((out / "results.parquet").exists() and "grid" in info):
        raise CommandError(
            f"{out}: found neither replications.parquet (a run) nor results.parquet (a sweep)"
        )
    try:
        with locked(out), atomic_folder(out / "figures") as figures:
            if is_run:
                made = draw_run(out, info["warmup"], figures)
            else:
                made = draw_sweep(out, list(info["grid"]), args.kpi, figures)
    except BaseException as e:
        e.add_note(f"the figures of {out} are as they were")
        raise
    drawn = [out / "figures" / p.name for p in made]
    print("wrote " + ", ".join(str(p) for p in drawn))


def stock_points(scenario: Any, names: str) -> list[Any]:
    """The stock points a comma-separated list names on the command line: nodes, or
    ``node:product`` for one product's stock point of a multi-product network."""
    graph = scenario.network()
    nodes = {str(n) for n in graph.nodes}
    keys: list[Any] = []
    for name in (n.strip() for n in names.split(",")):
        if name:
            keys.append(name if name in nodes or ":" not in name else tuple(name.split(":", 1)))
    return keys


def stock_point_name(key: Any) -> str:
    """A stock point as the command line names it (:func:`stock_points`)."""
    return ":".join(map(str, key)) if isinstance(key, tuple) else str(key)


def cmd_tune(args: argparse.Namespace) -> None:
    from scenarios import resolve

    from .tune import tune_jointly

    scenario = resolve(args.scenario, allow_code=allow_code(args))
    nodes = stock_points(scenario, args.node)
    kinds = [k.strip() for k in args.policy.split(",") if k.strip()]
    if len(kinds) == 1:
        kinds *= len(nodes)
    if not nodes or len(kinds) != len(nodes):
        raise CommandError(
            f"--policy {args.policy!r}: give one kind for every node of --node {args.node!r}, "
            "or one kind for all"
        )
    result = tune_jointly(
        scenario,
        dict(zip(nodes, kinds, strict=True)),
        replications=args.replications,
        periods=args.periods,
        seed=args.seed,
        max_evaluations=args.max_evaluations,
    )
    settings = ", ".join(f"{k} {v}" for k, v in result.settings.items())
    tuned = ", ".join(f"{kind} at {stock_point_name(n)}" for n, kind in result.kinds.items())
    jointly = " (jointly)" if len(nodes) > 1 else ""
    print(f"{scenario.name}: {tuned}{jointly} on common random numbers ({settings})\n")
    print(result.table.sort_values("cost").to_string(index=False))
    est = result.estimate
    best = "; ".join(
        f"{stock_point_name(node)}: {result.kinds[node]}"
        f"({', '.join(f'{k}={v}' for k, v in values.items())})"
        for node, values in result.parameters.items()
    )
    print(f"\nbest: {best}: cost per period {est.mean:.4f} ± {est.half_width:.4f}")


#: What ``train --learners`` may name in a §VI experiment: the decision modules.
RECOMMENDATION_LEARNERS = ("inventory", "recommendation")
#: ``train --algo`` of a §VI experiment: one PPO learner, or the two modules as a team
#: (the follow-up's multi-timescale MTMA, or IPPO on one timescale).
RECOMMENDATION_ALGOS = ("ppo", "mtma", "ippo")


def train_recommendation(args: argparse.Namespace, scenario: Any) -> None:
    """``train`` of a §VI experiment: PPO on :class:`sim.recommendation_env.
    RecommendationEnv`, the learner deciding the modules named by ``--learners`` (both:
    Joint IM-RS; one: IM-Only or RS-Only, the other half random); ``--algo mtma`` or
    ``ippo``: the two modules as a team of two agents."""
    from .learning import RESIDUAL_INIT_LOG_STD, residual_actions, train_recommendation_team
    from .learning import train_recommendation as train_ppo

    learners = set(RECOMMENDATION_LEARNERS)
    if args.learners is not None:
        learners = {n.strip() for n in args.learners.split(",") if n.strip()}
        unknown = sorted(learners - set(RECOMMENDATION_LEARNERS))
        if unknown or not learners:
            raise CommandError(
                f"--learners {args.learners!r}: {scenario.name} learns "
                f"{' and/or '.join(RECOMMENDATION_LEARNERS)} (its decision modules)"
            )
    if args.algo not in RECOMMENDATION_ALGOS:
        raise CommandError(
            f"--algo {args.algo}: {scenario.name} trains with {', '.join(RECOMMENDATION_ALGOS)}"
        )
    if args.actions not in (None, "paper", "residual"):
        raise CommandError(
            f"--actions {args.actions}: {scenario.name} is a recommendation_* scenario: paper "
            "or residual"
        )
    out = Path(args.out or f"runs/{scenario.name}-{args.algo}")
    residual = args.actions == "residual"
    options = {
        "actions": residual_actions(scenario.base_stock_multiple) if residual else None,
        **({"init_log_std": RESIDUAL_INIT_LOG_STD} if residual else {}),
        "steps": args.steps,
        "seed": args.seed,
        "num_envs": args.num_envs or None,
        "periods": args.episode_periods,
        "progress": True,
        "device": args.device,
        **({"lr": args.lr} if args.lr is not None else {}),
    }
    if args.algo != "ppo":
        if len(learners) != 2:
            raise CommandError(
                f"--algo {args.algo}: trains both modules as a team; leave --learners out"
            )
        train_recommendation_team(scenario, out, algo=args.algo, **options)
        print(
            f"wrote {out}/: learning_curve.csv, learning_curve.png, checkpoints/ (the team's "
            f"state; rerun the same command to resume), and each agent's actor in "
            f"{out}/inventory/ and {out}/recommendation/"
        )
        return
    control = "joint" if len(learners) == 2 else next(iter(learners))
    train_ppo(scenario, control, out, **options)
    print(
        f"wrote {out}/: learning_curve.csv, learning_curve.png, checkpoints/ (rerun the same "
        f"command to resume); the learner decides {' and '.join(sorted(learners))}"
    )


#: ``train --actions`` of a network: what a learner's action chooses (an
#: :class:`sim.spaces.ActionMapping` target).
NETWORK_ACTIONS = {
    "quantity": "quantity",
    "level": "position",
    "echelon-level": "echelon_position",
    "reorder": "reorder",
    "base-surge": "base_surge",
}


def cmd_train(args: argparse.Namespace) -> None:
    from analysis.learning import EPISODE_PERIODS, train_scenario

    if args.end_game and not args.finite_horizon:
        raise CommandError("--end-game: end-game copies play the end of --finite-horizon's problem")
    recommendation = recommendation_scenario(args)
    if recommendation is not None:
        if args.start_at_policies:
            raise CommandError(
                "--start-at-policies: for a network's team; in a recommendation_* scenario "
                "--actions residual starts at base stock with uniform recommendation"
            )
        if args.finite_horizon:
            raise CommandError("--finite-horizon: for a network's learner (--algo ppo or dqn)")
        train_recommendation(args, recommendation)
        return
    scenario = scenario_from(args)
    action = NETWORK_ACTIONS.get(args.actions or "quantity")
    if action is None:
        raise CommandError(
            f"--actions {args.actions}: only a recommendation_* scenario reads it; "
            f"{scenario.name} is a network: {', '.join(NETWORK_ACTIONS)}"
        )
    if args.learners is None:
        raise CommandError(f"--learners: name the node that learns in {scenario.name}")
    learners = stock_points(scenario, args.learners)
    if args.algo == "mtma":
        raise CommandError(
            f"--algo mtma: {scenario.name} is a network; the multi-timescale learner trains "
            "a recommendation_* scenario's modules (a network's team: ippo, mappo or happo)"
        )
    out = Path(args.out or f"runs/{scenario.name}-{args.algo}")
    options = {"lr": args.lr} if args.lr is not None else {}
    options["device"] = args.device
    if args.critic_warmup is not None and not args.start_at_policies:
        raise CommandError("--critic-warmup: goes with --start-at-policies")
    if args.algo not in ("ppo", "dqn"):
        if args.finite_horizon:
            raise CommandError(
                f"--finite-horizon: for one learner (--algo ppo or dqn), not {args.algo}"
            )
        train_team_command(args, scenario, learners, out, options, action)
        return
    if args.action_step is not None:
        raise CommandError(
            f"--action-step: for a team (--algo ippo, mappo or happo), not {args.algo}"
        )
    if args.start_at_policies:
        raise CommandError(
            f"--start-at-policies: for a team (--algo ippo, mappo or happo; one learner may be "
            f"a team of one), not {args.algo}"
        )
    if len(learners) != 1:
        raise CommandError(
            f"--learners {args.learners!r}: {args.algo} trains one learner node; several "
            "learning together need a multi-agent algorithm (--algo ippo, mappo or happo)"
        )
    train_scenario(
        scenario,
        learners[0],
        out,
        steps=args.steps,
        seed=args.seed if args.seed is not None else scenario.seed,
        num_envs=args.num_envs,
        periods=args.episode_periods,
        progress=True,
        algo=args.algo,
        action=action,
        alpha=1.0 if args.alpha is None else args.alpha,
        finite_horizon=args.finite_horizon,
        end_game=args.end_game,
        **options,
    )
    print(
        f"wrote {out}/: learning_curve.csv, learning_curve.png, checkpoints/ "
        "(rerun the same command to resume)"
    )
    # the scenario it was trained in (the fingerprint checks it), and a finite-horizon
    # policy plays at most its horizon, from the start
    same = "".join(f" --set {shlex.quote(text)}" for text in args.set or [])
    horizon = args.episode_periods or min(scenario.periods, EPISODE_PERIODS)
    if args.finite_horizon and horizon < scenario.periods:
        same += f" --periods {horizon}" + (" --warmup 0" if scenario.warmup else "")
    print(
        f"evaluate it with\n  supplysim evaluate {args.scenario} "
        f"--checkpoint {stock_point_name(learners[0])}={out}{same}"
    )


def train_team_command(
    args: argparse.Namespace,
    scenario: Any,
    learners: list[str],
    out: Path,
    options: dict,
    action: str,
) -> None:
    """``train --algo ippo|mappo|happo``: the learners as a team on the vectorized engine's
    copy axis (:func:`agents.learning.multi.train_team`); a scenario with a ``[market]``
    (firms learning prices, e.g. self-play) on copies of the event engine, for profit."""
    from agents.learning.multi import MultiConfig, train_team
    from analysis.learning import EPISODE_PERIODS
    from sim.multi import EventTeamVectorEnv, TeamVectorEnv

    config = MultiConfig(
        total_steps=args.steps,
        seed=args.seed if args.seed is not None else scenario.seed,
        algo=args.algo,
        **({"num_envs": args.num_envs} if args.num_envs else {}),
        **options,
    )
    periods = args.episode_periods or min(scenario.periods, EPISODE_PERIODS)
    team_alpha = 0.0 if args.alpha is None else args.alpha
    try:
        if scenario.market() is None:

            def team(action: Any) -> TeamVectorEnv:
                return TeamVectorEnv.from_scenario(
                    scenario,
                    learners,
                    config.num_envs,
                    periods=periods,
                    alpha=team_alpha,
                    action=action,
                )

            env = team(action)
            if args.action_step is not None:  # the same mappings on a finer or coarser grid
                grid = {}
                for k in learners:
                    name = stock_point_name(k)
                    try:
                        grid[k] = dataclasses.replace(env.mappings[name], step=args.action_step)
                    except ValueError as exc:
                        raise CommandError(f"--action-step, learner {name!r}: {exc}") from None
                env = team(grid)
        else:
            if args.action_step is not None:
                raise CommandError(f"--action-step: {scenario.name} has a market (prices)")
            env = EventTeamVectorEnv.from_scenario(
                scenario,
                learners,
                config.num_envs,
                periods=periods,
                alpha=team_alpha,
                reward="profit",
                action=action,
            )
        if args.start_at_policies:
            from agents.learning.multi import heuristic_start

            modules = scenario.policies(scenario.network())
            starts = heuristic_start(env, {stock_point_name(k): modules[k] for k in learners})
            config = dataclasses.replace(
                config,
                start_actions=starts,
                critic_warmup=50 if args.critic_warmup is None else args.critic_warmup,
            )
        train_team(env, config, out)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    print(
        f"wrote {out}/: learning_curve.csv, learning_curve.png, and per agent "
        f"{out}/<agent>/checkpoints/ (rerun the same command to resume)"
    )
    names = [stock_point_name(key) for key in learners]
    print(
        f"evaluate the team with\n  supplysim evaluate {args.scenario} "
        + " ".join(f"--checkpoint {a}={out}/{a}" for a in names)
    )


def cmd_evaluate(args: argparse.Namespace) -> None:
    """Trained policies (one, or a team: one ``--checkpoint`` per node, played together as
    one policy set) against the scenario as declared and ``--against`` sets."""
    team: dict[str, str] = {}
    for text in args.checkpoint:
        node, sep, path = text.partition("=")
        if not sep or not node.strip() or not path.strip():
            raise CommandError(f"--checkpoint {text!r}: write NODE=PATH, e.g. stage1=runs/ppo")
        if node.strip() in team:
            raise CommandError(f"--checkpoint {text!r}: node {node.strip()!r} given twice")
        team[node.strip()] = f"{node.strip()}=checkpoint:{path.strip()}"
    args.policy = [";".join(team.values()), *(args.against or [])]
    args.out = args.out or f"runs/{Path(args.scenario).stem}-evaluate"
    cmd_compare(args)


def cmd_plan(args: argparse.Namespace) -> None:
    """Plan a network file by the guaranteed-service model, simulate the plan, and print the
    fill rate reached beside the target; write the plan and the service figures."""
    from networks import plan_safety_stocks
    from scenarios import parse_value

    from .files import strict_json
    from .planning import read_network, simulate_plan

    options: dict[str, Any] = {}
    for text in args.option or []:
        key, value = _assignment(text, "--option")
        options[key] = parse_value(value)
    if args.chain is not None:
        options["chain"] = parse_value(args.chain)
    graph = read_network(args.network, **options)
    began = time.perf_counter()
    plan = plan_safety_stocks(graph, args.service_level)
    plan_seconds = time.perf_counter() - began
    run = simulate_plan(
        graph,
        plan.base_stock_levels,
        args.service_level,
        service_times=plan.service_times,
        periods=args.periods,
        warmup=args.warmup,
        seed=args.seed,
        engine=args.engine,
        start=args.start,
    )
    name = graph.graph.get("name") or Path(args.network).stem
    out = Path(args.out or f"runs/plan-{name}")
    out.mkdir(parents=True, exist_ok=True)
    import pandas as pd

    stages = pd.DataFrame.from_dict(
        {str(n): vars(s) for n, s in plan.stages.items()}, orient="index"
    )
    stages.index.name = "node"
    stages.to_csv(out / "plan.csv")
    run.service.to_csv(out / "service.csv")
    network = run.service.loc["network"]
    summary = {
        "network": str(args.network),
        "stock_points": len(plan.stages),
        "service_level": args.service_level,
        "safety_stock_cost": plan.cost,
        "lower_bound": plan.lower_bound,
        "exact": plan.exact,
        "dropped_edges": len(plan.dropped_edges),
        "plan_seconds": plan_seconds,
        "simulate_seconds": run.seconds,
        "periods": args.periods,
        "warmup": args.warmup,
        "engine": args.engine,
        "start": args.start,
        "on_time_fill_rate": float(network["on_time_fill_rate"]),
        "fill_rate": float(network["fill_rate"]),
        "cycle_service_level": float(network["cycle_service_level"]),
    }
    (out / "summary.json").write_text(strict_json(summary) + "\n", encoding="utf-8")
    bound = "optimal" if plan.exact else f"lower bound {plan.lower_bound:.6g}"
    print(
        f"plan: {len(plan.stages)} stock points, safety-stock cost {plan.cost:.6g} per period "
        f"({bound}), {plan_seconds:.2f} s"
    )
    print(
        f"simulated {args.periods} periods ({args.engine}, {args.start} start, warm-up "
        f"{args.warmup}) in {run.seconds:.2f} s: fill rate within the promised service times "
        f"{network['on_time_fill_rate']:.4f} (same period {network['fill_rate']:.4f}), "
        f"target {args.service_level:g}"
    )
    print(f"wrote {out / 'plan.csv'}, {out / 'service.csv'}, {out / 'summary.json'}")


# ---------------------------------------------------------------------- parser
def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="supplysim", description="Supply chain simulation with swappable agents."
    )
    top.add_argument("--verbose", action="store_true", help="show tracebacks on errors")
    top.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def experiment(name: str, help: str) -> argparse.ArgumentParser:
        p = commands.add_parser(name, help=help, description=help)
        p.add_argument("scenario", help="a built-in name (see `supplysim list`) or a .toml file")
        p.add_argument(
            "--set",
            action="append",
            metavar="PATH=VALUE",
            help="override a scenario field by its TOML path (repeatable), e.g. run.periods=200",
        )
        p.add_argument(
            "--replications",
            type=_positive,
            metavar="N",
            help="replications (default: the scenario's)",
        )
        p.add_argument(
            "--periods",
            type=_positive,
            metavar="T",
            help="periods per replication, warm-up included",
        )
        p.add_argument(
            "--warmup", type=_nonnegative, metavar="W", help="periods left out of the statistics"
        )
        p.add_argument("--seed", type=_nonnegative, metavar="S", help="the experiment's seed")
        p.add_argument(
            "--workers", type=_positive, metavar="K", help="processes (default: all cores)"
        )
        p.add_argument(
            "--backend", choices=("local", "ray"), default="local", help="where replications run"
        )
        p.add_argument(
            "--ray-address",
            metavar="ADDR",
            help="a Ray cluster to join (default: start a local one)",
        )
        p.add_argument(
            "--out", metavar="DIR", help="output folder (default runs/<scenario>[-sweep|-compare])"
        )
        allow_code_flag(p)
        return p

    def allow_code_flag(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--allow-code",
            action="store_true",
            help="let the scenario import policy classes that are not supplysim's "
            "(module:Class): they run as code, like a Python script (or SUPPLYSIM_ALLOW_CODE=1)",
        )

    rn = experiment("run", "run a scenario's replications; write summary, tables, figures")
    rn.add_argument(
        "--no-periods",
        action="store_true",
        help="do not write periods.parquet (and skip the figures drawn from it)",
    )
    rn.set_defaults(func=cmd_run)
    sw = experiment("sweep", "replicate a scenario over a grid of values, on common random numbers")
    sw.add_argument(
        "--grid",
        action="append",
        required=True,
        metavar="PATH=V1,V2,...",
        help="a swept TOML path and its values (repeatable; the cartesian product is run)",
    )
    sw.add_argument(
        "--kpi",
        default="cost_per_period",
        type=_kpi,
        metavar="KPI",
        help="KPI of the table and figure (a column of analysis.report.KPI_COLUMNS)",
    )
    sw.set_defaults(func=cmd_sweep)
    cp = experiment(
        "compare", "compare policy sets on the same random numbers (paired differences)"
    )
    cp.add_argument(
        "--policy",
        action="append",
        required=True,
        metavar="NODE=SPEC[;NODE=SPEC]",
        help="one policy set against the scenario as declared (repeatable); "
        "SPEC is KIND(param=value, ...) or a TOML table",
    )
    cp.set_defaults(func=cmd_compare)
    ev = experiment(
        "evaluate",
        "a trained policy against the scenario as declared (and other policies), paired on "
        "common random numbers",
    )
    ev.add_argument(
        "--checkpoint",
        action="append",
        required=True,
        metavar="NODE=PATH",
        help="the node and the training folder (or checkpoint folder) of a trained policy; "
        "repeat it for a team (e.g. --checkpoint stage1=runs/team/stage1 --checkpoint "
        "stage2=runs/team/stage2): they play together as one policy set",
    )
    ev.add_argument(
        "--against",
        action="append",
        metavar="NODE=SPEC[;NODE=SPEC]",
        help="another policy set to compare, as in `compare --policy` (repeatable)",
    )
    ev.set_defaults(func=cmd_evaluate)
    tr = commands.add_parser(
        "train",
        help="train learners in a scenario (PPO, DQN, IPPO, MAPPO, HAPPO; needs the rl extra)",
    )
    tr.add_argument("scenario", help="a built-in name or a .toml file")
    tr.add_argument(
        "--learners",
        metavar="NODE[,NODE...]",
        help="the node that learns (several, comma-separated, with a multi-agent --algo; "
        "node:product names one product's stock point of a multi-product network); "
        "in a recommendation_* scenario the modules that learn: inventory, recommendation "
        "or both (the default)",
    )
    tr.add_argument(
        "--algo",
        choices=("ppo", "dqn", "ippo", "mappo", "happo", "mtma"),
        default="ppo",
        help="the learning algorithm (ppo, dqn: one learner; ippo, mappo, happo: several "
        "learners as a team; in a recommendation_* scenario ppo, or the two modules as a "
        "team: mtma on two timescales, ippo on one)",
    )
    tr.add_argument(
        "--alpha",
        type=float,
        metavar="A",
        help="reward: A * own + (1 - A) * the team's (the whole network's, heuristic "
        "teammates included); default 0 (the team's) for several learners, 1 (its own) for one",
    )
    tr.add_argument(
        "--steps", type=_positive, default=1_000_000, metavar="N", help="environment steps"
    )
    tr.add_argument("--seed", type=_nonnegative, metavar="S", help="seed (default: the scenario's)")
    tr.add_argument(
        "--num-envs", type=_positive, metavar="K", help="parallel copies (default 64; dqn 16)"
    )
    tr.add_argument(
        "--episode-periods",
        type=_positive,
        metavar="T",
        help="periods per episode (default 100, at most run.periods)",
    )
    tr.add_argument(
        "--finite-horizon",
        action="store_true",
        help="the episode (--episode-periods) is the whole problem: the learner sees the "
        "periods left near its end and nothing is bootstrapped past it; the trained "
        "policy then acts in runs of at most that many periods (default: a stationary policy "
        "for the long run)",
    )
    tr.add_argument(
        "--end-game",
        type=_nonnegative,
        default=0,
        metavar="K",
        help="with --finite-horizon: K of the copies play only the problem's last periods, "
        "from stock on hand drawn up to analysis.learning.END_GAME_STOCK periods of mean "
        "demand, so that the learner "
        "learns what to do at the end (16 of 64 learned §V's; default 0)",
    )
    tr.add_argument("--lr", type=float, metavar="X", help="learning rate (default 1e-3; dqn 5e-4)")
    tr.add_argument(
        "--actions",
        choices=(*NETWORK_ACTIONS, "paper", "residual"),
        help="what an action chooses. A network: quantity (the order; the default), level "
        "(the level to order the inventory position up to: a constant action is base "
        "stock), echelon-level (the same for the echelon inventory position, which the "
        "learner then sees), reorder (a reorder point and an order-up-to level: a constant "
        "action is (s, S)) or base-surge (two suppliers: the regular order and the "
        "expedited order-up-to level; a constant action is tailored base-surge). A "
        "recommendation_* scenario: paper (the seed paper's: order quantities, product "
        "scores; the default) or residual (order-up-to levels around "
        "base stock on the demand the recommendation creates, margin-style targeting "
        "weights; the zero action is base stock with uniform recommendation)",
    )
    tr.add_argument(
        "--start-at-policies",
        action="store_true",
        help="a team (ippo, mappo, happo) starts as the scenario's policies at the learners, "
        "each untrained policy's most likely action the constant action that plays its "
        "heuristic: base stock with --actions level, echelon base stock with echelon-level, "
        "tailored base-surge with base-surge (tuned values: --set or a scenario file); a "
        "value off the action grid starts at its nearest point (see --action-step)",
    )
    tr.add_argument(
        "--action-step",
        type=float,
        metavar="S",
        help="a team's discrete actions on a grid of S units (ActionMapping.step; default 1): "
        "e.g. 0.5, so that a tuned regular quantity of 10.5 is a start, not 10",
    )
    tr.add_argument(
        "--critic-warmup",
        type=_nonnegative,
        metavar="N",
        help="with --start-at-policies, the first N updates train only the critics, so that "
        "an untrained critic does not move the team off its start (default 50)",
    )
    tr.add_argument(
        "--device", choices=("cpu", "cuda"), default="cpu", help="where torch trains (cuda: a GPU)"
    )
    tr.add_argument(
        "--set", action="append", metavar="PATH=VALUE", help="override a scenario field"
    )
    tr.add_argument("--out", metavar="DIR", help="output folder (default runs/<scenario>-ppo)")
    allow_code_flag(tr)
    tr.set_defaults(func=cmd_train)
    tu = commands.add_parser(
        "tune",
        help="search a heuristic's best parameters at one node (or several, jointly), on "
        "common random numbers",
        description="search a heuristic's best parameters at one node (or several, jointly), "
        "on common random numbers",
    )
    tu.add_argument("scenario", help="a built-in name (see `supplysim list`) or a .toml file")
    tu.add_argument(
        "--node",
        required=True,
        metavar="NODE[,NODE...]",
        help="the node whose policy is tuned; several (comma-separated) are searched together; "
        "node:product names one product's stock point of a multi-product network",
    )
    tu.add_argument(
        "--policy",
        required=True,
        metavar="KIND[,KIND...]",
        help="base_stock, capped_base_stock, s_S, constant_order, demand_tracking_base_stock, "
        "demand_tracking_s_S, dual_index, single_index, capped_dual_index or "
        "tailored_base_surge (one for all nodes, or one per node)",
    )
    tu.add_argument(
        "--max-evaluations",
        type=_positive,
        default=200,
        metavar="N",
        help="stop after this many distinct points (default 200)",
    )
    tu.add_argument("--replications", type=_positive, metavar="N", help="per candidate")
    tu.add_argument("--periods", type=_positive, metavar="T", help="per replication")
    tu.add_argument("--seed", type=_nonnegative, metavar="S", help="the experiment's seed")
    allow_code_flag(tu)
    tu.set_defaults(func=cmd_tune)
    pn = commands.add_parser(
        "plan",
        help="place safety stock in a network file by the guaranteed-service model, "
        "simulate the plan, report the fill rate beside the target",
    )
    pn.add_argument(
        "network",
        help="a Willems (2008) folder, .xlsx workbook or <name>_SD.csv; or a .graphml, "
        ".json or .csv network",
    )
    pn.add_argument("--chain", metavar="NN", help="the Willems chain in a folder or workbook")
    pn.add_argument(
        "--option",
        action="append",
        metavar="KEY=VALUE",
        help="an option of networks.read_willems (repeatable), e.g. holding_cost_rate=0.001",
    )
    pn.add_argument(
        "--service-level", type=_probability, default=0.95, metavar="P", help="default 0.95"
    )
    pn.add_argument("--periods", type=_positive, default=500, metavar="T", help="default 500")
    pn.add_argument("--warmup", type=_nonnegative, default=100, metavar="W", help="default 100")
    pn.add_argument("--seed", type=_nonnegative, default=0, metavar="S")
    pn.add_argument("--engine", choices=("event", "vectorized"), default="vectorized")
    pn.add_argument("--start", choices=("steady", "cold"), default="steady")
    pn.add_argument("--out", metavar="DIR", help="output folder (default runs/plan-<name>)")
    pn.set_defaults(func=cmd_plan)
    va = commands.add_parser("validate", help="check a scenario file or name without running it")
    va.add_argument("scenario", help="a .toml file or a built-in name")
    allow_code_flag(va)
    va.set_defaults(func=cmd_validate)
    sh = commands.add_parser(
        "show", help="what a scenario contains: network, nodes with role and policy, run"
    )
    sh.add_argument("scenario", help="a .toml file or a built-in name")
    allow_code_flag(sh)
    sh.set_defaults(func=cmd_show)
    commands.add_parser(
        "policies", help="the policy kinds a scenario may name and their parameters"
    ).set_defaults(func=cmd_policies)
    pl = commands.add_parser("plot", help="redraw the figures of a run or sweep folder")
    pl.add_argument("folder", help="a folder written by `supplysim run` or `supplysim sweep`")
    pl.add_argument(
        "--kpi",
        default="cost_per_period",
        type=_kpi,
        metavar="KPI",
        help="KPI of a sweep's figure (a column of analysis.report.KPI_COLUMNS)",
    )
    pl.set_defaults(func=cmd_plot)
    commands.add_parser("list", help="list the built-in scenarios").set_defaults(func=cmd_list)
    for command in commands.choices.values():  # --verbose also after the command
        command.add_argument(
            "--verbose", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
        )
    return top


class _Version(argparse.Action):
    """``--version``: looked up only when asked (importlib.metadata is slow to import)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from importlib import metadata

        try:
            version = metadata.version("supplysim")
        except metadata.PackageNotFoundError:
            version = "(not installed)"
        print(f"supplysim {version}")
        parser.exit()


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: temporary files go, workers stop, one line is printed."""


def _terminate(signum: int, frame: Any) -> None:
    raise Terminated


def _notes(e: BaseException) -> str:
    """What the exception's notes say was kept or lost, after a semicolon."""
    return "".join(f"; {note}" for note in getattr(e, "__notes__", ()))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser().parse_args(argv)
    args.argv = argv
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        args.func(args)
    except KeyboardInterrupt as e:
        stopped = "stopped by SIGTERM" if isinstance(e, Terminated) else "interrupted"
        print(f"supplysim: {stopped}{_notes(e)}", file=sys.stderr)
        return 143 if isinstance(e, Terminated) else 130
    except BrokenExecutor as e:  # BrokenProcessPool, without importing the process pool
        print(
            f"supplysim: error: a worker process died (killed, or out of memory){_notes(e)}",
            file=sys.stderr,
        )
        return 2
    except (CommandError, ValueError, OSError) as e:  # ScenarioError is a ValueError
        if args.verbose:
            raise
        print(f"supplysim: error: {e}{_notes(e)}", file=sys.stderr)
        return 2
    except Exception as e:  # a bug rather than bad input: still one line, unless --verbose
        if args.verbose:
            raise
        print(
            f"supplysim: error: {type(e).__name__}: {e} (--verbose shows where){_notes(e)}",
            file=sys.stderr,
        )
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


if __name__ == "__main__":
    sys.exit(main())
