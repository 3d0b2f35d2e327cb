"""Table II with every stock point learning (IPPO, MAPPO, HAPPO), against the policy the
team must beat, on common random numbers. Cases (``--case``):

``chen_zheng`` (item 6): Chen & Zheng's 4-stage serial system against its known optimum,
79.78 per period (echelon base stock 13/22/31/39): Poisson(4) demand, lead time 2 at every
stage, local holding 4/3/2/1, backlog 20 at the retailer, in-transit stock charged at the
shipper's rate (the engine's textbook check, ``scenarios/library/clark_scarf.toml``).

``owmr`` (item 4, the A3C row): one warehouse and four retailers with lost sales
(``scenarios/library/owmr_lost_sales.toml``) against the best constant base-stock levels,
tuned jointly (:func:`analysis.tune.tune_jointly`, five levels searched together on the
scenario's common random numbers; the levels are kept in ``OUT/baseline.json``).

``serial_jump``, ``serial_jump_fixed_cost``, ``serial_poisson``,
``serial_poisson_fixed_cost`` (item 2, the HAPPO rows): Liu et al. (2023)'s 3-stage chain
(``scenarios/library/serial_jump*.toml``: lead time 4, holding and backlog 1 everywhere,
10 on hand and 10 per lot in transit at the start, orders 0-20, 200-period episodes, each
agent rewarded ``0.5 * own + 0.5 * team``) with jump-diffusion or Poisson(10) demand,
against the non-stationary base-stock policy (no fixed cost) or (s, S) policy (a fixed
cost of 5 per order), levels following the last demand seen, tuned jointly
(:class:`agents.DemandTrackingBaseStock`, :class:`agents.DemandTrackingSS`). Evaluated on
whole 200-period episodes from the start.

``two_per_echelon`` (item 3, HAPPO's second row): three echelons of two actors
(``scenarios/library/two_per_echelon_jump.toml``), each buyer ordering 0-4 units a period
from each of its two upstream actors (its own: lead time 4, 0.1 a unit; the other: lead time
2, 0.2 a unit), jump-diffusion demand at both retailers, each agent rewarded ``0.75 * own +
0.25 * team``. Against the dual-index policy and, reported beside it, the capped dual-index
and tailored base-surge policies, **adapted to the network** by taking a buyer's own
upstream actor as its regular supplier and the other one as its expedited supplier (the
factories: a regular and an express source), each policy's parameters tuned jointly over
the six actors. The learners choose quantities (entropy bonus 0.01: without one, greedy
orders settle on one value whatever the state).

``beer_classic_retailer``, ``beer_classic_wholesaler``, ``beer_poisson_retailer``,
``beer_poisson_wholesaler`` (item 1, the DQN row): the beer game (``beer_game.toml``), one
stage learning (``--algos dqn``: one learner; its three teammates play Sterman's rule as
declared) on the network's cost, against the best base-stock level for that stage given the
same teammates (tuned); demand 4 then 8 from week 5 (``classic``: deterministic, so two
copies say all) or Poisson(4), 52-week episodes from the board's steady start.

``owmr_dual_products`` (item 5, the PPO row): one warehouse buying two products from a
regular and an express source for three retailers (``owmr_dual_products.toml``), each of
the eight stock points (``"node:product"``) an agent ordering 0-24 units from each
supplier, against three combined heuristics: the dual index, capped dual index or tailored
base-surge policy at the warehouse, each with base stock at the retailers
(``Case.companions``), all eight stock points' parameters tuned jointly.

Every agent of ``chen_zheng`` and ``owmr`` gets the team's reward (minus the network's cost
per period); each run trains on the vectorized engine's copy axis
(:func:`agents.learning.multi.train_team`: resumable, each agent's actor a checkpoint) and
is then evaluated greedily on common random numbers (the same seeds for every team; by
default 16 copies of 1,200 periods, the first 200 left out) beside the reference team and a
random team; the gap to the reference is paired copy by copy (95% CI). The reference team
is its decision modules in the same engine on the same seeds (copy ``k`` of the
environment's episode of seed ``s`` is the engine run of seed ``s + k``). The team
evaluated is the run's checkpoint (about every 5% of its steps) that does best on other
seeds (validation); the last one's cost is kept beside it.

``--actions`` says what an agent's action chooses: ``quantity``, its order, or an
order-up-to level (:class:`sim.spaces.ActionMapping`): ``echelon_position`` (Chen &
Zheng's default; constant levels are an echelon base-stock policy) or ``position`` (the
OWMR default; constant levels are a base-stock policy).

``--start KIND`` starts every learner from the tuned heuristic ``KIND`` (one of the case's
references): each untrained policy's most likely action is the constant action that plays
it (:func:`start_actions`, ``MultiConfig.start_actions``), so the greedy team at step 0 is
the tuned team and training makes its levels depend on the state; the runs are the form
``<actions>_from_<KIND>``. ``--critic-warmup N``: the first N updates train only the
critics (``MultiConfig.critic_warmup``), so that an untrained critic's advantages do not
move a started team off its start (the runs started so far used 25-50). ``--surge-step S``
(with ``--actions surge``): the base-surge learners choose their regular order and
expedited level on a grid of ``S`` units (``ActionMapping.step``), so that a tuned regular
quantity of 10.5 is a start, not 10 (runs named ``surge<S>``).

Usage::

    python benchmarks/rl_table2.py [--case NAME] [--algos ippo,mappo,happo]
        [--seeds 0,1,2] [--steps 600000] [--copies 64] [--ent-coef 0] [--periods N]
        [--actions quantity|position|echelon_position|mixed|surge] [--start KIND]
        [--critic-warmup N] [--surge-step S] [--out DIR]

writes ``OUT/<form>_<algo>_seed<k>/`` (the run: curve, checkpoints, ``result.json``;
a finished run is skipped, an interrupted one resumes), then ``OUT/table.md`` (per run and
per algorithm) and ``OUT/curves.png`` (learning curves: mean and range over seeds). ``OUT``
defaults to the case's folder under ``benchmarks/results/`` (``rl_table2`` for chen_zheng).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from networks.io import atomic_path

#: How a team is measured, unless its case says otherwise (``Case.settings``): ``eval``
#: the table's evaluation, ``validation`` where a run's checkpoints are compared (other
#: seeds), ``tuning`` the joint search of a tuned reference (the scenario's seeds, event
#: engine).
EVAL = {"copies": 16, "periods": 1200, "warmup": 200, "seed": 1_000_000}
VALIDATION = {"copies": 8, "periods": 600, "warmup": 100, "seed": 2_000_000}
TUNING = {"replications": 10, "periods": 2100, "max_evaluations": 300}


@dataclass(frozen=True)
class Case:
    """One experiment: a scenario whose stock points all learn, and the team of heuristics
    they are measured against.

    Attributes:
        scenario: the built-in scenario.
        learners: its stock points, every one learning (``"node:product"`` names one
            product's stock point in a multi-product network).
        actions: the action forms it runs, the default first.
        reference_kind: the heuristic of the reference team (:data:`agents.REGISTRY`).
        other_references: more heuristics the learners are set against, each tuned
            jointly (``OUT/baseline_<kind>.json``) and reported beside the reference.
        title: what the table and figure say the case is.
        published: the reference's published cost per period, if any.
        out: the default output folder.
        optimal_levels: the learners' optimal levels where they are known (the reference's
            only parameter then), else ``None``: the reference is tuned jointly.
        initial_state: where training episodes start (``sim.initial.InitialState``
            fields), if not from the scenario's state.
        overrides: values set in the scenario (``Scenario.with_overrides``).
        alpha: each agent's training reward, ``alpha * own + (1 - alpha) * team``.
        order_cap: orders are ``0 .. order_cap`` (the ``quantity`` form's range, the cap
            of the levels' orders; ``None``: the environment's default range, no cap).
        periods: periods of a training episode.
        settings: replaces :data:`EVAL`, :data:`VALIDATION` or :data:`TUNING` by name.
        warm_starts: kind -> a simpler kind tuned first (or read, if tuned already), whose
            best point starts the kind's search (:data:`WARM_STARTS` turns it into the
            kind's parameters): a local search in many parameters keeps the basin it starts
            in, and a richer policy should do at least as well as the simpler one it holds.
        ent_coef: PPO's entropy bonus (``--ent-coef``'s default): 0 for levels, whose many
            choices a bonus keeps spread; quantities need one (without it, greedy orders
            settle on one value whatever the state).
        dqn: fields of :class:`agents.learning.dqn.DQNConfig` for ``--algos dqn`` (one
            learner among heuristic teammates).
        companions: learner -> the heuristic it plays in every reference (combined
            heuristics: e.g. base stock at the retailers whatever the warehouse plays).
    """

    scenario: str
    learners: tuple[str, ...]
    actions: tuple[str, ...]
    reference_kind: str
    title: str
    published: float | None
    out: str
    optimal_levels: tuple[int, ...] | None = None
    initial_state: dict | None = None
    overrides: dict | None = None
    alpha: float = 0.0
    order_cap: int | None = None
    periods: int = 100
    settings: dict | None = None
    warm_starts: dict | None = None
    other_references: tuple[str, ...] = ()
    ent_coef: float = 0.0
    dqn: dict | None = None
    companions: dict | None = None

    @property
    def keys(self) -> list:
        """The learners as the engine and the environments name stock points: a node, or
        ``(node, product)`` for a learner named ``"node:product"``."""
        return [tuple(n.split(":", 1)) if ":" in n else n for n in self.learners]

    def kinds(self, kind: str) -> dict[str, str]:
        """Each learner's heuristic in the reference of ``kind``: its companion's, else
        ``kind``."""
        return {n: (self.companions or {}).get(n, kind) for n in self.learners}

    def setting(self, name: str) -> dict:
        """The case's ``eval``, ``validation`` or ``tuning`` settings."""
        default = {"eval": EVAL, "validation": VALIDATION, "tuning": TUNING}[name]
        return (self.settings or {}).get(name, default)

    def resolved(self):
        """The scenario, with the case's overrides."""
        from scenarios import resolve

        scenario = resolve(self.scenario)
        return scenario.with_overrides(self.overrides) if self.overrides else scenario

    def team_env(
        self,
        copies: int,
        periods: int,
        action: str,
        options: dict | None = None,
        alpha: float = 0.0,
        surge_step: float = 1.0,
    ):
        """The learners' :class:`sim.multi.TeamVectorEnv` (on the team's cost by default).
        ``action="mixed"``: order-up-to levels (``"position"``) where a learner has one
        supplier, quantities where it has several; ``"surge"``: the same, but the regular
        order and the expedited level (``"base_surge"``: constant actions are tailored
        base-surge) where it has two, on a grid of ``surge_step`` units."""
        from sim.multi import TeamVectorEnv

        mapping: Any = action
        if action in ("mixed", "surge"):
            probe = TeamVectorEnv.from_scenario(self.resolved(), self.keys, 1, periods=periods)
            several = "base_surge" if action == "surge" else "quantity"
            mapping = {
                key: "position" if probe.mappings[name].suppliers == 1 else several
                for name, key in zip(self.learners, self.keys, strict=True)
            }
        if surge_step != 1.0 and action != "surge":
            raise ValueError(f"surge_step: only for the 'surge' actions, not {action!r}")
        if self.order_cap is not None or surge_step != 1.0:  # the environment's, changed
            probe = TeamVectorEnv.from_scenario(
                self.resolved(), self.keys, 1, periods=periods, action=mapping
            )
            mapping = {}  # keyed as the learners are named to the environment
            for name, key in zip(self.learners, self.keys, strict=True):
                m = probe.mappings[name]
                changes: dict[str, float] = {}
                if self.order_cap is not None:
                    # a quantity's range ends at the cap; a level's order stops at it; a
                    # base-surge action is both
                    fields = ("max_order",) if m.orders_up_to else ("high",)
                    if m.target == "base_surge":
                        fields = ("high", "max_order")
                    changes = dict.fromkeys(fields, float(self.order_cap))
                if m.target == "base_surge":
                    changes["step"] = surge_step
                mapping[key] = dataclasses.replace(m, **changes)
        return TeamVectorEnv.from_scenario(
            self.resolved(),
            self.keys,
            copies,
            periods=periods,
            alpha=alpha,
            action=mapping,
            options=options or {},
        )

    def training_options(self) -> dict:
        """The engine options of training episodes (and of the figure's reference line)."""
        from sim.initial import InitialState

        if self.initial_state is None:
            return {}
        return {"initial_state": InitialState(**self.initial_state)}

    def reference(self, out: Path, kind: str | None = None) -> tuple[dict[str, Any], str]:
        """The reference team (learner -> decision module) and what it is (tuned on first
        use), or that of another ``kind`` of :attr:`other_references`."""
        from agents import REGISTRY

        kind = kind or self.reference_kind
        if self.optimal_levels is not None:
            parameters = {
                n: {"level": v} for n, v in zip(self.learners, self.optimal_levels, strict=True)
            }
            label = "optimal "
        else:
            parameters = tuned_parameters(self, out, kind)
            label = "jointly tuned "
        label += kind.replace("_", " ").replace("s S", "(s, S)")
        if self.companions:
            others = sorted(set(self.companions.values()))
            label += " with " + ", ".join(k.replace("_", " ") for k in others)
        if all(len(p) == 1 for p in parameters.values()):
            label += " " + "/".join(f"{v:g}" for p in parameters.values() for v in p.values())
        else:  # the parameters after a colon (the figure's legend leaves them out)
            label += ": " + "; ".join(
                f"{n} "
                + ", ".join(
                    f"{k} {v:g}" if isinstance(v, float | int) else f"{k} {v}" for k, v in p.items()
                )
                for n, p in parameters.items()
            )
        kinds = self.kinds(kind)
        modules = {
            key: REGISTRY[kinds[n]](**parameters[n])
            for n, key in zip(self.learners, self.keys, strict=True)
        }
        return modules, label


