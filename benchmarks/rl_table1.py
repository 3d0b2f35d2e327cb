"""PPO against the exact optimum and every tuned heuristic on the seed paper's Table I problems.

Run: ``PYTHONPATH=. python benchmarks/rl_table1.py [--cases p9L1,dL2c105,...] [--steps N]
[--workers 2] [--out DIR]``.

For each case (lost sales ``p{p}L{L}``, dual sourcing ``dL{L}c{c_e}``; default: all 22 of
:func:`baselines.cases`) PPO is trained for the case's node with the defaults of
``supplysim train`` (:class:`agents.learning.PPOConfig`) except :func:`ppo_settings`,
seed 0, then joins the baselines' table as one more column: :func:`baselines.run_case`
tunes every heuristic on the tuning seed and evaluates every policy, the optimal table of
value iteration and PPO included, on the same evaluation seeds. A cell is ``cost ± 95% CI
(paired gap to the optimal table ± 95% CI, % of the exact optimum)``. Then PPO and the
optimal table are compared again on the long paired evaluation :data:`PRECISE`, on which
the 1% bar is judged.

Nothing is lost to an interrupt: a case's training resumes from its last checkpoint, a
finished case's rows and long evaluation are kept in ``DIR/cases/`` and not recomputed,
and the tables (``rl_table1.csv``, ``rl_table1.md``) are rewritten whole after every case.
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from baselines import Case, Settings, cases, markdown, run_case
from scipy import stats

from agents import checkpoint
from agents.learning import PPOConfig
from analysis.files import write_text
from analysis.learning import train_scenario
from analysis.tune import evaluate


def case_name(case: Case) -> str:
    """``p9L1`` or ``dL2c105``."""
    v = case.values
    if case.problem == "lost_sales":
        return f"p{v['p']:g}L{v['L']:g}"
    return f"dL{v['L']:g}c{v['c_e']:g}"


#: Episodes that start from a drawn state (:class:`sim.InitialState`): stock on hand and
#: each lot in transit Poisson, about the steady state of an order-up-to policy. From an
#: empty start an episode of 100 periods loses p per unit for its first L periods: at
#: p = 39, L = 4 that start-up was 40% of the training cost per period (-18.7 against a
#: steady -10.8), and PPO learnt the start-up more than the steady state it is judged on
#: (2M steps: +1.25% above the optimum from empty starts, +0.82% from drawn ones).
DRAWN_START = {
    "on_hand": {"dist": "poisson", "mean": 10},
    "pipeline": {"dist": "poisson", "mean": 5},
}


def ppo_settings(case: Case) -> dict[str, Any]:
    """The options of ``supplysim train`` that differ from its defaults for ``case``.

    * Dual sourcing discounts less (gamma = 0.999): a unit costs 100 to buy and 5 a period
      to hold, so with gamma = 0.99 putting a purchase off by one period is worth 1 per
      unit, a fifth of the holding cost, and the discounted optimum holds too little
      (L = 4, c_e = 110, 2M steps: +1.5% above the optimum with 0.99, +0.4% with 0.999).
    * Lost sales with p >= 19 and L >= 2 start episodes from drawn states
      (:data:`DRAWN_START`): there the start-up of an empty episode dominates training.
      They also learn from rollouts of 128 copies instead of 64, for twice the steps
      (:func:`ppo_steps`): the same number of updates, each on a batch twice as large.
      Rare, costly lost sales make their gradients noisy: at p = 19, L = 2, seed 0, the
      validation gap went from +1.26% (64 copies, 2M steps) to +0.45% (128, 4M), at
      p = 39, L = 3 from +0.92% to +0.80%; 256 copies at 2M steps (half the updates) was
      +0.57% and +2.04%.
    """
    if case.problem == "dual_sourcing":
        return {"gamma": 0.999}
    if case.values["p"] >= 19 and case.values["L"] >= 2:
        return {"initial_state": DRAWN_START, "num_envs": 128}
    return {}


def ppo_steps(case: Case, steps: int) -> int:
    """PPO's steps for ``case``: ``steps`` at the default number of copies, scaled with the
    copies of :func:`ppo_settings` so that every case gets the same number of updates."""
    return steps * ppo_settings(case).get("num_envs", PPOConfig.num_envs) // PPOConfig.num_envs


#: PPO's restarts. Seed 0 is trained first; while the best gap to the optimal table on
#: :data:`VALIDATION` is above :data:`RESTART_GAP` % and fewer than :data:`MAX_SEEDS` seeds
#: were trained, the next seed is trained. The seed with the lowest validation cost is
#: kept. Validation runs on the heuristics' tuning seed; the table and the long evaluation
#: use other seeds, so the choice is not judged on the random numbers that made it. The
#: same rule runs for every case (a restart is a second run of ``supplysim train`` with
#: ``--seed 1``): at p = 19, L = 2 two 2M-step runs differing only in seed ended +1.36%
#: and +0.59% above the optimum, a spread one seed cannot average out.
RESTART_GAP = 0.75
MAX_SEEDS = 5


def seed_folder(out: Path, case: Case, seed: int) -> Path:
    """Where PPO's run with ``seed`` for ``case`` is kept (seed 0 in the case's folder)."""
    return out / case_name(case) if seed == 0 else out / f"{case_name(case)}-seed{seed}"


def train_seeds(case: Case, steps: int, out: Path) -> pd.DataFrame:
    """Train ``case`` by the restart rule (:data:`RESTART_GAP`); one row per seed trained
    with its validation gap, kept in ``cases/{case}.seeds.csv`` (resumed, not redone)."""
    kept = out / "cases" / f"{case_name(case)}.seeds.csv"
    rows = pd.read_csv(kept) if kept.exists() else pd.DataFrame()
    optimum, table = None, None
    while len(rows) < MAX_SEEDS and (rows.empty or rows["validation_gap_pct"].min() > RESTART_GAP):
        seed = len(rows)
        folder = seed_folder(out, case, seed)
        train_scenario(
            case.scenario(), case.node, folder, steps=ppo_steps(case, steps), seed=seed,
            progress=False, **ppo_settings(case),
        )  # fmt: skip
        if optimum is None:
            optimum = case.optimum()
            table = _long_costs(case, optimum.policy, VALIDATION)
        ppo = _long_costs(case, checkpoint(str(folder)), VALIDATION)
        gap = paired_gap(optimum.cost, table, ppo)
        # the curve's wall clock spans interrupted and resumed sessions of the same training
        minutes = pd.read_csv(folder / "learning_curve.csv")["wall_seconds"].iloc[-1] / 60
        row = {"seed": seed, "validation_gap_pct": gap[0], "validation_ci95_pct": gap[1],
               "minutes": round(minutes, 2)}  # fmt: skip
        rows = pd.concat([rows, pd.DataFrame([row])], ignore_index=True)
        write_text(kept, rows.to_csv(index=False))
    return rows


def run_one(case: Case, steps: int, out: Path, settings: Settings) -> pd.DataFrame:
    """Train (or resume) PPO for ``case`` by the restart rule, then its row of the table
    (all policies, PPO with the seed kept), kept in ``cases/{case}.csv``."""
    seeds = train_seeds(case, steps, out)
    best = seeds.iloc[int(np.argmin(seeds["validation_gap_pct"].to_numpy()))]
    seed = int(best["seed"])
    done = out / "cases" / f"{case_name(case)}.csv"
    if done.exists():
        rows = pd.read_csv(done)
        if "ppo_seed" in rows and int(rows["ppo_seed"].iloc[0]) == seed:
            return rows
    folder = seed_folder(out, case, seed)
    rows = pd.DataFrame(run_case(case, settings, {"PPO": lambda _: checkpoint(str(folder))}))
    ppo = ppo_settings(case)
    rows["ppo_steps"], rows["ppo_minutes"] = ppo_steps(case, steps), best["minutes"]
    rows["ppo_seed"], rows["ppo_seeds_trained"] = seed, len(seeds)
    rows["ppo_settings"] = ", ".join(f"{k}={v}" for k, v in ppo.items()) or "defaults"
    return rows


#: The long paired evaluation of PPO against the optimal table that the 1% bar is judged
#: on: the table's 4 x 3,200 periods leave a 95% CI of about +-0.8% of the optimum at
#: p = 39 (rare lost sales), too wide to tell +0.5% from +1.5%.
PRECISE = Settings(replications=16, periods=10_200, warmup=200, seed=3)
#: The evaluation that chooses among PPO's seeds (:data:`RESTART_GAP`), on the tuning seed.
VALIDATION = Settings(replications=8, periods=10_200, warmup=200, seed=Settings().tune_seed)


def _long_costs(case: Case, policy: Any, settings: Settings) -> np.ndarray:
    """Cost per period after the warm-up of each of ``settings``' replications."""
    return evaluate(
        case.scenario(),
        {case.node: policy},
        replications=settings.replications,
        periods=settings.periods,
        warmup=settings.warmup,
        seed=settings.seed,
    )


