"""Decision modules: textbook heuristics as frozen dataclasses with ``act(obs) -> action``.

``REGISTRY`` maps the names a scenario file uses (``policy = {kind = "base_stock",
level = 20}``) to the classes; the remaining keys of such a table are the class's fields.
"""

from __future__ import annotations

from .heuristics import (
    RQ,
    SS,
    BaseStock,
    CappedBaseStock,
    CappedDualIndex,
    ConstantOrder,
    DualIndex,
    EchelonBaseStock,
    Sterman,
    StermanRunner,
    TailoredBaseSurge,
)
from .myopic import Myopic

__all__ = [
    "REGISTRY",
    "RQ",
    "SS",
    "BaseStock",
    "CappedBaseStock",
    "CappedDualIndex",
    "ConstantOrder",
    "DualIndex",
    "EchelonBaseStock",
    "Myopic",
    "Sterman",
    "StermanRunner",
    "TailoredBaseSurge",
]

#: Registry name -> decision-module class, for scenario files.
REGISTRY: dict[str, type] = {
    "base_stock": BaseStock,
    "echelon_base_stock": EchelonBaseStock,
    "s_S": SS,
    "r_Q": RQ,
    "constant_order": ConstantOrder,
    "capped_base_stock": CappedBaseStock,
    "myopic": Myopic,
    "dual_index": DualIndex,
    "capped_dual_index": CappedDualIndex,
    "tailored_base_surge": TailoredBaseSurge,
    "sterman": Sterman,
}