def _liu_serial(demand: str, fixed_cost: bool) -> Case:
    """Table II item 2's case for ``demand`` (``"jump"`` or ``"poisson"``), with or without
    the fixed ordering cost."""
    return Case(
        scenario="serial_jump_fixed_cost" if fixed_cost else "serial_jump",
        learners=("stage1", "stage2", "stage3"),
        actions=("position", "quantity"),
        reference_kind="demand_tracking_s_S" if fixed_cost else "demand_tracking_base_stock",
        title="Table II item 2: Liu et al.'s 3-stage chain, "
        + ("jump-diffusion" if demand == "jump" else "Poisson(10)")
        + (" demand, fixed cost 5" if fixed_cost else " demand, no fixed cost"),
        published=None,
        out=f"benchmarks/results/rl_table2_serial_{demand}" + ("_fixed_cost" if fixed_cost else ""),
        overrides=None
        if demand == "jump"
        else {"network.args.demand": {"dist": "poisson", "mean": 10}},
        alpha=0.5,
        order_cap=20,
        periods=200,
        settings=_EPISODES,
        warm_starts={"demand_tracking_s_S": "demand_tracking_base_stock"} if fixed_cost else None,
    )


#: Whole 200-period episodes from the start (the scenario's 50 for tuning).
_EPISODES = {
    "eval": {"copies": 256, "periods": 200, "warmup": 0, "seed": 1_000_000},
    "validation": {"copies": 64, "periods": 200, "warmup": 0, "seed": 2_000_000},
    "tuning": {"max_evaluations": 600},  # two analytic starts for demand-tracking levels
}


