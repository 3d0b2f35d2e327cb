"""The market layer: prices, price-responsive customer populations and competitor agents.

A :class:`Market` (a value, like a heuristic) names the stock points that set prices (the
*firms*), the competitor agents that price against them, the demand model and the price
bounds. :class:`~sim.model.SupplyChainModel` takes it as ``market=`` and attaches it, which
gives every firm a :class:`PricedCustomers` population agent and builds one
:class:`CompetitorAgent` per competitor; the running state (prices, reference prices, the
recorded price columns) lives in :class:`MarketState`.

**Demand (seed paper Eq. (3)).** The customers of firm ``k`` arrive as a Poisson process of
rate ``eta * Delta * logistic(x(p, o, r)' beta)`` per period, where ``p`` is the firm's
price, ``o`` the competing prices, ``r`` the firm's reference price (:class:`LogitDemand`).

* Periodic form (``arrivals="batch"``): the demand of period ``t`` is Poisson with the
  period's rate, drawn by inversion from one uniform of the population's own stream per
  period. Inversion couples policies monotonically: under common random numbers, a price
  that raises the rate never lowers the demand of any period.
* Event form (``arrivals="poisson"``): visitors arrive at rate ``eta * Delta`` (their gaps
  from the stream ``ARRIVALS``) and each buys one unit with the logit probability *at the
  prices of that instant* (a uniform from the stream ``DEMAND``). This thinning is exactly a
  Poisson process whose rate changes at the instant any price changes (Lewis & Shedler
  1979, "Simulation of nonhomogeneous Poisson processes by thinning"), and it is the choice
  model of Schlosser & Richly (2019): each arriving customer buys with that probability.

**Timing** (periodic review, ``decide="start"``, as Eq. (4)–(7)): competitor agents price at
the close of each period, after seeing the prices of the period just closed, so their
prices for period ``t`` are posted when ``t`` starts; a firm then decides its order and
price at the start of ``t`` (its observation shows the prices posted at the start of ``t``,
rival firms' included, and its reference price); then customers come. When period ``t``
closes, the price columns are recorded, each firm's reference price is updated
``r <- smoothing * r + (1 - smoothing) * p`` (Schlosser & Richly's exponential smoothing of
the firm's own price; ``smoothing = 0.9`` per the issue), and the competitors move.

**Revenue.** A customer pays the price posted when it arrived: at once under lost sales,
and on delivery under backlog (its unit waits in line, first in first out, with that
price). Charging the price of the delivery period instead would let a firm sell dear what
it was asked for cheap: take orders at the lowest price, then raise it and fill the
backlog, which a learner finds at once. The table's ``revenue`` is therefore the prices of
arrival times the units delivered (``price * sales`` only under lost sales, or when no
customer waits); this is Eq. (7)'s ``p A`` with each unit at its own price, and it equals
the ``p_t D_t`` of the backlog pricing models the heuristics come from (Federgruen &
Heching 1999, Chen & Simchi-Levi 2004) for every unit served.

**Actions.** A firm's module may return a plain quantity (its price stays what it was) or
:class:`~sim.policy.Priced` ``(quantity, price)``. Prices must lie in ``[low, high]``. A
competitor's module returns a price (a number) from a :class:`PriceObservation`.

A competitor with inventory of its own is a second firm: a priced stock point of the
network (self-play is then a scenario where both firms' modules learn).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import mesa
import numpy as np

from networks.distributions import Constant, Distribution

from .agents import CustomerAgent
from .demand import BETA, LogitDemand, _finite, poisson_quantile
from .policy import InventoryObservation
from .streams import Purpose, stream

if TYPE_CHECKING:
    from .model import SupplyChainModel

__all__ = [
    "BETA",
    "CompetitorAgent",
    "LogitDemand",
    "Market",
    "MarketState",
    "PriceObservation",
    "PricedCustomers",
    "poisson_quantile",
]

_U_BLOCK = 1024  # uniforms drawn per refill of a population's stream


class PriceObservation(NamedTuple):
    """What a competitor agent sees when it prices, at the close of ``period``.

    Attributes:
        period: the period just closed (its new price holds from ``period + 1``).
        seller: the competitor's name.
        price: its own price in ``period``.
        competitor_prices: the other sellers' prices in ``period`` (the firms first, in the
            market's order, then the other competitor agents).
        reference_price: the first firm's reference price after the period's update.
    """

    period: int
    seller: str
    price: float
    competitor_prices: tuple[float, ...]
    reference_price: float


@dataclass(frozen=True, kw_only=True)
class Market:
    """Who sets prices, against whom, under which demand model and bounds.

    Attributes:
        demand: the demand model of every firm's customers (:class:`LogitDemand`).
        firms: the priced stock points: node names (the first product) or
            ``(node, product)`` pairs. Each gets its customers from ``demand`` (a node's own
            ``demand`` attribute is replaced).
        competitors: competitor agents with unlimited supply: name -> pricing module
            (``act(PriceObservation) -> price``; optional ``spawn()`` for per-run state, or
            ``seeded(rng)`` for a module that draws random numbers: it gets the agent's own
            stream, purpose ``POLICY`` keyed by the name).
        low, high: the price bounds, ``0 <= low < high`` (money per unit; the issue's
            ``[1, 50]`` after Kastius & Schlosser 2022).
        initial_price: every seller's price in period 0 (30 per the issue).
        initial_reference: every firm's reference price in period 0 (the initial price by
            default).
        smoothing: the weight of the old reference price in ``r <- smoothing * r + (1 -
            smoothing) * p`` (0.9 per the issue), in ``[0, 1]``.
    """

    demand: LogitDemand
    firms: tuple[Any, ...]
    competitors: Mapping[str, Any] = field(default_factory=dict)
    low: float = 1.0
    high: float = 50.0
    initial_price: float = 30.0
    initial_reference: float | None = None
    smoothing: float = 0.9

    def __post_init__(self) -> None:
        if not isinstance(self.demand, LogitDemand):
            raise ValueError(f"demand: must be a LogitDemand, got {self.demand!r}")
        if isinstance(self.firms, str | bytes) or not isinstance(self.firms, Sequence):
            raise ValueError(f"firms: must be a list of stock points, got {self.firms!r}")
        if not self.firms:
            raise ValueError("firms: name at least one priced stock point")
        object.__setattr__(self, "firms", tuple(self.firms))
        low, high = _finite("low", self.low), _finite("high", self.high)
        if low < 0:
            raise ValueError(f"low: must be >= 0, got {self.low!r}")
        if high <= low:
            raise ValueError(f"high: must be > low ({low:g}), got {self.high!r}")
        self.check_price("initial_price", self.initial_price)
        if self.initial_reference is not None:
            _finite("initial_reference", self.initial_reference)
        s = _finite("smoothing", self.smoothing)
        if not 0 <= s <= 1:
            raise ValueError(f"smoothing: must be in [0, 1], got {self.smoothing!r}")
        for name, module in self.competitors.items():
            if not isinstance(name, str) or not name:
                raise ValueError(f"competitors: a name must be non-empty text, got {name!r}")
            if not callable(getattr(module, "act", None)):
                raise ValueError(
                    f"competitors[{name!r}]: {module!r} is not a pricing module (it needs act(obs))"
                )

    def check_price(self, name: str, price: Any) -> float:
        """``price`` as a float, or a ValueError naming ``name`` unless it is a finite
        number within ``[low, high]``."""
        if isinstance(price, bool | np.bool_) or not isinstance(price, int | float | np.number):
            raise ValueError(f"{name}: a price must be a number, got {price!r}")
        p = float(price)
        if not self.low <= p <= self.high:  # NaN fails too
            raise ValueError(
                f"{name}: price {p:g} is outside the market's bounds [{self.low:g}, {self.high:g}]"
            )
        return p

    def attach(self, model: SupplyChainModel) -> MarketState:
        """Build this market's agents in ``model`` and return its running state (the
        model calls this once, when it is built)."""
        return MarketState(self, model)


class PricedCustomers(CustomerAgent):
    """The customers of one firm (retailer and product): Eq. (3) at the current prices.

    Periodic form: :meth:`demand_in` inverts one uniform of the population's stream per
    period at the period's rate. Event form: visitors at rate ``eta * Delta``
    (:meth:`arrival_rate`), one unit each, each buying with :meth:`buys`.
    """

    def __init__(
        self, model: SupplyChainModel, node: Any, product: str, state: MarketState, k: int
    ):
        self.state, self.firm = state, k
        super().__init__(model, node, product, Constant(0.0), None)

    def restart(self, rng: np.random.Generator | None) -> None:
        super().restart(rng)
        self._uniforms: list[float] = []
        self._u_at = 0

    def _uniform(self) -> float:
        if self._u_at >= len(self._uniforms):
            self._uniforms = self.demand_rng.random(_U_BLOCK).tolist()
            self._u_at = 0
        self._u_at += 1
        return self._uniforms[self._u_at - 1]

    def demand_in(self, period: int) -> float:
        """Poisson demand of ``period`` at the rate of the prices now in force (units)."""
        return poisson_quantile(self._uniform(), self.mean_demand())

    def demand_block(self, period: int) -> tuple[int, list[float]]:
        raise ValueError(
            f"node {self.node!r} product {self.product!r}: price-responsive demand is drawn "
            "period by period; use the event engine (engine='event')"
        )

    def mean_demand(self) -> float:
        """The current rate of Eq. (3) (units per period)."""
        return self.state.rate(self.firm)

    def arrival_rate(self) -> float:
        """Visitors per period, ``eta * Delta``; each buys with the logit probability."""
        demand = self.state.market.demand
        return demand.eta * demand.delta

    def order_size(self) -> Distribution:
        return Constant(1.0)

    def buys(self) -> bool:
        """Whether the visitor arriving now buys, at the prices of this instant."""
        return self._uniform() < self.state.probability[self.firm]


class CompetitorAgent(mesa.Agent):
    """A competitor with unlimited supply that posts one price per period.

    Attributes:
        name: its name in the market.
        module: its pricing module, as given.
        policy: the module consulted in this run (what ``spawn``/``seeded`` returned).
        price: its current price.
    """

    def __init__(self, model: SupplyChainModel, name: str, module: Any):
        super().__init__(model)
        self.name, self.module = name, module
        self.policy, self.price = module, math.nan

    def restart(self, seed: int, price: float) -> None:
        """A new run: spawn the module anew and post ``price``."""
        seeded = getattr(self.module, "seeded", None)
        spawn = getattr(self.module, "spawn", None)
        if callable(seeded):
            self.policy = seeded(stream(seed, Purpose.POLICY, "competitor", self.name))
        elif callable(spawn):
            self.policy = spawn()
        else:
            self.policy = self.module
        self.price = price


class MarketState:
    """A market's running state inside one model: prices, reference prices, the rates and
    purchase probabilities they imply, and the recorded price columns.

    Attributes:
        market: the :class:`Market`.
        firms: the firms' stock-point indices (see ``SupplyChainModel.sku_names``).
        prices: the firms' current prices, then the competitor agents'.
        reference: the firms' reference prices.
        posted: the prices posted when the current period started (what observations show).
        probability: each firm's current purchase probability.
    """

    def __init__(self, market: Market, model: SupplyChainModel):
        if not getattr(model, "_clocked", False):
            raise ValueError(
                "market: the vectorized engine has no market layer; use engine='event'"
            )
        if model.review != "periodic" or model.decide != "start":
            raise ValueError(
                "market: priced stock points need periodic review with decide='start' "
                f"(Eq. (4)-(7)), got review={model.review!r}, decide={model.decide!r}"
            )
        self.market, self.model = market, model
        self.firms: list[int] = []
        for k, firm in enumerate(market.firms):
            key = firm if isinstance(firm, tuple) else (firm, model.products[0])
            i = model.sku_index.get(key)
            if i is None:
                raise ValueError(f"market.firms[{k}]: {firm!r} is not a stock point of the network")
            if i in self.firms:
                raise ValueError(f"market.firms[{k}]: {firm!r} is named twice")
            self.firms.append(i)
        self.firm_of = {i: k for k, i in enumerate(self.firms)}
        for k, i in enumerate(self.firms):
            node, product = model.sku_names[i]
            old = model._customers.get(i)
            if old is not None:
                old.remove()
            model._customers[i] = model._customer_list[i] = PricedCustomers(
                model, node, product, self, k
            )
        self.competitors = [
            CompetitorAgent(model, name, module) for name, module in market.competitors.items()
        ]
        self._static_price = list(model._price)  # the network's prices, for unpriced rows

    # ------------------------------------------------------------------ running
    def restart(self) -> None:
        """Period 0 of a new run (the model calls this from its reset)."""
        m = self.market
        n = len(self.firms)
        self.prices = [m.initial_price] * (n + len(self.competitors))
        r0 = m.initial_price if m.initial_reference is None else m.initial_reference
        self.reference = [float(r0)] * n
        for agent in self.competitors:
            agent.restart(self.model.seed_value, m.initial_price)
        for i in self.firms:
            self.model._price[i] = m.initial_price
        self.posted = list(self.prices)
        self.probability = [0.0] * n
        self._refresh()
        self.columns: list[tuple[int, int, float, float, float]] = []
        # per firm, its waiting customers in arrival order: [units, price they pay]
        self.owed: list[deque[list[float]]] = [deque() for _ in range(n)]

    def rivals(self, k: int, prices: Sequence[float]) -> list[float]:
        """The prices competing with firm ``k``'s among ``prices`` (all sellers' prices)."""
        return [p for j, p in enumerate(prices) if j != k]

    def rate(self, k: int) -> float:
        """Firm ``k``'s current demand rate (units per period)."""
        return self.market.demand.rate(
            self.prices[k], self.rivals(k, self.prices), self.reference[k]
        )

    def _refresh(self) -> None:
        demand = self.market.demand
        for k in range(len(self.firms)):
            self.probability[k] = demand.probability(
                self.prices[k], self.rivals(k, self.prices), self.reference[k]
            )

    def set_price(self, i: int, price: Any, who: str) -> None:
        """Firm at stock point ``i`` posts ``price`` now (checked; ``who`` names it)."""
        p = self.market.check_price(who, price)
        self.prices[self.firm_of[i]] = p
        self.model._price[i] = p  # revenue is price x sales at the close
        self._refresh()

    def observe(self, i: int, obs: InventoryObservation) -> InventoryObservation:
        """``obs`` of stock point ``i`` with the market's fields, if ``i`` is a firm."""
        k = self.firm_of.get(i)
        if k is None:
            return obs
        return obs._replace(
            price=self.prices[k],
            competitor_prices=tuple(self.rivals(k, self.posted)),
            reference_price=self.reference[k],
        )

    def settle(self) -> None:
        """Before the model charges the period that is closing: each backlogging firm's
        revenue price becomes the mean price its customers delivered in the period arrived
        at (first in, first out), so that ``price * sales`` is what they pay (see the module
        docstring); :meth:`close` posts the firms' prices again."""
        model = self.model
        for k, i in enumerate(self.firms):
            if model._lost_sales[i]:
                continue
            owed, price = self.owed[k], self.prices[k]
            if model._acc_demand[i] > 0:
                owed.append([model._acc_demand[i], price])
            sold = left = model._acc_sales[i]
            revenue = 0.0
            while left > 1e-9 and owed:
                first = owed[0]
                x = min(first[0], left)
                revenue += x * first[1]
                left -= x
                first[0] -= x
                if first[0] <= 1e-9:
                    owed.popleft()
            model._price[i] = revenue / sold if sold > 0 else price

    def close(self, t: int) -> None:
        """Period ``t`` closes: record its prices, update reference prices, competitors move."""
        n = len(self.firms)
        for k, i in enumerate(self.firms):
            self.model._price[i] = self.prices[k]  # settle() charged the prices of arrival
        for k, i in enumerate(self.firms):
            rivals = self.rivals(k, self.prices)
            self.columns.append(
                (t, i, self.prices[k], min(rivals) if rivals else math.nan, self.reference[k])
            )
        s = self.market.smoothing
        for k in range(n):
            self.reference[k] = s * self.reference[k] + (1.0 - s) * self.prices[k]
        closed = list(self.prices)
        for j, agent in enumerate(self.competitors):
            obs = PriceObservation(
                t, agent.name, closed[n + j], tuple(self.rivals(n + j, closed)), self.reference[0]
            )
            try:
                price = agent.policy.act(obs)
            except Exception as exc:
                raise ValueError(
                    f"competitor {agent.name!r}: module {agent.policy!r} raised "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            agent.price = self.market.check_price(f"competitor {agent.name!r}", price)
            self.prices[n + j] = agent.price
        self.posted = list(self.prices)
        self._refresh()

    def annotate(self, table):
        """The model's table with the columns ``price`` (every stock point: a firm's price in
        force, else the network's ``price``), ``competitor_price`` (the cheapest competing
        price) and ``reference_price`` (firms only; NaN elsewhere)."""
        n_sku = len(self.model.sku_names)
        periods = len(table) // n_sku if n_sku else 0
        price = np.tile(np.array(self._static_price, dtype=np.float64), (periods, 1))
        competitor = np.full((periods, n_sku), np.nan)
        reference = np.full((periods, n_sku), np.nan)
        for t, i, p, o, r in self.columns:  # the table holds every period since the reset
            price[t, i], competitor[t, i], reference[t, i] = p, o, r
        table["price"] = price.reshape(-1)
        table["competitor_price"] = competitor.reshape(-1)
        table["reference_price"] = reference.reshape(-1)
        return table
