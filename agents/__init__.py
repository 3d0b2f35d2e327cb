"""Decision modules: textbook heuristics as frozen dataclasses with ``act(obs) -> action``.

``REGISTRY`` maps the names a scenario file uses (``policy = {kind = "base_stock",
level = 20}``) to the classes; the remaining keys of such a table are the class's fields.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from .heuristics import (
    RQ,
    SS,
    BaseStock,
    CappedBaseStock,
    CappedDualIndex,
    ConstantOrder,
    DemandTrackingBaseStock,
    DemandTrackingSS,
    DualIndex,
    EchelonBaseStock,
    EpochBaseStock,
    Sterman,
    StermanBatch,
    StermanRunner,
    TailoredBaseSurge,
)
from .myopic import Myopic
from .pricing import (
    SSP,
    BaseStockListPrice,
    FixedPrice,
    FollowLeader,
    MyopicPricing,
    RandomWalkPrice,
    Undercut,
)

__all__ = [
    "REGISTRY",
    "RQ",
    "SS",
    "SSP",
    "BaseStock",
    "BaseStockListPrice",
    "CappedBaseStock",
    "CappedDualIndex",
    "ConstantOrder",
    "DemandTrackingBaseStock",
    "DemandTrackingSS",
    "DualIndex",
    "EchelonBaseStock",
    "EpochBaseStock",
    "FixedPrice",
    "FollowLeader",
    "Myopic",
    "MyopicPricing",
    "RandomWalkPrice",
    "Sterman",
    "StermanBatch",
    "StermanRunner",
    "TailoredBaseSurge",
    "Undercut",
    "checkpoint",
]


def checkpoint(path: str, strict: bool = True) -> Any:
    """A trained policy read from a checkpoint folder (``kind = "checkpoint"``; needs the
    ``rl`` extra). Only tensors are read (``torch.load(weights_only=True)``), so a
    checkpoint cannot run code. With ``strict``, the scenario refuses it for a node whose
    network, node or engine options differ from those it was trained on; ``strict = false``
    allows such transfers when the observation layout still fits."""
    from .learning import TorchPolicy

    policy = TorchPolicy.load(path)
    return policy if strict else dataclasses.replace(policy, fingerprint=None)


#: Registry name -> decision-module class (or factory), for scenario files.
REGISTRY: dict[str, Callable[..., Any]] = {
    "base_stock": BaseStock,
    "echelon_base_stock": EchelonBaseStock,
    "epoch_base_stock": EpochBaseStock,
    "s_S": SS,
    "demand_tracking_base_stock": DemandTrackingBaseStock,
    "demand_tracking_s_S": DemandTrackingSS,
    "r_Q": RQ,
    "constant_order": ConstantOrder,
    "capped_base_stock": CappedBaseStock,
    "myopic": Myopic,
    "dual_index": DualIndex,
    "capped_dual_index": CappedDualIndex,
    "tailored_base_surge": TailoredBaseSurge,
    "sterman": Sterman,
    # pricing (agents.pricing): the firm's heuristics, then competitors' strategies
    "bslp": BaseStockListPrice,
    "s_S_p": SSP,
    "myopic_pricing": MyopicPricing,
    "fixed_price": FixedPrice,
    "undercut": Undercut,
    "follow_leader": FollowLeader,
    "random_walk_price": RandomWalkPrice,
    "checkpoint": checkpoint,
}
