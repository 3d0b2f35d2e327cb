"""Inventory and recommendation at one firm: the model of the seed paper's §VI, Eq. (8)–(14).

One firm stocks ``N`` products and recommends them to ``M`` customers. Every period ``t``:

1. The firm decides its orders ``q_t[i]`` (an *inventory module*) and, optionally, new
   recommendation intensities ``alpha_t[i, j]`` in ``[0, 1]`` (a *recommendation module*;
   without new ones the current intensities stay in force).
2. Customer ``j``'s rating of product ``i`` becomes (Eq. (8))
   ``R_t[i, j] = R_-1[i, j] + (R_max - R_-1[i, j]) * alpha_t[i, j] * E[i]``
   and its purchase probabilities are the softmax over products (Eq. (10))
   ``gamma_t[i, j] = exp(R_t[i, j]) / sum_k exp(R_t[k, j])``.
3. Customer ``j`` has ``c_j`` purchase occasions (its capacity); on each it buys one unit of
   a product chosen with probabilities ``gamma_t[:, j]``. So customer ``j``'s demand for
   ``i`` is ``Binomial(c_j, gamma_t[i, j])`` as Eq. (9) requires, and the demands of one
   customer for different products are the counts of one multinomial draw (Eq. (9) gives
   only the marginals; ``gamma_t[:, j]`` is a distribution over products, so one choice
   per occasion is the reading under which Eq. (10) is a choice model). ``d_t[i]`` is the
   sum over customers.
4. The order ``q_{t - L_i}[i]`` placed ``L_i`` periods ago arrives (``L_i = 0``: this
   period's order arrives now), then demand is served. Lost sales (Eq. (11)–(13)):
   ``S = min(d, I_{t-1} + q_{t-L})``, ``O = d - S``, ``I_t = I_{t-1} + q_{t-L} - S``.
   Backlog variant: unmet demand waits, ``S = min(d + B_{t-1}, I_{t-1} + q_{t-L})``,
   ``B_t = d + B_{t-1} - S``, and ``O_t = B_t`` is charged the penalty every period it waits.
5. Profit per product (Eq. (14)): ``F = p_out * S - p_in * q - h * I - b * O``; the reward of
   the period is ``sum_i F[i]``.

**Normalisation of the intensities.** Eq. (8) as written spreads each product's exposure
over the customers, ``sum_j alpha[i, j] = 1`` (``normalize="product"``, the default): the
firm chooses *to whom* each product is shown, not how much. ``normalize="customer"``
instead gives each customer one unit of exposure to split over products,
``sum_i alpha[i, j] = 1`` (a recommendation slate per customer). ``E[i] * alpha[i, j] <= 1``
keeps every rating at most ``R_max`` (Eq. (8)'s "maximum possible improvement"); larger
products are allowed and push ratings beyond it, as the equation then says.

**Customers and random numbers.** The ``M`` customers are one Mesa agent holding arrays
(:class:`CustomerPopulation`), not ``M`` agents: the step is a handful of numpy operations
over all purchase occasions at once (see ``benchmarks/recommendation_speed.py``). Each
customer still has its own random stream, ``stream(seed, Purpose.DEMAND, "customer", j)``,
from which it draws exactly ``c_j`` uniforms per period whatever the decisions, in blocks
of :data:`BLOCK` periods: adding a customer, or changing a module, leaves every other
customer's uniforms unchanged (common random numbers). A uniform ``u`` picks the product by
Walker's alias method (Walker 1977; Vose 1991, IEEE TSE 17(9)): column ``floor(N u)``, then
the column's own product if the fractional part of ``N u`` is below its cut-off, else its
alias. Tables are rebuilt only when the intensities change (an ``O(N M)`` pass); a period
with unchanged intensities costs ``O(sum_j c_j + N)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, runtime_checkable

import mesa
import numpy as np

from . import _mesa_ids  # noqa: F401  (frees models: see the module)
from .streams import Purpose, stream

__all__ = [
    "BLOCK",
    "NORMALIZATIONS",
    "SHORTAGES",
    "CustomerPopulation",
    "InventoryModule",
    "RecommendationModel",
    "RecommendationModule",
    "RecommendationObservation",
    "RecommendationProblem",
    "RecommendationRun",
    "Targeting",
    "alias_tables",
    "purchase_probabilities",
    "spread",
]

SHORTAGES = ("lost", "backlog")
NORMALIZATIONS = ("product", "customer")
BLOCK = 256  # periods of uniforms drawn per refill of every customer's stream
#: customers (rows) per alias-table construction in RecommendationModel.set_intensities_of
_TABLE_ROWS = 2048
_RUN = 16  # most periods of demand computed at once (see CustomerPopulation)
_TOLERANCE = 1e-6  # how far a sum of intensities may be from 1


def _floats(value: Any, what: str) -> np.ndarray:
    """``value`` as a float array; anything numpy cannot read as numbers (ragged lists,
    text, ``None`` in a list) is an error naming ``what``, not numpy's own message."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{what}: must be numbers, got {type(value).__name__}") from None


