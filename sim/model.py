"""The engine: a Mesa model driven by one SimPy environment over a supply network graph.

Time is a float; period ``t`` is the interval ``[t, t + 1)``. One clock process runs each
period's step at time ``t`` and closes the period (costs, one recorder row per stock point)
at ``t + 1`` before anything else happens at that instant. Shipments and delayed orders are
SimPy events whose callbacks are plain methods; at an instant, arrivals are processed before
the step, so a shipment due at the start of period ``t`` is on hand when period ``t`` runs.

Periodic review, ``decide="start"`` (the seed paper's Eq. (4)–(7), Zipkin's lost sales)::

    t ──► receive due shipments ─► every node orders q_t (downstream → upstream)
        ─► every node serves (upstream → downstream): backlog first, then new demand/orders,
           and ships ─► close at t+1: costs on ending stock

Periodic review, ``decide="end"`` (Snyder & Shen; stockpyl)::

    t ──► receive due shipments ─► for each node, downstream → upstream:
              serve backlog then this period's demand/orders, ship, then order
              (an order with order lead time 0 reaches its supplier this period)
        ─► close at t+1: costs on ending stock

"Downstream → upstream" is echelon by echelon from the customers up (a node's echelon is
one above its highest customer's), peers in the graph's node order; "upstream →
downstream" takes the echelons the other way, peers in the same order.
:class:`~sim.vector.VectorizedSupplyChainModel` steps whole echelons in this order.

A shipment sent at ``t`` with lead time ``L`` arrives at ``t + L`` (start of period ``t + L``
for integer ``L``). Goods that arrive within a period (non-integer lead times) count as on
hand at its close and serve the next period's demand. Continuous review
(``review="continuous"``) consults a node's policy once at the start and then whenever its
inventory position changes (customer demand arrives, or an order reaches it); holding and
backlog costs are then charged on the time-weighted average level over the period
(inventory is a level), as they are whenever customers arrive one by one
(``arrivals="poisson"``).
"""

from __future__ import annotations

import gc
import math
from collections import deque
from collections.abc import Mapping
from typing import Any, Literal

import mesa
import networkx as nx
import simpy
from simpy.events import URGENT, Event

from networks.attributes import EDGE_DEFAULTS, is_source, node_value, products
from networks.builders import echelons
from networks.distributions import Distribution, Trace, parse_distribution
from networks.validate import validate

from .agents import CustomerAgent, StockingAgent
from .policy import InventoryObservation, Policy
from .recorder import Recorder
from .streams import Purpose, stream

__all__ = ["SupplyChainModel"]

_CLOSE = -1  # a period closes before anything else happens at its end instant
_LT_BLOCK = 256  # lead-time draws per refill


class _Message(Event):
    """A scheduled callback carrying a payload (a shipment, an order, a clock tick)."""

    def __init__(self, env: simpy.Environment, delay: float, value: Any, callback, priority: int):
        # Initialised like simpy's own Timeout, with an explicit priority.
        self.env = env
        self.callbacks = [callback] if callback is not None else []
        self._value = value
        self._ok = True
        env.schedule(self, priority, delay)


class _Edge:
    """A supply edge for one product, resolved to integers when the model is built."""

    __slots__ = (
        "bom",
        "crossing",
        "drawn",
        "draws",
        "draws_at",
        "fixed_cost",
        "kit_share",
        "last_arrival",
        "lead_time",
        "order_lead_time",
        "ordered",
        "position",
        "rng",
        "rng_key",
        "supplier",
        "supplier_name",
        "target",
        "transit",
        "transit_rate",
        "unit_cost",
    )

    def __init__(self, **fields: Any):
        for k, v in fields.items():
            setattr(self, k, v)

    def arrival(self, now: float) -> float:
        """When a shipment sent at ``now`` arrives: shipment k on this edge gets lead-time
        draw k, and on a non-crossing edge no earlier than the shipment before it."""
        if self.draws_at >= len(self.draws):
            self.refill()
        arrival = now + self.draws[self.draws_at]
        self.draws_at += 1
        if not self.crossing:
            arrival = max(arrival, self.last_arrival)
            self.last_arrival = arrival
        return arrival

    def refill(self) -> None:
        """Draw the next block of lead times (shipment k on this edge gets draw k)."""
        # Blocks double up to _LT_BLOCK: short runs of large networks draw little.
        n = min(_LT_BLOCK, max(8, 2 * len(self.draws)))
        if isinstance(self.lead_time, Trace):  # what the trace has left; an error past it
            n = max(1, min(n, len(self.lead_time.values) - self.drawn))
        if self.rng is None:  # made on first use: a large network has many edges
            self.rng = stream(*self.rng_key)
        self.draws = self.lead_time.draw(self.rng, self.drawn, n).tolist()
        self.drawn += n
        self.draws_at = 0


