"""Table II item 6: all four stages of Chen & Zheng's serial system learning (IPPO, MAPPO,
HAPPO) against the known optimum, 79.78 per period (echelon base-stock 13/22/31/39).

Poisson(4) demand, lead time 2 at every stage, local holding 4/3/2/1, backlog 20 at the
retailer, in-transit stock charged at the shipper's rate (the engine's textbook check,
``scenarios/library/clark_scarf.toml``). Every agent gets the team's reward (minus the
network's cost per period); each run trains on the vectorized engine's copy axis
(:func:`agents.learning.multi.train_team`: resumable, each agent's actor a checkpoint) and
is then evaluated greedily on common random numbers (the same seeds for every team: 16
copies of 1,200 periods, the first 200 left out) beside the optimal echelon base-stock team
and a random team; the gap to the optimal team is paired copy by copy (95% CI). The team
evaluated is the run's checkpoint (about every 5% of its steps) that does best on other
seeds (8 copies of 600 periods: validation); the last one's cost is kept beside it.

``--actions`` says what an agent's action chooses: ``quantity``, its order (0-16), or
``echelon_position``, the level to order its echelon inventory position up to
(:class:`sim.spaces.ActionMapping`; constant levels are an echelon base-stock policy).

Usage::

    python benchmarks/rl_table2.py [--algos ippo,mappo,happo] [--seeds 0,1,2]
        [--steps 600000] [--copies 64] [--ent-coef 0] [--actions quantity|echelon_position]
        [--out benchmarks/results/rl_table2]

writes ``OUT/<actions>_<algo>_seed<k>/`` (the run: curve, checkpoints, ``result.json``;
a finished run is skipped, an interrupted one resumes), then ``OUT/table.md`` (per run and
per algorithm) and ``OUT/curves.png`` (learning curves: mean and range over seeds).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from networks.io import atomic_path

OPTIMUM = 79.78
LEARNERS = ["stage1", "stage2", "stage3", "stage4"]
EVAL = {"copies": 16, "periods": 1200, "warmup": 200, "seed": 1_000_000}
#: Where a run's checkpoints are compared (other seeds than the evaluation's).
VALIDATION = {"copies": 8, "periods": 600, "warmup": 100, "seed": 2_000_000}


def evaluate(scenario, act, action: str, settings: dict | None = None) -> np.ndarray:
    """The team's cost per period in each copy of the evaluation (or ``settings``')."""
    from agents.learning.multi import team_cost
    from sim.multi import TeamVectorEnv

    s = settings or EVAL
    env = TeamVectorEnv.from_scenario(
        scenario, LEARNERS, s["copies"], periods=s["periods"], alpha=0.0, action=action
    )
    return team_cost(env, act, seed=s["seed"], warmup=s["warmup"], per_copy=True)


def team_of(folder: Path, step: int):
    """The greedy team of a run's checkpoints of ``step``, for :func:`evaluate`."""
    from agents.learning.policy import TorchPolicy, greedy_actions

    policies = {a: TorchPolicy.load(folder / a / "checkpoints" / f"step_{step}") for a in LEARNERS}

    def act(agent, obs):
        p = policies[agent]
        return greedy_actions(p.network, p.obs_rms, obs).reshape(len(obs)).astype(np.int64)

    return act


def optimal_team(action: str):
    """The echelon base-stock levels 13/22/31/39 played on the learners' observations: the
    check that the optimum is reachable from what the agents see and choose. Ordering
    quantities, a learner sees its local inventory position, so the optimum is played as
    the equivalent installation base-stock levels 13/9/9/8 (Axsaeter & Rosling); choosing
    echelon levels, it is the constant action."""
    if action == "echelon_position":
        echelon = dict(zip(LEARNERS, [13, 22, 31, 39], strict=True))
        return lambda agent, obs: np.full(len(obs), echelon[agent])
    levels = dict(zip(LEARNERS, [13, 9, 9, 8], strict=True))

    def act(agent, obs):
        position = obs[:, 2] * 4.0  # the layout divides by the mean demand
        return np.clip(np.rint(levels[agent] - position), 0, 16).astype(np.int64)

    return act


