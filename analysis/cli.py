"""The ``supplysim`` command: run, sweep and compare scenarios; validate, plot, list.

Every command has ``--help``. Errors print one line and exit with status 2 (``--verbose``
shows the traceback).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

import networks
from scenarios import Scenario, ScenarioError, describe, parse_path, parse_value, resolve

from . import plots
from .experiment import compare, replicate, summary_statistics, sweep
from .files import write_parquet, write_text
from .report import KPI_COLUMNS

__all__ = ["main"]

SUMMARY_FORMAT = 1


class CommandError(Exception):
    """A user error: printed as one line, exit status 2."""


# ---------------------------------------------------------------------- files
def manifest(scenario: Scenario, args: argparse.Namespace, **extra: Any) -> str:
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
    return json.dumps(
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
        },
        indent=2,
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


def _positive(text: str) -> int:
    value = _nonnegative(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _assignment(text: str, flag: str) -> tuple[str, str]:
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
    text = text.strip()
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


def scenario_from(args: argparse.Namespace) -> Scenario:
    scenario = resolve(args.scenario)
    overrides: dict[str, Any] = {}
    for text in args.set or []:
        path, value = _assignment(text, "--set")
        overrides[path] = parse_value(value)
    for flag, path in (
        ("replications", "run.replications"),
        ("periods", "run.periods"),
        ("warmup", "run.warmup"),
        ("seed", "run.seed"),
    ):
        value = getattr(args, flag, None)
        if value is not None:
            overrides[path] = value
    return scenario.with_overrides(overrides) if overrides else scenario


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
    described = describe()
    width = max(map(len, described))
    for name, text in described.items():
        print(f"{name:<{width}}  {text}")


def cmd_validate(args: argparse.Namespace) -> None:
    scenario = resolve(args.scenario)
    graph = scenario.network()
    policies = scenario.policies(graph)
    print(
        f"ok: {scenario.name}: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges, "
        f"{len(policies)} stocking agents; {scenario.replications} replications of "
        f"{scenario.periods} periods (warm-up {scenario.warmup}), seed {scenario.seed}"
    )


def format_summary(stats: dict[str, dict[str, dict[str, float]]]) -> str:
    rows = {}
    for node, kpis in stats.items():
        row = {}
        for kpi in KPI_COLUMNS:
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


def cmd_run(args: argparse.Namespace) -> None:
    scenario = scenario_from(args)
    out = Path(args.out or f"runs/{scenario.name}")
    start = time.perf_counter()
    with pool(args, scenario.replications, scenario.name) as options:
        result = replicate(scenario, keep_periods=True, **options)
    elapsed = time.perf_counter() - start
    stats = summary_statistics(result.kpis)
    write_text(
        out / "summary.json",
        json.dumps(
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
            },
            indent=2,
        ),
    )
    write_parquet(result.periods, out / "periods.parquet")
    write_parquet(result.kpis, out / "replications.parquet")
    networks.write_json(scenario.network(), out / "network.json")
    write_text(out / "manifest.json", manifest(scenario, args, seconds=round(elapsed, 3)))
    figures = draw_run(out, scenario.warmup)
    print(f"{scenario.name}: {scenario.description}")
    n = scenario.replications
    shown = "mean ± 95% CI half-width" if n > 1 else "one replication: no confidence intervals"
    print(
        f"{n} replication{'s' * (n > 1)} × {scenario.periods} periods (warm-up "
        f"{scenario.warmup}), seed {scenario.seed}, {elapsed:.2f} s; {shown}\n"
    )
    print(format_summary(stats))
    print(
        f"\nwrote {out}/: summary.json, periods.parquet, replications.parquet, manifest.json, "
        f"figures/ ({', '.join(p.name for p in figures)})"
    )


def draw_run(out: Path, warmup: int) -> list[Path]:
    """The figures of a run folder, from its files."""
    periods = pd.read_parquet(out / "periods.parquet")
    kpis = pd.read_parquet(out / "replications.parquet")
    first = periods[periods["replication"] == periods["replication"].min()].drop(
        columns="replication"
    )
    figures = out / "figures"
    network_kpis = kpis[kpis["node"] == "network"]
    drawn = [
        plots.save_figure(plots.plot_inventory(first), figures / "inventory.png"),
        plots.save_figure(plots.plot_orders(first), figures / "orders.png"),
        plots.save_figure(
            plots.plot_costs(periods.drop(columns="replication"), warmup), figures / "costs.png"
        ),
        plots.save_figure(
            plots.plot_bullwhip(first[first["period"] >= warmup]), figures / "bullwhip.png"
        ),
        plots.save_figure(
            plots.plot_network(networks.read_json(out / "network.json")), figures / "network.png"
        ),
    ]
    if len(network_kpis) > 1:
        drawn.append(
            plots.save_figure(
                plots.plot_reward_kde({"network": network_kpis["profit_per_period"].to_numpy()}),
                figures / "profit_kde.png",
            )
        )
    return drawn


def cmd_sweep(args: argparse.Namespace) -> None:
    scenario = scenario_from(args)
    grid: dict[str, list[Any]] = {}
    for text in args.grid:
        path, values = _assignment(text, "--grid")
        grid[path] = [parse_value(v) for v in split_values(values)]
        if not grid[path]:
            raise CommandError(f"--grid {text!r}: give at least one value")
    out = Path(args.out or f"runs/{scenario.name}-sweep")
    points = math.prod(len(values) for values in grid.values())
    start = time.perf_counter()
    with pool(args, points * scenario.replications, f"{scenario.name} sweep") as options:
        results = sweep(scenario, grid, out=out, **options)
    elapsed = time.perf_counter() - start
    write_parquet(results, out / "results.parquet")
    write_text(out / "results.csv", results.to_csv(index=False))
    write_text(
        out / "manifest.json", manifest(scenario, args, grid=grid, seconds=round(elapsed, 3))
    )
    drawn = draw_sweep(out, list(grid), args.kpi)
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


def draw_sweep(out: Path, parameters: list[str], kpi: str) -> list[Path]:
    results = pd.read_parquet(out / "results.parquet")
    hue = parameters[1] if len(parameters) > 1 else None
    return [
        plots.save_figure(
            plots.plot_sensitivity(results, parameters[0], kpi, hue=hue),
            out / "figures" / f"sensitivity_{kpi}.png",
        )
    ]


def cmd_compare(args: argparse.Namespace) -> None:
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
            chosen[node.strip()] = policy_spec(spec, f"--policy {text!r}")
        sets[text] = chosen
    out = Path(args.out or f"runs/{scenario.name}-compare")
    with pool(args, len(sets) * scenario.replications, f"{scenario.name} compare") as options:
        table, diffs = compare(scenario, sets, **options)
    write_parquet(table, out / "results.parquet")
    write_text(out / "differences.csv", diffs.to_csv(index=False))
    write_text(out / "manifest.json", manifest(scenario, args, policies=list(sets)))
    network = table[table["node"] == "network"]
    kde = plots.plot_reward_kde(
        {
            label: g["profit_per_period"].to_numpy()
            for label, g in network.groupby("policies", sort=False)
        }
    )
    plots.save_figure(kde, out / "figures" / "profit_kde.png")
    print(
        f"{scenario.name}: {len(sets)} policy sets × {scenario.replications} replications on common random numbers\n"
    )
    print(
        network.groupby("policies", sort=False)[["cost_per_period", "fill_rate"]].mean().to_string()
    )
    shown = diffs[
        (diffs["node"] == "network") & (diffs["kpi"].isin(["cost_per_period", "fill_rate"]))
    ]
    print("\npaired differences against 'as declared' (mean ± 95% CI half-width):\n")
    for _, row in shown.iterrows():
        print(f"  {row['policies']}: {row['kpi']} {row['difference']:+.4f} ± {row['ci95']:.4f}")
    print(
        f"\nwrote {out}/: results.parquet, differences.csv, manifest.json, figures/profit_kde.png"
    )


def cmd_plot(args: argparse.Namespace) -> None:
    out = Path(args.folder)
    manifest_path = out / "manifest.json"
    if not manifest_path.exists():
        raise CommandError(
            f"{out}: no manifest.json here; give a folder written by `supplysim run` or `sweep`"
        )
    info = json.loads(manifest_path.read_text())
    if (out / "periods.parquet").exists():
        drawn = draw_run(out, info["warmup"])
    elif (out / "results.parquet").exists() and "grid" in info:
        drawn = draw_sweep(out, list(info["grid"]), args.kpi)
    else:
        raise CommandError(
            f"{out}: found neither periods.parquet (a run) nor results.parquet (a sweep)"
        )
    print("wrote " + ", ".join(str(p) for p in drawn))


def cmd_tune(args: argparse.Namespace) -> None:
    from .tune import tune  # imported only for this command

    scenario = resolve(args.scenario)
    result = tune(
        scenario,
        args.node,
        args.policy,
        replications=args.replications,
        periods=args.periods,
        seed=args.seed,
    )
    settings = ", ".join(f"{k} {v}" for k, v in result.settings.items())
    print(
        f"{scenario.name}: {args.policy} at {args.node!s} on common random numbers ({settings})\n"
    )
    print(result.table.sort_values("cost").to_string(index=False))
    chosen = ", ".join(f"{k}={v}" for k, v in result.parameters.items())
    est = result.estimate
    print(f"\nbest: {args.policy}({chosen}): cost per period {est.mean:.4f} ± {est.half_width:.4f}")


# ---------------------------------------------------------------------- parser
def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="supplysim", description="Supply chain simulation with swappable agents."
    )
    top.add_argument("--verbose", action="store_true", help="show tracebacks on errors")
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
        return p

    experiment("run", "run a scenario's replications; write summary, tables, figures").set_defaults(
        func=cmd_run
    )
    sw = experiment("sweep", "replicate a scenario over a grid of values, on common random numbers")
    sw.add_argument(
        "--grid",
        action="append",
        required=True,
        metavar="PATH=V1,V2,...",
        help="a swept TOML path and its values (repeatable; the cartesian product is run)",
    )
    sw.add_argument(
        "--kpi", default="cost_per_period", choices=KPI_COLUMNS, help="KPI of the table and figure"
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
    tu = commands.add_parser(
        "tune",
        help="search a heuristic's best parameters at one node, on common random numbers",
        description="search a heuristic's best parameters at one node, on common random numbers",
    )
    tu.add_argument("scenario", help="a built-in name (see `supplysim list`) or a .toml file")
    tu.add_argument("--node", required=True, help="the node whose policy is tuned")
    tu.add_argument(
        "--policy",
        required=True,
        metavar="KIND",
        help="base_stock, capped_base_stock, s_S, constant_order, dual_index, single_index, "
        "capped_dual_index or tailored_base_surge",
    )
    tu.add_argument("--replications", type=_positive, metavar="N", help="per candidate")
    tu.add_argument("--periods", type=_positive, metavar="T", help="per replication")
    tu.add_argument("--seed", type=_nonnegative, metavar="S", help="the experiment's seed")
    tu.set_defaults(func=cmd_tune)
    va = commands.add_parser("validate", help="check a scenario file or name without running it")
    va.add_argument("scenario", help="a .toml file or a built-in name")
    va.set_defaults(func=cmd_validate)
    pl = commands.add_parser("plot", help="redraw the figures of a run or sweep folder")
    pl.add_argument("folder", help="a folder written by `supplysim run` or `supplysim sweep`")
    pl.add_argument(
        "--kpi", default="cost_per_period", choices=KPI_COLUMNS, help="KPI of a sweep's figure"
    )
    pl.set_defaults(func=cmd_plot)
    commands.add_parser("list", help="list the built-in scenarios").set_defaults(func=cmd_list)
    return top


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser().parse_args(argv)
    args.argv = argv
    try:
        args.func(args)
    except KeyboardInterrupt:
        print(
            "supplysim: interrupted; finished sweep points are saved, rerun to resume",
            file=sys.stderr,
        )
        return 130
    except BrokenProcessPool:
        print(
            "supplysim: error: a worker process died (killed, or out of memory); finished "
            "sweep points are saved: rerun the same command to resume",
            file=sys.stderr,
        )
        return 2
    except (CommandError, ScenarioError, ValueError, OSError) as e:
        if args.verbose:
            raise
        print(f"supplysim: error: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # a bug rather than bad input: still one line, unless --verbose
        if args.verbose:
            raise
        print(f"supplysim: error: {type(e).__name__}: {e} (--verbose shows where)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
