"""A decision module of your own, used beside the built-in ones.

Any object with ``act(obs) -> quantity`` is a decision module. This one is the
proportional order-up-to (POUT) rule of Disney & Towill (2003), which dampens the bullwhip
effect by closing only a fraction ``1 / smoothing`` of the inventory gap each period:

    q_t = (forecast + (level - inventory_position_t) / smoothing)^+

With a fixed forecast and i.i.d. demand, Var(orders) / Var(demand) = 1 / (2 T - 1) for
``smoothing`` T (1 is base-stock, no dampening; 4 gives 1/7).

Use it from Python (``python examples/custom_policy.py``) or from a scenario file by import
path: ``policy = { kind = "custom_policy:ProportionalOrderUpTo", level = 16, forecast = 4,
smoothing = 4 }``
(see ``custom_policy.toml`` beside this file; a module beside the scenario file is found
there). A scenario that names a module of yours runs its code, so say that you trust it:
``supplysim run examples/custom_policy.toml --allow-code`` (or ``SUPPLYSIM_ALLOW_CODE=1``),
``load(path, allow_code=True)`` in Python.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class ProportionalOrderUpTo:
    """POUT: order the forecast plus a fraction of the gap to ``level``.

    Attributes:
        level: target inventory position (units), >= 0.
        forecast: expected demand per period (units), >= 0.
        smoothing: periods over which a gap is closed (Disney & Towill's T_i), >= 1.
    """

    level: float
    forecast: float
    smoothing: float = 1.0

    def __post_init__(self) -> None:
        if not self.level >= 0:
            raise ValueError(f"level: must be >= 0, got {self.level!r}")
        if not self.forecast >= 0:
            raise ValueError(f"forecast: must be >= 0, got {self.forecast!r}")
        if not self.smoothing >= 1:
            raise ValueError(f"smoothing: must be >= 1, got {self.smoothing!r}")

    def act(self, obs) -> float:
        return max(0.0, self.forecast + (self.level - obs.inventory_position) / self.smoothing)


if __name__ == "__main__":
    from pathlib import Path

    from analysis.experiment import replicate, summary_statistics
    from scenarios import load

    scenario = load(Path(__file__).with_name("custom_policy.toml"), allow_code=True)
    stats = summary_statistics(replicate(scenario).kpis)
    for node in ("retailer", "wholesaler", "distributor", "factory"):
        bullwhip = stats[node]["bullwhip"]
        print(f"{node:>12}: bullwhip {bullwhip['mean']:.2f} ± {bullwhip['ci95']:.2f}")
