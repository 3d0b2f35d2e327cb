"""Issue 10's "Must show" 3 and 4: the trained firm against each competitor strategy,
self-play of two learning firms, and a figure for a pricing analyst.

Run: ``PYTHONPATH=. nice -n 10 python benchmarks/pricing_competitors.py [--steps N]
[--parts strategies,selfplay,analyst] [--out DIR]``.

**Strategies.** Case (a) of the seed paper's §V against three rivals: ``fixed`` (a fixed
price of 30: the built-in ``pricing_a``, Fig. 1's case (a); here PPO learns a stationary
policy, as against the other rivals, while Fig. 1's plans for its 100 periods),
``undercut`` (``pricing_undercut``: one step below the firm's price, down to 10) and
``follow`` (``pricing_follow``: the firm's price of two periods before). Each is
:func:`benchmarks.pricing_fig1.run_case` unchanged: the three heuristics tuned against that
rival by the same coordinate search on the tuning seeds, PPO over price and quantity in
Fig. 1's form (:func:`benchmarks.pricing_fig1.ppo_action`: an order-up-to level here)
trained for ``--steps`` on ``--num-envs`` copies (300k and 16 by default; the committed
runs used 3M and 64, see benchmarks/README.md), every policy
evaluated on the same evaluation seeds (common random numbers) with 95% CIs and PPO's
paired difference to the best tuned heuristic. Then, on those evaluation seeds, the mean
price path of the firm and of the rival per period, for PPO and for the best heuristic.

**Self-play.** ``pricing_selfplay``: two symmetric firms of case (a), each the other's
competitor in one market (Eq. (3) with the other's price). Both learn at once: IPPO
(:class:`agents.learning.multi.MultiPPO`, one network per firm, each on its own profit)
on :class:`sim.multi.EventTeamVectorEnv` (copies of the event engine, which has the
market layer). Where prices settle: each firm's mean price over the last
``--settle`` periods of the evaluation episodes (greedy actions), with a 95% CI over the
evaluation seeds; beside the references of :func:`references`, computed on Eq. (3)'s
expected one-period profit ``(p - c) * rate(p, o, r = p)`` (no inventory limit, the
reference price at its steady state ``r = p``): the single-firm optimum against the fixed
rival at 30, the joint (collusive) optimum of a common price, and the static Nash
(Bertrand) equilibrium found by best-response iteration on the integer price grid.

**Analyst figure.** The PPO trained against the fixed rival and its tuned heuristics
(``OUT/fixed``): one evaluation episode (seed and window named in the figure) with the
firm's and the rival's price, the reference price, arrivals and net inventory; and the
price each policy sets as a function of the net inventory at the start of a period,
reference price and rival at 30. The plotted numbers are written to ``analyst.csv`` and
``analyst.json`` (the summary), which the tests compare.

Every step writes its result atomically and is skipped when present (resumable); trained
policies go to ``OUT/<strategy>/ppo`` and ``OUT/selfplay/`` (checkpoints git-ignored).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.experiment import replication_seed
from analysis.files import write_text
from analysis.statistics import mean_ci
from benchmarks.pricing_fig1 import EVAL_SEED, FIRM, heuristics, run_case
from scenarios import resolve
from sim import SupplyChainModel

#: strategy -> (scenario, the case name pricing_fig1.run_case resolves as pricing_<case>)
STRATEGIES = {"fixed": "a", "undercut": "undercut", "follow": "follow"}
LABELS = ("BSLP", "(s,S,p)", "myopic", "PPO")
FIRMS = ("firm1", "firm2")


# ---------------------------------------------------------------------- runs
def tables(scenario: Any, modules: dict[Any, Any], seeds: list[int], periods: int) -> list[Any]:
    """The engine's table of each seed with ``modules`` in place of the scenario's."""
    graph = scenario.network()
    policies = {**scenario.policies(graph), **modules}
    market = scenario.market(graph)
    out = []
    for seed in seeds:
        model = SupplyChainModel(graph, policies, seed=seed, market=market, **scenario.options)
        model.run(periods)
        out.append(model.results())
    return out


def price_paths(scenario: Any, module: Any, seeds: list[int], periods: int) -> dict[str, list]:
    """Per period, the mean over ``seeds`` of the firm's price and of the rival's (money)."""
    runs = tables(scenario, {FIRM: module}, seeds, periods)
    price = np.array([t.loc[t.node == FIRM, "price"].to_numpy() for t in runs])
    rival = np.array([t.loc[t.node == FIRM, "competitor_price"].to_numpy() for t in runs])
    return {"price": price.mean(axis=0).tolist(), "rival": rival.mean(axis=0).tolist()}


def load_ppo(folder: Path) -> Any:
    from agents.learning import TorchPolicy

    return TorchPolicy.load(folder)


def run_strategy(name: str, out: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Tune, train and evaluate against one rival (``pricing_fig1.run_case``), then the
    price paths; cached in ``out/<name>/paths.json``."""
    case = STRATEGIES[name]
    folder = out / name
    result = run_case(case, folder, args)
    done = out / name / "paths.json"
    if done.is_file():
        paths = json.loads(done.read_text(encoding="utf-8"))
    else:
        scenario = resolve(f"pricing_{case}")
        seeds = [replication_seed(EVAL_SEED, r) for r in range(args.eval_seeds)]
        best = result["best_heuristic"]
        make = heuristics(scenario)[best][0]
        paths = {
            "PPO": price_paths(scenario, load_ppo(folder / "ppo"), seeds, scenario.periods),
            best: price_paths(
                scenario, make(result["policies"][best]["parameters"]), seeds, scenario.periods
            ),
        }
        write_text(done, json.dumps(paths) + "\n")
    return {"strategy": name, "result": result, "paths": paths}