def run_one(scenario, algo: str, seed: int, args, folder: Path) -> dict:
    """Train one team (or resume it) and evaluate it; the result is kept in the folder."""
    from agents.learning.multi import MultiConfig, greedy, train_team
    from sim.multi import TeamVectorEnv

    done = folder / "result.json"
    if done.is_file():
        return json.loads(done.read_text(encoding="utf-8"))
    env = TeamVectorEnv.from_scenario(
        scenario, LEARNERS, args.copies, periods=args.periods, alpha=0.0, action=args.actions
    )
    config = MultiConfig(
        total_steps=args.steps,
        num_envs=args.copies,
        algo=algo,
        seed=seed,
        ent_coef=args.ent_coef,
    )
    tic = time.perf_counter()
    learner = train_team(env, config, folder, progress=False)
    minutes = (time.perf_counter() - tic) / 60
    # The checkpoint kept is the best of the run's on validation seeds (not the test's).
    steps = sorted(
        int(p.name.split("_")[1]) for p in (folder / LEARNERS[0] / "checkpoints").glob("step_*")
    )
    validation = {
        step: float(evaluate(scenario, team_of(folder, step), args.actions, VALIDATION).mean())
        for step in steps
    }
    chosen = min(validation, key=validation.get)
    result = {
        "actions": args.actions,
        "algo": algo,
        "seed": seed,
        "steps": args.steps,
        # this session's training time (a resumed run counts only what it added)
        "minutes": round(minutes, 2),
        "chosen_step": chosen,
        "validation": {str(k): round(v, 4) for k, v in validation.items()},
        "costs": evaluate(scenario, team_of(folder, chosen), args.actions).tolist(),
        "final_costs": evaluate(scenario, greedy(learner), args.actions).tolist(),
    }
    with atomic_path(done) as tmp:
        Path(tmp).write_text(json.dumps(result), encoding="utf-8")
    return result