def _beer(learner: str, demand: str) -> Case:
    """Table II item 1's case: ``learner`` of the beer game learns among three teammates
    playing Sterman's rule, on the network's cost; ``demand`` ``"classic"`` (4, then 8
    from week 5: deterministic, one episode says all) or ``"poisson"`` (Poisson(4))."""
    poisson = demand == "poisson"
    weeks = {"periods": 52, "warmup": 0}
    return Case(
        scenario="beer_game",
        learners=(learner,),
        actions=("position", "quantity"),
        reference_kind="base_stock",
        title=f"Table II item 1: the beer game's {learner} learning among three Sterman "
        f"players, {'Poisson(4)' if poisson else 'classic (4, then 8)'} demand",
        published=None,
        out=f"benchmarks/results/rl_table2_beer_{demand}_{learner}",
        overrides={"network.args.demand": {"dist": "poisson", "mean": 4}} if poisson else None,
        periods=52,
        settings={
            "eval": {"copies": 256 if poisson else 2, "seed": 1_000_000, **weeks},
            "validation": {"copies": 64 if poisson else 2, "seed": 2_000_000, **weeks},
            "tuning": {"replications": 50 if poisson else 2, "max_evaluations": 100, **weeks},
        },
        # Q-values near 1 for a team cost of about 20 a week (DQNConfig.reward_scale); a
        # smaller step and one gradient step per update: with the defaults the greedy
        # retailer's cost swung between 21 and 75 from one checkpoint to the next
        dqn={
            "reward_scale": 0.0005,
            "lr": 2e-4,
            "gradient_steps": 1,
            "end_e": 0.01,
            "exploration_fraction": 0.3,
        },
    )


