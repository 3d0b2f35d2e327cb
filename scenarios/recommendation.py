"""Built-in instances of the §VI firm (``sim.recommendation``): lost sales and backlog.

The seed paper gives no numbers for its Fig. 2 experiments, so these are ours, chosen so
that recommendation matters: ``N`` products (default 10) and ``M`` customers (default 100).

* Initial ratings ``R_-1[:, j]`` uniform on ``[0, 4]`` with ``R_max = 5``; capacity ``c_j``
  uniform on ``{1, 2, 3}`` — both from customer ``j``'s own stream, so adding customers
  leaves the first ones as they were.
* Per product ``i`` (from product ``i``'s stream): price uniform on ``[8, 12]``, unit cost
  40–70% of it, holding cost 2% of the cost per period, penalty 1 per unit lost (or per unit
  and period backlogged), lead time ``1 + i mod 3`` periods, efficiency ``E_i`` uniform on
  ``[5, 15]``. Under Eq. (8)'s per-product normalisation a uniform exposure is ``1 / M``, so
  ``E_i`` of this order lets recommendation move a rating by 5–15% of its gap at ``M = 100``
  (and a concentrated exposure lifts it to ``R_max`` or, past ``alpha E = 1``, beyond, as
  Eq. (8) then says).
* Initial stock: the expected demand of ``L_i + 1`` periods at uniform intensities.

:data:`SCENARIOS` maps the names to builders of the instance; :data:`BUILTIN` to the
experiments ``supplysim run`` and ``supplysim train`` play (:class:`RecommendationScenario`:
the instance's size, the run's length and seeds, the heuristic modules).
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sim.recommendation import RecommendationProblem

__all__ = [
    "BASE_STOCKS",
    "BUILTIN",
    "RECOMMENDATIONS",
    "SCENARIOS",
    "RecommendationScenario",
    "builtin_with",
    "recommendation_problem",
]


def recommendation_problem(
    shortage: str = "lost",
    *,
    n_products: int = 10,
    n_customers: int = 100,
    seed: int = 0,
    normalize: str = "product",
) -> RecommendationProblem:
    """The built-in instance (see the module docstring) with ``shortage`` ``"lost"`` or
    ``"backlog"``; ``seed`` draws the instance, not the run."""
    # imported here: `supplysim list` reads BUILTIN without loading the engines
    from sim.recommendation import RecommendationProblem, purchase_probabilities
    from sim.streams import Purpose, stream

    for name, value in (("n_products", n_products), ("n_customers", n_customers)):
        _whole(name, value, low=1)
    ratings = np.empty((n_products, n_customers))
    capacity = np.empty(n_customers, dtype=np.int64)
    for j in range(n_customers):
        rng = stream(seed, Purpose.DEMAND, "scenario-customer", j)
        capacity[j] = rng.integers(1, 4)
        ratings[:, j] = rng.uniform(0.0, 4.0, n_products)
    product = np.empty((n_products, 3))
    for i in range(n_products):
        product[i] = stream(seed, Purpose.DEMAND, "scenario-product", i).uniform(0, 1, 3)
    price = 8.0 + 4.0 * product[:, 0]
    cost = price * (0.4 + 0.3 * product[:, 1])
    lead_time = 1 + np.arange(n_products) % 3
    problem = RecommendationProblem(
        ratings=ratings,
        r_max=5.0,
        efficiency=5.0 + 10.0 * product[:, 2],
        capacity=capacity,
        lead_time=lead_time,
        price=price,
        cost=cost,
        holding=0.02 * cost,
        penalty=1.0,
        shortage=shortage,
        normalize=normalize,
    )
    mean = purchase_probabilities(problem, problem.uniform_intensities()) @ capacity
    return RecommendationProblem(
        **{k: getattr(problem, k) for k in problem.__dataclass_fields__}
        | {"initial_inventory": np.round(mean * (lead_time + 1))}
    )


#: The recommendation modules a :class:`RecommendationScenario` may name (see
#: :mod:`agents.recommendation`).
RECOMMENDATIONS = ("uniform", "inventory", "margin", "targeting")
#: How a :class:`RecommendationScenario`'s base-stock levels are set.
BASE_STOCKS = ("fixed", "cover")


@dataclass(frozen=True, kw_only=True)
class RecommendationScenario:
    """A built-in §VI experiment: the instance of :func:`recommendation_problem` and how a
    run plays it (``supplysim run``: base stock per product and one recommendation module;
    ``supplysim train``: the same instance, episodes of ``periods`` periods).

    Attributes:
        name: the name ``supplysim`` knows it by.
        description: one line for ``supplysim list``.
        shortage: ``"lost"`` or ``"backlog"``.
        n_products: ``N``.
        n_customers: ``M``.
        normalize: ``"product"`` (Eq. (8) as written) or ``"customer"``.
        instance_seed: draws the instance (ratings, capacities, prices ...), not the runs.
        replications: independent runs (seeds ``seed``, ``seed + 1``, ...).
        periods: periods per run, warm-up included.
        warmup: periods left out of the statistics.
        seed: the first run's seed.
        base_stock_multiple: base-stock levels ``multiple * (L_i + 1) * mu_i`` (see
            :func:`analysis.recommendation.base_stock`).
        base_stock: ``"fixed"``: ``mu_i`` at uniform intensities, levels fixed for the run;
            ``"cover"``: ``mu_i`` at the intensities in force, levels that follow the
            recommendation (:class:`agents.recommendation.CoverBaseStock`).
        recommendation: ``"uniform"``, ``"inventory"``, ``"margin"`` or ``"targeting"``
            (:mod:`agents.recommendation`; targeting moves demand between products, so pair
            it with ``base_stock="cover"``).
        mix: the recommendation module's weight of its scores against uniform, in [0, 1]
            (targeting: the scale of its weights).
    """

    name: str
    description: str
    shortage: str
    n_products: int = 10
    n_customers: int = 100
    normalize: str = "product"
    instance_seed: int = 0
    replications: int = 10
    periods: int = 200
    warmup: int = 20
    seed: int = 0
    base_stock_multiple: float = 1.2
    base_stock: str = "fixed"
    recommendation: str = "uniform"
    mix: float = 1.0

    def __post_init__(self) -> None:
        for name in ("replications", "periods"):
            _whole(name, getattr(self, name), low=1)
        for name in ("warmup", "seed", "instance_seed"):
            _whole(name, getattr(self, name), low=0)
        if self.warmup >= self.periods:
            raise ValueError(f"warmup: must be below periods={self.periods}, got {self.warmup}")
        if not self.base_stock_multiple >= 0:
            raise ValueError(f"base_stock_multiple: must be >= 0, got {self.base_stock_multiple!r}")
        if (
            isinstance(self.mix, bool)
            or not isinstance(self.mix, int | float)
            or not 0 <= self.mix <= 1
        ):
            raise ValueError(f"mix: must be a number in [0, 1], got {self.mix!r}")
        if self.base_stock not in BASE_STOCKS:
            raise ValueError(f"base_stock: must be one of {BASE_STOCKS}, got {self.base_stock!r}")
        if self.recommendation not in RECOMMENDATIONS:
            raise ValueError(
                f"recommendation: must be one of {RECOMMENDATIONS}, got {self.recommendation!r}"
            )

    def problem(self) -> RecommendationProblem:
        """The instance (checked: sizes, shortage, normalisation)."""
        return recommendation_problem(
            self.shortage,
            n_products=self.n_products,
            n_customers=self.n_customers,
            seed=self.instance_seed,
            normalize=self.normalize,
        )

    def to_json(self) -> str:
        """The fields as a JSON object (for run manifests)."""
        return json.dumps(dataclasses.asdict(self))

    def with_overrides(self, overrides: Mapping[str, Any]) -> RecommendationScenario:
        """A copy with fields replaced (``supplysim ... --set FIELD=VALUE``); an unknown
        field is an error that lists the known ones."""
        known = [f.name for f in dataclasses.fields(self) if f.name not in ("name", "description")]
        for key in overrides:
            if key not in known:
                raise ValueError(f"{self.name}: no field {key!r}; known: {', '.join(known)}")
        return dataclasses.replace(self, **overrides)


def _whole(name: str, value: Any, *, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name}: must be a whole number >= {low}, got {value!r}")


#: Name -> the built-in §VI experiments.
BUILTIN: dict[str, RecommendationScenario] = {
    s.name: s
    for s in (
        RecommendationScenario(
            name="recommendation_lost",
            description="§VI inventory and recommendation, lost sales (N = 10, M = 100)",
            shortage="lost",
        ),
        RecommendationScenario(
            name="recommendation_backlog",
            description="§VI inventory and recommendation, backlog (N = 10, M = 100)",
            shortage="backlog",
        ),
    )
}

#: Name -> builder of the built-in §VI instances (keyword arguments as
#: :func:`recommendation_problem`'s).
SCENARIOS: dict[str, Callable[..., RecommendationProblem]] = {
    name: functools.partial(recommendation_problem, s.shortage) for name, s in BUILTIN.items()
}


def builtin_with(name: str, settings: Sequence[str] = ()) -> RecommendationScenario:
    """The built-in experiment ``name`` with ``FIELD=VALUE`` settings (the ``--set`` of the
    benchmark scripts; values read as in scenario files)."""
    from . import parse_value

    values = {}
    for text in settings:
        field, sep, value = text.partition("=")
        if not sep:
            raise ValueError(f"--set {text!r}: write FIELD=VALUE")
        values[field.strip()] = parse_value(value.strip())
    return BUILTIN[name].with_overrides(values)
