"""A Gymnasium environment over the §VI firm (``sim.recommendation``): one learner decides
orders and recommendation together (the seed paper's Joint IM-RS), or one of the two while
the other is random (IM-Only, RS-Only).

* **Observation** (float32): on hand, backlog, scheduled arrivals (``L = max_i L_i`` rows),
  last period's demand, each divided by the product's expected demand per period at
  uniform intensities (``mu_i = sum_j c_j gamma[i, j]``); the seed paper's state
  ``{I_{t-1}, q_{t-t'}}`` plus the demand just seen.
* **Action**: ``Box(-1, 1)``, ``N`` entries for the orders and ``N`` for the recommendation
  (``N`` numbers instead of the ``N x M`` intensities, which a policy network could not
  output at ``M = 1,000``), read as :class:`RecommendationActions` says. The seed paper's
  form (the default): orders ``a -> (a + 1) / 2 * order_cap * mu_i`` units; product scores
  ``exp(score_range * a)`` made into intensities by :func:`~sim.recommendation.spread`
  (``mix = 1``). ``control="joint"`` takes both (``2N``), ``"inventory"`` the orders only
  (recommendation drawn uniformly on ``[-1, 1]`` each period, IM-Only),
  ``"recommendation"`` the recommendation only (orders random, RS-Only).
* **Reward**: the period's profit ``sum_i F_t[i]`` (Eq. (14)), money.
* **Episodes**: ``periods`` periods, truncated, never terminated.

The random half and the run's customers draw from separate streams of the episode's seed.

:func:`fingerprint` (also the environment's ``fingerprint`` attribute) names what a policy
was trained on: the instance, ``control`` and the action mapping. Checkpoints record it, so
that a trained half is not put to work on another instance or in the other role (see
:mod:`agents.learning.recommendation`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any, ClassVar, Literal

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from .recommendation import (
    RecommendationModel,
    RecommendationProblem,
    Targeting,
    purchase_probabilities,
    spread,
)
from .streams import Purpose, stream

__all__ = [
    "CONTROLS",
    "JointTeamVectorEnv",
    "RecommendationActions",
    "RecommendationEnv",
    "RecommendationTeamEnv",
    "fingerprint",
]

CONTROLS = ("joint", "inventory", "recommendation")
ORDER_FORMS = ("quantity", "cover")
RECOMMENDATION_FORMS = ("scores", "targeting")


@dataclasses.dataclass(frozen=True)
class RecommendationActions:
    """How :class:`RecommendationEnv`'s actions in ``[-1, 1]`` become orders and intensities.

    Attributes:
        orders: ``"quantity"`` (the seed paper's): ``a -> (a + 1) / 2 * order_cap * mu_i``
            units, ``mu_i`` the expected demand per period at uniform intensities.
            ``"cover"``: an order-up-to level ``S_i = cover_multiple * (L_i + 1) *
            mu_i(alpha_t) * (1 + level_range * a)`` with ``mu_i(alpha_t)`` the expected demand
            at this period's intensities, and the order ``max(0, S_i - IP_i)`` rounded: at
            ``a = 0``, base stock that follows the demand the recommendation creates.
        recommendation: ``"scores"`` (the seed paper's): scores ``exp(score_range * a)``
            through :func:`~sim.recommendation.spread` (``mix = 1``). ``"targeting"``: the
            entries are the weights of :class:`~sim.recommendation.Targeting` with
            ``sharpness``; ``a = 0`` is uniform exposure.
        order_cap: the largest order of ``"quantity"``, in periods of expected demand.
        score_range: scores of ``"scores"`` span ``exp(-score_range) .. exp(score_range)``.
        cover_multiple: the safety multiple of ``"cover"`` at ``a = 0`` (default: the tuned
            multiple of the built-in lost-sales instance).
        level_range: how far ``"cover"`` may move the level, as a fraction of it.
        sharpness: :class:`~sim.recommendation.Targeting`'s.

    With ``orders="cover"`` and ``recommendation="targeting"`` the zero action is base stock
    with uniform recommendation, the baseline a learner must beat; a policy network's
    first, near-zero outputs start from it (a residual form).
    """

    orders: str = "quantity"
    recommendation: str = "scores"
    order_cap: float = 3.0
    score_range: float = 3.0
    cover_multiple: float = 1.2
    level_range: float = 0.3
    sharpness: float = 20.0

    def __post_init__(self) -> None:
        if self.orders not in ORDER_FORMS:
            raise ValueError(
                f"RecommendationActions.orders: must be one of {ORDER_FORMS}, got {self.orders!r}"
            )
        if self.recommendation not in RECOMMENDATION_FORMS:
            raise ValueError(
                f"RecommendationActions.recommendation: must be one of {RECOMMENDATION_FORMS}, "
                f"got {self.recommendation!r}"
            )
        for f in dataclasses.fields(self)[2:]:
            value = getattr(self, f.name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not (0 < value < np.inf)
            ):
                raise ValueError(
                    f"RecommendationActions.{f.name}: must be a finite number > 0, got {value!r}"
                )

    def describe(self) -> dict[str, Any]:
        """What the fingerprint records: ``order_cap`` and ``score_range`` always (so the
        seed paper's form keeps the fingerprints it always had), and the other forms with
        their own parameters."""
        data: dict[str, Any] = {"order_cap": float(self.order_cap)}
        data["score_range"] = float(self.score_range)
        if self.orders == "cover":
            data["orders"] = {"cover": [float(self.cover_multiple), float(self.level_range)]}
        if self.recommendation == "targeting":
            data["recommendation"] = {"targeting": float(self.sharpness)}
        return data


def fingerprint(
    problem: RecommendationProblem,
    control: str,
    actions: RecommendationActions | None = None,
) -> str:
    """``"recommendation/<control>/<digest>"``: what a policy of :class:`RecommendationEnv`
    was trained on. The digest covers every field of ``problem`` (so also ``N``, ``M`` and
    the observation's size), ``control`` and the action mapping
    (:meth:`RecommendationActions.describe`); not the episode length, which changes
    episodes, not the meaning of an observation or an action."""
    fields = {
        f.name: np.asarray(getattr(problem, f.name)).tolist() for f in dataclasses.fields(problem)
    }
    data = {"problem": fields, "control": control}
    data |= (actions or RecommendationActions()).describe()
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]
    return f"recommendation/{control}/{digest}"


class RecommendationEnv(gym.Env):
    """Joint inventory and recommendation control of one §VI firm.

    Args:
        problem: the instance.
        periods: episode length (periods).
        control: ``"joint"``, ``"inventory"`` or ``"recommendation"`` (what the learner decides).
        actions: how actions become decisions (default: the seed paper's form).
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": []}

    def __init__(
        self,
        problem: RecommendationProblem,
        *,
        periods: int = 50,
        control: Literal["joint", "inventory", "recommendation"] = "joint",
        actions: RecommendationActions | None = None,
    ) -> None:
        if control not in CONTROLS:
            raise ValueError(f"control: must be one of {CONTROLS}, got {control!r}")
        if isinstance(periods, bool) or not isinstance(periods, int) or periods < 1:
            raise ValueError(f"periods: must be a whole number >= 1, got {periods!r}")
        self.problem, self.periods, self.control = problem, periods, control
        self.actions = actions = actions or RecommendationActions()
        self._targeting = (
            Targeting(problem, actions.sharpness) if actions.recommendation == "targeting" else None
        )
        self._cover = actions.cover_multiple * (problem.lead_time + 1.0)
        n = problem.n_products
        self.scale = (
            purchase_probabilities(problem, problem.uniform_intensities()) @ problem.capacity
        )
        self.scale = np.maximum(self.scale, 1e-9)
        self._rows = int(problem.lead_time.max())
        size = n * (3 + self._rows)
        self.observation_space = spaces.Box(0.0, np.inf, (size,), np.float32)
        width = 2 * n if control == "joint" else n
        self.action_space = spaces.Box(-1.0, 1.0, (width,), np.float32)
        self.model: RecommendationModel | None = None
        self.fingerprint = fingerprint(problem, control, actions)

    def vector(self, model: RecommendationModel) -> np.ndarray:
        """``model``'s observation in this environment's form (float32)."""
        o = model.observe()
        parts = (o.on_hand, o.backlog, *o.arrivals, o.demand)
        return (
            (np.concatenate(parts).reshape(-1, len(self.scale)) / self.scale)
            .ravel()
            .astype(np.float32)
        )

    def intensities(self, scores: np.ndarray) -> np.ndarray:
        """The intensities of the recommendation half of an action (``N`` entries in
        ``[-1, 1]``), as :attr:`actions` says."""
        if self._targeting is None:
            return spread(self.problem, np.exp(self.actions.score_range * scores), 1.0)
        return self._targeting(scores)

    def orders(self, model: RecommendationModel, orders: np.ndarray) -> np.ndarray:
        """``model``'s order quantities this period from the order half of an action (``N``
        entries in ``[-1, 1]``), as :attr:`actions` says. ``"cover"`` reads the expected
        demand at the intensities in force, so put this period's in force first."""
        actions = self.actions
        if actions.orders == "quantity":
            return np.round((orders + 1.0) / 2.0 * actions.order_cap * self.scale)
        level = self._cover * model.expected_demand * (1.0 + actions.level_range * orders)
        return np.maximum(np.round(level - model.inventory_position), 0.0)

    def _obs(self) -> np.ndarray:
        return self.vector(self.model)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        episode = int(self.np_random.integers(2**31))
        self.model = RecommendationModel(self.problem, seed=episode)
        self._random = stream(episode, Purpose.POLICY, "recommendation-env")
        return self._obs(), {}

    def step(self, action: Any):
        a = np.clip(np.asarray(action, dtype=np.float64), -1.0, 1.0)
        if a.shape != self.action_space.shape:
            raise ValueError(f"action: must have shape {self.action_space.shape}, got {a.shape}")
        n = self.problem.n_products
        if self.control == "joint":
            orders, scores = a[:n], a[n:]
        elif self.control == "inventory":
            orders, scores = a, self._random.uniform(-1.0, 1.0, n)
        else:
            orders, scores = self._random.uniform(-1.0, 1.0, n), a
        self.model.set_intensities(self.intensities(scores))
        reward = self.model.advance(self.orders(self.model, orders))
        truncated = self.model.period >= self.periods
        return self._obs(), reward, False, truncated, {}


class RecommendationTeamEnv:
    """The §VI firm as a team of two learners on ``num_envs`` copies, turn-based, for
    :class:`agents.learning.multi.MultiPPO` (the follow-up's multi-agent form): agent
    ``"inventory"`` orders (``N`` actions), then agent ``"recommendation"`` sets the
    intensities (``N`` scores), both from the same observation of the period's start; both
    are paid the period's profit (the firm's, shared). Observations, actions and rewards
    are :class:`RecommendationEnv`'s (``control="joint"``, its two halves split).

    Copy ``k`` of an episode started by ``reset(seed=s)`` is
    ``RecommendationModel(problem, seed=s + k)``; all copies start and end together.

    Use as :class:`sim.multi.TeamVectorEnv`::

        env.reset(seed=0)
        while not env.done:
            rewards = env.step(actions_of(env.agent, env.observe(env.agent)))

    Each agent's ``fingerprints`` entry is :func:`fingerprint` with ``control`` its name:
    its observation and action are those of ``RecommendationEnv(control=agent)``, so a
    trained agent's checkpoint loads as that control's policy
    (:class:`agents.learning.recommendation.RecommendationPolicy`), and the two as one
    joint policy (:class:`~agents.learning.recommendation.NaiveJointPolicy`). ``layouts``
    and ``mappings`` (what a stock point's checkpoint records) are ``None``.
    """

    agents = ("inventory", "recommendation")
    #: the critic's global state is the firm's whole observation, which both agents see
    global_state = False

    def __init__(
        self,
        problem: RecommendationProblem,
        num_envs: int,
        *,
        periods: int = 50,
        actions: RecommendationActions | None = None,
        seed: int = 0,
    ) -> None:
        if isinstance(num_envs, bool) or not isinstance(num_envs, int) or num_envs < 1:
            raise ValueError(f"num_envs: must be an integer >= 1, got {num_envs!r}")
        self.single = RecommendationEnv(problem, periods=periods, actions=actions)
        self.num_envs, self.periods = num_envs, periods
        n = problem.n_products
        half = spaces.Box(-1.0, 1.0, (n,), np.float32)
        self.action_spaces = dict.fromkeys(self.agents, half)
        self.observation_spaces = dict.fromkeys(self.agents, self.single.observation_space)
        self.state_size = self.single.observation_space.shape[0]
        self.fingerprints = {a: fingerprint(problem, a, self.single.actions) for a in self.agents}
        self.layouts = self.mappings = dict.fromkeys(self.agents)
        self._seed = seed
        self._models: list[RecommendationModel] = []
        self._turn = 0
        self._orders: np.ndarray | None = None
        self._obs: np.ndarray | None = None

    @property
    def done(self) -> bool:
        """The episode is over (or not started): :meth:`reset` starts the next."""
        return not self._models or self._models[0].period >= self.periods

    @property
    def agent(self) -> str | None:
        """The agent whose turn it is (``None`` when the episode is over)."""
        return None if self.done else self.agents[self._turn]

    def reset(self, seed: int | None = None) -> None:
        """Start new episodes: copy ``k`` runs seed ``seed + k`` (without a seed: the
        seed after the last episode's copies)."""
        if seed is None:
            seed = self._seed
        self._seed = seed + self.num_envs
        problem = self.single.problem
        self._models = [RecommendationModel(problem, seed=seed + k) for k in range(self.num_envs)]
        self._turn = 0
        self._obs = np.stack([self.single.vector(m) for m in self._models])

    def observe(self, agent: str) -> np.ndarray:
        """``agent``'s observations now, ``(num_envs, size)`` float32 (both agents see the
        firm's state at the start of the period)."""
        if agent not in self.agents:
            raise ValueError(f"agent: must be one of {self.agents}, got {agent!r}")
        return self._obs

    def state(self) -> np.ndarray:
        """The global state, ``(num_envs, state_size)``: the firm's observation."""
        return self._obs

    def step(self, actions: Any) -> np.ndarray | None:
        """Play the current agent's actions, ``(num_envs, N)`` in ``[-1, 1]``.

        Returns:
            ``None`` after the inventory agent's turn; after the recommendation agent's,
            the period's profit of every copy for both agents, ``(2, num_envs)``.
        """
        if self.done:
            raise RuntimeError("step: the episode is over; call reset()")
        shape = (self.num_envs, self.single.problem.n_products)
        a = np.clip(np.asarray(actions, dtype=np.float64), -1.0, 1.0)
        if a.shape != shape:
            raise ValueError(f"{self.agent} actions: must have shape {shape}, got {a.shape}")
        if self._turn == 0:
            self._orders, self._turn = a, 1
            return None
        RecommendationModel.set_intensities_of(
            self._models, [self.single.intensities(r) for r in a]
        )
        profit = np.array(
            [
                m.advance(self.single.orders(m, o))
                for m, o in zip(self._models, self._orders, strict=True)
            ]
        )
        self._turn = 0
        self._obs = np.stack([self.single.vector(m) for m in self._models])
        return np.stack([profit, profit])


class JointTeamVectorEnv:
    """A :class:`RecommendationTeamEnv` as a Gymnasium-style vector environment for one
    learner deciding both halves (single-agent PPO over the joint action, the follow-up's
    baseline): action ``(num_envs, 2N)``, orders then scores; reward the period's profit;
    episodes truncated at ``periods`` and started again on the next step (Gymnasium's
    ``NEXT_STEP`` autoreset: that step's actions are ignored, its reward is 0). The copies
    and their random numbers are the team environment's, so the two learners meet the same
    customers."""

    def __init__(self, team: RecommendationTeamEnv) -> None:
        from gymnasium.vector import AutoresetMode

        self.team, self.num_envs = team, team.num_envs
        self.metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP}
        self.single_observation_space = team.single.observation_space
        n = team.single.problem.n_products
        self.single_action_space = spaces.Box(-1.0, 1.0, (2 * n,), np.float32)
        self._ended = False

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        self.team.reset(seed=seed)
        self._ended = False
        return self.team.state(), {}

    def step(self, actions: Any):
        k = self.num_envs
        if self._ended:
            obs, _ = self.reset()
            none = np.zeros(k, dtype=bool)
            return obs, np.zeros(k), none, none, {}
        a = np.asarray(actions, dtype=np.float64).reshape(k, -1)
        n = a.shape[1] // 2
        self.team.step(a[:, :n])
        profit = self.team.step(a[:, n:])[0]
        self._ended = self.team.done
        return self.team.state(), profit, np.zeros(k, dtype=bool), np.full(k, self._ended), {}