CASES = {
    **{
        f"beer_{demand}_{learner}": _beer(learner, demand)
        for demand in ("classic", "poisson")
        for learner in ("retailer", "wholesaler")
    },
    "chen_zheng": Case(
        scenario="clark_scarf",
        learners=("stage1", "stage2", "stage3", "stage4"),
        actions=("echelon_position", "quantity"),
        reference_kind="echelon_base_stock",
        title="Table II item 6: Chen & Zheng's 4-stage serial system, every stage learning",
        published=79.78,
        out="benchmarks/results/rl_table2",
        optimal_levels=(13, 22, 31, 39),
    ),
    "owmr": Case(
        scenario="owmr_lost_sales",
        learners=("warehouse", "retailer1", "retailer2", "retailer3", "retailer4"),
        actions=("position", "quantity"),
        reference_kind="base_stock",
        title="Table II item 4: one warehouse, four lost-sales retailers, every stock point learning",
        published=None,
        out="benchmarks/results/rl_table2_owmr",
        # From the empty start, lost sales dominate a 100-period episode's first periods
        # and the learners fit that transient (MAPPO, 4M steps: +1.9% against the tuned
        # levels); from random states near the flow (Poisson(10) on hand, Poisson(5) per
        # lot in transit) they learn the steady state the evaluation measures (-2.9%).
        initial_state={
            "on_hand": {"dist": "poisson", "mean": 10},
            "pipeline": {"dist": "poisson", "mean": 5},
            "nodes": "all",
        },
    ),
    **{
        f"serial_{demand}" + ("_fixed_cost" if fixed else ""): _liu_serial(demand, fixed)
        for demand in ("jump", "poisson")
        for fixed in (False, True)
    },
    "two_per_echelon": Case(
        scenario="two_per_echelon_jump",
        learners=tuple(f"{n}{k}" for n in ("retailer", "warehouse", "factory") for k in (1, 2)),
        actions=("quantity",),
        reference_kind="dual_index",
        other_references=("capped_dual_index", "tailored_base_surge"),
        title="Table II item 3: two actors per echelon, each buyer ordering from both upstream",
        published=None,
        out="benchmarks/results/rl_table2_two_per_echelon",
        alpha=0.75,  # the reference's setting for this network
        order_cap=4,  # 0-4 from each supplier, 25 orders a decision (the reference's)
        periods=200,
        settings={**_EPISODES, "tuning": {"max_evaluations": 300}},
        ent_coef=0.01,
        warm_starts={"capped_dual_index": "dual_index"},
    ),
    "owmr_dual_products": Case(
        scenario="owmr_dual_products",
        learners=tuple(
            f"{node}:{product}"
            for node in ("warehouse", "retailer1", "retailer2", "retailer3")
            for product in ("standard", "premium")
        ),
        actions=("mixed", "quantity", "surge"),
        reference_kind="dual_index",
        other_references=("capped_dual_index", "tailored_base_surge"),
        # three combined heuristics: each dual-sourcing policy at the warehouse, with base
        # stock at the retailers, all eight stock points' parameters tuned jointly
        companions={
            f"retailer{k}:{product}": "base_stock"
            for k in (1, 2, 3)
            for product in ("standard", "premium")
        },
        title="Table II item 5: one warehouse, three retailers, dual sourcing, two products",
        published=None,
        out="benchmarks/results/rl_table2_owmr_dual_products",
        order_cap=24,  # 0-24 a period from each supplier (twice the warehouse's mean demand)
        ent_coef=0.01,
        warm_starts={"capped_dual_index": "dual_index"},
    ),
}


#: How a simpler kind's tuned parameters start a richer kind's search: (s, S) from base
#: stock is ``S`` the level and ``s`` one below (an order every period, as base stock's);
#: the capped dual index from the dual index, its cap at the regular level.
WARM_STARTS = {
    ("demand_tracking_base_stock", "demand_tracking_s_S"): lambda p: {
        "s": p["level"] - 1,
        "S": p["level"],
        "per_demand": p["per_demand"],
    },
    ("dual_index", "capped_dual_index"): lambda p: {
        "regular_level": p["regular_level"],
        "expedited_level": p["expedited_level"],
        "cap": p["regular_level"],
    },
}


