"""The Mesa agents of a supply chain model: stocking nodes and the customers of retailers.

The engine keeps the numbers (stock, backlog, pipeline) in flat per-stock-point arrays for
speed; an agent is the actor that owns a node's decision modules or a retailer's demand, and
reads its state from the model. Later issues subclass :class:`CustomerAgent` (price and
rating response) and add competitor agents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from networks.distributions import CompoundPoisson, Constant, Distribution, MertonJump, Trace

from . import _mesa_ids  # noqa: F401  (frees models: see the module)
from .policy import Policy

if TYPE_CHECKING:
    from .model import SupplyChainModel

__all__ = ["CustomerAgent", "StockingAgent"]

_BLOCK = 1024  # demand draws per refill: flat memory, few generator calls


class StockingAgent(mesa.Agent):
    """A node that holds stock (supplier with suppliers, manufacturer, warehouse, retailer).

    Attributes:
        node: the node's name in the graph.
        role: its role attribute.
        modules: the decision module of each product, as given to the model.
        policies: the module consulted for each product in this run (what ``spawn``
            returned, for a stateful module).
    """

    def __init__(self, model: SupplyChainModel, node: Any, role: str, modules: dict[str, Policy]):
        super().__init__(model)
        self.node = node
        self.role = role
        self.modules = modules
        self.policies = dict(modules)

    def _sku(self, product: str | None) -> int:
        products = self.model.products
        return self.model.sku_index[self.node, product if product is not None else products[0]]

    def on_hand(self, product: str | None = None) -> float:
        """Stock on hand of ``product`` (the first product by default), units."""
        return self.model._on_hand[self._sku(product)]

    def backlog(self, product: str | None = None) -> float:
        """Demand and downstream orders owed, units."""
        return self.model._backlog[self._sku(product)]

    def pipeline(self, product: str | None = None) -> float:
        """Ordered and not yet received, units (kits at a manufacturer, as observed)."""
        i = self._sku(product)
        return self.model.observe(i, self.model.period).pipeline


class CustomerAgent(mesa.Agent):
    """The customers of one retailer and product, as one population agent.

    Args:
        model: the model.
        node: the retailer.
        product: the product demanded.
        demand: demand per period (units); a :class:`~networks.distributions.Trace` replays a
            fixed sequence.
        rng: this agent's own generator (purpose DEMAND), so its draws do not depend on any
            other agent; :meth:`restart` gives it the generator of a new run.

    Subclasses that respond to price or recommendations override :meth:`demand_in` (the
    demand of a period) and :meth:`mean_demand` (with ``arrivals="poisson"`` customers arrive
    one at a time at that rate, one unit each, unless the demand is a
    :class:`~networks.distributions.CompoundPoisson`: see :meth:`arrival_rate`).
    """

    def __init__(
        self,
        model: SupplyChainModel,
        node: Any,
        product: str,
        demand: Distribution,
        rng: np.random.Generator | None,
    ):
        super().__init__(model)
        self.node = node
        self.product = product
        self.distribution = demand
        self.restart(rng)

    def restart(self, rng: np.random.Generator | None) -> None:
        """Forget the drawn demand and draw from ``rng`` from period 0 on (a new run)."""
        self.demand_rng = rng
        self._block: list[float] = []
        self._block_start = 0

    def demand_in(self, period: int) -> float:
        """Customer demand in ``period`` (units). Periods are asked for in increasing order."""
        offset = period - self._block_start
        if offset >= len(self._block):
            self.demand_block(period)
            offset = 0
        return self._block[offset]

    def demand_block(self, period: int) -> tuple[int, list[float]]:
        """The drawn demand from ``period`` on: ``(first period of the block, its values)``,
        drawing the next block when ``period`` is past the current one."""
        if period - self._block_start >= len(self._block):
            n = min(_BLOCK, max(16, 2 * len(self._block)))  # doubling: short runs draw little
            if isinstance(self.distribution, Trace):  # draw what the trace has, error past it
                n = max(1, min(_BLOCK, len(self.distribution.values) - period))
            elif isinstance(self.distribution, MertonJump):  # whole paths
                n = -(-n // self.distribution.path_length) * self.distribution.path_length
            self._block = self.distribution.draw(self.demand_rng, period, n).tolist()
            self._block_start = period
        return self._block_start, self._block

    def mean_demand(self) -> float:
        """Expected demand per period (units)."""
        return self.distribution.mean

    def arrival_rate(self) -> float:
        """Customers per period when they arrive one at a time (``arrivals="poisson"``): the
        compound Poisson rate, or else one customer per unit of :meth:`mean_demand`."""
        if isinstance(self.distribution, CompoundPoisson):
            return self.distribution.rate
        return self.mean_demand()

    def order_size(self) -> Distribution:
        """What one such customer buys (units): the compound Poisson size, or else 1."""
        if isinstance(self.distribution, CompoundPoisson):
            return self.distribution.size
        return Constant(1.0)
