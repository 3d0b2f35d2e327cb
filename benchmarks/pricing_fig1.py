"""The seed paper's Fig. 1: profit per policy in the four pricing cases, paired on common
random numbers.

Run: ``PYTHONPATH=. nice -n 10 python benchmarks/pricing_fig1.py [--steps N] [--out DIR]``.

For each built-in case ``pricing_a`` .. ``pricing_d`` (§V (a) backlog, (b) lost sales, (c)
backlog + fixed cost, (d) lost sales + fixed cost) at the firm ``stage1``:

* **heuristics** (:mod:`agents.pricing`) tuned by a coordinate search on integer grids
  (``analysis.tune`` minimises network cost without the market, so it cannot tune prices):
  from a start, each parameter in turn moves to the best of ``x - step, x, x + step`` on the
  tuning seeds while that raises the mean profit per period; steps halve down to the
  grid's unit; prices stay on the learner's price grid (integers on ``[1, 50]``), so the
  learner is compared on the same prices. BSLP: ``level`` (unit 1), ``price`` (unit 1);
  (s, S, p): ``s`` and ``gap = S - s >= 0`` (unit 1), ``price`` (unit 1), ``slope``
  (unit 0.05); myopic:
  ``level`` (unit 1; its price is computed each period).
* **PPO** over price and quantity (:mod:`sim.env`: ``MultiDiscrete([n, 50])``, or
  ``[n, n, 50]`` with a reorder point; profit reward), trained by
  :func:`analysis.learning.train_scenario` into ``OUT/<case>/ppo`` (rerunning resumes it).
  Its quantity entry takes the form the optimal policy's structure suggests
  (:func:`ppo_action`; ``--action`` sets one for every case): without a fixed ordering cost, a level to order the inventory position up to (``"position"``: the
  order is ``max(0, level - position)``, so a constant action is a base-stock list-price
  policy, optimal there (Federgruen & Heching 1999)); with one, a reorder point and an
  order-up-to level (``"reorder"``: a constant action is an (s, S) list-price policy; the
  optimal policy is (s, S) in the inventory with a price depending on it, Chen &
  Simchi-Levi 2004). It learns Fig. 1's problem itself, 100 periods from the scenario's
  start (it sees the periods left, nothing is bootstrapped past the end: :mod:`sim.env`'s
  ``finite_horizon``), with ``--end-game`` of its copies (16 of 64 by default) playing
  only the problem's last periods from drawn states
  (:func:`analysis.learning.learner_env`), so that it learns what to do at the end;
  ``--stationary`` trains a stationary policy for the long run instead.

Every policy is then evaluated on the same evaluation seeds (others than the tuning
seeds, so the tuned profits carry no selection bias): profit per period over the
scenario's 100 periods, mean and 95% CI, and the paired difference of PPO to the best
tuned heuristic with its 95% CI. Each case's result is written atomically to
``OUT/<case>/result.json`` and skipped when present (resumable; refused when made with
other settings); then ``fig1.csv``, ``fig1.md`` and ``fig1.png``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from agents import SSP, BaseStockListPrice, MyopicPricing
from analysis.experiment import replication_seed
from analysis.files import write_text
from analysis.statistics import mean_ci
from networks.io import atomic_path
from scenarios import resolve
from sim import SupplyChainModel

CASES = ("a", "b", "c", "d")
FIRM = "stage1"
TUNE_SEED, EVAL_SEED = 1000, 2000
#: End-game copies of the 64 by default (``--end-game``).
END_GAME = 16


def profits(scenario: Any, module: Any, seeds: list[int], periods: int) -> np.ndarray:
    """Profit per period of ``module`` at the firm, one value per seed (common random
    numbers: seed ``s`` is the same run of customers and competitors for every module)."""
    graph = scenario.network()
    policies = {**scenario.policies(graph), FIRM: module}
    market = scenario.market(graph)
    out = np.empty(len(seeds))
    for k, seed in enumerate(seeds):
        model = SupplyChainModel(graph, policies, seed=seed, market=market, **scenario.options)
        model.run(periods)
        out[k] = model.results().profit.mean()
    return out


def coordinate_search(
    objective: Callable[[dict[str, float]], float],
    start: Mapping[str, float],
    steps: Mapping[str, float],
    units: Mapping[str, float],
    bounds: Mapping[str, tuple[float, float]],
) -> tuple[dict[str, float], float, int]:
    """Maximise ``objective`` over a grid by coordinate moves with halving steps; returns
    the best point, its value and the number of evaluations."""
    seen: dict[tuple, float] = {}

    def value(x: dict[str, float]) -> float:
        key = tuple(sorted(x.items()))
        if key not in seen:
            seen[key] = objective(x)
        return seen[key]

    x, step = dict(start), dict(steps)
    best = value(x)
    while True:
        moved = False
        for name in x:
            low, high = bounds[name]
            for d in (-step[name], step[name]):
                y = {**x, name: min(high, max(low, x[name] + d))}
                v = value(y)
                if v > best + 1e-12:
                    x, best, moved = y, v, True
        if not moved:
            if all(step[n] <= units[n] for n in step):
                return x, best, len(seen)
            step = {n: max(units[n], step[n] / 2) for n in step}


def ppo_action(scenario: Any) -> str:
    """PPO's quantity entry at the firm: ``"position"`` (an order-up-to level) when its
    supply has no fixed ordering cost, else ``"reorder"`` (a reorder point and an
    order-up-to level). With a fixed cost the optimal policy orders nothing in most
    periods and a batch in the others: as levels alone PPO learns that far worse (case
    (d), 3M steps, stationary: 8.5 a period below the optimum as levels, 1.1 as the order
    itself), and as the order itself it must learn the jump from nothing to a batch at
    the reorder point state by state (Fig. 1, finite horizon, 3M steps: (c) -0.76 +-
    0.30, (d) +1.49 +- 0.25 against the tuned (s, S, p); as reorder point and level:
    (c) +1.46 +- 0.31, (d) +2.53 +- 0.25)."""
    graph = scenario.network()
    fixed = any(d.get("fixed_cost", 0) for *_e, d in graph.in_edges(FIRM, data=True))
    return "reorder" if fixed else "position"


def heuristics(scenario: Any) -> dict[str, tuple[Callable[..., Any], dict, dict, dict, dict]]:
    """Each heuristic: factory, start, first steps, units and bounds of its parameters."""
    graph = scenario.network()
    node = graph.nodes[FIRM]
    demand = scenario.market(graph).demand
    lost = node.get("shortage") == "lost_sales"
    myopic = {
        "eta": demand.eta,
        "delta": demand.delta,
        "beta": demand.beta,
        "holding_cost": float(node.get("holding_cost", 0.0)),
        "shortage_cost": float(node.get("lost_sales_cost" if lost else "backlog_cost", 0.0)),
        "lost_sales": lost,
        "step": 1.0,
    }
    return {
        "BSLP": (
            lambda p: BaseStockListPrice(level=p["level"], price=p["price"]),
            {"level": 24.0, "price": 29.0},
            {"level": 8.0, "price": 4.0},
            {"level": 1.0, "price": 1.0},
            {"level": (0.0, 80.0), "price": (1.0, 50.0)},
        ),
        "(s,S,p)": (
            lambda p: SSP(s=p["s"], S=p["s"] + p["gap"], price=p["price"], slope=p["slope"]),
            {"s": 12.0, "gap": 28.0, "price": 29.0, "slope": 0.0},
            {"s": 8.0, "gap": 8.0, "price": 4.0, "slope": 0.2},
            {"s": 1.0, "gap": 1.0, "price": 1.0, "slope": 0.05},
            {"s": (0.0, 80.0), "gap": (0.0, 80.0), "price": (1.0, 50.0), "slope": (-1.0, 1.0)},
        ),
        "myopic": (
            lambda p: MyopicPricing(level=p["level"], **myopic),
            {"level": 24.0},
            {"level": 8.0},
            {"level": 1.0},
            {"level": (0.0, 80.0)},
        ),
    }


def run_case(case: str, out: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Tune, train and evaluate one case; the result is also written to
    ``out/result.json`` (atomically), and read from there when present. ``args`` holds
    every option of :func:`main`'s parser (another script's parser sets the ones it does
    not offer, as ``pricing_competitors.py`` does)."""
    from analysis.learning import train_scenario

    scenario = resolve(f"pricing_{case}")
    action = args.action or ppo_action(scenario)
    ppo = {
        "steps": args.steps,
        "num_envs": args.num_envs,
        "action": action,
        "finite_horizon": args.finite_horizon,
        "end_game": args.end_game,  # 0 with a stationary learner (main refuses others)
        "seed": args.seed,
        "lr": args.lr,
    }
    seeds = {"tune_seeds": args.tune_seeds, "eval_seeds": args.eval_seeds}
    done = out / "result.json"
    if done.is_file():
        cached = json.loads(done.read_text(encoding="utf-8"))
        _check_cached(done, cached, ppo, seeds)
        return cached
    periods = scenario.periods
    tune_seeds = [replication_seed(TUNE_SEED, r) for r in range(args.tune_seeds)]
    eval_seeds = [replication_seed(EVAL_SEED, r) for r in range(args.eval_seeds)]
    result: dict[str, Any] = {"case": case, **seeds, "policies": {}}
    values: dict[str, np.ndarray] = {}
    for label, (make, start, steps, units, bounds) in heuristics(scenario).items():
        began = time.perf_counter()
        params, tuned, evaluations = coordinate_search(
            lambda p, make=make: float(profits(scenario, make(p), tune_seeds, periods).mean()),
            start,
            steps,
            units,
            bounds,
        )
        values[label] = profits(scenario, make(params), eval_seeds, periods)
        result["policies"][label] = {
            "parameters": params,
            "tuned_profit": tuned,
            "evaluations": evaluations,
            "tune_seconds": round(time.perf_counter() - began, 1),
        }
        print(f"pricing_{case} {label}: {params} -> {tuned:.2f} ({evaluations} evaluations)")
    began = time.perf_counter()
    folder = train_scenario(
        scenario,
        FIRM,
        out / "ppo",
        steps=args.steps,
        seed=args.seed,
        num_envs=args.num_envs,
        progress=False,
        action=action,
        lr=args.lr,
        finite_horizon=args.finite_horizon,
        end_game=args.end_game,
    )
    from agents.learning import TorchPolicy

    values["PPO"] = profits(scenario, TorchPolicy.load(folder), eval_seeds, periods)
    result["policies"]["PPO"] = {**ppo, "train_seconds": round(time.perf_counter() - began, 1)}
    for label, v in values.items():
        est = mean_ci(v)
        result["policies"][label].update(profit=est.mean, half_width=est.half_width)
    best = max((k for k in values if k != "PPO"), key=lambda k: values[k].mean())
    diff = mean_ci(values["PPO"] - values[best])
    result["best_heuristic"] = best
    result["ppo_minus_best"] = {"mean": diff.mean, "half_width": diff.half_width}
    write_text(done, json.dumps(result, indent=2) + "\n")
    return result