class SupplyChainModel(mesa.Model):
    """A supply chain simulation over a validated network graph.

    Args:
        graph: the network (see :mod:`networks.attributes` for the attribute names).
        policies: the decision module of each stocking node: a mapping from node name, or
            from ``(node, product)``, to a module; or one module for all. Stateful modules
            (with ``spawn()``) are spawned once per stock point.
        decide: ``"start"`` or ``"end"``: when in the period a periodic-review node orders
            (see the module docstring); continuous review has no such choice.
        review: ``"periodic"`` (at period boundaries) or ``"continuous"``.
        arrivals: ``"batch"`` (each retailer's demand per period arrives at once) or
            ``"poisson"`` (customers arrive one unit at a time as a Poisson process whose rate
            is the mean of the declared demand per period).
        allocation: ``"fifo"`` (oldest order first) or ``"proportional"`` (scarce stock split
            in proportion to what each order still needs).
        charge_in_transit: charge stock in transit on edge ``u -> v`` at ``u``'s holding cost
            (echelon-cost accounting); recorded in ``v``'s ``transit_holding_cost``.
        seed: the run's seed; every random stream derives from it.
        record: keep the per-period table (turn off for throughput runs).
        log: keep :attr:`event_log`, one tuple ``(time, kind, supplier, node, product,
            quantity, due)`` per order placed (``"order"``), shipment sent (``"ship"``, with
            its arrival time ``due``) and shipment received (``"receive"``); ``supplier`` is
            ``None`` for customer demand (``"demand"``). For tests and debugging: it grows
            with the run.

    Raises:
        networks.NetworkError: the graph is invalid.
        ValueError: an argument is invalid, or a stocking node has no policy.
    """

    def __init__(
        self,
        graph: nx.DiGraph,
        policies: Mapping[Any, Policy] | Policy,
        *,
        decide: Literal["start", "end"] = "end",
        review: Literal["periodic", "continuous"] = "periodic",
        arrivals: Literal["batch", "poisson"] = "batch",
        allocation: Literal["fifo", "proportional"] = "fifo",
        charge_in_transit: bool = False,
        seed: int = 0,
        record: bool = True,
        log: bool = False,
    ):
        for name, value, allowed in (
            ("decide", decide, ("start", "end")),
            ("review", review, ("periodic", "continuous")),
            ("arrivals", arrivals, ("batch", "poisson")),
            ("allocation", allocation, ("fifo", "proportional")),
        ):
            if value not in allowed:
                raise ValueError(
                    f"{name}: must be one of {', '.join(map(repr, allowed))}, got {value!r}"
                )
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed: must be an integer >= 0, got {seed!r}")
        validate(graph)
        super().__init__(rng=stream(seed, Purpose.MESA))  # its own stream, not the run's root
        self.graph = graph
        self.seed_value = seed
        self.decide = decide
        self.review = review
        self.arrivals = arrivals
        self.allocation = allocation
        self.charge_in_transit = charge_in_transit
        self.products = products(graph)
        self.env = simpy.Environment()
        self.period = 0
        self.event_log: list[tuple] | None = [] if log else None
        self._build(policies)
        self.recorder = (
            Recorder(
                self.sku_names,
                [(e.supplier_name, *self.sku_names[e.target]) for e in self._edges],
                [graph.nodes[n]["role"] for n, _ in self.sku_names],
                [self.echelons[n] for n, _ in self.sku_names],
            )
            if record
            else None
        )
        self.env.process(self._clock())
        if arrivals == "poisson":
            for i, customer in self._customers.items():
                self.env.process(self._poisson_customers(i, customer))

    # ------------------------------------------------------------------ building
    def _build(self, policies: Mapping[Any, Policy] | Policy) -> None:
        g = self.graph
        stocking = [n for n in g.nodes if not is_source(g, n)]
        position = {n: k for k, n in enumerate(g.nodes)}
        self.echelons = echelons(g)
        # Stock points are processed echelon by echelon from the customers up (nodes of one
        # echelon never supply each other), peers in insertion order: the order
        # VectorizedSupplyChainModel steps in.
        order = sorted(stocking, key=lambda n: (self.echelons[n], position[n]))
        self.sku_index: dict[tuple[Any, str], int] = {}
        self.sku_names: list[tuple[Any, str]] = []
        for n in order:
            for p in self.products:
                self.sku_index[n, p] = len(self.sku_names)
                self.sku_names.append((n, p))
        n_sku = len(self.sku_names)
        self._downstream_first = list(range(n_sku))
        # upstream echelons first, peers still in node order
        self._upstream_first = sorted(
            range(n_sku), key=lambda i: (-self.echelons[self.sku_names[i][0]], i)
        )

        def per_sku(attr: str) -> list:
            return [node_value(g, n, attr, p) for n, p in self.sku_names]

        self._holding = [float(x) for x in per_sku("holding_cost")]
        self._backlog_rate = [float(x) for x in per_sku("backlog_cost")]
        self._lost_rate = [float(x) for x in per_sku("lost_sales_cost")]
        self._price = [float(x) for x in per_sku("price")]
        self._capacity = [float(x) for x in per_sku("capacity")]
        self._lost_sales = [s == "lost_sales" for s in per_sku("shortage")]
        self._manufacturer = [g.nodes[n]["role"] == "manufacturer" for n, _ in self.sku_names]
        self._initial = [float(x) for x in per_sku("initial_stock")]
        self._on_hand = list(self._initial)
        self._backlog = [0.0] * n_sku
        self._pipeline = [0.0] * n_sku
        self._queue: list[deque] = [deque() for _ in range(n_sku)]
        self._demand_seen = [0.0] * n_sku
        # per-period accumulators, reset when a period closes
        self._acc_demand = [0.0] * n_sku
        self._acc_sales = [0.0] * n_sku
        self._acc_shipped = [0.0] * n_sku
        self._acc_lost = [0.0] * n_sku
        self._acc_ordered = [0.0] * n_sku
        self._acc_received = [0.0] * n_sku
        self._acc_order_cost = [0.0] * n_sku
        self._acc_produced = [0.0] * n_sku

        # edges, per product, grouped by the ordering stock point
        self._edges: list[_Edge] = []
        self._suppliers: list[list[_Edge]] = [[] for _ in range(n_sku)]
        for (n, p), i in self.sku_index.items():
            for u in g.predecessors(n):
                data = g.edges[u, n]
                e = _Edge(
                    supplier=self.sku_index.get((u, p), -1),
                    supplier_name=u,
                    target=i,
                    position=len(self._suppliers[i]),
                    ordered=0.0,
                    lead_time=parse_distribution(data["lead_time"], f"edge {u!r}->{n!r} lead_time"),
                    order_lead_time=float(
                        data.get("order_lead_time", EDGE_DEFAULTS["order_lead_time"])
                    ),
                    unit_cost=float(data.get("unit_cost", EDGE_DEFAULTS["unit_cost"])),
                    fixed_cost=float(data.get("fixed_cost", EDGE_DEFAULTS["fixed_cost"])),
                    bom=float(data.get("bom", EDGE_DEFAULTS["bom"])),
                    crossing=bool(data.get("crossing", EDGE_DEFAULTS["crossing"])),
                    rng=None,
                    rng_key=(self.seed_value, Purpose.LEAD_TIME, u, n, p),
                    draws=[],
                    draws_at=0,
                    drawn=0,
                    last_arrival=-math.inf,
                    transit=0.0,
                    transit_rate=float(node_value(g, u, "holding_cost", p))
                    if not is_source(g, u)
                    else 0.0,
                )
                self._edges.append(e)
                self._suppliers[i].append(e)
        self._pipe_by = [[0.0] * len(s) for s in self._suppliers]
        self._initial_pipeline = []
        for e in self._edges:
            u, n, _ = e.supplier_name, *self.sku_names[e.target]
            lot = float(g.edges[u, n].get("initial_pipeline", EDGE_DEFAULTS["initial_pipeline"]))
            if lot > 0:
                lots = math.floor(e.lead_time.mean + 0.5)
                self._initial_pipeline.extend((e, lot, k) for k in range(lots))
                e.last_arrival = lots - 1.0  # later shipments may not overtake these lots
        # A manufacturer that turns one supplier's units one for one, without a capacity
        # limit, stocks exactly like a warehouse: it skips the component buffers.
        for i, suppliers in enumerate(self._suppliers):
            if (
                self._manufacturer[i]
                and len(suppliers) == 1
                and suppliers[0].bom == 1.0
                and self._capacity[i] == math.inf
            ):
                self._manufacturer[i] = False
        self._components = [
            [0.0] * len(self._suppliers[i]) if self._manufacturer[i] else None for i in range(n_sku)
        ]
        # A manufacturer's ordered and received flows count kits: per supplier, quantity / bom,
        # averaged over its suppliers.
        for i, suppliers in enumerate(self._suppliers):
            for e in suppliers:
                e.kit_share = 1.0 / (e.bom * len(suppliers)) if self._manufacturer[i] else 1.0
        self._has_components = any(c is not None for c in self._components)
        self._zeros = [0.0] * n_sku
        self._supplier_names = [tuple(e.supplier_name for e in s) for s in self._suppliers]

        # agents and decision modules
        self._policy: list[Policy] = []
        self.stocking_agents: dict[Any, StockingAgent] = {}
        for n in order:
            chosen = {p: self._policy_for(policies, n, p) for p in self.products}
            self.stocking_agents[n] = StockingAgent(self, n, g.nodes[n]["role"], chosen)
            self._policy.extend(chosen.values())
        self._observes = [frozenset(getattr(pol, "observes", ())) for pol in self._policy]
        self._track_due = any("arrivals" in o for o in self._observes)
        self._due: list[dict[int, float]] = [{} for _ in range(n_sku)]
        self._descendants = [
            [self.sku_index[d, p] for d in sorted(nx.descendants(g, n), key=position.get)] + [i]
            if "echelon_inventory_position" in self._observes[i]
            else None
            for i, (n, p) in enumerate(self.sku_names)
        ]

        self._customers: dict[int, CustomerAgent] = {}
        for i, (n, p) in enumerate(self.sku_names):
            spec = node_value(g, n, "demand", p)
            if spec is None:
                continue
            dist: Distribution = parse_distribution(spec, f"node {n!r} demand")
            rng = stream(self.seed_value, Purpose.DEMAND, n, p)
            self._customers[i] = CustomerAgent(self, n, p, dist, rng)
        self._customer_list = [self._customers.get(i) for i in range(n_sku)]
        self._time_weighted = self.review == "continuous" or self.arrivals == "poisson"
        self._batch = self.arrivals == "batch"
        self._arrivals: dict[float, list[tuple[_Edge, float]]] = {}
        for e, lot, k in self._initial_pipeline:  # received at the start of period k
            self._pipeline[e.target] += lot
            self._pipe_by[e.target][e.position] += lot
            e.transit += lot
            if self._track_due:
                self._due[e.target][k] = self._due[e.target].get(k, 0.0) + lot
            if k in self._arrivals:
                self._arrivals[k].append((e, lot))
            else:
                self._arrivals[k] = [(e, lot)]
                _Message(self.env, k, k, self._on_arrivals, URGENT)
        self._level_since = [0.0] * n_sku
        self._area_on_hand = [0.0] * n_sku
        self._area_backlog = [0.0] * n_sku

    def _policy_for(
        self, policies: Mapping[Any, Policy] | Policy, node: Any, product: str
    ) -> Policy:
        if isinstance(policies, Mapping):
            if (node, product) in policies:
                policy = policies[node, product]
            elif node in policies:
                policy = policies[node]
            else:
                raise ValueError(
                    f"policies: no decision module for node {node!r} (product {product!r}); "
                    f"give one per stocking node: {sorted(map(str, self._stocking_names()))}"
                )
        else:
            policy = policies
        if not callable(getattr(policy, "act", None)):
            raise ValueError(
                f"policies[{node!r}]: {policy!r} is not a decision module (it needs act(obs))"
            )
        spawn = getattr(policy, "spawn", None)
        return spawn() if callable(spawn) else policy

    def _stocking_names(self) -> list[Any]:
        return [n for n in self.graph.nodes if not is_source(self.graph, n)]

    # ------------------------------------------------------------------ running
    def run(self, periods: int) -> None:
        """Simulate ``periods`` more periods."""
        if isinstance(periods, bool) or not isinstance(periods, int) or periods < 0:
            raise ValueError(f"periods: must be an integer >= 0, got {periods!r}")
        if not periods:
            return
        # The loop allocates many short-lived objects and builds no reference cycles, so the
        # cyclic collector would only rescan the model's long-lived state, at a cost growing
        # with the network (about 20% of the time at 10,000 nodes).
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._advance(periods)
        finally:
            if collecting:
                gc.enable()

    def _advance(self, periods: int) -> None:
        self.env.run(until=self.period + periods)

    def step(self) -> None:
        """Simulate one period (Mesa's ``step``)."""
        self.run(1)

    def _clock(self):
        env = self.env
        while True:
            t = self.period
            if self.decide == "end" or self.review == "continuous":
                self._step_end(t)
            else:
                self._step_start(t)
            # The period closes at t + 1 before anything else; arrivals due then come next,
            # and the clock (normal priority) last.
            _Message(env, 1, t, self._on_close, _CLOSE)
            yield env.timeout(1)

    def _on_close(self, event: Event) -> None:
        t = event._value
        self._close(t)
        self.period = t + 1
        self.steps = t + 1  # periods done (Mesa's step() wrapper counts too: assign, not add)

    def _step_end(self, t: int) -> None:
        # Under continuous review a node decides when its inventory position changes (here:
        # this period's batch of customer demand; orders reaching it are handled on arrival),
        # and once at the start.
        periodic = self.review == "periodic" or t == 0
        for i in self._downstream_first:
            if self._serve_period(i, t) > 0 or periodic:
                self._review(i, t)

    def _step_start(self, t: int) -> None:
        for i in self._downstream_first:
            self._review(i, t)
        for i in self._upstream_first:
            self._serve_period(i, t)

    def _serve_period(self, i: int, t: int) -> float:
        """Produce, take this period's batch of customer demand, and serve what ``i`` owes;
        returns that customer demand."""
        if self._manufacturer[i]:
            self._produce(i)
        customer = self._customer_list[i]
        d = 0.0
        if customer is not None and self._batch:
            d = customer.demand_in(t)
            self._acc_demand[i] += d
            self._customer_demand(i, d)
        self._serve(i)
        if self._batch or customer is None:  # Poisson customers: seen when the period closes
            self._demand_seen[i] = self._acc_demand[i]
        return d

    def _poisson_customers(self, i: int, customer: CustomerAgent):
        rate = customer.mean_demand()
        if rate <= 0:
            return
        rng = stream(self.seed_value, Purpose.ARRIVALS, *self.sku_names[i])
        env = self.env
        while True:
            gaps = rng.exponential(1.0 / rate, 1024).tolist()
            for gap in gaps:
                yield env.timeout(gap)
                self._acc_demand[i] += 1.0
                self._customer_demand(i, 1.0)
                self._serve(i)
                if self.review == "continuous":
                    self._review(i, self.period)

    # ------------------------------------------------------------------ levels
    def _touch(self, i: int) -> None:
        """Accumulate the time-weighted levels of stock point ``i`` up to now."""
        now = self.env.now
        dt = now - self._level_since[i]
        if dt:
            self._area_on_hand[i] += self._on_hand[i] * dt
            self._area_backlog[i] += self._backlog[i] * dt
            self._level_since[i] = now

    # ------------------------------------------------------------------ serving
    def _customer_demand(self, i: int, d: float) -> None:
        """Queue (backlog) or serve-or-lose (lost sales) customer demand ``d`` at ``i``."""
        if d <= 0:
            return
        if self.event_log is not None:
            self.event_log.append((self.env.now, "demand", None, *self.sku_names[i], d, None))
        if self._time_weighted:
            self._touch(i)
        if self._lost_sales[i]:
            sold = min(d, self._on_hand[i])
            self._on_hand[i] -= sold
            self._acc_sales[i] += sold
            self._acc_lost[i] += d - sold
        else:
            self._queue[i].append([-1, None, d])
            self._backlog[i] += d

    def _serve(self, i: int) -> None:
        """Fill what ``i`` owes from its stock, oldest first (or proportionally), and ship."""
        queue = self._queue[i]
        if not queue or self._on_hand[i] <= 0:
            return
        if self._time_weighted:
            self._touch(i)
        if self.allocation == "proportional" and len(queue) > 1:
            self._serve_proportional(i)
            return
        on_hand = self._on_hand[i]
        while queue and on_hand > 0:
            entry = queue[0]
            x = entry[2] if entry[2] <= on_hand else on_hand
            on_hand -= x
            self._deliver(i, entry, x)
            if entry[2] <= 0:
                queue.popleft()
        self._on_hand[i] = on_hand

    def _serve_proportional(self, i: int) -> None:
        queue = self._queue[i]
        owed = [entry[2] for entry in queue]
        total = sum(owed)
        stock = self._on_hand[i]
        if stock >= total:
            shares = owed
        else:
            shares = [stock * q / total for q in owed]
            if float(stock).is_integer() and all(float(q).is_integer() for q in owed):
                shares = _largest_remainder(shares, int(stock))
        self._on_hand[i] = max(0.0, stock - sum(shares))  # no float residue below zero
        for entry, x in zip(list(queue), shares, strict=True):
            if x > 0:
                self._deliver(i, entry, x)
        self._queue[i] = deque(entry for entry in queue if entry[2] > 0)

    def _deliver(self, i: int, entry: list, x: float) -> None:
        entry[2] -= x
        self._backlog[i] -= x
        edge = entry[1]
        if edge is None:
            self._acc_sales[i] += x
        else:
            self._acc_shipped[i] += x
            self._ship(edge, x)

    def _ship(self, edge: _Edge, x: float) -> None:
        now = self.env.now
        edge.transit += x
        arrival = edge.arrival(now)
        if self._track_due:
            due = self._due[edge.target]
            k = math.ceil(arrival)
            due[k] = due.get(k, 0.0) + x
        if self.event_log is not None:
            node, product = self.sku_names[edge.target]
            self.event_log.append((now, "ship", edge.supplier_name, node, product, x, arrival))
        if arrival <= now:
            self._receive(edge, x)
            return
        # One event per arrival instant, not per shipment: with integer lead times a period
        # costs a few heap operations however large the network.
        bucket = self._arrivals.get(arrival)
        if bucket is None:
            bucket = self._arrivals[arrival] = []
            _Message(self.env, arrival - now, arrival, self._on_arrivals, URGENT)
        bucket.append((edge, x))

    def _on_arrivals(self, event: Event) -> None:
        for edge, x in self._arrivals.pop(event._value):
            self._receive(edge, x)

    def _receive(self, edge: _Edge, x: float) -> None:
        j = edge.target
        if self.event_log is not None:
            node, product = self.sku_names[j]
            self.event_log.append(
                (self.env.now, "receive", edge.supplier_name, node, product, x, None)
            )
        if self._time_weighted:
            self._touch(j)
        edge.transit -= x
        self._pipeline[j] -= x
        self._pipe_by[j][edge.position] -= x
        self._acc_received[j] += x * edge.kit_share
        if self._track_due:
            due = self._due[j]
            k = math.ceil(self.env.now)
            due[k] -= x
            if due[k] <= 1e-12:
                del due[k]
        components = self._components[j]
        if components is None:
            self._on_hand[j] += x
        else:
            components[edge.position] += x
        if self.review == "continuous":
            if components is not None:
                self._produce(j)
            self._serve(j)

    def _produce(self, i: int) -> None:
        """Turn whole kits of components into product, up to the period's capacity."""
        components = self._components[i]
        kits = self._capacity[i] - self._acc_produced[i]
        for e, held in zip(self._suppliers[i], components, strict=True):
            kits = min(kits, math.floor(held / e.bom + 1e-9))
        if kits <= 0:
            return
        if self._time_weighted:
            self._touch(i)
        for k, e in enumerate(self._suppliers[i]):
            components[k] -= kits * e.bom
        self._on_hand[i] += kits
        self._acc_produced[i] += kits

    # ------------------------------------------------------------------ deciding
    def observe(self, i: int, t: int) -> InventoryObservation:
        """The observation of stock point ``i`` in period ``t``."""
        node, product = self.sku_names[i]
        on_hand, backlog = self._on_hand[i], self._backlog[i]
        pipeline = self._pipeline_of(i)
        echelon = arrivals = None
        wants = self._observes[i]
        if wants:
            if "echelon_inventory_position" in wants:
                echelon = sum(
                    self._on_hand[k] + self._pipeline_of(k) - self._backlog[k]
                    for k in self._descendants[i]
                )
            if "arrivals" in wants:
                due = self._due[i]
                horizon = max(due, default=t) - t
                arrivals = tuple(due.get(t + 1 + k, 0.0) for k in range(horizon))
        return InventoryObservation(
            t,
            node,
            product,
            on_hand,
            backlog,
            pipeline,
            on_hand + pipeline - backlog,
            self._demand_seen[i],
            self._supplier_names[i],
            self._pipeline_by_supplier(i),
            echelon,
            arrivals,
        )

    def _pipeline_by_supplier(self, i: int) -> tuple[float, ...]:
        return tuple(self._pipe_by[i])

    def _pipeline_of(self, i: int) -> float:
        """The pipeline stock point ``i`` decides on: ordered and not received, except at a
        manufacturer, where it counts the kits that the components held and on order make."""
        if self._components[i] is None:
            return self._pipeline[i]
        return min(
            (held + on_order) / e.bom
            for e, held, on_order in zip(
                self._suppliers[i], self._components[i], self._pipe_by[i], strict=True
            )
        )

    def _review(self, i: int, t: int) -> None:
        action = self._action(i, t)
        suppliers = self._suppliers[i]
        if isinstance(action, float):
            if action == 0:
                return
            if self._manufacturer[i]:
                for e in suppliers:
                    self._order(e, action * e.bom)
            else:
                self._order(suppliers[0], action)
            return
        for e, q in zip(suppliers, action, strict=True):
            if q > 0:
                self._order(e, q)

    def _action(self, i: int, t: int) -> float | list[float]:
        """Consult ``i``'s decision module: a quantity, or a list of one per supplier."""
        action = self._policy[i].act(self.observe(i, t))
        try:
            action = float(action)
        except (TypeError, ValueError):
            pass
        else:
            if not 0 <= action < math.inf:
                self._bad_action(i, action)
            return action
        try:
            quantities = [float(q) for q in action]
        except (TypeError, ValueError):
            self._bad_action(i, action)
        if len(quantities) != len(self._suppliers[i]) or any(
            not 0 <= q < math.inf for q in quantities
        ):
            self._bad_action(i, action)
        return quantities

    def _bad_action(self, i: int, action: Any) -> None:
        node, product = self.sku_names[i]
        raise ValueError(
            f"node {node!r} product {product!r}: policy {self._policy[i]!r} returned {action!r}; "
            f"an action is a finite quantity >= 0, or one per supplier "
            f"{list(self._supplier_names[i])}"
        )

    def _order(self, edge: _Edge, q: float) -> None:
        i = edge.target
        if self.event_log is not None:
            node, product = self.sku_names[i]
            self.event_log.append(
                (self.env.now, "order", edge.supplier_name, node, product, q, None)
            )
        self._pipeline[i] += q
        self._pipe_by[i][edge.position] += q
        self._acc_ordered[i] += q * edge.kit_share
        edge.ordered += q
        self._acc_order_cost[i] += edge.unit_cost * q + edge.fixed_cost
        if edge.supplier < 0:  # an external source ships what it is asked for
            if edge.order_lead_time:
                _Message(self.env, edge.order_lead_time, (edge, q), self._on_source_order, URGENT)
            else:
                self._ship(edge, q)
        elif edge.order_lead_time:
            _Message(self.env, edge.order_lead_time, (edge, q), self._on_order, URGENT)
        else:
            self._take_order(edge, q)

    def _on_source_order(self, event: Event) -> None:
        edge, q = event._value
        self._ship(edge, q)

    def _on_order(self, event: Event) -> None:
        edge, q = event._value
        self._take_order(edge, q)

    def _take_order(self, edge: _Edge, q: float) -> None:
        u = edge.supplier
        if self._time_weighted:
            self._touch(u)
        self._queue[u].append([edge.target, edge, q])
        self._backlog[u] += q
        self._acc_demand[u] += q
        if self.review == "continuous":
            self._serve(u)
            self._review(u, self.period)

    # ------------------------------------------------------------------ closing
    def _close(self, t: int) -> None:
        """Charge period ``t``'s costs and record one row per stock point."""
        if self._time_weighted:
            for i in self._downstream_first:
                self._touch(i)
            on_hand_level, backlog_level = self._area_on_hand, self._area_backlog
        else:
            on_hand_level, backlog_level = self._on_hand, self._backlog
        rec = self.recorder
        if rec is not None:
            held, pipeline = on_hand_level, self._pipeline
            if self._has_components:
                held = [
                    x + (sum(c) if c is not None else 0.0)
                    for x, c in zip(on_hand_level, self._components, strict=True)
                ]
                pipeline = [self._pipeline_of(i) for i in range(len(pipeline))]
            transit = self._zeros
            if self.charge_in_transit:
                transit = [0.0] * len(self._zeros)
                for e in self._edges:
                    transit[e.target] += e.transit_rate * e.transit
            rec.append_period(
                t,
                self._on_hand,
                self._backlog,
                pipeline,
                self._acc_demand,
                self._acc_sales,
                self._acc_shipped,
                self._acc_lost,
                self._acc_ordered,
                self._acc_received,
                [h * x for h, x in zip(self._holding, held, strict=True)],
                [b * x for b, x in zip(self._backlog_rate, backlog_level, strict=True)],
                [p * x for p, x in zip(self._lost_rate, self._acc_lost, strict=True)],
                self._acc_order_cost,
                transit,
                [p * x for p, x in zip(self._price, self._acc_sales, strict=True)],
            )
            rec.append_edges(t, [e.ordered for e in self._edges], [e.transit for e in self._edges])
        for e in self._edges:  # the only per-period edge counter
            e.ordered = 0.0
        if self.arrivals == "poisson":  # what Poisson customers asked for, seen next period
            for i, customer in enumerate(self._customer_list):
                if customer is not None:
                    self._demand_seen[i] = self._acc_demand[i]
        zeros = self._zeros
        self._acc_demand[:] = zeros
        self._acc_sales[:] = zeros
        self._acc_shipped[:] = zeros
        self._acc_lost[:] = zeros
        self._acc_ordered[:] = zeros
        self._acc_received[:] = zeros
        self._acc_order_cost[:] = zeros
        self._acc_produced[:] = zeros
        if self._time_weighted:
            self._area_on_hand[:] = zeros
            self._area_backlog[:] = zeros

    # ------------------------------------------------------------------ results
    def results(self):
        """The per-period table (a pandas DataFrame); see :class:`sim.recorder.Recorder`."""
        if self.recorder is None:
            raise ValueError("this model was built with record=False: it kept no table")
        return self.recorder.frame()

    def cost_per_period(self, warmup: int = 0) -> float:
        """Mean total network cost per period after ``warmup`` periods (money)."""
        if self.recorder is None:
            raise ValueError("this model was built with record=False: it kept no table")
        return self.recorder.cost_per_period(warmup)


def _largest_remainder(shares: list[float], total: int) -> list[float]:
    """Round ``shares`` (summing to the integer ``total``) to integers keeping the sum."""
    floors = [math.floor(s) for s in shares]
    rest = total - sum(floors)
    by_remainder = sorted(range(len(shares)), key=lambda k: floors[k] - shares[k])
    for k in by_remainder[:rest]:
        floors[k] += 1
    return [float(f) for f in floors]
