"""The seed paper's §V firm solved exactly: how far Fig. 1's policies are from the optimum.

Run: ``PYTHONPATH=. nice -n 10 python benchmarks/pricing_optimum.py [--cases abcd]
[--fig1 DIR] [--out DIR]``.

For each built-in case ``pricing_a`` .. ``pricing_d`` at the firm ``stage1``:

* :func:`analysis.exact.pricing_optimum` solves the average-profit problem over net
  inventory and reference price (prices on the learner's integer grid from ``--low-price``
  to 50: the prices the optimal table posts are listed, so a bound it reaches shows;
  reference grid step ``--reference-step``), and again at half that step to show the grid
  does not matter;
* the optimal table, the heuristics as tuned by ``pricing_fig1.py`` (parameters read from
  ``FIG1/<case>/result.json``) and PPO (when its checkpoint ``FIG1/<case>/ppo`` is present)
  are evaluated on Fig. 1's 30 evaluation seeds (100-period episodes: Fig. 1's measure) and
  on long runs (``--long-seeds`` x ``--long-periods``: the stationary measure the optimum
  is about), common random numbers, paired differences to the optimal table with 95% CIs,
  and PPO's paired difference to the best tuned heuristic in each measure;
* "optimum, 100 periods": the exact optimum of Fig. 1's own problem, the seed paper's
  "T-period problem" from the scenario's start (:func:`analysis.exact.pricing_optimum` with
  a ``horizon``: backward induction; it orders nothing in the last period, whose order
  would arrive after the episode): what knowing the horizon is worth, and the ceiling of
  Fig. 1's measure (episodes only: it has no long run, nor has a PPO trained with
  ``--finite-horizon``); its paired differences to the best tuned heuristic and to PPO.

Each case's result is written atomically to ``OUT/<case>.json`` and skipped when present;
then ``OUT/optimum.md``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from pricing_fig1 import EVAL_SEED, FIRM, heuristics, profits

from analysis.exact import pricing_optimum, pricing_problem
from analysis.experiment import replication_seed
from analysis.files import write_text
from analysis.statistics import mean_ci
from scenarios import resolve

LONG_SEED = 3000


def run_case(case: str, out: Path, args: argparse.Namespace) -> dict[str, Any]:
    done = out / f"{case}.json"
    if done.is_file():
        return json.loads(done.read_text(encoding="utf-8"))
    scenario = resolve(f"pricing_{case}")
    problem = pricing_problem(scenario, FIRM)
    problem["prices"] = tuple(p for p in problem["prices"] if p >= args.low_price)
    box = {"max_stock": args.max_stock}
    solved = {}
    for step in (args.reference_step, args.reference_step / 2):
        began = time.perf_counter()
        solved[step] = pricing_optimum(**problem, reference_step=step, **box)
        opt = solved[step]
        print(
            f"pricing_{case}: step {step}: optimum {opt.profit:.4f} "
            f"[{opt.low:.4f}, {opt.high:.4f}], {opt.iterations} sweeps, "
            f"{time.perf_counter() - began:.0f} s"
        )
    optimum = solved[args.reference_step]
    table = optimum.policy
    periods = scenario.periods
    began = time.perf_counter()
    finite = pricing_optimum(**problem, reference_step=args.reference_step, horizon=periods, **box)
    print(
        f"pricing_{case}: {periods} periods from {problem['start']}: {finite.profit:.4f} a "
        f"period, {time.perf_counter() - began:.0f} s"
    )
    horizon_label = f"optimum, {periods} periods"
    fig1 = json.loads((Path(args.fig1) / case / "result.json").read_text(encoding="utf-8"))
    modules: dict[str, Any] = {"optimum": table, horizon_label: finite.policy}
    for label, (make, *_rest) in heuristics(scenario).items():
        modules[label] = make(fig1["policies"][label]["parameters"])
    # a policy for Fig. 1's 100 periods refuses to act past them: it has no long run
    episodes_only = {horizon_label}
    checkpoint = Path(args.fig1) / case / "ppo"
    if (checkpoint / "checkpoints").is_dir():
        from agents.learning import TorchPolicy

        modules["PPO"] = TorchPolicy.load(checkpoint)
        if modules["PPO"].layout.horizon:  # trained with --finite-horizon
            episodes_only.add("PPO")
    eval_seeds = [replication_seed(EVAL_SEED, r) for r in range(args.eval_seeds)]
    long_seeds = [replication_seed(LONG_SEED, r) for r in range(args.long_seeds)]
    result: dict[str, Any] = {
        "case": case,
        "optimum": {str(s): o.profit for s, o in solved.items()},
        "finite_horizon": {
            "periods": periods,
            "start": list(problem["start"]),
            "profit": finite.profit,
        },
        "bounds": [optimum.low, optimum.high],
        "sweeps": optimum.iterations,
        "prices_used": sorted({float(p) for p in np.unique(table.prices)}),
        "policies": {},
    }
    measures = {"episodes": (eval_seeds, periods), "long": (long_seeds, args.long_periods)}
    for measure, (seeds, length) in measures.items():
        values = {}
        for label, module in modules.items():
            if measure == "long" and label in episodes_only:
                continue
            values[label] = profits(scenario, module, seeds, length)
        for label, v in values.items():
            est, diff = mean_ci(v), mean_ci(v - values["optimum"])
            result["policies"].setdefault(label, {})[measure] = {
                "profit": est.mean,
                "half_width": est.half_width,
                "minus_optimum": diff.mean,
                "minus_optimum_half_width": diff.half_width,
            }
        best = max(heuristics(scenario), key=lambda k: values[k].mean())
        if "PPO" in values:
            diff = mean_ci(values["PPO"] - values[best])
            result.setdefault("ppo_minus_best", {})[measure] = {
                "best": best,
                "mean": diff.mean,
                "half_width": diff.half_width,
            }
        if horizon_label in values:
            diff = mean_ci(values[horizon_label] - values[best])
            result["finite_horizon"]["minus_best"] = {
                "best": best,
                "mean": diff.mean,
                "half_width": diff.half_width,
            }
        if "PPO" in values and horizon_label in values:
            diff = mean_ci(values["PPO"] - values[horizon_label])
            result["ppo_minus_finite_horizon"] = {"mean": diff.mean, "half_width": diff.half_width}
    write_text(done, json.dumps(result, indent=2) + "\n")
    return result


def report(results: list[dict[str, Any]], out: Path, args: argparse.Namespace) -> None:
    lines = [
        "# The §V firm's exact optimum against Fig. 1's policies\n",
        f"Profit per period (money), mean ± 95% CI; in brackets the paired difference to the "
        f"optimal table on the same seeds. Episodes: Fig. 1's {args.eval_seeds} evaluation "
        f"seeds x 100 periods from on hand 20, reference price 30. Long: {args.long_seeds} "
        f"seeds x {args.long_periods:,} periods.\n",
    ]
    for r in results:
        opt = ", ".join(f"step {s}: {v:.3f}" for s, v in r["optimum"].items())
        fh = r["finite_horizon"]
        lines += [
            f"## Case ({r['case']}): optimum {opt} per period (reference-price grid steps); "
            f"prices the optimal table posts: {r['prices_used']}; the optimum of "
            f"{fh['periods']} periods from {tuple(fh['start'])}: {fh['profit']:.3f} per period\n",
            "| policy | episodes (Fig. 1's measure) | long runs |",
            "|---|---|---|",
        ]
        for label, m in r["policies"].items():
            cells = []
            for measure in ("episodes", "long"):
                if measure not in m:
                    cells.append("")
                    continue
                e = m[measure]
                cell = f"{e['profit']:.2f} ± {e['half_width']:.2f}"
                if label != "optimum":
                    cell += f" ({e['minus_optimum']:+.2f} ± {e['minus_optimum_half_width']:.2f})"
                cells.append(cell)
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        if "ppo_minus_best" in r:
            d = r["ppo_minus_best"]
            lines.append(
                "\nPPO - best tuned heuristic, paired: "
                + "; ".join(
                    f"{m} {d[m]['mean']:+.2f} ± {d[m]['half_width']:.2f} vs {d[m]['best']}"
                    for m in ("episodes", "long")
                    if m in d
                )
            )
        if "minus_best" in fh:
            d = fh["minus_best"]
            lines.append(
                f"\nOptimum of {fh['periods']} periods - best tuned heuristic, paired: "
                f"{d['mean']:+.2f} ± {d['half_width']:.2f} vs {d['best']}"
            )
        if "ppo_minus_finite_horizon" in r:
            d = r["ppo_minus_finite_horizon"]
            lines.append(
                f"\nPPO - optimum of {fh['periods']} periods, paired: "
                f"{d['mean']:+.2f} ± {d['half_width']:.2f}"
            )
        lines.append("")
    write_text(out / "optimum.md", "\n".join(lines))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="benchmarks/results/pricing_optimum")
    parser.add_argument("--fig1", default="benchmarks/results/pricing_fig1")
    parser.add_argument("--cases", default="abcd")
    parser.add_argument("--reference-step", type=float, default=0.5)
    parser.add_argument("--max-stock", type=int, default=90)
    parser.add_argument(
        "--low-price",
        type=float,
        default=15.0,
        help="prices below are not searched (the result lists the prices the table posts)",
    )
    parser.add_argument("--eval-seeds", type=int, default=30)
    parser.add_argument("--long-seeds", type=int, default=10)
    parser.add_argument("--long-periods", type=int, default=5_000)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = [run_case(c, out, args) for c in args.cases]
    report(results, out, args)
    print((out / "optimum.md").read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