def tuned_parameters(case: Case, out: Path, kind: str) -> dict[str, dict[str, float]]:
    """Heuristic ``kind``'s arguments at every learner, its parameters searched jointly on
    the scenario's common random numbers (the case's ``tuning`` settings; from its warm
    start's tuned point if it has one), kept in ``out/baseline.json`` (the reference's) or
    ``out/baseline_<kind>.json``."""
    from analysis.tune import tune_jointly

    primary = kind == case.reference_kind
    path = out / ("baseline.json" if primary else f"baseline_{kind}.json")
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))["parameters"]
    scenario, settings = case.resolved(), case.setting("tuning")
    warm = (case.warm_starts or {}).get(kind)
    start = None
    kinds, keys = case.kinds(kind), dict(zip(case.learners, case.keys, strict=True))
    if warm is not None:  # a companion keeps its point: it plays the same kind in both
        warm_kinds = case.kinds(warm)
        start = {
            keys[n]: p if warm_kinds[n] == kinds[n] else WARM_STARTS[warm_kinds[n], kinds[n]](p)
            for n, p in tuned_parameters(case, out, warm).items()
        }
    best = tune_jointly(scenario, {keys[n]: k for n, k in kinds.items()}, **settings, start=start)
    names = {key: n for n, key in keys.items()}
    kept = {
        "kind": kind,
        "parameters": {names[key]: _arguments(m) for key, m in best.policies.items()},
        "tuning_cost": round(best.estimate.mean, 4),
        "points_evaluated": len(best.table),
        "settings": best.settings,
        "warm_start": warm,
    }
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(kept, indent=1), encoding="utf-8")
    return kept["parameters"]


def _arguments(module: Any) -> dict[str, Any]:
    """A heuristic's constructor arguments that differ from their defaults (the tuned ones
    and the fixed ones, such as a dual-index policy's suppliers)."""
    return {
        f.name: getattr(module, f.name)
        for f in dataclasses.fields(module)
        if f.init and getattr(module, f.name) != f.default
    }


def evaluate(
    case: Case,
    act: Callable,
    action: str,
    settings: dict | None = None,
    options: dict | None = None,
    surge_step: float = 1.0,
) -> np.ndarray:
    """The learners' cost per period (the team's) in each copy of the case's evaluation (or
    ``settings``'; engine ``options`` added to the scenario's), acting by ``act`` on the
    ``action`` form (:meth:`Case.team_env`)."""
    from agents.learning.multi import team_cost

    s = settings or case.setting("eval")
    env = case.team_env(s["copies"], s["periods"], action, options, surge_step=surge_step)
    return team_cost(env, act, seed=s["seed"], warmup=s["warmup"], per_copy=True)


def evaluate_modules(
    case: Case, modules: dict[str, Any], settings: dict | None = None, options: dict | None = None
) -> np.ndarray:
    """The network's cost per period in each copy (as :func:`evaluate`: the same seeds, so
    the same random numbers), with decision ``modules`` at the learners, in the engine."""
    from sim import VectorizedSupplyChainModel
    from sim.model import cost_of_money

    s = settings or case.setting("eval")
    scenario = case.resolved()
    graph = scenario.network()
    model = VectorizedSupplyChainModel(
        graph,
        {**scenario.policies(graph), **modules},
        **{**scenario.options, **(options or {})},
        copies=[s["seed"] + k for k in range(s["copies"])],
        record=False,
        track_rewards=True,
    )
    everything = np.arange(len(model.sku_names))
    model.run(s["warmup"])
    model.take_rewards(everything)
    model.run(s["periods"] - s["warmup"])
    cost = cost_of_money(model.take_rewards(everything))
    copy = np.array([name[0][0] for name in model.sku_names])
    return np.bincount(copy, cost, s["copies"]) / (s["periods"] - s["warmup"])


def evaluate_reference(
    case: Case,
    out: Path,
    settings: dict | None = None,
    options: dict | None = None,
    kind: str | None = None,
) -> np.ndarray:
    """The reference team's (or another ``kind``'s) cost per period in each copy (as
    :func:`evaluate`)."""
    return evaluate_modules(case, case.reference(out, kind)[0], settings, options)


def team_of(case: Case, folder: Path, step: int) -> Callable:
    """The greedy team of a run's checkpoints of ``step``, for :func:`evaluate`."""
    from agents.learning.policy import TorchPolicy, greedy_actions

    policies = {
        a: TorchPolicy.load(folder / a / "checkpoints" / f"step_{step}") for a in case.learners
    }

    def act(agent, obs):
        p = policies[agent]
        return greedy_actions(p.network, p.obs_rms, obs).reshape(len(obs), -1).astype(np.int64)

    return act


def form_name(actions: str, start: str | None, surge_step: float = 1.0) -> str:
    """A run's form, as its folder and the tables name it: the action form (and its grid
    if not whole units, ``--surge-step``), and the heuristic its team started from, if any
    (``--start``)."""
    form = actions if surge_step == 1.0 else f"{actions}{surge_step:g}"
    return form if start is None else f"{form}_from_{start}"


def run_form(result: dict) -> str:
    """The form of a run, by its ``result.json`` (:func:`form_name`)."""
    return form_name(result["actions"], result.get("start"), result.get("surge_step", 1.0))


def start_actions(case: Case, out: Path, kind: str, env: Any) -> dict[str, list[float]]:
    """Each learner's constant action in ``env`` that plays the tuned heuristic ``kind``
    (the case's reference or one of its other references; a companion's heuristic where
    it has one): :func:`agents.learning.multi.heuristic_start`."""
    from agents.learning.multi import heuristic_start

    modules, _ = case.reference(out, kind)
    names = dict(zip(case.keys, case.learners, strict=True))
    return heuristic_start(env, {names[key]: m for key, m in modules.items()})


