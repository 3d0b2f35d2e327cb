"""Trained policies of the §VI firm (:class:`sim.recommendation_env.RecommendationEnv`) and
the seed paper's **Naive IM-RS**: the inventory half of a trained IM-Only policy and the
recommendation half of a trained RS-Only policy acting together, with no training of their
own (§VI.B).

* :class:`RecommendationPolicy`: one checkpoint of ``supplysim train recommendation_*``
  (:func:`analysis.learning.train_recommendation`) as a deterministic actor: ``act(obs)``
  maps the environment's observation to its action (the Gaussian's mean, clipped to
  ``[-1, 1]``). Loading checks the checkpoint's fingerprint
  (:func:`sim.recommendation_env.fingerprint`): the same instance, the same ``control``.
* :class:`NaiveJointPolicy`: an IM-Only and an RS-Only policy as one policy of
  ``control="joint"``: ``act(obs)`` is the IM-Only policy's ``N`` orders followed by the
  RS-Only policy's ``N`` recommendation scores, the joint action as
  ``RecommendationEnv(control="joint")`` reads it. All three controls share one observation,
  so each half sees what it was trained on; what it never saw is the other half acting by a
  policy instead of at random. The two agents of a team run (``supplysim train
  recommendation_* --algo mtma`` or ``ippo``: ``OUT/inventory``, ``OUT/recommendation``)
  load the same way; they were trained together, so for them nothing is unseen.

Both have ``control`` and ``act(obs)``; :func:`analysis.recommendation.episode_profits`
plays either in the environment of its ``control``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from sim.recommendation import RecommendationProblem
from sim.recommendation_env import CONTROLS, RecommendationActions, fingerprint

from .checkpoint import CheckpointError, load_checkpoint
from .policy import freeze, greedy_actions
from .ppo import ActorCritic, RunningMeanStd

__all__ = ["NaiveJointPolicy", "RecommendationPolicy"]


@dataclass(frozen=True, eq=False)
class RecommendationPolicy:
    """A trained actor of :class:`~sim.recommendation_env.RecommendationEnv`.

    Attributes:
        network: the actor-critic (continuous actions; kept in eval mode).
        control: what it decides: ``"joint"`` (``2N`` entries: orders, then scores),
            ``"inventory"`` (``N`` orders) or ``"recommendation"`` (``N`` scores).
        obs_rms: the observation normaliser's frozen statistics (``None``: not normalised).
    """

    network: ActorCritic
    control: str
    obs_rms: RunningMeanStd | None = None

    def __post_init__(self) -> None:
        if self.control not in CONTROLS:
            raise ValueError(f"control: must be one of {CONTROLS}, got {self.control!r}")
        if self.network.spec.kind != "continuous":
            raise ValueError(
                f"RecommendationPolicy: needs a continuous (Box) actor, got {self.network.spec.kind}"
            )
        freeze(self.network)

    @classmethod
    def load(
        cls,
        path: str | Path,
        problem: RecommendationProblem,
        control: str,
        *,
        actions: RecommendationActions | None = None,
    ) -> RecommendationPolicy:
        """The policy of a checkpoint (a folder, or a trainer's output folder: its newest
        checkpoint), which must have been trained on ``problem`` with ``control`` and the
        action mapping ``actions`` (default: the seed paper's form).

        Raises:
            CheckpointError: the checkpoint is unreadable, or its fingerprint is another
                (another instance or control; one line naming both).
        """
        if control not in CONTROLS:
            raise ValueError(f"control: must be one of {CONTROLS}, got {control!r}")
        ckpt = load_checkpoint(path)
        expected = fingerprint(problem, control, actions)
        found = ckpt.meta.get("fingerprint")
        if found != expected:
            raise CheckpointError(
                f"{ckpt.folder}: trained on {found!r}, wanted {expected!r} (control "
                f"{control!r} on this instance); give a checkpoint of such a run"
            )
        return cls(ckpt.network, control, ckpt.obs_rms)

    @property
    def width(self) -> int:
        """Entries of its action."""
        return self.network.spec.dim

    def act(self, obs: np.ndarray) -> np.ndarray:
        """The action (float32 in ``[-1, 1]``) for one observation of the environment."""
        return greedy_actions(self.network, self.obs_rms, np.asarray(obs, dtype=np.float32)[None])[
            0
        ]


@dataclass(frozen=True, eq=False)
class NaiveJointPolicy:
    """Naive IM-RS: orders from a trained IM-Only policy, recommendation scores from a
    trained RS-Only policy, in one joint action (no training of its own).

    Attributes:
        inventory: the IM-Only policy (``control="inventory"``).
        recommendation: the RS-Only policy (``control="recommendation"``).
    """

    inventory: RecommendationPolicy
    recommendation: RecommendationPolicy
    #: It acts in ``RecommendationEnv(control="joint")``.
    control: ClassVar[str] = "joint"

    def __post_init__(self) -> None:
        for name in ("inventory", "recommendation"):
            half = getattr(self, name)
            if half.control != name:
                raise ValueError(
                    f"NaiveJointPolicy.{name}: must be a policy with control={name!r} "
                    f"(trained alone, or a team's {name} agent), got control={half.control!r}"
                )
        sizes = {self.inventory.network.obs_size, self.recommendation.network.obs_size}
        if len(sizes) > 1 or self.inventory.width != self.recommendation.width:
            raise ValueError(
                "NaiveJointPolicy: the halves were trained on instances of different sizes "
                f"(observations {self.inventory.network.obs_size} and "
                f"{self.recommendation.network.obs_size}, actions {self.inventory.width} and "
                f"{self.recommendation.width})"
            )

    @classmethod
    def load(
        cls,
        inventory: str | Path,
        recommendation: str | Path,
        problem: RecommendationProblem,
        *,
        actions: RecommendationActions | None = None,
    ) -> NaiveJointPolicy:
        """The IM-Only checkpoint ``inventory`` and the RS-Only checkpoint
        ``recommendation``, both trained on ``problem`` (see :meth:`RecommendationPolicy.load`:
        a swapped pair, or a checkpoint of another instance, is refused)."""
        return cls(
            RecommendationPolicy.load(inventory, problem, "inventory", actions=actions),
            RecommendationPolicy.load(recommendation, problem, "recommendation", actions=actions),
        )

    def act(self, obs: np.ndarray) -> np.ndarray:
        """The joint action: the IM-Only policy's orders, then the RS-Only policy's scores."""
        return np.concatenate([self.inventory.act(obs), self.recommendation.act(obs)])