def report_strategies(rows: list[dict[str, Any]], out: Path, settle: int) -> list[str]:
    """``competitors.csv``, ``price_paths.csv``, ``competitors.png``; returns the markdown."""
    csv = ["strategy,policy,profit,half_width"]
    md = [
        "## Against each competitor strategy: profit per period (money), 95% CI, paired\n",
        "| rival | " + " | ".join(LABELS) + " | PPO - best (95% CI) | PPO price | rival price |",
        "|---|---|---|---|---|---|---|---|",
    ]
    paths_csv = ["strategy,policy,period,price,rival_price"]
    for row in rows:
        r, name = row["result"], row["strategy"]
        cells = []
        for label in LABELS:
            p = r["policies"][label]
            csv.append(f"{name},{label},{p['profit']:.4f},{p['half_width']:.4f}")
            cells.append(f"{p['profit']:.2f} ± {p['half_width']:.2f}")
        d = r["ppo_minus_best"]
        ppo = row["paths"]["PPO"]
        tail = slice(-settle, None)
        md.append(
            f"| {name} | " + " | ".join(cells) + f" | {d['mean']:+.2f} ± {d['half_width']:.2f}"
            f" vs {r['best_heuristic']} | {np.mean(ppo['price'][tail]):.2f} | "
            f"{np.mean(ppo['rival'][tail]):.2f} |"
        )
        for label, path in row["paths"].items():
            for t, (p, o) in enumerate(zip(path["price"], path["rival"], strict=True)):
                paths_csv.append(f"{name},{label},{t},{p:.4f},{o:.4f}")
    md.append(
        f"\nPPO price, rival price: means over the last {settle} periods of the evaluation "
        "episodes' mean price paths (`price_paths.csv`)."
    )
    write_text(out / "competitors.csv", "\n".join(csv) + "\n")
    write_text(out / "price_paths.csv", "\n".join(paths_csv) + "\n")
    plot_paths(rows, out / "competitors.png")
    return md