def by_form(results: list[dict]) -> dict[tuple[str, str], list[dict]]:
    """The runs of each (action form, algorithm), in the order first met."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in results:
        groups.setdefault((r["actions"], r["algo"]), []).append(r)
    return groups


def report(
    out: Path,
    results: list[dict],
    optimal: np.ndarray,
    random: np.ndarray,
    actions: str,
    periods: int,
    reference: float,
) -> None:
    """``table.md`` (each run's cost and paired gap to the optimal team; per algorithm the
    mean over seeds) and ``curves.png``."""
    from analysis.files import write_text
    from analysis.statistics import mean_ci

    def gap(costs) -> str:
        d = mean_ci(100 * (np.asarray(costs) / optimal - 1))
        return f"{d.mean:+.2f} ± {d.half_width:.2f}"

    lines = [
        "# Table II item 6: Chen & Zheng's 4-stage serial system, every stage learning",
        "",
        f"Evaluation: {EVAL['copies']} copies x {EVAL['periods'] - EVAL['warmup']} periods "
        f"after {EVAL['warmup']} (seeds from {EVAL['seed']}), greedy actions; team cost per "
        "period (95% CI over copies); gap to the optimal team on the same random numbers, "
        "paired by copy.",
        "",
        f"Optimal echelon base stock 13/22/31/39: **{optimal.mean():.2f}** (published "
        f"{OPTIMUM}); a random team ({actions} actions): {random.mean():,.2f}.",
        "",
        "| actions | algorithm | seed | steps | training minutes | checkpoint kept (step) | "
        "team cost | gap to the optimal team, % | last checkpoint's gap, % |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        c = mean_ci(r["costs"])
        lines.append(
            f"| {r['actions']} | {r['algo']} | {r['seed']} | {r['steps']:,} | {r['minutes']} "
            f"| {r['chosen_step']:,} | {c.mean:.2f} ± {c.half_width:.2f} | {gap(r['costs'])} "
            f"| {gap(r['final_costs'])} |"
        )
    lines += ["", "| actions | algorithm | seeds | mean gap over seeds, % | worst seed, % |"]
    lines.append("|---|---|---|---|---|")
    for (actions, algo), runs in by_form(results).items():
        gaps = [100 * (np.mean(r["costs"]) / optimal.mean() - 1) for r in runs]
        lines.append(
            f"| {actions} | {algo} | {len(runs)} | {np.mean(gaps):+.2f} | {max(gaps):+.2f} |"
        )
    write_text(out / "table.md", "\n".join(lines) + "\n")
    plot_curves(out, results, periods, reference).savefig(out / "curves.png", dpi=120)


def plot_curves(out: Path, results: list[dict], periods: int, reference: float) -> Any:
    """The team's cost per period over each training episode (``periods`` periods from the
    network's start, stochastic policies; the mean over the copies' episodes that closed in
    a rollout) against steps: per algorithm the mean over seeds and the band from the best
    to the worst seed, beside ``reference``, the optimal team's cost on such episodes (a
    matplotlib Figure)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from agents.learning.trainer import _read_curve

    fig = Figure(figsize=(7, 4.5), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    for (actions, algo), runs in by_form(results).items():
        curves = []
        for r in runs:
            rows = _read_curve(out / f"{actions}_{algo}_seed{r['seed']}" / "learning_curve.csv")
            closed = [row for row in rows if np.isfinite(float(row["mean_return"]))]
            curves.append(
                {int(row["step"]): -float(row["mean_return"]) / periods for row in closed}
            )
        steps = sorted(set.intersection(*(set(c) for c in curves)))
        cost = np.array([[c[k] for k in steps] for c in curves])
        ax.plot(steps, cost.mean(axis=0), label=f"{algo.upper()} ({actions}), {len(runs)} seeds")
        ax.fill_between(steps, cost.min(axis=0), cost.max(axis=0), alpha=0.2)
    ax.axhline(
        reference,
        color="k",
        linestyle="--",
        label=f"optimal echelon base stock on the same episodes: {reference:.2f}",
    )
    ax.set_ylim(reference * 0.95, reference * 1.5)
    ax.set_xlabel("environment steps (periods x copies)")
    ax.set_ylabel(f"team cost per period over a {periods}-period\ntraining episode (money)")
    ax.set_title("Chen & Zheng's 4-stage serial system, every stage learning (training)")
    ax.legend(fontsize=8)
    return fig


def main(argv: list[str] | None = None) -> None:
    import torch

    from scenarios import resolve
    from sim.multi import TeamVectorEnv

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--algos", default="ippo,mappo,happo")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--steps", type=int, default=600_000)
    parser.add_argument("--copies", type=int, default=64)
    parser.add_argument(
        "--ent-coef",
        type=float,
        default=0.0,
        help="PPO's entropy bonus (PPOConfig.ent_coef; 0.01 keeps 73 levels spread: +2.5-6%%)",
    )
    parser.add_argument("--periods", type=int, default=100)
    parser.add_argument(
        "--actions",
        choices=("quantity", "echelon_position"),
        default="quantity",
        help="what an agent's action chooses: its order, or its echelon order-up-to level",
    )
    parser.add_argument("--out", default="benchmarks/results/rl_table2")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    scenario = resolve("clark_scarf")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    optimal = evaluate(scenario, optimal_team(args.actions), args.actions)
    print(f"optimal team: {optimal.mean():.2f} (optimum {OPTIMUM})")
    probe = TeamVectorEnv.from_scenario(scenario, LEARNERS, 1, action=args.actions)
    choices = {a: probe.mappings[a].n for a in LEARNERS}
    random = evaluate(scenario, lambda a, o: rng.integers(0, choices[a], len(o)), args.actions)
    print(f"random team: {random.mean():.2f}")
    for algo in args.algos.split(","):
        for seed in map(int, args.seeds.split(",")):
            folder = out / f"{args.actions}_{algo}_seed{seed}"
            r = run_one(scenario, algo, seed, args, folder)
            cost = float(np.mean(r["costs"]))
            print(f"{algo} seed {seed}: {cost:.2f} ({100 * (cost / OPTIMUM - 1):+.1f}%), "
                  f"{r['minutes']} min", flush=True)  # fmt: skip
    results = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(out.glob("*/result.json"))]
    # the optimal team on training-like episodes: from the start, no warm-up
    episodes = {"copies": args.copies, "periods": args.periods, "warmup": 0, "seed": 0}
    reference = float(evaluate(scenario, optimal_team(args.actions), args.actions, episodes).mean())
    report(out, results, optimal, random, args.actions, args.periods, reference)
    print(f"wrote {out}/table.md and curves.png")


if __name__ == "__main__":
    main()