def paired_gap(optimum: float, table: np.ndarray, costs: np.ndarray) -> tuple[float, float]:
    """Mean paired gap of ``costs`` to the optimal table's (``table``), in % of the exact
    optimum ``optimum``, and its 95% CI half-width."""
    gap = 100 * (costs - table) / optimum
    n = len(gap)
    return gap.mean(), stats.t.ppf(0.975, n - 1) * gap.std(ddof=1) / np.sqrt(n)


def precise_gap(case: Case, folder: Path, seed: int) -> pd.DataFrame:
    """PPO's (the run of ``folder``, trained with ``seed``) paired gap to the optimal table
    over :data:`PRECISE`'s seeds (one row)."""
    optimum = case.optimum()
    table = _long_costs(case, optimum.policy, PRECISE)
    ppo = _long_costs(case, checkpoint(str(folder)), PRECISE)
    gap, half = paired_gap(optimum.cost, table, ppo)
    return pd.DataFrame(
        [{"case": case_name(case), "problem": case.problem, "label": case.label,
          "optimum": optimum.cost, "ppo_gap_pct": gap, "ppo_gap_ci95_pct": half,
          "table_cost": table.mean(), "ppo_cost": ppo.mean(), "ppo_seed": seed,
          "replications": PRECISE.replications, "periods": PRECISE.periods,
          "warmup": PRECISE.warmup, "seed": PRECISE.seed}]
    )  # fmt: skip


