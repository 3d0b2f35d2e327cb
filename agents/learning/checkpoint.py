"""Checkpoints: a folder with ``policy.pt`` (the network's state dict, nothing else) and
``policy.json`` (everything needed to rebuild and check it), written atomically.

``policy.json`` holds the format version, the algorithm, the network's sizes and action
spec, the observation layout and action mapping (:mod:`sim.spaces`), the observation
normaliser's statistics, the environment's fingerprint, the training configuration and
the step count. A trainer may add ``training.pt`` (optimizer and RNG states) for resuming.

``policy.pt`` is read with ``torch.load(..., weights_only=True)``: tensors only, so a
checkpoint from elsewhere cannot run code. Every failure to read a checkpoint is a
one-line :class:`CheckpointError` naming the file, never a traceback from pickle.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from networks.io import atomic_path
from sim.spaces import ActionMapping, ObservationLayout

from .ppo import ActionSpec, ActorCritic, RunningMeanStd

__all__ = ["FORMAT_VERSION", "Checkpoint", "CheckpointError", "load_checkpoint", "save_checkpoint"]

#: Version of the ``policy.json`` format; bumped when a reader of the old one would misread.
FORMAT_VERSION = 1
POLICY_PT, POLICY_JSON, TRAINING_PT = "policy.pt", "policy.json", "training.pt"
#: A trainer's folder of checkpoints, and the file in it naming the newest one.
CHECKPOINTS, LATEST = "checkpoints", "latest"


class CheckpointError(ValueError):
    """A checkpoint cannot be read, or does not fit the engine it is loaded for."""


@dataclass(frozen=True)
class Checkpoint:
    """A loaded checkpoint.

    Attributes:
        folder: where it was read from.
        network: the actor-critic, in eval mode.
        obs_rms: the observation normaliser's frozen statistics (``None``: not normalised).
        layout: the observation layout it was trained on (``None`` for a plain gymnasium
            environment without one).
        mapping: its action mapping (``None`` likewise).
        meta: the whole of ``policy.json``.
    """

    folder: Path
    network: ActorCritic
    obs_rms: RunningMeanStd | None
    layout: ObservationLayout | None
    mapping: ActionMapping | None
    meta: dict[str, Any]

    @property
    def step(self) -> int:
        """Environment steps of training behind this checkpoint."""
        return int(self.meta["step"])


def save_checkpoint(
    folder: str | Path,
    network: ActorCritic,
    *,
    obs_rms: RunningMeanStd | None,
    layout: ObservationLayout | None,
    mapping: ActionMapping | None,
    fingerprint: str | None,
    config: dict[str, Any],
    step: int,
    algo: str = "ppo",
    episodes: dict[str, Any] | None = None,
) -> Path:
    """Write ``policy.pt`` and ``policy.json`` into ``folder`` (created if missing); each
    file is replaced atomically, the JSON last, so a reader never sees a half-written one.
    ``episodes`` says how the training episodes differed from the environment's own,
    when they did (the vector environment's ``episodes``, e.g. end-game copies: what a
    resumed run must repeat).

    Returns:
        The folder.
    """
    folder = Path(folder)
    meta = {
        "format_version": FORMAT_VERSION,
        "algo": algo,
        "network": {
            "obs_size": network.obs_size,
            "hidden": list(network.hidden),
            "action": network.spec.to_dict(),
        },
        "layout": None if layout is None else layout.to_dict(),
        "mapping": None if mapping is None else mapping.to_dict(),
        "obs_normalizer": None if obs_rms is None else obs_rms.to_dict(),
        "fingerprint": fingerprint,
        "config": config,
        "step": int(step),
    }
    if episodes is not None:
        meta["episodes"] = episodes
    with atomic_path(folder / POLICY_PT) as tmp:
        torch.save(network.state_dict(), tmp)
    with atomic_path(folder / POLICY_JSON) as tmp:
        tmp.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return folder


def resolve(path: str | Path) -> Path:
    """The checkpoint folder named by ``path``: the folder itself, a file in it, a
    ``latest`` file naming a sibling folder, or a trainer's output folder (its
    ``checkpoints/latest``)."""
    path = Path(path)
    if path.is_dir() and not (path / POLICY_JSON).exists():
        for latest in (path / LATEST, path / CHECKPOINTS / LATEST):
            if latest.is_file():
                path = latest
                break
    if path.name == LATEST and path.is_file():
        path = path.parent / path.read_text(encoding="utf-8").strip()
    elif path.name in (POLICY_PT, POLICY_JSON):
        path = path.parent
    if not (path / POLICY_JSON).is_file():
        raise CheckpointError(
            f"{path}: not a checkpoint folder (no {POLICY_JSON}); give the folder a trainer wrote"
        )
    return path


def read_tensors(file: Path) -> Any:
    """``torch.load(file, weights_only=True)``, with any failure as a one-line CheckpointError."""
    try:
        with warnings.catch_warnings():  # torch warns before failing on foreign pickles
            warnings.simplefilter("ignore")
            return torch.load(file, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{file}: missing") from None
    except Exception as e:  # pickle, zip and torch errors alike: the file is not ours or is damaged
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise CheckpointError(
            f"{file}: unreadable or corrupted ({reason[:120]}); re-save or retrain"
        ) from None


def _differences(expected: ObservationLayout, found: ObservationLayout) -> str:
    a, b = expected.to_dict(), found.to_dict()
    return ", ".join(f"{k}={b[k]!r} (engine: {a[k]!r})" for k in a if a[k] != b[k])


def load_checkpoint(path: str | Path, expect_layout: ObservationLayout | None = None) -> Checkpoint:
    """Read a checkpoint folder (see :func:`resolve`) and rebuild its network.

    Args:
        path: the folder, a file in it, or a trainer's ``latest`` file.
        expect_layout: the engine's observation layout; a checkpoint trained on another
            one is refused.

    Raises:
        CheckpointError: unreadable, corrupted or incomplete files, an unknown format
            version, or a layout other than ``expect_layout`` (one line naming the file).
    """
    folder = resolve(path)
    meta_file = folder / POLICY_JSON
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        if meta.get("format_version") != FORMAT_VERSION:
            raise CheckpointError(
                f"{meta_file}: format_version {meta.get('format_version')!r}, this supplysim reads {FORMAT_VERSION}"
            )
        net = meta["network"]
        layout = None if meta["layout"] is None else ObservationLayout.from_dict(meta["layout"])
        mapping = None if meta["mapping"] is None else ActionMapping.from_dict(meta["mapping"])
        obs_rms = (
            None
            if meta["obs_normalizer"] is None
            else RunningMeanStd.from_dict(meta["obs_normalizer"])
        )
        network = ActorCritic(
            int(net["obs_size"]),
            ActionSpec.from_dict(net["action"]),
            tuple(net["hidden"]),
            initialize=False,
        )
    except CheckpointError:
        raise
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(
            f"{meta_file}: unreadable or corrupted ({str(e).splitlines()[0]})"
        ) from None
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise CheckpointError(
            f"{meta_file}: incomplete or invalid ({type(e).__name__}: {e})"
        ) from None
    if expect_layout is not None and layout != expect_layout:
        if layout is None:
            raise CheckpointError(
                f"{meta_file}: has no observation layout; the engine needs {expect_layout}"
            )
        raise CheckpointError(
            f"{meta_file}: trained on another observation layout: {_differences(expect_layout, layout)}; "
            "train on this engine's observation or change the engine"
        )
    pt_file = folder / POLICY_PT
    state = read_tensors(pt_file)
    try:
        network.load_state_dict(state)
    except Exception as e:  # wrong keys or shapes: not the network policy.json describes
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise CheckpointError(f"{pt_file}: does not match {POLICY_JSON} ({reason[:160]})") from None
    network.eval()
    return Checkpoint(folder, network, obs_rms, layout, mapping, meta)