def _first(bad: np.ndarray) -> int:
    """Index of the first ``True`` of ``bad`` (1-D)."""
    return int(np.flatnonzero(bad)[0])


def _vector(
    name: str, value: Any, n: int, *, integer: bool = False, low: float = 0.0
) -> np.ndarray:
    """``value`` (a number, or ``n`` of them) as a read-only float or int array of length
    ``n``; an error names the first bad entry (``capacity[42]: ...``), never the whole
    array (its repr would span lines)."""
    a = _floats(value, name)
    if a.ndim == 0:
        a = np.full(n, float(a))
    if a.shape != (n,):
        raise ValueError(f"{name}: must be a number or {n} numbers, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        i = _first(~np.isfinite(a))
        raise ValueError(f"{name}[{i}]: must be finite, got {a[i]:g}")
    if np.any(a < low):
        i = _first(a < low)
        raise ValueError(f"{name}[{i}]: must be >= {low:g}, got {a[i]:g}")
    if integer:
        if np.any(a != np.round(a)):
            i = _first(a != np.round(a))
            raise ValueError(f"{name}[{i}]: must be a whole number, got {a[i]:g}")
        a = a.astype(np.int64)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, kw_only=True, eq=False)
class RecommendationProblem:
    """The data of one instance of §VI: products, customers, costs (a value; arrays are
    stored as read-only copies).

    Attributes:
        ratings: initial ratings ``R_-1``, shape ``(N, M)`` (product, customer), each in
            ``[0, r_max]``.
        r_max: the highest rating, ``R_max`` of Eq. (8).
        efficiency: the marketing efficiency ``E`` of Eq. (8): one number, or one per
            product (> 0).
        capacity: purchase occasions per period of each customer, ``c_j`` of Eq. (9)
            (whole numbers >= 0; one number for all, or ``M``).
        lead_time: periods from order to arrival of each product, ``L_i`` (whole, >= 0).
        price: selling price ``p_out`` per unit (money), one or ``N`` numbers.
        cost: purchase cost ``p_in`` per unit ordered (money).
        holding: holding cost ``h`` per unit on hand at the end of a period (money).
        penalty: ``b`` per unit lost (lost sales) or per unit backlogged per period
            (backlog) (money).
        initial_inventory: stock on hand before period 0, ``I_-1`` (units).
        shortage: ``"lost"`` (Eq. (11)–(13)) or ``"backlog"``.
        normalize: ``"product"`` (Eq. (8): ``sum_j alpha[i, j] = 1``) or ``"customer"``
            (``sum_i alpha[i, j] = 1``).
    """

    ratings: np.ndarray
    r_max: float
    efficiency: Any = 1.0
    capacity: Any = 1
    lead_time: Any = 1
    price: Any = 1.0
    cost: Any = 0.5
    holding: Any = 0.05
    penalty: Any = 0.1
    initial_inventory: Any = 0.0
    shortage: str = "lost"
    normalize: str = "product"

    def __post_init__(self) -> None:
        ratings = _floats(self.ratings, "ratings").copy()
        if ratings.ndim != 2 or 0 in ratings.shape:
            raise ValueError(
                f"ratings: must have shape (N products, M customers), got {ratings.shape}"
            )
        if isinstance(self.r_max, bool) or not math.isfinite(float(self.r_max)):
            raise ValueError(f"r_max: must be a finite number, got {self.r_max!r}")
        if not np.all(np.isfinite(ratings)):
            raise ValueError("ratings: must be finite")
        bad = (ratings < 0) | (ratings > self.r_max)
        if bad.any():
            i, j = (int(k[0]) for k in np.nonzero(bad))
            raise ValueError(
                f"ratings[{i}, {j}] (product {i}, customer {j}): must lie in "
                f"[0, r_max={self.r_max:g}], got {ratings[i, j]:g}"
            )
        ratings.setflags(write=False)
        n, m = ratings.shape
        set_ = object.__setattr__
        set_(self, "ratings", ratings)
        set_(self, "r_max", float(self.r_max))
        efficiency = _vector("efficiency", self.efficiency, n)
        if np.any(efficiency <= 0):
            i = _first(efficiency <= 0)
            raise ValueError(f"efficiency[{i}]: must be > 0, got {efficiency[i]:g}")
        set_(self, "efficiency", efficiency)
        set_(self, "capacity", _vector("capacity", self.capacity, m, integer=True))
        set_(self, "lead_time", _vector("lead_time", self.lead_time, n, integer=True))
        for name in ("price", "cost", "holding", "penalty", "initial_inventory"):
            set_(self, name, _vector(name, getattr(self, name), n))
        if self.shortage not in SHORTAGES:
            raise ValueError(f"shortage: must be one of {SHORTAGES}, got {self.shortage!r}")
        if self.normalize not in NORMALIZATIONS:
            raise ValueError(f"normalize: must be one of {NORMALIZATIONS}, got {self.normalize!r}")

    @property
    def n_products(self) -> int:
        """``N``."""
        return self.ratings.shape[0]

    @property
    def n_customers(self) -> int:
        """``M``."""
        return self.ratings.shape[1]

    def uniform_intensities(self) -> np.ndarray:
        """Equal exposure: ``1 / M`` everywhere (``normalize="product"``) or ``1 / N``
        (``"customer"``), shape ``(N, M)``."""
        n, m = self.ratings.shape
        return np.full((n, m), 1.0 / (m if self.normalize == "product" else n))

    def check_intensities(self, alpha: Any, source: str = "intensities") -> np.ndarray:
        """``alpha`` as a float array after checking Eq. (8)'s constraints; the error names
        ``source`` (the module that produced it)."""
        a = _floats(alpha, f"{source}: intensities")
        if a.shape != self.ratings.shape:
            raise ValueError(
                f"{source}: intensities must have shape {self.ratings.shape}, got {a.shape}"
            )
        lo, hi = a.min(), a.max()
        if not (lo >= 0.0 and hi <= 1.0):  # also rejects NaN
            raise ValueError(f"{source}: intensities must lie in [0, 1], got [{lo:g}, {hi:g}]")
        axis = 1 if self.normalize == "product" else 0
        sums = a.sum(axis=axis)
        off = np.abs(sums - 1.0) > _TOLERANCE
        if off.any():
            k = _first(off)
            whose, over = ("product", "customers") if axis == 1 else ("customer", "products")
            raise ValueError(
                f"{source}: intensities must sum to 1 over {over} for each {whose} "
                f"(normalize={self.normalize!r}); {whose} {k}'s sum to {sums[k]:g}"
            )
        return a


