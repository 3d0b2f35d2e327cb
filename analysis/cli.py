"""The ``supplysim`` command: run a built-in scenario, print its summary, write its files."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from scenarios.builtin import SCENARIOS, get

from .plots import plot_costs, plot_inventory, plot_orders, save_figure
from .report import summarize

__all__ = ["main"]


class CommandError(Exception):
    """A user error: printed as one line, exit status 2."""


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def cmd_list(args: argparse.Namespace) -> None:
    width = max(map(len, SCENARIOS))
    for name, scenario in SCENARIOS.items():
        print(f"{name:<{width}}  {scenario.description}")


def cmd_run(args: argparse.Namespace) -> None:
    try:
        scenario = get(args.scenario)
    except KeyError as e:
        raise CommandError(e.args[0]) from None
    periods = scenario.periods if args.periods is None else args.periods
    warmup = scenario.warmup if args.warmup is None else args.warmup
    if warmup >= periods:
        raise CommandError(f"--warmup ({warmup}) must be less than --periods ({periods})")
    model = scenario.build(seed=args.seed)
    start = time.perf_counter()
    model.run(periods)
    elapsed = time.perf_counter() - start
    table = model.results()
    summary = summarize(table, warmup)

    out = Path(args.out)
    write_atomic(out / "periods.csv", table.to_csv(index=False))
    write_atomic(
        out / "summary.json",
        json.dumps(
            {
                "scenario": scenario.name,
                "seed": args.seed,
                "periods": periods,
                "warmup": warmup,
                "nodes": json.loads(summary.to_json(orient="index")),
            },
            indent=2,
        ),
    )
    figures = [
        save_figure(plot_inventory(table), out / "figures" / "inventory.png"),
        save_figure(plot_orders(table), out / "figures" / "orders.png"),
        save_figure(plot_costs(table, warmup), out / "figures" / "costs.png"),
    ]

    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(f"{scenario.name}: {scenario.description}")
        print(f"{periods} periods (warm-up {warmup}), seed {args.seed}, simulated in {elapsed:.2f} s\n")
        print(summary.round(3).to_string())
    if scenario.reference is not None:
        print(f"\nliterature value: {scenario.reference} per period")
    print(f"\nwrote {out / 'summary.json'}, {out / 'periods.csv'}, " + ", ".join(map(str, figures)))


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="supplysim", description="Supply chain simulation with swappable agents.")
    top.add_argument("--verbose", action="store_true", help="show tracebacks on errors")
    commands = top.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the built-in scenarios").set_defaults(func=cmd_list)
    run = commands.add_parser("run", help="run a built-in scenario and write its results")
    run.add_argument("scenario", help="a name from `supplysim list`")
    run.add_argument("--periods", type=_positive_int, help="horizon in periods (default: the scenario's)")
    run.add_argument("--warmup", type=_positive_int, help="periods left out of the summary")
    run.add_argument("--seed", type=_positive_int, default=0, help="the run's seed (default 0)")
    run.add_argument("--out", default="runs/latest", help="output folder (default runs/latest)")
    run.set_defaults(func=cmd_run)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        args.func(args)
    except (CommandError, ValueError, KeyError, OSError) as e:
        if args.verbose:
            raise
        message = e.args[0] if isinstance(e, CommandError | KeyError) and e.args else str(e)
        print(f"supplysim: error: {message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
