"""Learning agents (needs the ``rl`` extra: torch, gymnasium).

``ppo`` is a compact PPO on gymnasium vector environments, ``dqn`` a compact DQN (its
Q-network stored as PPO's actor, so the same checkpoints), ``checkpoint`` reads and writes
trained policies, ``policy.TorchPolicy`` is a trained policy as a decision module, and
``trainer.train`` is the command-line training loop (learning curve, checkpoints, resume).
``recommendation`` (imported on its own: it needs gymnasium) holds trained policies of the
§VI firm and their composition, Naive IM-RS.

Importing this package loads torch; ``import agents`` does not.
"""

from __future__ import annotations

from .checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from .dqn import DQN, DQNConfig
from .policy import TorchPolicy
from .ppo import PPO, PPOConfig
from .trainer import train

__all__ = [
    "DQN",
    "PPO",
    "Checkpoint",
    "CheckpointError",
    "DQNConfig",
    "PPOConfig",
    "TorchPolicy",
    "load_checkpoint",
    "save_checkpoint",
    "train",
]