def run_one(case: Case, algo: str, seed: int, args, folder: Path) -> dict:
    """Train one team (or resume it) and evaluate it; the result is kept in the folder."""
    from agents.learning.multi import MultiConfig, train_team

    done = folder / "result.json"
    if done.is_file():
        return json.loads(done.read_text(encoding="utf-8"))
    tic = time.perf_counter()
    if algo == "dqn":
        if args.start:
            raise ValueError("--start: for the PPO learners (ippo, mappo, happo), not dqn")
        train_dqn(case, seed, args, folder)
    else:
        env = case.team_env(
            args.copies,
            args.periods,
            args.actions,
            case.training_options(),
            alpha=case.alpha,
            surge_step=args.surge_step,
        )
        config = MultiConfig(
            total_steps=args.steps,
            num_envs=args.copies,
            algo=algo,
            seed=seed,
            ent_coef=args.ent_coef,
            critic_warmup=args.critic_warmup,
            start_actions=start_actions(case, folder.parent, args.start, env)
            if args.start
            else None,
        )
        train_team(env, config, folder, progress=False)
    minutes = (time.perf_counter() - tic) / 60
    # The checkpoint kept is the best of the run's on validation seeds (not the test's).
    steps = sorted(
        int(p.name.split("_")[1])
        for p in (folder / case.learners[0] / "checkpoints").glob("step_*")
    )

    def costs(step: int, settings: dict | None = None) -> np.ndarray:
        team = team_of(case, folder, step)
        return evaluate(case, team, args.actions, settings, surge_step=args.surge_step)

    validation = {step: float(costs(step, case.setting("validation")).mean()) for step in steps}
    chosen = min(validation, key=validation.get)
    result = {
        "actions": args.actions,
        "start": args.start,
        "surge_step": args.surge_step,
        "algo": algo,
        "seed": seed,
        "steps": args.steps,
        # this session's training time (a resumed run counts only what it added)
        "minutes": round(minutes, 2),
        "chosen_step": chosen,
        "validation": {str(k): round(v, 4) for k, v in validation.items()},
        "costs": costs(chosen).tolist(),
        "final_costs": costs(steps[-1]).tolist(),
    }
    with atomic_path(done) as tmp:
        Path(tmp).write_text(json.dumps(result), encoding="utf-8")
    return result


def train_dqn(case: Case, seed: int, args, folder: Path) -> None:
    """Train (or resume) a DQN for the case's one learner among heuristic teammates, on the
    reward the case's ``alpha`` weighs (0: the network's cost), with the action mapping of
    the team environment the evaluation plays it in; checkpoints in ``folder/<learner>/``."""
    from agents.learning import train
    from agents.learning.dqn import DQNConfig
    from sim.env import InventoryVectorEnv

    if len(case.learners) != 1:
        raise ValueError(f"--algos dqn: trains one learner; case {case.title!r} has several")
    (node,) = case.learners
    mapping = case.team_env(1, args.periods, args.actions).mappings[node]
    env = InventoryVectorEnv.from_scenario(
        case.resolved(),
        node,
        args.copies,
        periods=args.periods,
        action=mapping,
        alpha=case.alpha,
        **case.training_options(),
    )
    config = DQNConfig(total_steps=args.steps, num_envs=args.copies, seed=seed, **(case.dqn or {}))
    train(env, config, folder / node, progress=False)


