"""Training a learner on a scenario, and evaluating it against heuristics.

``train_scenario`` builds the vector environment of a scenario's learner node (the copy axis
of the vectorized engine when the scenario's options allow it, else copies of the event
engine's environment) and trains PPO or DQN into a folder (:mod:`agents.learning.trainer`: learning
curve, checkpoints, resume). A checkpoint is then a decision module like any other:
``policy = { kind = "checkpoint", path = "runs/ppo" }`` in a scenario, or
``--policy stage1=checkpoint:runs/ppo`` on the command line, and ``supplysim evaluate``
compares it with heuristics on common random numbers.

``train_recommendation`` does the same for a built-in §VI experiment
(:class:`scenarios.recommendation.RecommendationScenario`): PPO on copies of
:class:`sim.recommendation_env.RecommendationEnv`, the learner deciding orders,
recommendation or both (``control``). ``train_recommendation_team`` trains the two modules
as a team of two agents on the shared profit (:class:`agents.learning.multi.MultiPPO`):
the follow-up paper's multi-timescale learner (MTMA, :data:`MTMA_SCHEDULE`) or both on
one timescale (IPPO).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from scenarios import Scenario
from sim.policy import VECTORIZED_FIXED_OPTIONS
from sim.spaces import ActionMapping

__all__ = [
    "END_GAME_STOCK",
    "EPISODE_PERIODS",
    "MTMA_SCHEDULE",
    "RESIDUAL_INIT_LOG_STD",
    "learner_env",
    "recommendation_env",
    "residual_actions",
    "train_recommendation",
    "train_recommendation_team",
    "train_scenario",
]

#: Default episode length (periods). Short episodes start often from the scenario's initial
#: state, which helps PPO explore: on Zipkin's lost-sales case (p = 9, L = 1, 500k steps)
#: 100-period episodes reached 5.68 per period against 5.88-6.23 with 500.
EPISODE_PERIODS = 100

#: The default end-game copies' stock on hand (:func:`learner_env`'s ``end_game_state``)
#: is drawn uniformly up to this many periods of mean demand: the four §V pricing cases'
#: tuned order-up-to levels are 3 to 6 of them.
END_GAME_STOCK = 6.0

#: The follow-up paper's multi-timescale schedule (MTMA) as fields of
#: :class:`agents.learning.multi.MultiConfig`: the recommendation agent learns at a third
#: of the inventory agent's rate and updates every third rollout (the paper gives the
#: principle, slow recommendation and fast inventory, not these factors; they are ours).
MTMA_SCHEDULE: dict[str, Any] = {
    "lr_scale": {"recommendation": 1 / 3},
    "update_every": {"recommendation": 3},
}


#: PPO's initial log standard deviation with :func:`residual_actions`
#: (:attr:`agents.learning.PPOConfig.init_log_std`): the zero action is already the tuned
#: baseline, so exploration starts narrower than CleanRL's 0.
RESIDUAL_INIT_LOG_STD = -0.5


def residual_actions(multiple: float) -> Any:
    """The residual action form of the §VI firm
    (:class:`~sim.recommendation_env.RecommendationActions` with ``orders="cover"`` at the
    base-stock ``multiple``, e.g. a scenario's ``base_stock_multiple``, and
    ``recommendation="targeting"``): the zero action is that base stock with uniform
    recommendation, and the learner adjusts the levels and chooses the products' targeting
    weights."""
    from sim.recommendation_env import RecommendationActions

    return RecommendationActions(
        orders="cover", recommendation="targeting", cover_multiple=multiple
    )


def learner_env(
    scenario: Scenario,
    learner: str,
    num_envs: int,
    *,
    periods: int | None = None,
    action: ActionMapping | str | None = None,
    reward: str | None = None,
    alpha: float = 1.0,
    stagger: bool = False,
    initial_state: Any = None,
    finite_horizon: bool = False,
    end_game: int = 0,
    end_game_state: Any = None,
) -> Any:
    """The vector environment in which ``learner`` of ``scenario`` learns: ``num_envs``
    copies, episodes of ``periods`` periods (default :data:`EPISODE_PERIODS`, at most the
    scenario's ``run.periods``); ``stagger`` spreads the copies' episode starts over the
    episode length (:class:`sim.env.InventoryVectorEnv`; the vectorized engine only);
    ``initial_state`` (:class:`sim.InitialState` or a mapping of its fields) draws each
    episode's start; ``action`` is an :class:`~sim.spaces.ActionMapping` or its ``target``
    (``"position"``, ``"echelon_position"``: order-up-to levels; ``"reorder"``: a reorder
    point and a level; ``"base_surge"``) on the default range;
    ``alpha`` weighs the learner's own reward against the network's (``1 - alpha``; 0: the
    team's cost, heuristic teammates' included); ``finite_horizon`` makes the episode the
    whole problem (the learner sees the periods left, nothing is bootstrapped past the end:
    :mod:`sim.env`).

    ``end_game`` copies of the ``num_envs`` (finite horizon only) play just the problem's
    last periods: episodes of 1, 2, ... up to the layout's ``end_window`` periods (copy by
    copy), each from a state drawn by ``end_game_state`` (an :class:`sim.InitialState` or a
    mapping of its fields; default: stock on hand uniform on ``[0, END_GAME_STOCK x`` the
    mean demand per period``]``, whatever ``initial_state`` declares for the full copies).
    The vector environment's ``episodes`` records them (checkpoints keep it, and a resumed
    run must have the same). In a full episode only one step in ``periods`` is the
    last, too few for PPO to learn what to do there (measured on §V's case (a), 3M steps:
    still ordering 13 units in period 99 of 100, where ordering nothing is optimal); with
    16 of 64 copies playing the end, it learns to order nothing there. Their episodes never
    reach back past the window, where every period reads "``end_window`` or more left":
    there a short episode would look like a full one's middle with far less profit ahead,
    and the critic could not tell them apart (measured: episodes of up to 12 periods with a
    window of 2 ended 15.7 a period below the tuned heuristic in case (a)). Within the
    window an end-game episode is the problem's last periods played from its drawn state:
    the same Markov decision process, seen the same way, as far as the drawn state is all
    that differs: what it does not draw (upstream stock, a market's reference price) starts
    as the scenario declares, and its clock starts at period 0, so demand or rivals that
    change with the period play their first periods there, not their last. The end-game
    copies are always the event engine's :class:`sim.env.InventoryEnv`, as is the whole
    vector environment then.

    A scenario with a ``[market]`` learns on the event engine (the vectorized one has no
    market) and, unless ``reward`` says otherwise, for profit (Eq. (7)): a firm that sets
    prices must see revenue. Otherwise the reward is the negative cost by default."""
    import gymnasium as gym

    from sim.env import InventoryEnv, InventoryVectorEnv
    from sim.initial import InitialState

    periods = periods or min(scenario.periods, EPISODE_PERIODS)
    if isinstance(end_game, bool) or not isinstance(end_game, int) or end_game < 0:
        raise ValueError(f"end_game: must be a whole number of copies >= 0, got {end_game!r}")
    if end_game and not finite_horizon:
        raise ValueError(
            "end_game: end-game copies play the last periods of a finite-horizon problem "
            "(finite_horizon=True)"
        )
    if end_game >= num_envs:
        raise ValueError(
            f"end_game: at most num_envs - 1 = {num_envs - 1} copies (one at least plays the "
            f"whole problem), got {end_game}"
        )
    if end_game_state is not None and not end_game:
        raise ValueError("end_game_state: goes with end_game (the copies that start from it)")
    fixed = VECTORIZED_FIXED_OPTIONS
    market = scenario.market()
    if reward is None:
        reward = "cost" if market is None else "profit"
    options: dict[str, Any] = {
        "periods": periods,
        "action": action,
        "reward": reward,
        "alpha": alpha,
        "finite_horizon": finite_horizon,
    }
    if initial_state is not None:
        options["initial_state"] = initial_state
    if market is not None:
        options["options"] = {"market": market}
    elif not end_game and all(
        scenario.options.get(k, v[0]) in v for k, v in fixed.items() if k != "log"
    ):
        return InventoryVectorEnv.from_scenario(
            scenario, learner, num_envs, stagger=stagger, **options
        )
    if stagger:
        raise ValueError(
            "stagger: only the vectorized engine staggers episodes (no market, no end_game)"
        )
    envs = [
        InventoryEnv.from_scenario(scenario, learner, **options) for _ in range(num_envs - end_game)
    ]
    layout = envs[0].layout
    if end_game:
        if layout.review_cycle:
            raise ValueError(
                "end_game: the learner reviews on a cycle; end-game copies would start at the "
                "cycle's first epoch, not at the problem's last ones"
            )
        if end_game_state is None:
            high = END_GAME_STOCK * layout.scale
            end_game_state = {"on_hand": {"dist": "uniform", "low": 0.0, "high": high}}
        try:
            end_game_state = InitialState.of(end_game_state)
        except ValueError as e:  # its messages name initial_state's fields
            raise ValueError(f"end_game_state{str(e).removeprefix('initial_state')}") from None
        envs += [
            InventoryEnv.from_scenario(
                scenario,
                learner,
                **{
                    **options,
                    "initial_state": end_game_state,
                    "periods": min(1 + k % layout.end_window, periods),
                },
            )
            for k in range(end_game)
        ]
    vector = gym.vector.SyncVectorEnv([lambda env=env: env for env in envs])
    for name in ("layout", "mapping", "fingerprint"):  # what checkpoints record
        setattr(vector, name, getattr(envs[0], name))
    if end_game:  # and what a resumed run must repeat
        vector.episodes = {"end_game": end_game, "end_game_state": repr(end_game_state)}
    return vector


def train_scenario(
    scenario: Scenario,
    learner: str,
    out: str | Path,
    *,
    steps: int,
    seed: int = 0,
    num_envs: int | None = None,
    periods: int | None = None,
    progress: bool = True,
    algo: str = "ppo",
    stagger: bool = False,
    initial_state: Any = None,
    action: ActionMapping | str | None = None,
    alpha: float = 1.0,
    finite_horizon: bool = False,
    end_game: int = 0,
    end_game_state: Any = None,
    **config: Any,
) -> Path:
    """Train ``algo`` (``"ppo"`` or ``"dqn"``) for ``learner`` of ``scenario`` into ``out``
    (resuming a run found there); ``config`` overrides fields of
    :class:`agents.learning.PPOConfig` or :class:`agents.learning.dqn.DQNConfig`
    (``num_envs`` too: ``None`` keeps its default); ``periods``, ``stagger``,
    ``initial_state``, ``finite_horizon``, ``end_game`` and ``end_game_state`` shape the
    episodes, ``action`` says what an action chooses and ``alpha`` what the reward weighs
    (:func:`learner_env`). Returns ``out``."""
    from agents.learning import PPOConfig, train
    from agents.learning.dqn import DQNConfig

    configs = {"ppo": PPOConfig, "dqn": DQNConfig}
    if algo not in configs:
        raise ValueError(f"algo: must be one of {sorted(configs)}, got {algo!r}")
    chosen = _config(configs[algo], algo, steps, seed, num_envs, config)
    env = learner_env(
        scenario,
        learner,
        chosen.num_envs,
        periods=periods,
        action=action,
        alpha=alpha,
        stagger=stagger,
        initial_state=initial_state,
        finite_horizon=finite_horizon,
        end_game=end_game,
        end_game_state=end_game_state,
    )
    train(env, chosen, out, progress=progress)
    return Path(out)


def recommendation_env(
    scenario: Any,
    control: str,
    num_envs: int,
    *,
    periods: int | None = None,
    actions: Any = None,
) -> Any:
    """``num_envs`` copies of :class:`sim.recommendation_env.RecommendationEnv` on
    ``scenario``'s instance (a :class:`scenarios.recommendation.RecommendationScenario`),
    episodes of ``periods`` periods (default :data:`EPISODE_PERIODS`, at most the
    scenario's ``periods``), actions read as ``actions`` says
    (:class:`~sim.recommendation_env.RecommendationActions`; default the seed paper's
    form); the vector environment carries the copies' ``fingerprint``, which checkpoints
    record."""
    import gymnasium as gym
    from gymnasium.vector import AutoresetMode

    from sim.recommendation_env import RecommendationEnv

    problem = scenario.problem()
    periods = periods or min(scenario.periods, EPISODE_PERIODS)
    envs = [
        RecommendationEnv(problem, periods=periods, control=control, actions=actions)
        for _ in range(num_envs)
    ]
    vector = gym.vector.SyncVectorEnv(
        [lambda env=env: env for env in envs], autoreset_mode=AutoresetMode.NEXT_STEP
    )
    vector.fingerprint = envs[0].fingerprint
    return vector


def train_recommendation(
    scenario: Any,
    control: str,
    out: str | Path,
    *,
    steps: int,
    seed: int | None = None,
    num_envs: int | None = None,
    periods: int | None = None,
    progress: bool = True,
    actions: Any = None,
    **config: Any,
) -> Path:
    """Train PPO on ``scenario``'s §VI firm into ``out`` (resuming a run found there), the
    learner deciding what ``control`` names: ``"joint"`` (Joint IM-RS), ``"inventory"``
    (IM-Only) or ``"recommendation"`` (RS-Only); the other half of an IM-Only or RS-Only
    action is random. ``seed`` defaults to the scenario's; ``config`` overrides fields of
    :class:`agents.learning.PPOConfig`; ``periods`` and ``actions`` as in
    :func:`recommendation_env`. Returns ``out``."""
    from agents.learning import PPOConfig, train

    seed = scenario.seed if seed is None else seed
    chosen = _config(PPOConfig, "ppo", steps, seed, num_envs, config)
    env = recommendation_env(scenario, control, chosen.num_envs, periods=periods, actions=actions)
    train(env, chosen, out, progress=progress)
    return Path(out)


def train_recommendation_team(
    scenario: Any,
    out: str | Path,
    *,
    steps: int,
    algo: str = "mtma",
    seed: int | None = None,
    num_envs: int | None = None,
    periods: int | None = None,
    progress: bool = True,
    actions: Any = None,
    **config: Any,
) -> Path:
    """Train ``scenario``'s inventory and recommendation modules as a team of two agents
    on the firm's profit (:class:`sim.recommendation_env.RecommendationTeamEnv`) into
    ``out`` (resuming a run found there): ``algo="mtma"`` on :data:`MTMA_SCHEDULE`,
    ``"ippo"`` both every rollout at the same rate. Each agent's actor is kept in
    ``out/<agent>/`` (checkpoints of ``control=<agent>``: together a
    :class:`agents.learning.recommendation.NaiveJointPolicy`); ``config`` overrides fields
    of :class:`agents.learning.multi.MultiConfig`; ``seed``, ``periods`` and ``actions`` as
    in :func:`train_recommendation`. Returns ``out``."""
    from agents.learning.multi import MultiConfig, train_team
    from sim.recommendation_env import RecommendationTeamEnv

    schedules = {"mtma": MTMA_SCHEDULE, "ippo": {}}
    if algo not in schedules:
        raise ValueError(f"algo: must be one of {sorted(schedules)}, got {algo!r}")
    seed = scenario.seed if seed is None else seed
    chosen = _config(MultiConfig, algo, steps, seed, num_envs, {**schedules[algo], **config})
    periods = periods or min(scenario.periods, EPISODE_PERIODS)
    env = RecommendationTeamEnv(
        scenario.problem(), chosen.num_envs, periods=periods, actions=actions, seed=seed
    )
    train_team(env, chosen, out, progress=progress)
    return Path(out)


def _config(
    cls: Any, algo: str, steps: int, seed: int, num_envs: int | None, config: dict[str, Any]
) -> Any:
    """``cls(total_steps=steps, seed=seed, **config)`` (``num_envs``: ``None`` keeps its
    default), after a one-line error naming options that are not fields of ``cls``."""
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(config) - known)
    if unknown:
        raise ValueError(f"{algo.upper()} options: unknown {unknown}; known: {sorted(known)}")
    if num_envs is not None:
        config = {**config, "num_envs": num_envs}
    return cls(total_steps=steps, seed=seed, **config)