def _check_cached(
    done: Path, cached: Mapping[str, Any], ppo: Mapping[str, Any], seeds: Mapping[str, int]
) -> None:
    """Refuse a case's cached result made with other settings than these (a result
    written before a setting was recorded is taken as made with it)."""
    made = {**cached["policies"]["PPO"], **cached}
    differ = [
        f"{k}={made[k]!r} (now {v!r})" for k, v in {**ppo, **seeds}.items() if made.get(k, v) != v
    ]
    if differ:
        raise SystemExit(
            f"{done}: made with other settings: {', '.join(differ)}; delete it or use another --out"
        )


def _training(ppo: Mapping[str, Any]) -> str:
    """PPO's action form and training budget, as Fig. 1's table shows them."""
    horizon = "; sees the periods left" if ppo.get("finite_horizon") else ""
    if ppo.get("end_game"):
        horizon += f", {ppo['end_game']} copies play the end"
    return (
        f"{ppo.get('action', 'quantity')}{horizon}; {ppo['steps']:,} steps, "
        f"{ppo.get('num_envs', 16)} copies"
    )


def report(results: list[dict[str, Any]], out: Path) -> None:
    """``fig1.csv``, ``fig1.md`` and ``fig1.png`` from the cases' results."""
    rows = ["case,policy,profit,half_width"]
    lines = [
        "# Fig. 1: profit per period (money), 95% CI, evaluation seeds paired\n",
        "| case | "
        + " | ".join(("BSLP", "(s,S,p)", "myopic", "PPO"))
        + " | PPO - best (95% CI) | PPO's quantity entry, training |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        cells = []
        for label in ("BSLP", "(s,S,p)", "myopic", "PPO"):
            p = r["policies"][label]
            rows.append(f"{r['case']},{label},{p['profit']:.4f},{p['half_width']:.4f}")
            cells.append(f"{p['profit']:.2f} ± {p['half_width']:.2f}")
        d = r["ppo_minus_best"]
        lines.append(
            f"| {r['case']} | " + " | ".join(cells) + f" | {d['mean']:+.2f} ± {d['half_width']:.2f}"
            f" vs {r['best_heuristic']} | {_training(r['policies']['PPO'])} |"
        )
    write_text(out / "fig1.csv", "\n".join(rows) + "\n")
    write_text(out / "fig1.md", "\n".join(lines) + "\n")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 3.5), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    labels = ("BSLP", "(s,S,p)", "myopic", "PPO")
    width = 0.2
    for j, label in enumerate(labels):
        x = np.arange(len(results)) + (j - 1.5) * width
        y = [r["policies"][label]["profit"] for r in results]
        e = [r["policies"][label]["half_width"] for r in results]
        ax.bar(x, y, width, yerr=e, capsize=2, label=label)
    ax.set_xticks(np.arange(len(results)), [f"({r['case']})" for r in results])
    ax.set_ylabel("profit per period (money)")
    ax.legend(ncols=4, fontsize=8)
    with atomic_path(out / "fig1.png") as tmp:
        fig.savefig(tmp, format="png", dpi=100)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="benchmarks/results/pricing_fig1")
    parser.add_argument("--cases", default="".join(CASES), help="which of abcd")
    parser.add_argument("--steps", type=int, default=3_000_000, help="PPO environment steps")
    parser.add_argument("--num-envs", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument(
        "--action",
        choices=("quantity", "position", "reorder"),
        help="PPO's quantity entry in every case (default: by the case, ppo_action)",
    )
    parser.add_argument(
        "--stationary",
        dest="finite_horizon",
        action="store_false",
        help="PPO learns a stationary policy for the long run (default: the 100-period problem "
        "itself, seeing the periods left, nothing bootstrapped past the end: sim.env's "
        "finite_horizon)",
    )
    parser.add_argument(
        "--end-game",
        type=int,
        metavar="K",
        help="copies that play only the problem's last periods from drawn states "
        f"(analysis.learning.learner_env's end_game; default {END_GAME}; not with --stationary)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tune-seeds", type=int, default=10)
    parser.add_argument("--eval-seeds", type=int, default=300)
    args = parser.parse_args(argv)
    if args.end_game is None:
        args.end_game = END_GAME if args.finite_horizon else 0
    elif not args.finite_horizon:
        parser.error(
            "--end-game: end-game copies play a finite horizon's end, not with --stationary"
        )
    if not 0 <= args.end_game < args.num_envs:
        parser.error(f"--end-game: must be in [0, --num-envs), got {args.end_game}")
    import torch

    torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = [run_case(c, out / c, args) for c in args.cases]
    report(results, out)
    print((out / "fig1.md").read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