def by_form(results: list[dict]) -> dict[tuple[str, str], list[dict]]:
    """The runs of each (action form, algorithm), in the order first met."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in results:
        groups.setdefault((run_form(r), r["algo"]), []).append(r)
    return groups


def report(
    case: Case,
    out: Path,
    results: list[dict],
    baseline: np.ndarray,
    random: np.ndarray,
    actions: str,
    periods: int,
    reference: float,
    others: dict[str, np.ndarray] | None = None,
) -> None:
    """``table.md`` (each run's cost and paired gap to the reference team ``baseline``, and
    to each of the ``others`` (kind -> cost per copy); per form and algorithm the mean over
    seeds, and the seed best on validation with its gaps) and ``curves.png``."""
    from analysis.files import write_text
    from analysis.statistics import mean_ci

    _, label = case.reference(out)
    e = case.setting("eval")
    others = others or {}

    def gap(costs, against=baseline) -> str:
        d = mean_ci(100 * (np.asarray(costs) / against - 1))
        return f"{d.mean:+.2f} ± {d.half_width:.2f}"

    published = "" if case.published is None else f" (published {case.published})"
    lines = [
        f"# {case.title}",
        "",
        f"Evaluation: {e['copies']} copies x {e['periods'] - e['warmup']} periods "
        f"after {e['warmup']} (seeds from {e['seed']}), greedy actions; team cost per "
        "period (95% CI over copies); gap to the reference team on the same random numbers, "
        "paired by copy (negative: the learners cost less).",
        "",
        f"Reference, {label}: **{baseline.mean():.2f}**{published}; the learners at random "
        f"({actions} actions): {random.mean():,.2f}.",
        *(f"Also {case.reference(out, k)[1]}: **{c.mean():.2f}**." for k, c in others.items()),
        "",
        "| actions | algorithm | seed | steps | training minutes | checkpoint kept (step) | "
        "team cost | gap to the reference, % | last checkpoint's gap, % |"
        + "".join(f" gap to {k}, % |" for k in others),
        "|---|---|---|---|---|---|---|---|---|" + "---|" * len(others),
    ]
    for r in results:
        c = mean_ci(r["costs"])
        lines.append(
            f"| {run_form(r)} | {r['algo']} | {r['seed']} | {r['steps']:,} | {r['minutes']} "
            f"| {r['chosen_step']:,} | {c.mean:.2f} ± {c.half_width:.2f} | {gap(r['costs'])} "
            f"| {gap(r['final_costs'])} |"
            + "".join(f" {gap(r['costs'], against)} |" for against in others.values())
        )
    lines += [
        "",
        "| actions | algorithm | seeds | mean gap over seeds, % | worst seed, % |"
        + "".join(f" mean gap to {k}, % |" for k in others),
        "|---|---|---|---|---|" + "---|" * len(others),
    ]
    for (form, algo), runs in by_form(results).items():
        # each seed's paired gap (the mean over copies of the per-copy gap), as in its row
        gaps = [np.mean(100 * (np.asarray(r["costs"]) / baseline - 1)) for r in runs]
        more = [
            np.mean([np.mean(100 * (np.asarray(r["costs"]) / c - 1)) for r in runs])
            for c in others.values()
        ]
        lines.append(
            f"| {form} | {algo} | {len(runs)} | {np.mean(gaps):+.2f} | {max(gaps):+.2f} |"
            + "".join(f" {g:+.2f} |" for g in more)
        )
    lines += [
        "",
        "The team kept by validation: of each form's seeds, the one whose kept checkpoint "
        "costs least on the validation episodes (as a user would choose; the test episodes "
        "above are not used):",
        "",
        "| actions | algorithm | seeds | seed kept | its validation cost | gap to the "
        "reference, % |" + "".join(f" gap to {k}, % |" for k in others),
        "|---|---|---|---|---|---|" + "---|" * len(others),
    ]

    def validation_cost(r: dict) -> float:  # of the run's kept checkpoint
        return r["validation"][str(r["chosen_step"])]

    for (form, algo), runs in by_form(results).items():
        kept = min(runs, key=validation_cost)
        lines.append(
            f"| {form} | {algo} | {len(runs)} | {kept['seed']} | "
            f"{validation_cost(kept):.2f} | {gap(kept['costs'])} |"
            + "".join(f" {gap(kept['costs'], against)} |" for against in others.values())
        )
    write_text(out / "table.md", "\n".join(lines) + "\n")
    validation = float(evaluate_reference(case, out, case.setting("validation")).mean())
    figure = plot_curves(case, out, results, periods, reference, validation)
    figure.savefig(out / "curves.png", dpi=120)


def plot_curves(
    case: Case,
    out: Path,
    results: list[dict],
    periods: int,
    reference: float,
    validation_reference: float,
) -> Any:
    """Two panels (a matplotlib Figure). Left: the team's cost per period over each
    training episode (``periods`` periods from the training's initial state, stochastic
    policies, a DQN's exploring; the mean over the copies' episodes that closed in a
    rollout) against steps, per algorithm the mean over seeds and the band from the best
    to the worst seed, beside ``reference``, the reference team's cost on such episodes.
    Right: the same for each checkpoint's greedy team on the validation episodes (the
    runs' ``validation``), beside ``validation_reference``, the reference's there."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from agents.learning.trainer import _read_curve

    fig = Figure(figsize=(11, 4.5), layout="constrained")
    FigureCanvasAgg(fig)
    ax, right = fig.subplots(1, 2)
    # A curve's return is the agents' mean reward, alpha * own + (1 - alpha) * team each:
    # with every stock point learning, the own costs sum to the team's, so that mean is
    # the team's times alpha / n + 1 - alpha.
    share = case.alpha / len(case.learners) + 1 - case.alpha
    drawn = []
    for (actions, algo), runs in by_form(results).items():
        curves = []
        for r in runs:
            folder = out / f"{actions}_{algo}_seed{r['seed']}"
            # a team's curve is the run's; a DQN's its learner's (one learner)
            rows = _read_curve(folder / "learning_curve.csv") or _read_curve(
                folder / case.learners[0] / "learning_curve.csv"
            )
            closed = [row for row in rows if np.isfinite(float(row["mean_return"]))]
            curves.append(
                {int(row["step"]): -float(row["mean_return"]) / periods / share for row in closed}
            )
        drawn += curves
        steps = sorted(set.intersection(*(set(c) for c in curves)))
        cost = np.array([[c[k] for k in steps] for c in curves])
        ax.plot(steps, cost.mean(axis=0), label=f"{algo.upper()} ({actions}), {len(runs)} seeds")
        ax.fill_between(steps, cost.min(axis=0), cost.max(axis=0), alpha=0.2)
    _, label = case.reference(out)
    ax.axhline(
        reference,
        color="k",
        linestyle="--",
        label=f"{label.split(':')[0]} on the same episodes: {reference:.2f}",
    )
    lowest = min([reference, *(min(c.values()) for c in drawn)])
    ax.set_ylim(lowest * 0.95, reference * 1.5)
    ax.set_xlabel("environment steps (periods x copies)")
    ax.set_ylabel(f"team cost per period over a {periods}-period\ntraining episode (money)")
    ax.set_title("training episodes", fontsize=10)
    ax.legend(fontsize=8)
    lowest = validation_reference
    for (actions, algo), runs in by_form(results).items():
        steps = sorted(set.intersection(*({int(k) for k in r["validation"]} for r in runs)))
        cost = np.array([[r["validation"][str(k)] for k in steps] for r in runs])
        right.plot(steps, cost.mean(axis=0), marker=".", label=f"{algo.upper()} ({actions})")
        right.fill_between(steps, cost.min(axis=0), cost.max(axis=0), alpha=0.2)
        lowest = min(lowest, float(cost.min()))
    right.axhline(
        validation_reference,
        color="k",
        linestyle="--",
        label=f"the reference there: {validation_reference:.2f}",
    )
    right.set_ylim(lowest * 0.95, validation_reference * 1.5)
    right.set_xlabel("environment steps at the checkpoint")
    v = case.setting("validation")
    right.set_ylabel("team cost per period (money)")
    right.set_title(
        f"greedy checkpoints on the validation episodes\n({v['copies']} copies x "
        f"{v['periods'] - v['warmup']} periods after {v['warmup']}, seeds from {v['seed']})",
        fontsize=10,
    )
    right.legend(fontsize=8)
    fig.suptitle(case.title, fontsize=10)
    return fig