def purchase_probabilities(problem: RecommendationProblem, alpha: np.ndarray) -> np.ndarray:
    """``gamma`` of Eq. (10) at intensities ``alpha`` (both ``(N, M)``), through Eq. (8)."""
    r0 = problem.ratings
    ratings = r0 + (problem.r_max - r0) * alpha * problem.efficiency[:, None]
    z = np.exp(ratings - ratings.max(axis=0))
    return z / z.sum(axis=0)


def spread(problem: RecommendationProblem, scores: np.ndarray, mix: float) -> np.ndarray:
    """Intensities ``(N, M)`` that favour products with high ``scores`` (``N`` numbers >= 0).

    ``normalize="customer"``: every customer's unit of exposure is split over products in
    proportion to the scores. ``normalize="product"`` (Eq. (8) as written): a product's
    total exposure is 1 whatever its score, so scores can only decide *whom* it is shown
    to. Each customer's attention is split over products in proportion to score times the
    customer's initial purchase probability (softmax of ``R_-1``); each product's exposure
    then goes to customers in proportion to the attention it got, so a product with a high
    score takes the customers who like it from products with low scores. Either way the
    result is ``(1 - mix) * uniform + mix * that``. All-zero scores give uniform.
    """
    s = np.maximum(np.asarray(scores, dtype=np.float64), 0.0)
    uniform = problem.uniform_intensities()
    if mix == 0 or s.sum() <= 0:
        return uniform
    if problem.normalize == "customer":
        shaped = np.broadcast_to((s / s.sum())[:, None], uniform.shape)
    else:
        r0 = problem.ratings
        base = np.exp(r0 - r0.max(axis=0))
        attention = s[:, None] * base
        attention /= attention.sum(axis=0)
        rows = attention.sum(axis=1, keepdims=True)
        shaped = np.where(rows > 0, attention / np.where(rows > 0, rows, 1.0), uniform)
    return (1.0 - mix) * uniform + mix * shaped


