"""A trained network as a decision module like any other."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sim.policy import Action, InventoryObservation, ObservationBatch
from sim.spaces import ActionMapping, ObservationLayout

from .checkpoint import load_checkpoint
from .ppo import ActionSpec, ActorCritic, RunningMeanStd

__all__ = ["TorchPolicy"]


@dataclass(frozen=True, eq=False)
class TorchPolicy:
    """A trained actor as a decision module: ``act(obs)`` orders the network's most likely
    action (argmax of each categorical, or the Gaussian's mean), so it is deterministic and
    keeps no state between periods; the engine may share one value among stock points.
    Trained at a firm of a market with a price dimension (:class:`~sim.spaces.ActionMapping`),
    it returns :class:`~sim.policy.Priced` ``(quantity, price)``.

    The observation becomes a vector by ``layout``, is normalised with the frozen training
    statistics ``obs_rms``, and the action becomes order quantities by ``mapping``. A policy
    trained for a finite horizon (the layout's ``horizon``) acts in periods ``0 ..
    horizon - 1`` of a run and refuses later ones with an error naming the horizon.

    Attributes:
        network: the actor-critic (kept in eval mode, never trained here).
        layout: the observation layout the network was trained on.
        mapping: its action mapping.
        obs_rms: the observation normaliser's statistics (``None``: not normalised).
        fingerprint: the digest of the network, learner node and engine options it was
            trained on (:func:`sim.env.fingerprint`), when known.
    """

    network: ActorCritic
    layout: ObservationLayout
    mapping: ActionMapping
    obs_rms: RunningMeanStd | None = None
    fingerprint: str | None = None

    def __repr__(self) -> str:  # errors name the module; the network's repr is pages long
        return (
            f"TorchPolicy(target={self.mapping.target!r}, inputs={self.layout.size}, "
            f"horizon={self.layout.horizon}, fingerprint={self.fingerprint!r})"
        )

    def __post_init__(self) -> None:
        if self.network.obs_size != self.layout.size:
            raise ValueError(
                f"TorchPolicy: the network takes {self.network.obs_size} inputs, the layout gives {self.layout.size}"
            )
        spec = self.network.spec
        if spec.dim != self.mapping.dims or (spec.kind == "discrete") != (
            self.mapping.kind == "discrete"
        ):
            raise ValueError(
                f"TorchPolicy: a {spec.kind} network with {spec.dim} outputs does not fit the "
                f"{self.mapping.kind} mapping with {self.mapping.dims} entries per action"
            )
        if spec.kind == "discrete" and tuple(spec.nvec) != self.mapping.nvec:
            raise ValueError(
                f"TorchPolicy: the network has {spec.nvec} choices, the mapping {self.mapping.nvec}"
            )
        freeze(self.network)

    @classmethod
    def fresh(
        cls,
        layout: ObservationLayout,
        mapping: ActionMapping,
        hidden: tuple[int, ...] = (64, 64),
        seed: int = 0,
    ) -> TorchPolicy:
        """An untrained policy (initial weights drawn from a generator seeded with ``seed``)."""
        if mapping.kind == "discrete":
            spec = ActionSpec("discrete", mapping.nvec, mapping.dims, mapping.dims == 1)
        else:
            spec = ActionSpec("continuous", (), mapping.dims)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            network = ActorCritic(layout.size, spec, hidden)
        return cls(network, layout, mapping)

    @classmethod
    def load(cls, path: str | Path, expect_layout: ObservationLayout | None = None) -> TorchPolicy:
        """The policy of a checkpoint (a folder, or a trainer's ``latest`` file).

        Raises:
            CheckpointError: the checkpoint is unreadable, has no layout or mapping, or was
                trained on another layout than ``expect_layout``.
        """
        from .checkpoint import CheckpointError

        ckpt = load_checkpoint(path, expect_layout)
        if ckpt.layout is None or ckpt.mapping is None:
            raise CheckpointError(
                f"{ckpt.folder}: trained without an observation layout and action mapping; "
                "it cannot act in a supply chain"
            )
        return cls(
            ckpt.network, ckpt.layout, ckpt.mapping, ckpt.obs_rms, ckpt.meta.get("fingerprint")
        )

    @property
    def observes(self) -> frozenset[str]:
        """The optional observation fields the layout needs."""
        return self.layout.observes

    def _actions(self, x: np.ndarray) -> np.ndarray:
        return greedy_actions(self.network, self.obs_rms, x)

    def act(self, obs: InventoryObservation) -> Action:
        """The order (one number, or one per supplier) for one stock point; nothing outside
        the layout's review epochs."""
        if obs.period >= self.layout.horizon > 0:
            raise ValueError(self._past_horizon(obs.period))
        if self.layout.epoch(obs.period) is None:
            return 0.0 if self.mapping.suppliers == 1 else [0.0] * self.mapping.suppliers
        return self.mapping.quantity(self._actions(self.layout.vector(obs)[None])[0], obs)

    def act_batch(self, obs: ObservationBatch) -> np.ndarray:
        """Orders for a batch: shape ``(n,)`` with one supplier, else ``(n, suppliers)``.

        Raises:
            ValueError: the batch does not give what the layout needs (a non-finite entry),
                or its period is past a finite horizon.
        """
        if obs.period >= self.layout.horizon > 0:
            raise ValueError(self._past_horizon(obs.period))
        if self.layout.epoch(obs.period) is None:
            n = len(obs.on_hand)
            return (
                np.zeros(n)
                if self.mapping.suppliers == 1
                else np.zeros((n, self.mapping.suppliers))
            )
        x = self.layout.batch(obs)
        if not np.isfinite(x).all():
            bad = self.layout.names[int(np.nonzero(~np.isfinite(x).all(axis=0))[0][0])]
            raise ValueError(f"TorchPolicy: observation entry {bad!r} is missing or not finite")
        q = self.mapping.quantities(self._actions(x), obs)
        return q[:, 0] if self.mapping.suppliers == 1 else q

    def _past_horizon(self, period: int) -> str:
        return (
            f"TorchPolicy: trained for a horizon of {self.layout.horizon} periods "
            f"(finite_horizon); period {period} is past it: run at most that many periods"
        )

    # A plain state for pickling (worker processes): tensors and JSON-like values only.
    def __getstate__(self) -> dict[str, Any]:
        net = self.network
        return {
            "network": {
                "obs_size": net.obs_size,
                "hidden": net.hidden,
                "action": net.spec.to_dict(),
            },
            "state_dict": net.state_dict(),
            "layout": self.layout.to_dict(),
            "mapping": self.mapping.to_dict(),
            "obs_rms": None if self.obs_rms is None else self.obs_rms.to_dict(),
            "fingerprint": self.fingerprint,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        net = state["network"]
        network = ActorCritic(
            net["obs_size"], ActionSpec.from_dict(net["action"]), net["hidden"], initialize=False
        )
        network.load_state_dict(state["state_dict"])
        obs_rms = None if state["obs_rms"] is None else RunningMeanStd.from_dict(state["obs_rms"])
        for name, value in (
            ("network", network),
            ("layout", ObservationLayout.from_dict(state["layout"])),
            ("mapping", ActionMapping.from_dict(state["mapping"])),
            ("obs_rms", obs_rms),
            ("fingerprint", state["fingerprint"]),
        ):
            object.__setattr__(self, name, value)
        self.__post_init__()


def freeze(network: ActorCritic) -> None:
    """Make a trained ``network`` a decision module's: eval mode, no gradients, and one torch
    thread (one small network per decision: one thread is faster, and a process that never
    started torch's thread pool forks worker processes safely, as replications do)."""
    torch.set_num_threads(1)
    network.eval()
    for p in network.parameters():
        p.requires_grad_(False)


def greedy_actions(
    network: ActorCritic, obs_rms: RunningMeanStd | None, x: np.ndarray
) -> np.ndarray:
    """``network``'s most likely actions for the observations ``x`` (rows), normalised by
    ``obs_rms`` first when given."""
    if obs_rms is not None:
        x = obs_rms.normalize(x)
    with torch.no_grad():
        return network.mode(torch.from_numpy(x)).numpy()