def main(argv: list[str] | None = None) -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=tuple(CASES), default="chen_zheng")
    parser.add_argument("--algos", default="ippo,mappo,happo")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--steps", type=int, default=600_000)
    parser.add_argument("--copies", type=int, default=64)
    parser.add_argument(
        "--ent-coef",
        type=float,
        help="PPO's entropy bonus (PPOConfig.ent_coef; default: the case's, 0 for levels: "
        "0.01 keeps 73 levels spread, +2.5-6%%)",
    )
    parser.add_argument(
        "--periods", type=int, help="periods of a training episode (default: the case's)"
    )
    parser.add_argument(
        "--actions",
        choices=("quantity", "position", "echelon_position", "mixed", "surge"),
        help="what an agent's action chooses: its order, or its (echelon) order-up-to level; "
        "mixed: a level where one supplier, orders where several; surge: a level where one "
        "supplier, the regular order and the expedited level where two (constant: tailored "
        "base-surge) (default: the case's first form)",
    )
    parser.add_argument(
        "--start",
        help="a tuned heuristic the learners start from (a reference kind of the case, e.g. "
        "base_stock or tailored_base_surge: each untrained policy's most likely action is "
        "its tuned constant action; MultiConfig.start_actions); default: uniform policies",
    )
    parser.add_argument(
        "--critic-warmup",
        type=int,
        default=0,
        help="updates in which only the critics learn (MultiConfig.critic_warmup)",
    )
    parser.add_argument(
        "--surge-step",
        type=float,
        default=1.0,
        help="with --actions surge: the grid (units) of the base-surge learners' regular "
        "order and expedited level (ActionMapping.step), e.g. 0.5 to start at a tuned "
        "regular quantity of 10.5 (default 1: whole units); runs named <actions><step>",
    )
    parser.add_argument("--out", help="the output folder (default: the case's)")
    args = parser.parse_args(argv)
    case = CASES[args.case]
    args.actions = args.actions or case.actions[0]
    args.periods = args.periods or case.periods
    args.ent_coef = case.ent_coef if args.ent_coef is None else args.ent_coef
    if args.surge_step != 1.0 and args.actions != "surge":
        parser.error("--surge-step: only with --actions surge")
    if args.actions not in case.actions:
        parser.error(f"--actions {args.actions}: case {args.case} runs {', '.join(case.actions)}")
    kinds = (case.reference_kind, *case.other_references)
    if args.start is not None and args.start not in kinds:
        parser.error(f"--start {args.start}: case {args.case}'s references are {', '.join(kinds)}")
    torch.set_num_threads(1)
    out = Path(args.out or case.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    baseline = evaluate_reference(case, out)
    print(f"{case.reference(out)[1]}: {baseline.mean():.2f}")
    others = {k: evaluate_reference(case, out, kind=k) for k in case.other_references}
    for k, c in others.items():
        print(f"{case.reference(out, k)[1]}: {c.mean():.2f}")
    probe = case.team_env(1, args.periods, args.actions, surge_step=args.surge_step)
    shapes = {a: (probe.mappings[a].n, probe.mappings[a].dims) for a in case.learners}
    random = evaluate(
        case,
        lambda a, o: rng.integers(0, shapes[a][0], (len(o), shapes[a][1])),
        args.actions,
        surge_step=args.surge_step,
    )
    print(f"random team: {random.mean():.2f}")
    form = form_name(args.actions, args.start, args.surge_step)
    for algo in args.algos.split(","):
        for seed in map(int, args.seeds.split(",")):
            folder = out / f"{form}_{algo}_seed{seed}"
            r = run_one(case, algo, seed, args, folder)
            cost = float(np.mean(r["costs"]))
            print(f"{algo} seed {seed}: {cost:.2f} ({100 * (cost / baseline.mean() - 1):+.1f}%), "
                  f"{r['minutes']} min", flush=True)  # fmt: skip
    results = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(out.glob("*/result.json"))]
    # the reference team on training-like episodes: from their start, no warm-up
    episodes = {"copies": args.copies, "periods": args.periods, "warmup": 0, "seed": 0}
    reference = float(evaluate_reference(case, out, episodes, case.training_options()).mean())
    report(case, out, results, baseline, random, args.actions, args.periods, reference, others)
    print(f"wrote {out}/table.md and curves.png")


if __name__ == "__main__":
    main()