class Targeting:
    """Intensities that steer purchases towards products with high *weights* ``w`` (``N``
    numbers, e.g. margins scaled to ``[-1, 1]``): each unit of exposure goes where it raises
    the customers' expected weighted purchases the most.

    Customer ``j``'s expected weighted purchases are ``V_j = c_j sum_i w_i gamma[i, j]``.
    Through Eq. (8) and (10), at uniform intensities, exposing product ``i`` to customer
    ``j`` changes it at the rate

        ``gain[i, j] = E_i (R_max - R_-1[i, j]) c_j gamma[i, j] (w_i - wbar_j)``,
        ``wbar_j = sum_k gamma[k, j] w_k``:

    large where the customer buys often, the product has room to rise in the customer's
    rating, and its weight beats what the customer buys on average. Under
    ``normalize="product"`` each product's exposure is spread over customers by a softmax
    of ``sharpness * gain[i, :] / G`` (``G``: the largest ``E_i (R_max - R_-1) c_j gamma``
    over the instance, so ``sharpness`` is unit-free for weights in ``[-1, 1]``); under
    ``"customer"``, each customer's over products. Equal weights give uniform intensities;
    a larger ``sharpness`` concentrates the exposure.

    Why: :func:`spread` shapes exposure by attention, which moves little demand between
    products (a tuned margin-times-efficiency module gained 0.2% of profit over uniform on
    the built-in instances); this first-order rule with the margins as weights, tuned,
    gained 3.6% (``benchmarks/recommendation_residual.py``).

    Args:
        problem: the instance.
        sharpness: how strongly the exposure follows the gain (> 0).
    """

    def __init__(self, problem: RecommendationProblem, sharpness: float = 20.0) -> None:
        if isinstance(sharpness, bool) or not (0 < float(sharpness) < math.inf):
            raise ValueError(f"Targeting.sharpness: must be a finite number > 0, got {sharpness!r}")
        self.problem, self.sharpness = problem, float(sharpness)
        self._gamma = purchase_probabilities(problem, problem.uniform_intensities())
        reach = problem.efficiency[:, None] * (problem.r_max - problem.ratings)
        self._reach = reach * problem.capacity[None, :] * self._gamma
        self._scale = self.sharpness / max(float(self._reach.max()), 1e-12)

    def __call__(self, weights: Any) -> np.ndarray:
        """The intensities ``(N, M)`` for ``weights`` (``N`` finite numbers)."""
        w = _floats(weights, "Targeting: weights")
        if w.shape != (self.problem.n_products,) or not np.all(np.isfinite(w)):
            raise ValueError(
                f"Targeting: weights must be {self.problem.n_products} finite numbers, got "
                f"shape {w.shape}"
            )
        z = self._reach * (w[:, None] - w @ self._gamma)
        z *= self._scale
        axis = 1 if self.problem.normalize == "product" else 0
        z -= z.max(axis=axis, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=axis, keepdims=True)
        return z