def plot_paths(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from analysis.plots import save_figure

    fig, axes = plt.subplots(1, len(rows), figsize=(4 * len(rows), 3.2), sharey=True)
    for ax, row in zip(np.atleast_1d(axes), rows, strict=True):
        for k, (label, p) in enumerate(row["paths"].items()):
            t = np.arange(len(p["price"]))
            ax.plot(t, p["price"], color=f"C{k}", label=f"{label}: firm")
            ax.plot(t, p["rival"], color=f"C{k}", ls="--", label=f"{label}: rival")
        ax.set_title(f"rival: {row['strategy']}")
        ax.set_xlabel("period")
        ax.legend(fontsize=7)
    np.atleast_1d(axes)[0].set_ylabel("mean price over evaluation seeds (money/unit)")
    save_figure(fig, path)


# ---------------------------------------------------------------------- self-play
def expected_profit(demand: Any, price: np.ndarray, rival: float, unit_cost: float) -> np.ndarray:
    """Eq. (3)'s expected one-period profit ``(p - c) * rate(p, o, r = p)`` of each price
    in ``price`` against one rival at ``rival`` (no inventory limit, no holding or shortage
    cost, the reference price at its steady state ``r = p``; money per period)."""
    p = np.asarray(price, dtype=np.float64)
    return (p - unit_cost) * demand.rates(p, [float(rival)], p)


def references(demand: Any, unit_cost: float, low: float, high: float) -> dict[str, Any]:
    """On the integer price grid ``low .. high``: the best response to each rival price,
    the single-firm optimum against a fixed rival at 30, the joint optimum (both firms at
    one price, maximising each firm's profit), and the static Nash (Bertrand) equilibria:
    the pure equilibria ``(p1, p2)`` with ``p1 = BR(p2)`` and ``p2 = BR(p1)``, and where
    best-response iteration from 30 ends (its first repeated pair; a cycle if longer)."""
    grid = np.arange(low, high + 1.0)
    br = {
        float(o): float(grid[np.argmax(expected_profit(demand, grid, o, unit_cost))]) for o in grid
    }
    joint = np.array([expected_profit(demand, [p], p, unit_cost)[0] for p in grid])
    nash = [(a, br[a]) for a in br if br[br[a]] == a]
    pair, seen = (30.0, 30.0), []
    while pair not in seen:
        seen.append(pair)
        pair = (br[pair[1]], br[br[pair[1]]])
    cycle = seen[seen.index(pair) :]
    single = br[30.0]
    return {
        "best_response": br,
        "single_firm_vs_30": single,
        "single_firm_profit": float(expected_profit(demand, [single], 30.0, unit_cost)[0]),
        "joint_price": float(grid[np.argmax(joint)]),
        "joint_profit": float(joint.max()),
        "nash": [[a, b] for a, b in nash],
        "nash_profits": [float(expected_profit(demand, [a], b, unit_cost)[0]) for a, b in nash],
        "best_response_iteration": [list(x) for x in cycle],
    }


def selfplay_env(scenario: Any, num_envs: int, seed: int) -> Any:
    """Both firms of ``scenario`` as learners, each rewarded with its own profit."""
    from analysis.learning import EPISODE_PERIODS
    from sim.multi import EventTeamVectorEnv

    periods = min(scenario.periods, EPISODE_PERIODS)
    return EventTeamVectorEnv.from_scenario(
        scenario, list(FIRMS), num_envs, periods=periods, reward="profit", seed=seed
    )


def train_selfplay(scenario: Any, out: Path, steps: int, num_envs: int, seed: int, lr: float):
    """IPPO of both firms into ``out`` (resumes a run found there)."""
    from agents.learning.multi import MultiConfig, train_team

    config = MultiConfig(
        total_steps=steps, num_envs=num_envs, seed=seed, lr=lr, algo="ippo", share=False
    )
    return train_team(selfplay_env(scenario, num_envs, seed), config, out, progress=False)


def run_selfplay(out: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Train both firms, then evaluate them greedily on the evaluation seeds; cached in
    ``out/selfplay/result.json``."""
    done = out / "selfplay" / "result.json"
    if done.is_file():
        return json.loads(done.read_text(encoding="utf-8"))
    scenario = resolve("pricing_selfplay")
    graph = scenario.network()
    market = scenario.market(graph)
    steps = args.selfplay_steps or args.steps
    train_selfplay(scenario, out / "selfplay", steps, args.num_envs, args.seed, args.lr)
    # the training's wall time, across resumes: the learning curve's last row
    curve = (out / "selfplay" / "learning_curve.csv").read_text(encoding="utf-8").split()
    seconds = float(curve[-1].split(",")[1])
    seeds = [replication_seed(EVAL_SEED, r) for r in range(args.eval_seeds)]
    modules = {f: load_ppo(out / "selfplay" / f) for f in FIRMS}
    runs = tables(scenario, modules, seeds, scenario.periods)
    result: dict[str, Any] = {"steps": steps, "train_seconds": round(seconds, 1)}
    result["settle_periods"] = args.settle
    for f in FIRMS:
        price = np.array([t.loc[t.node == f, "price"].to_numpy() for t in runs])
        profit = np.array([t.loc[t.node == f, "profit"].mean() for t in runs])
        settled, est = price[:, -args.settle :].mean(axis=1), None
        est = mean_ci(settled) if np.ptp(settled) > 0 else None
        result[f] = {
            "settled_price": float(settled.mean()),
            "settled_half_width": est.half_width if est else 0.0,
            "profit": float(profit.mean()),
            "profit_half_width": mean_ci(profit).half_width,
            "price_path": price.mean(axis=0).tolist(),
        }
    unit_cost = float(next(iter(graph.edges(data=True)))[2]["unit_cost"])
    ref = references(market.demand, unit_cost, market.low, market.high)
    result["references"] = ref
    # how far each firm's settled price is from a best response to the other's (rounded)
    for f, other in zip(FIRMS, reversed(FIRMS), strict=True):
        mine, theirs = result[f]["settled_price"], round(result[other]["settled_price"])
        br = ref["best_response"][float(theirs)]
        gain = expected_profit(market.demand, [br, mine], theirs, unit_cost)
        result[f]["best_response"] = br
        result[f]["best_response_gain"] = float(gain[0] - gain[1])
    write_text(done, json.dumps(result, indent=2) + "\n")
    return result


def report_selfplay(r: dict[str, Any]) -> list[str]:
    ref = r["references"]
    md = [
        "\n## Self-play: both firms learn (`pricing_selfplay`, IPPO)\n",
        f"Trained {r['steps']} steps in {r['train_seconds'] / 60:.1f} min (wall time); greedy "
        f"evaluation on the evaluation seeds, prices over the last {r['settle_periods']} "
        "periods of each episode (mean, 95% CI over seeds).\n",
        "| firm | settled price | profit per period | best response to the other | "
        "its expected gain |",
        "|---|---|---|---|---|",
    ]
    for f in FIRMS:
        x = r[f]
        md.append(
            f"| {f} | {x['settled_price']:.2f} ± {x['settled_half_width']:.2f} | "
            f"{x['profit']:.2f} ± {x['profit_half_width']:.2f} | {x['best_response']:g} | "
            f"{x['best_response_gain']:+.1f} |"
        )
    nash = ", ".join(f"({a:g}, {b:g})" for a, b in ref["nash"]) or "none in pure prices"
    cycle = np.array(ref["best_response_iteration"], dtype=float)
    md += [
        "",
        "References on Eq. (3)'s expected one-period profit `(p - 10) * rate(p, o, r = p)` "
        "(no inventory limit, integer prices):",
        f"single-firm optimum against a rival fixed at 30: {ref['single_firm_vs_30']:g} "
        f"({ref['single_firm_profit']:.1f} per period); joint optimum of a common price: "
        f"{ref['joint_price']:g} ({ref['joint_profit']:.1f}); static Nash (Bertrand) "
        f"equilibria by grid best response: {nash}; alternating best responses from 30 "
        f"cycle over {cycle.min():g}..{cycle.max():g} (an Edgeworth cycle: undercut by one "
        f"down to {cycle.min():g}, then jump to {cycle.max():g}; mean price "
        f"{cycle.mean():.1f}). Best response to the other and its expected gain: on the same "
        "one-period expected profit, at the other's settled price rounded.",
    ]
    return md


# ---------------------------------------------------------------------- analyst figure
class _Recorder:
    """A firm module that records the observations it is given and asks ``module``."""

    def __init__(self, module: Any):
        self.module, self.seen = module, []
        self.observes = getattr(module, "observes", ())  # the optional fields it reads

    def act(self, obs: Any) -> Any:
        self.seen.append(obs)
        return self.module.act(obs)


def analyst_summary(
    scenario: Any, learned: Any, case_a: dict[str, Any], seed_index: int = 0, rival: float = 30.0
) -> dict[str, Any]:
    """The numbers of the analyst figure: one evaluation episode of ``learned`` at the
    firm (evaluation seed ``seed_index``, all its periods), and the price that ``learned``,
    the tuned (s, S, p), myopic and BSLP rules (``case_a``: case (a)'s ``run_case`` result)
    set as a function of the net inventory ``x`` at the start of a period (no backlog when
    ``x >= 0``, nothing in transit, so the inventory position is ``x``; the rival and the
    reference price at ``rival``, the firm's current price and last period's demand as when
    the episode's period 10 started)."""
    seed = replication_seed(EVAL_SEED, seed_index)
    recorder = _Recorder(learned)
    (table,) = tables(scenario, {FIRM: recorder}, [seed], scenario.periods)
    t = table[table.node == FIRM]
    episode = {
        name: t[column].to_numpy(dtype=float).tolist()
        for name, column in (
            ("period", "period"),
            ("price", "price"),
            ("rival", "competitor_price"),
            ("reference", "reference_price"),
            ("arrivals", "demand"),
            ("on_hand", "on_hand"),
            ("backlog", "backlog"),
            ("profit", "profit"),
        )
    }
    base = recorder.seen[min(10, len(recorder.seen) - 1)]
    xs = np.arange(-10.0, 51.0)
    made = {k: v[0] for k, v in heuristics(scenario).items()}
    rules = {"PPO": learned}
    for label in ("(s,S,p)", "myopic", "BSLP"):
        rules[label] = made[label](case_a["policies"][label]["parameters"])
    curves: dict[str, list[float]] = {"x": xs.tolist()}
    for label, module in rules.items():
        prices = []
        for x in xs:
            obs = base._replace(
                on_hand=max(x, 0.0),
                backlog=max(-x, 0.0),
                pipeline=0.0,
                inventory_position=x,
                pipeline_by_supplier=(0.0,) * len(base.pipeline_by_supplier),
                arrivals=None if base.arrivals is None else (0.0,) * len(base.arrivals),
                competitor_prices=(rival,) * len(base.competitor_prices),
                reference_price=rival,
            )
            prices.append(float(module.act(obs).price))
        curves[label] = prices
    return {
        "scenario": scenario.name,
        "seed": seed,
        "seed_index": seed_index,
        "window": [int(episode["period"][0]), int(episode["period"][-1])],
        "policy_state": {
            "rival": rival,
            "reference": rival,
            "price": base.price,
            "demand": base.demand,
        },
        "episode": episode,
        "price_of_inventory": curves,
        "episode_profit": float(np.mean(episode["profit"])),
    }


def plot_analyst(summary: dict[str, Any]) -> Any:
    """The analyst figure of ``summary`` (:func:`analyst_summary`); returns the Figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    e, c = summary["episode"], summary["price_of_inventory"]
    fig, axes = plt.subplots(2, 2, figsize=(11, 7), layout="constrained")
    (a, b), (d, f) = axes
    t = e["period"]
    a.step(t, e["price"], where="post", label="firm (PPO)")
    a.step(t, e["rival"], where="post", label="rival (fixed)")
    a.plot(t, e["reference"], label="reference price")
    a.set_ylabel("price (money/unit)")
    a.set_title("prices")
    b.bar(t, e["arrivals"], width=0.9, color="C2", label="arrivals (customer demand)")
    b.set_ylabel("units per period")
    b.set_title("arrivals")
    d.step(t, e["on_hand"], where="post", label="on hand")
    d.step(t, e["backlog"], where="post", label="backlog")
    d.set_ylabel("units (start of period, after receipts)")
    d.set_title("inventory")
    for ax in (a, b, d):
        ax.set_xlabel("period")
        ax.legend(fontsize=8)
    styles = {"PPO": ("C0", "-", 3.0), "(s,S,p)": ("C1", "-", 1.5), "myopic": ("C2", "-", 1.5)}
    styles["BSLP"] = ("C3", ":", 1.5)
    for label in ("PPO", "(s,S,p)", "myopic", "BSLP"):
        color, ls, lw = styles[label]
        f.step(c["x"], c[label], where="mid", label=label, color=color, ls=ls, lw=lw)
    f.set_xlabel("net inventory at the start of a period, x = on hand - backlog (units)")
    f.set_ylabel("price set (money/unit)")
    s = summary["policy_state"]
    f.set_title(f"price as a function of inventory (rival = reference = {s['rival']:g})")
    f.legend(fontsize=8)
    w = summary["window"]
    fig.suptitle(
        f"{summary['scenario']}: trained PPO firm, evaluation seed {summary['seed']} "
        f"(index {summary['seed_index']}), periods {w[0]}-{w[1]}; "
        f"profit {summary['episode_profit']:.1f} per period"
    )
    return fig


def run_analyst(out: Path, args: argparse.Namespace) -> dict[str, Any]:
    """``analyst.json``, ``analyst.csv`` and ``analyst.png`` from the case-(a) PPO of
    the fixed rival (``out/fixed``, trained there if absent) and its tuned heuristics."""
    from analysis.plots import save_figure

    fixed_dir = out / "fixed"
    fixed = run_case(STRATEGIES["fixed"], fixed_dir, args)  # cached, or the whole case
    scenario = resolve("pricing_a")
    summary = analyst_summary(scenario, load_ppo(fixed_dir / "ppo"), fixed)
    write_text(out / "analyst.json", json.dumps(summary, indent=1) + "\n")
    e, c = summary["episode"], summary["price_of_inventory"]
    rows = ["series,period_or_x,value"]
    for name in ("price", "rival", "reference", "arrivals", "on_hand", "backlog"):
        rows += [f"{name},{int(t)},{v:g}" for t, v in zip(e["period"], e[name], strict=True)]
    for label in ("PPO", "(s,S,p)", "myopic", "BSLP"):
        rows += [
            f"price_of_inventory:{label},{x:g},{v:g}" for x, v in zip(c["x"], c[label], strict=True)
        ]
    write_text(out / "analyst.csv", "\n".join(rows) + "\n")
    save_figure(plot_analyst(summary), out / "analyst.png")
    return summary


def report_analyst(summary: dict[str, Any]) -> list[str]:
    e, c = summary["episode"], summary["price_of_inventory"]
    x = np.array(c["x"])
    at = {v: int(np.flatnonzero(x == v)[0]) for v in (0.0, 20.0, 30.0, 40.0)}
    return [
        "\n## Analyst figure (`analyst.png`, numbers in `analyst.csv` / `analyst.json`)\n",
        "Case (a), the PPO trained against the fixed rival, evaluation seed "
        f"{summary['seed']}, periods {summary['window'][0]}-{summary['window'][1]}: mean price "
        f"{np.mean(e['price']):.2f} (rival {np.mean(e['rival']):.2f}), profit "
        f"{summary['episode_profit']:.1f} per period. Price set at net inventory "
        + ", ".join(
            f"x = {v:g}: PPO {c['PPO'][k]:g}, (s,S,p) {c['(s,S,p)'][k]:g}, myopic "
            f"{c['myopic'][k]:g}"
            for v, k in at.items()
        )
        + ".",
    ]


# ---------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="benchmarks/results/pricing_competitors")
    parser.add_argument("--parts", default="strategies,selfplay,analyst")
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument("--steps", type=int, default=300_000, help="PPO environment steps")
    parser.add_argument(
        "--selfplay-steps", type=int, default=None, help="self-play steps (default --steps)"
    )
    parser.add_argument("--num-envs", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tune-seeds", type=int, default=10)
    parser.add_argument("--eval-seeds", type=int, default=30)
    parser.add_argument("--settle", type=int, default=50, help="periods at the episodes' end")
    # run_case's options this script does not offer: Fig. 1's action form, a stationary PPO
    parser.set_defaults(action=None, finite_horizon=False, end_game=0)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    parts = args.parts.split(",")
    md = ["# Pricing against competitors (seed paper §V, issue 10)\n"]
    if "strategies" in parts:
        rows = [run_strategy(s, out, args) for s in args.strategies.split(",")]
        md += report_strategies(rows, out, args.settle)
    if "selfplay" in parts:
        md += report_selfplay(run_selfplay(out, args))
    if "analyst" in parts:
        md += report_analyst(run_analyst(out, args))
    write_text(out / "competitors.md", "\n".join(md) + "\n")
    print((out / "competitors.md").read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