def _short(settings: Any) -> str:
    """A case's PPO settings in a few words."""
    if not isinstance(settings, str):  # cases run before settings were recorded
        return "defaults"
    if not settings.startswith("initial_state="):
        return settings
    copies = settings.partition("num_envs=")[2]
    return f"drawn start, {copies} copies" if copies else "drawn start"


def precise_markdown(precise: pd.DataFrame, table: pd.DataFrame) -> str:
    """PPO's long paired gap beside the table's best heuristic and the training time."""
    lines = [
        "| case | PPO gap, long paired evaluation | best tuned heuristic (table) | PPO minutes "
        "| PPO seed kept (runs) | PPO settings |",
        "|---|---|---|---|---|---|",
    ]
    for _, row in precise.iterrows():
        rows = table[table["case"] == row["label"]]
        heuristics = rows[~rows["policy"].isin(["optimum (VI table)", "PPO"])]
        gaps = 100 * heuristics["paired_diff"] / heuristics["optimum"]
        best = heuristics.iloc[int(np.argmin(gaps.to_numpy()))]
        settings = rows["ppo_settings"].iloc[0] if "ppo_settings" in rows else "defaults"
        lines.append(
            f"| {row['problem']} {row['label']} | {row['ppo_gap_pct']:+.2f} ± "
            f"{row['ppo_gap_ci95_pct']:.2f}% | {best['policy']} {gaps.min():+.2f}% | "
            f"{rows['ppo_minutes'].iloc[0]:.1f} | "
            f"{rows['ppo_seed'].iloc[0]} ({rows['ppo_seeds_trained'].iloc[0]}) | "
            f"{_short(settings)} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", help="comma-separated case names (default: all 22)")
    parser.add_argument("--steps", type=int, default=2_000_000, help="PPO steps per case")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--out", default="benchmarks/results/rl_table1")
    args = parser.parse_args()
    out, settings = Path(args.out), Settings()
    every = {case_name(c): c for c in cases()}
    names = args.cases.split(",") if args.cases else list(every)
    unknown = [n for n in names if n not in every]
    if unknown:
        parser.error(f"--cases: unknown {unknown}; known: {', '.join(every)}")
    done = {n: out / "cases" / f"{n}.csv" for n in names}
    started = time.perf_counter()

    def write_tables() -> None:
        """``rl_table1.csv`` and ``.md`` from every finished case of ``out`` (any run)."""
        kept = [out / "cases" / f"{n}.csv" for n in every]
        finished = [pd.read_csv(path) for path in kept if path.exists()]
        if not finished:
            return
        table = pd.concat(finished, ignore_index=True)
        write_text(out / "rl_table1.csv", table.to_csv(index=False))
        long = [out / "cases" / f"{n}.precise.csv" for n in every]
        precise = [pd.read_csv(path) for path in long if path.exists()]
        minutes = table.groupby("case", sort=False)["ppo_minutes"].first()
        text = (
            f"PPO: {args.steps:,} steps per run, the defaults of `supplysim train` "
            "except dual sourcing (gamma = 0.999) and lost sales with p >= 19, L >= 2 "
            "(episodes start from drawn states; 128 copies for twice the steps, the same "
            "updates on twice the batch; see `ppo_settings`); seed 0, restarted with "
            f"seeds 1 to {MAX_SEEDS - 1} while the gap on the tuning seed is above {RESTART_GAP}% (the seed "
            "with the lowest validation cost is kept; see `RESTART_GAP`); training minutes "
            f"of the kept run per case: {', '.join(f'{m:.1f}' for m in minutes)}.\n"
            f"Evaluation: {settings.replications} replications x {settings.periods} periods "
            f"(warm-up {settings.warmup}, seed {settings.seed}); heuristics tuned on seed "
            f"{settings.tune_seed}.\n\n" + markdown(table)
        )
        if precise:
            text += (
                f"\n### PPO against the optimum, long paired evaluation\n\n"
                f"{PRECISE.replications} replications x {PRECISE.periods} periods (warm-up "
                f"{PRECISE.warmup}, seed {PRECISE.seed}), PPO and the optimal table on the "
                "same random numbers; gap in % of the exact optimum, 95% CI.\n\n"
                + precise_markdown(pd.concat(precise, ignore_index=True), table)
            )
        write_text(out / "rl_table1.md", text)

    def save(name: str, rows: pd.DataFrame) -> None:
        write_text(done[name], rows.to_csv(index=False))
        write_tables()
        print(f"done {name} after {time.perf_counter() - started:.0f} s", flush=True)

    if args.workers > 1:
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            futures = {pool.submit(run_one, every[n], args.steps, out, settings): n for n in names}
            for future in as_completed(futures):
                save(futures[future], future.result())
    else:
        for n in names:
            save(n, run_one(every[n], args.steps, out, settings))
    # the long paired evaluation of every case that lacks one for the seed it kept
    kept = {n: int(pd.read_csv(done[n])["ppo_seed"].iloc[0]) for n in names}

    def evaluated(name: str) -> bool:
        path = out / "cases" / f"{name}.precise.csv"
        return path.exists() and int(pd.read_csv(path)["ppo_seed"].iloc[0]) == kept[name]

    missing = [n for n in names if not evaluated(n)]

    def keep(name: str, rows: pd.DataFrame) -> None:
        write_text(out / "cases" / f"{name}.precise.csv", rows.to_csv(index=False))
        write_tables()
        print(f"long evaluation of {name}: {rows['ppo_gap_pct'].iloc[0]:+.2f}%", flush=True)

    if args.workers > 1 and len(missing) > 1:
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            futures = {
                pool.submit(precise_gap, every[n], seed_folder(out, every[n], kept[n]), kept[n]): n
                for n in missing
            }
            for future in as_completed(futures):
                keep(futures[future], future.result())
    else:
        for n in missing:
            keep(n, precise_gap(every[n], seed_folder(out, every[n], kept[n]), kept[n]))
    write_tables()
    print((out / "rl_table1.md").read_text())


if __name__ == "__main__":
    main()