def alias_tables(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Walker's alias tables of every row of ``p`` (shape ``(M, N)``, rows summing to 1).

    Vose's construction, vectorised over rows: columns are put in the order "small"
    (``N p < 1``) first, then "large", each in product order; small columns are filled in
    order from the current large column (the last one not yet used up); a large column
    that falls below 1 is filled at once from the large column before it.

    Returns:
        ``cut``, ``first``, ``second``, each ``(M, N)``: a uniform column ``k`` of row ``j``
        gives product ``first[j, k]`` with probability ``cut[j, k]``, else ``second[j, k]``.
    """
    m, n = p.shape
    q = p * n
    order = np.argsort(q >= 1.0, axis=1, kind="stable")
    q = np.take_along_axis(q, order, axis=1)
    smalls = (q < 1.0).sum(axis=1)
    cut = np.ones(m * n)
    alias = np.tile(np.arange(n), m)
    # Flat positions row * n + column; only the rows still filling are carried from round
    # to round (a row that fills nothing in a round never fills again).
    flat = q.ravel()
    first_column = np.arange(m) * n
    s = first_column.copy()  # each row's next small column
    end = first_column + smalls  # one past its last small column
    large = first_column + (n - 1)  # its current large column
    active = np.arange(m)
    for _ in range(n - 1):
        lg, sm = large[active], s[active]
        demote = (flat[lg] < 1.0) & (lg - 1 >= end[active])
        fill = demote | (sm < end[active])
        if not fill.all():
            kept = np.flatnonzero(fill)
            if not len(kept):
                break
            active, lg, sm, demote = active[kept], lg[kept], sm[kept], demote[kept]
        small = np.where(demote, lg, sm)
        donor = np.where(demote, lg - 1, lg)
        filled = flat[small]
        cut[small] = filled
        alias[small] = donor - first_column[active]
        flat[donor] -= 1.0 - filled
        s[active] = sm + ~demote
        large[active] = lg - demote
    cut, alias = cut.reshape(m, n), alias.reshape(m, n)
    return cut, order, np.take_along_axis(order, alias, axis=1)


class CustomerPopulation(mesa.Agent):
    """All ``M`` customers of the firm as one agent holding arrays (ratings, capacities,
    each customer's random stream and purchase tables).

    One agent rather than ``M``: Mesa's per-agent calls would cost more than the whole
    vectorised period (issue 11 allows it). Customer ``j`` is column ``j`` of the arrays and
    keeps its own stream (see the module docstring).

    Demand is computed ahead for a *run* of periods at once while the intensities stay in
    force, and dropped when they change. A period's draws are a column of the
    customer-major block, one memory page per occasion: reading ``w`` periods together
    costs about what one does, and the numpy calls are paid once per run, not per period.
    Runs double from one period after each change of intensities up to :data:`_RUN`, so a
    module that changes them every period wastes no work; longer runs than 16 periods
    gain nothing (their temporaries outgrow the cache). The draws, and so the demand, are
    those of the module docstring whatever the runs.
    """

    def __init__(self, model: mesa.Model, problem: RecommendationProblem, seed: int):
        super().__init__(model)
        self.problem = problem
        capacity = problem.capacity
        n = self._n = problem.n_products
        offsets = np.concatenate([[0], np.cumsum(capacity)])
        # Customer-major: each customer's block is contiguous, filled in place by its stream.
        self._block = np.empty((int(offsets[-1]), BLOCK))
        self._fills = [
            (stream(seed, Purpose.DEMAND, "customer", j), self._block[offsets[j] : offsets[j + 1]])
            for j, c in enumerate(capacity)
            if c > 0
        ]
        # Start of each occasion's customer in the flat purchase tables (rows of N + 1), and
        # the first bin of each period of a run, both as full (occasions, _RUN) arrays:
        # numpy adds a broadcast (occasions, 1) or (_RUN,) array three times slower.
        rows = np.repeat(np.arange(problem.n_customers) * (n + 1), capacity)
        self._occasion_row = np.repeat(rows[:, None], _RUN, axis=1)
        self._period_bin = np.tile(np.arange(_RUN) * n, (len(rows), 1))
        self._period = BLOCK  # the next block column to use; BLOCK = refill first
        self._ahead = np.empty((_RUN, n))  # demand of periods _first .. _ready - 1
        self._first = self._ready = 0
        self._run = 1  # periods in the next run

    def set_intensities(self, alpha: np.ndarray) -> None:
        """Eq. (8) and (10) at intensities ``alpha`` (checked by the model): rebuild the
        purchase tables, flat for the per-period gather."""
        gamma = purchase_probabilities(self.problem, alpha)
        self.use_tables(gamma, *alias_tables(np.ascontiguousarray(gamma.T)))

    def use_tables(
        self, gamma: np.ndarray, cut: np.ndarray, first: np.ndarray, second: np.ndarray
    ) -> None:
        """Put in force purchase probabilities ``gamma`` ``(N, M)`` and their alias tables
        (:func:`alias_tables` of ``gamma.T``)."""
        self.gamma = gamma
        n = self._n
        # x = N u lands in column floor(x); it keeps the first product iff x < column + cut.
        # x = N exactly (N u rounded up) lands in the extra column N, whose two products
        # are both column N - 1's alias: what clamping x to column N - 1 gives, as x = N is
        # at least its threshold (so the threshold of column N does not matter).
        threshold = np.empty((len(cut), n + 1))
        threshold[:, :n] = cut + np.arange(n)
        threshold[:, n] = n
        pairs = np.empty((len(cut), n + 1, 2), dtype=np.intp)
        pairs[:, :n, 0] = first
        pairs[:, :n, 1] = second
        pairs[:, n] = second[:, n - 1 :]
        self._threshold = threshold.ravel()
        self._products = pairs.ravel()
        self._ready = self._period  # demand computed ahead used the old tables
        self._run = 1

    def _compute_ahead(self) -> None:
        """Demand of the next ``_run`` periods (at most to the end of the block)."""
        if self._period == BLOCK:
            for rng, block in self._fills:
                rng.random(out=block)
            self._period = 0
        t, n = self._period, self._n
        w = min(self._run, BLOCK - t)
        x = self._block[:, t : t + w] * n  # (occasions, w)
        k = x.astype(np.intp)
        k += self._occasion_row[:, :w]
        second = x >= self._threshold[k]
        k += k
        k += second
        bought = self._products[k]
        bought += self._period_bin[:, :w]  # period s of the run counts in bins s N .. s N + N - 1
        counts = np.bincount(bought.ravel(), minlength=w * n)
        self._ahead[:w] = counts.reshape(w, n)
        self._first, self._ready = t, t + w
        self._run = min(2 * self._run, _RUN)

    def demand(self) -> np.ndarray:
        """``d_t[i]`` of Eq. (9), summed over customers (units, integer-valued floats)."""
        if self._period >= self._ready:  # also at the end of the block: _ready <= BLOCK
            self._compute_ahead()
        d = self._ahead[self._period - self._first].copy()
        self._period += 1
        return d


class RecommendationObservation(NamedTuple):
    """What the firm's modules see at the start of period ``t`` (units unless stated).

    Attributes:
        period: ``t`` (0-based).
        on_hand: ``I_{t-1}``, shape ``(N,)``.
        backlog: ``B_{t-1}`` (zeros under lost sales).
        pipeline: ordered and not yet arrived, per product.
        arrivals: ``arrivals[k, i]`` arrives in period ``t + k``; shape ``(L, N)`` with
            ``L = max_i L_i`` (row 0 arrives this period, before demand).
        demand: ``d_{t-1}`` (zeros at ``t = 0``).
        intensities: the intensities in force, ``(N, M)`` (read-only).
        problem: the instance (prices, costs, efficiencies, normalisation).
    """

    period: int
    on_hand: np.ndarray
    backlog: np.ndarray
    pipeline: np.ndarray
    arrivals: np.ndarray
    demand: np.ndarray
    intensities: np.ndarray
    problem: RecommendationProblem

    @property
    def inventory_position(self) -> np.ndarray:
        """``on_hand + pipeline - backlog`` per product."""
        return self.on_hand + self.pipeline - self.backlog


@runtime_checkable
class InventoryModule(Protocol):
    """Decides the orders ``q_t``: ``act(obs)`` returns ``N`` quantities >= 0."""

    def act(self, obs: RecommendationObservation) -> Any: ...


@runtime_checkable
class RecommendationModule(Protocol):
    """Decides the intensities ``alpha_t``: ``act(obs)`` returns an ``(N, M)`` array, or
    ``None`` to keep those in force (a static module decides at ``t = 0`` only, so its
    periods cost no table rebuild)."""

    def act(self, obs: RecommendationObservation) -> Any: ...


_FIELDS = ("orders", "demand", "sales", "shortage", "on_hand", "profit")


@dataclass(frozen=True)
class RecommendationRun:
    """Per-period arrays of a run, each ``(T, N)`` (``shortage`` is ``O_t``: lost units, or
    the backlog at the end of the period)."""

    orders: np.ndarray
    demand: np.ndarray
    sales: np.ndarray
    shortage: np.ndarray
    on_hand: np.ndarray
    profit: np.ndarray

    @property
    def reward(self) -> np.ndarray:
        """``r_t = sum_i F_t[i]`` per period (money)."""
        return self.profit.sum(axis=1)

    def table(self) -> Any:
        """A tidy DataFrame: one row per period and product."""
        import pandas as pd

        t, n = self.profit.shape
        data = {"period": np.repeat(np.arange(t), n), "product": np.tile(np.arange(n), t)}
        data.update({f: getattr(self, f).ravel() for f in _FIELDS})
        return pd.DataFrame(data)


class RecommendationModel(mesa.Model):
    """The §VI firm: ``advance(orders, intensities)`` plays one period of Eq. (8)–(14)
    (not Mesa's ``step``, whose wrapper drops the returned reward).

    Args:
        problem: the instance.
        seed: the run's seed (customers' streams and Mesa's own come from it).
        intensities: the intensities in force before any module decides (default
            :meth:`RecommendationProblem.uniform_intensities`).
    """

    def __init__(
        self, problem: RecommendationProblem, *, seed: int = 0, intensities: Any = None
    ) -> None:
        super().__init__(rng=stream(seed, Purpose.MESA))
        self.problem = problem
        self.seed_value = seed
        n = problem.n_products
        self._slots = int(problem.lead_time.max()) + 1
        self._ring = np.zeros((self._slots, n))  # _ring[(t + L_i) % slots, i]: due in t + L_i
        # Flat positions in _ring of the orders placed at t, by t % slots (built once: the
        # modular index arithmetic per period costs more than the rest of the bookkeeping).
        due = (np.arange(self._slots)[:, None] + problem.lead_time) % self._slots
        self._due = due * n + np.arange(n)
        self.period = 0
        self.on_hand = problem.initial_inventory.astype(np.float64)
        self.backlog = np.zeros(n)
        self.demand = np.zeros(n)
        self.sales = np.zeros(n)
        self.shortage = np.zeros(n)
        self.profit = np.zeros(n)
        self.orders = np.zeros(n)
        self.population = CustomerPopulation(self, problem, seed)
        self.set_intensities(
            problem.uniform_intensities() if intensities is None else intensities, "intensities"
        )

    def set_intensities(self, alpha: Any, source: str = "intensities") -> None:
        """Put ``alpha`` in force (checked; errors name ``source``)."""
        RecommendationModel.set_intensities_of([self], [alpha], source)

    @staticmethod
    def set_intensities_of(
        models: list[RecommendationModel], alphas: list[Any], source: str = "intensities"
    ) -> None:
        """``models[k].set_intensities(alphas[k], source)`` for every ``k``, to the bit, with
        alias tables built for several models at once (a construction costs ``N`` rounds of
        numpy calls whatever the rows: copies that change intensities every period share
        them, in groups of up to :data:`_TABLE_ROWS` customers, beyond which the rounds'
        scattered reads leave the cache)."""
        checked, gammas = [], []
        for model, alpha in zip(models, alphas, strict=True):
            a = model.problem.check_intensities(alpha, source)
            a.setflags(write=False)
            checked.append(a)
            gammas.append(purchase_probabilities(model.problem, a))
        start = 0
        while start < len(models):  # models start .. stop - 1 share one construction
            stop, size = start + 1, gammas[start].shape[1]
            while stop < len(models) and size + gammas[stop].shape[1] <= _TABLE_ROWS:
                size, stop = size + gammas[stop].shape[1], stop + 1
            tables = alias_tables(np.concatenate([g.T for g in gammas[start:stop]]))
            m = 0
            for j in range(start, stop):
                rows = slice(m, m + gammas[j].shape[1])
                models[j].intensities = checked[j]
                models[j].population.use_tables(gammas[j], *(t[rows] for t in tables))
                m = rows.stop
            start = stop

    @property
    def expected_demand(self) -> np.ndarray:
        """``mu_i = sum_j c_j gamma[i, j]`` at the intensities in force (units per period)."""
        return self.population.gamma @ self.problem.capacity

    @property
    def inventory_position(self) -> np.ndarray:
        """``on_hand + pipeline - backlog`` per product now (units), as :meth:`observe`'s."""
        return self.on_hand + self._ring.sum(axis=0) - self.backlog

    def observe(self) -> RecommendationObservation:
        """The observation of the current period."""
        t, slots = self.period, self._slots
        arrivals = self._ring[(t + np.arange(slots - 1)) % slots] if slots > 1 else self._ring[:0]
        return RecommendationObservation(
            period=t,
            on_hand=self.on_hand.copy(),
            backlog=self.backlog.copy(),
            pipeline=self._ring.sum(axis=0),
            arrivals=arrivals,
            demand=self.demand.copy(),
            intensities=self.intensities,
            problem=self.problem,
        )

    def advance(
        self, orders: Any = None, intensities: Any = None, *, source: str = "orders"
    ) -> float:
        """Play one period: order ``orders`` (``N`` units >= 0), with ``intensities`` put in
        force first when given. Returns the reward ``sum_i F_t[i]`` (money)."""
        p = self.problem
        if intensities is not None:
            self.set_intensities(intensities, "intensities")
        q = _floats(orders, f"{source}: orders")
        if q.shape != self.on_hand.shape:
            raise ValueError(
                f"{source}: orders must have shape {self.on_hand.shape}, got {q.shape}"
            )
        if not (q.min() >= 0.0 and q.max() < math.inf):  # NaN fails the first test
            raise ValueError(
                f"{source}: orders must be finite and >= 0, got {q.min():g}..{q.max():g}"
            )
        t = self.period
        now = t % self._slots
        self._ring.ravel()[self._due[now]] += q
        arriving = self._ring[now]
        available = self.on_hand + arriving
        arriving.fill(0.0)
        d = self.population.demand()
        if p.shortage == "lost":
            sales = np.minimum(d, available)  # Eq. (11)
            shortage = d - sales  # Eq. (12)
        else:
            due = d + self.backlog
            sales = np.minimum(due, available)
            shortage = self.backlog = due - sales
        available -= sales
        self.on_hand = available  # Eq. (13)
        profit = p.price * sales
        profit -= p.cost * q
        profit -= p.holding * available
        profit -= p.penalty * shortage
        self.demand, self.sales, self.shortage, self.profit = d, sales, shortage, profit
        self.orders = q
        self.period = t + 1
        return float(profit.sum())

    def run(
        self,
        periods: int,
        inventory: InventoryModule,
        recommendation: RecommendationModule | None = None,
    ) -> RecommendationRun:
        """Play ``periods`` periods with the two modules (without a recommendation module
        the intensities in force stay); returns the per-period arrays."""
        if isinstance(periods, bool) or not isinstance(periods, int) or periods < 0:
            raise ValueError(f"periods: must be a whole number >= 0, got {periods!r}")
        out = {f: np.empty((periods, self.problem.n_products)) for f in _FIELDS}
        inv_name = type(inventory).__name__
        rec_name = type(recommendation).__name__
        for k in range(periods):
            obs = self.observe()
            alpha = None if recommendation is None else recommendation.act(obs)
            if alpha is not None:
                self.set_intensities(alpha, rec_name)
            self.advance(inventory.act(obs), source=inv_name)
            for f in _FIELDS:
                out[f][k] = getattr(self, f)
        return RecommendationRun(**out)
