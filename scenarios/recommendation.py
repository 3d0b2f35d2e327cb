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

:data:`SCENARIOS` maps the names to builders; these are Python scenarios (``supplysim run``
reads TOML network scenarios and does not run them).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.recommendation import RecommendationProblem, purchase_probabilities
from sim.streams import Purpose, stream

__all__ = ["SCENARIOS", "recommendation_problem"]


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
    for name, value in (("n_products", n_products), ("n_customers", n_customers)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}: must be a whole number >= 1, got {value!r}")
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


#: Name -> builder of the built-in §VI instances (keyword arguments as
#: :func:`recommendation_problem`'s).
SCENARIOS: dict[str, Callable[..., RecommendationProblem]] = {
    "recommendation_lost": lambda **kw: recommendation_problem("lost", **kw),
    "recommendation_backlog": lambda **kw: recommendation_problem("backlog", **kw),
}
