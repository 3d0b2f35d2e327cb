"""A Gymnasium environment over the §VI firm (``sim.recommendation``): one learner decides
orders and recommendation together (the seed paper's Joint IM-RS), or one of the two while
the other is random (IM-Only, RS-Only).

* **Observation** (float32): on hand, backlog, scheduled arrivals (``L = max_i L_i`` rows),
  last period's demand, each divided by the product's expected demand per period at
  uniform intensities (``mu_i = sum_j c_j gamma[i, j]``); the seed paper's state
  ``{I_{t-1}, q_{t-t'}}`` plus the demand just seen.
* **Action**: ``Box(-1, 1)``. Orders: ``N`` entries, ``a -> (a + 1) / 2 * order_cap * mu_i``
  units. Recommendation: ``N`` entries, product scores ``exp(score_range * a)`` made into
  intensities by :func:`~sim.recommendation.spread` (``mix = 1``): ``N`` numbers instead of
  the ``N x M`` intensities, which a policy network could not output at ``M = 1,000``.
  ``control="joint"`` takes both (``2N``), ``"inventory"`` the orders only (recommendation
  drawn uniformly on ``[-1, 1]`` each period, IM-Only), ``"recommendation"`` the scores only
  (orders random, RS-Only).
* **Reward**: the period's profit ``sum_i F_t[i]`` (Eq. (14)), money.
* **Episodes**: ``periods`` periods, truncated, never terminated.

The random half and the run's customers draw from separate streams of the episode's seed.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from .recommendation import (
    RecommendationModel,
    RecommendationProblem,
    purchase_probabilities,
    spread,
)
from .streams import Purpose, stream

__all__ = ["CONTROLS", "RecommendationEnv"]

CONTROLS = ("joint", "inventory", "recommendation")


class RecommendationEnv(gym.Env):
    """Joint inventory and recommendation control of one §VI firm.

    Args:
        problem: the instance.
        periods: episode length (periods).
        control: ``"joint"``, ``"inventory"`` or ``"recommendation"`` (what the learner decides).
        order_cap: the largest order, in periods of expected demand.
        score_range: recommendation scores span ``exp(-score_range) .. exp(score_range)``.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": []}

    def __init__(
        self,
        problem: RecommendationProblem,
        *,
        periods: int = 50,
        control: Literal["joint", "inventory", "recommendation"] = "joint",
        order_cap: float = 3.0,
        score_range: float = 3.0,
    ) -> None:
        if control not in CONTROLS:
            raise ValueError(f"control: must be one of {CONTROLS}, got {control!r}")
        if isinstance(periods, bool) or not isinstance(periods, int) or periods < 1:
            raise ValueError(f"periods: must be a whole number >= 1, got {periods!r}")
        for name, value in (("order_cap", order_cap), ("score_range", score_range)):
            if not value > 0:
                raise ValueError(f"{name}: must be > 0, got {value!r}")
        self.problem, self.periods, self.control = problem, periods, control
        self.order_cap, self.score_range = float(order_cap), float(score_range)
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

    def _obs(self) -> np.ndarray:
        o = self.model.observe()
        parts = (o.on_hand, o.backlog, *o.arrivals, o.demand)
        return (
            (np.concatenate(parts).reshape(-1, len(self.scale)) / self.scale)
            .ravel()
            .astype(np.float32)
        )

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
        q = np.round((orders + 1.0) / 2.0 * self.order_cap * self.scale)
        alpha = spread(self.problem, np.exp(self.score_range * scores), 1.0)
        reward = self.model.advance(q, alpha)
        truncated = self.model.period >= self.periods
        return self._obs(), reward, False, truncated, {}
