"""Learning agents (needs the ``rl`` extra: torch, gymnasium).

``ppo`` is a compact PPO on gymnasium vector environments, ``checkpoint`` reads and writes
trained policies, ``policy.TorchPolicy`` is a trained policy as a decision module, and
``trainer.train`` is the command-line training loop (learning curve, checkpoints, resume).

Importing this package loads torch; ``import agents`` does not.
"""

from __future__ import annotations

from .checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from .policy import TorchPolicy
from .ppo import PPO, PPOConfig
from .trainer import train

__all__ = [
    "PPO",
    "Checkpoint",
    "CheckpointError",
    "PPOConfig",
    "TorchPolicy",
    "load_checkpoint",
    "save_checkpoint",
    "train",
]
