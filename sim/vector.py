"""The periodic-review model stepped one echelon at a time over numpy arrays.

:class:`VectorizedSupplyChainModel` simulates exactly what :class:`~sim.model.SupplyChainModel`
does with ``review="periodic"``, ``arrivals="batch"`` and ``allocation="fifo"`` or
``"whole"`` (same seeds, same draws, same table; checked against it in the tests), but it
keeps the state of all
stock points and edges in arrays and does each step for a whole echelon at once. Stock
points of one echelon never supply each other, so serving, deciding and ordering within an
echelon are independent, and both engines process echelons downstream first, peers in the
graph's node order.

Use it for large networks: a period costs a few dozen array operations per echelon plus
work proportional to the network, so time per period grows less than linearly with the
number of nodes (``benchmarks/engine.py``), where the event engine pays Python work per
node and per shipment. Up to about a hundred nodes the event engine is as fast or faster.
Decision modules with ``act_batch`` (see :mod:`sim.policy`) decide for all their stock
points of an echelon in one call; others are consulted one stock point at a time, as in
the event engine.

The results equal the event engine's to the last bit, because the float arithmetic is the
same and in the same order: whole-number quantities are filled with cumulative sums (exact
in any order), others one FIFO rank at a time; shipments and receipts keep their order.
Lead times drawn from a distribution are drawn per shipment in Python (draw ``k`` of an
edge goes to its ``k``-th shipment, as in the event engine); constant lead times cost
nothing per shipment. There is no event log (``log``).

The copy axis: ``copies=[s0, s1, ...]`` runs disjoint copies of the network as one graph
(node ``v`` of copy ``k`` is ``(k, v)``), copy ``k`` the run of seed ``s_k``, for batched
rollouts. Modules are shared by the copies and see each supplier by its name in the network
given (``obs.suppliers`` of ``(k, v)`` names ``u``, not ``(k, u)``: a dual-sourcing module
finds its suppliers on every copy), stock points by their copy's name (``(k, v)``, the
key of per-stock-point state); :meth:`VectorizedSupplyChainModel.reset_copies` starts some copies again with new
seeds between two periods while the others run on.
"""

from __future__ import annotations

import heapq
import itertools
import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import networkx as nx
import numpy as np
import scipy.sparse

from networks.attributes import is_source
from networks.distributions import Constant

from .model import (
    _ACCUMULATORS,
    _LEVELS,
    _QUANTITIES,
    Decision,
    Reward,
    SupplyChainModel,
    _SourceOrders,
)
from .policy import (
    VECTORIZED_FIXED_OPTIONS,
    External,
    InventoryObservation,
    ObservationBatch,
    Policy,
)
from .spaces import ObservationLayout

__all__ = ["VectorizedSupplyChainModel"]

_RECEIVE, _TAKE_ORDER, _SHIP = range(3)  # what a calendar entry does when its time comes


class VectorizedSupplyChainModel(SupplyChainModel):
    """A periodic-review supply chain model over numpy arrays, one echelon at a time.

    Same arguments, attributes and results as :class:`~sim.model.SupplyChainModel`, except
    the options in :attr:`FIXED_OPTIONS`, which may only take the values listed there, plus
    ``copies``: one seed per copy of the network to run side by side (see the module
    docstring).

    Attributes:
        copy_seeds: the seed of each copy's current run (``None``: a model without copies).
        copy_starts: the model's period at which each copy's current run started (0 unless
            :meth:`reset_copies` started it again).

    Raises:
        networks.NetworkError: the graph is invalid.
        ValueError: an argument is invalid (a fixed option included), or a stocking node has
            no policy.
    """

    _clocked = False

    #: Options of :class:`~sim.model.SupplyChainModel` this engine restricts, with the values
    #: it allows.
    FIXED_OPTIONS: ClassVar[Mapping[str, tuple[Any, ...]]] = VECTORIZED_FIXED_OPTIONS

    def __init__(
        self,
        graph: nx.DiGraph,
        policies: Mapping[Any, Policy] | Policy,
        *,
        copies: Sequence[int] | None = None,
        **options: Any,
    ):
        for name, allowed in self.FIXED_OPTIONS.items():
            if options.get(name, allowed[0]) not in allowed:
                raise ValueError(
                    f"{name}: VectorizedSupplyChainModel runs with {name}="
                    f"{' or '.join(map(repr, allowed))} only, got {options[name]!r}; use "
                    "SupplyChainModel for it"
                )
        self.copy_seeds: list[int] | None = None
        if copies is not None:
            self.copy_seeds = _seeds(copies)
            graph, policies = _copies(graph, policies, len(self.copy_seeds))
        super().__init__(graph, policies, **options)

    def _reset_state(self) -> None:
        super()._reset_state()
        self._spawn_batches()
        self._to_arrays()

    def _spawn_batches(self) -> None:
        """One object per stateful module with ``spawn_batch`` (see :mod:`sim.policy`) for
        all its stock points, in place of what ``spawn`` gave each of them."""
        shared: dict[int, list[tuple[Any, str]]] = {}  # (agent, product)
        for agent in self.stocking_agents.values():
            for product, module in agent.modules.items():
                if callable(getattr(module, "spawn_batch", None)):
                    shared.setdefault(id(module), []).append((agent, product))
        for users in shared.values():
            agent, product = users[0]
            runner = agent.modules[product].spawn_batch([(a.node, p) for a, p in users])
            for agent, product in users:
                agent.policies[product] = runner
                self._policy[self.sku_index[agent.node, product]] = runner

    def _stream_key(self, stock_point: tuple[Any, str]) -> tuple[int, Any, str]:
        if self.copy_seeds is None:
            return super()._stream_key(stock_point)
        (k, node), product = stock_point
        return self.copy_seeds[k], node, product

    def _name_in_network(self, node: Any) -> Any:
        return node if self.copy_seeds is None else node[1]

    def _copies_of(self, node: Any) -> list[Any]:
        if self.copy_seeds is None:
            return super()._copies_of(node)
        g = self.graph
        first = (0, node)
        if first not in g or is_source(g, first):
            return []
        return [(k, node) for k in range(len(self.copy_seeds))]

    def reset(self, seed: int | None = None, *, copies: Sequence[int] | None = None) -> None:
        """Start again at period 0 (see :meth:`SupplyChainModel.reset`); a model of several
        copies takes one seed per copy in ``copies`` (the same seeds by default). To start
        some copies again while the others run on, see :meth:`reset_copies`."""
        if copies is not None:
            if self.copy_seeds is None or len(copies) != len(self.copy_seeds):
                raise ValueError(
                    f"copies: give {len(self.copy_seeds or ())} seeds, one per copy of this model"
                    if self.copy_seeds
                    else "copies: this model has no copies; reset(seed) instead"
                )
            self.copy_seeds = _seeds(copies)
        super().reset(seed)

    def reset_copies(self, seeds: Mapping[int, int]) -> None:
        """Start some copies again, each with a seed of its own, while the others run on.

        Call it between two periods: the model stands at the start of period ``t`` (``run``
        or ``advance(..., until=t)`` returned there) and nothing of period ``t`` happened.
        From period ``t`` on, copy ``k`` runs what the model of seed ``seeds[k]`` runs from
        period 0, to the bit under the same actions: its random streams start again from
        the new seed (a random :class:`~sim.initial.InitialState` included); its scheduled
        receipts and orders in the mail, what it owes, its customers' drawn demand, its
        uncollected rewards, pipelines and stock on hand return to their state at period 0;
        its stateful modules are spawned anew. (Lead times that are not whole numbers are
        shifted by ``t`` in floating point, which may round an arrival time differently.)

        The copy's own period is ``t - copy_starts[k]``: its modules observe it and its
        customers draw demand for it. A batch of copies that started at different periods
        (an external decision of all copies) carries the model's period, as its
        :class:`~sim.model.Decision` does; the model's period and the table's periods run
        on. The other copies' state and random streams are untouched.

        Args:
            seeds: the seed (an integer >= 0) of each copy to start again, by copy index.

        Raises:
            ValueError: the model has no copies, a period is under way, or a copy index or
                seed is invalid.
        """
        if self.copy_seeds is None:
            raise ValueError("reset_copies: this model has no copies; reset(seed) instead")
        if self._pending is not None or self._op >= 0:
            raise ValueError(
                f"reset_copies: period {self.period} is under way; call it between periods "
                f"(after advance(..., until={self.period + 1}) returned)"
            )
        n_copies = len(self.copy_seeds)
        if not isinstance(seeds, Mapping) or not all(
            _natural(k) and k < n_copies and _natural(seed) for k, seed in seeds.items()
        ):
            raise ValueError(
                f"seeds: must map copy indices 0..{n_copies - 1} to integer seeds >= 0, got "
                f"{seeds!r}"
            )
        chosen = sorted(int(k) for k in seeds)
        if not chosen:
            return
        t = self.period
        for k in chosen:
            self.copy_seeds[k] = int(seeds[k])
            self.copy_starts[k] = t
        mine = np.isin(self._sku_copy, chosen)  # the copies' stock points
        mine_edge = mine[self._e_target]
        skus, edges = np.flatnonzero(mine), np.flatnonzero(mine_edge)
        self._sku_start[skus] = t
        self._restarted = bool(self._sku_start.any())
        self._forget(mine, mine_edge)

        # stock points and edges as at period 0 (the accumulators are zero between periods)
        for name in (*_LEVELS, *_ACCUMULATORS):  # the stock on hand: its start, below
            getattr(self, name)[skus] = 0.0
        self._reward[skus] = 0.0
        for name in ("_e_pipeline", "_e_transit", "_e_components", "_e_ordered"):
            getattr(self, name)[edges] = 0.0
        self._on_hand[skus] = [self._start_on_hand(i) for i in skus.tolist()]
        for b, (source, _, capacity) in enumerate(self._source_books):
            if source[0] in chosen:  # the copy's sources: nothing waits, the capacity whole
                self._source_orders[b] = _SourceOrders(capacity, self.allocation)
        for j in edges.tolist():
            self._restart_edge(self._edges[j])
        # what is in transit and in the mail at time 0, from time t on, in the order a new
        # run books it (the pipelines add up in the same order, to the same bits)
        arrivals: dict[int, list[tuple[int, float]]] = {}
        for j, lot, k in self._start_lots(edges.tolist()):
            e = self._edges[j]
            self._pipeline[e.target] += lot
            self._e_pipeline[j] += lot
            self._e_transit[j] += lot
            e.last_arrival = max(e.last_arrival, float(t + k))
            arrivals.setdefault(k, []).append((j, lot))
        for k, lots in arrivals.items():
            self._schedule(
                float(t + k),
                _RECEIVE,
                np.array([j for j, _ in lots], dtype=np.int64),
                np.array([lot for _, lot in lots]),
            )
        index = {id(e): j for j, e in enumerate(self._edges)}
        for e, q, k in self._initial_orders:
            j = index[id(e)]
            if mine_edge[j]:
                self._pipeline[e.target] += q
                self._e_pipeline[j] += q
                self._schedule(
                    float(t + k),
                    _SHIP if e.supplier < 0 else _TAKE_ORDER,
                    np.array([j], dtype=np.int64),
                    np.array([q]),
                )
        # customers draw from their period 0 on, from the new seeds
        for c in np.flatnonzero(mine[self._customer_sku]).tolist():
            self._restart_customer(int(self._customer_sku[c]))
            self._block_start[c] = self._block_end[c] = t
        # stateful modules start afresh (values are shared; they keep no state)
        respawned = False
        restarts: dict[int, tuple[Any, list]] = {}  # batch runners: their stock points
        for i in skus.tolist():
            node, product = self.sku_names[i]
            agent = self.stocking_agents[node]
            if agent.policies[product] is not agent.modules[product] and callable(
                getattr(agent.modules[product], "spawn_batch", None)
            ):
                runner = agent.policies[product]
                restarts.setdefault(id(runner), (runner, []))[1].append((node, product))
                continue
            spawn = getattr(agent.modules[product], "spawn", None)
            if callable(spawn):
                agent.policies[product] = self._policy[i] = spawn()
                respawned = True
        for runner, stock_points in restarts.values():
            runner.restart(stock_points)
        if respawned:
            for step in self._steps:
                step.groups = self._policy_groups(step.lo, step.hi)

    def _forget(self, skus: np.ndarray, edges: np.ndarray) -> None:
        """Drop the calendar entries of ``edges`` and what stock points ``skus`` owe (boolean
        masks): the rest keeps its order."""
        for time in list(self._calendar):
            entries = []
            for kind, parts, amounts in self._calendar[time]:
                at, quantities = _joined(parts), _joined(amounts)
                keep = ~edges[at]
                if keep.all():
                    entries.append((kind, parts, amounts))
                elif keep.any():
                    entries.append((kind, [at[keep]], [quantities[keep]]))
            if entries:
                self._calendar[time] = entries
            else:
                del self._calendar[time]
        self._times = list(self._calendar)
        heapq.heapify(self._times)
        self._owed.clear(skus.nonzero()[0])

    # ------------------------------------------------------------------ building
    def _to_arrays(self) -> None:
        """Move the state the event engine built into arrays, and plan the echelon steps."""
        n, edges = len(self.sku_names), self._edges
        self._track_due = False  # arrivals are read off the calendar when asked for

        def floats(values) -> np.ndarray:
            return np.array(values, dtype=np.float64)

        self._records = None  # each quantity its own array from here on
        for name in (
            *_QUANTITIES,
            "_holding",
            "_backlog_rate",
            "_lost_rate",
            "_price",
            "_capacity",
            "_storage",
        ):
            setattr(self, name, floats(getattr(self, name)))
        self._any_storage = bool((self._storage < math.inf).any())  # some room is limited
        # Whether anything reads the stock in transit on each edge: the edge table, or holding
        # costs charged in transit (else shipping and receiving skip that count).
        self._counts_transit = self.recorder is not None or self.charge_in_transit
        self._reward = np.zeros((n, len(Reward._fields)))
        self._tracked_arr = np.array(self._tracked, dtype=np.int64)
        self._lost_sales = np.array(self._lost_sales, dtype=bool)
        self._whole_customer = np.array(self._whole_customer, dtype=bool)
        self._manufacturer = np.array(self._manufacturer, dtype=bool)
        self._processing = np.array(self._processing, dtype=bool)

        # edges: grouped by the stock point that orders on them, in stock-point order
        self._e_target = np.array([e.target for e in edges], dtype=np.int64)
        self._e_supplier = np.array([e.supplier for e in edges], dtype=np.int64)
        self._e_source = np.array([e.source for e in edges], dtype=np.int64)
        self._e_order_lead_time = floats([e.order_lead_time for e in edges])
        self._e_unit_cost = floats([e.unit_cost for e in edges])
        self._e_fixed_cost = floats([e.fixed_cost for e in edges])
        self._e_bom = floats([e.bom for e in edges])
        self._e_kit_share = floats([e.kit_share for e in edges])
        self._e_transit_rate = floats([e.transit_rate for e in edges])
        self._e_transit = floats([e.transit for e in edges])
        self._e_ordered = np.zeros(len(edges))
        self._e_pipeline = floats([x for row in self._pipe_by for x in row])
        self._e_components = np.zeros(len(edges))
        self._e_lead_time = floats(  # NaN: drawn per shipment
            [e.lead_time.value if isinstance(e.lead_time, Constant) else math.nan for e in edges]
        )
        # per edge, the rank of its constant lead time among the network's distinct ones
        # (255: drawn per shipment, or more than 254 distinct), and those in increasing order
        drawn = np.isnan(self._e_lead_time)
        self._leads = np.unique(self._e_lead_time[~drawn])
        self._lead_class = np.full(len(edges), 255, dtype=np.uint8)
        if self._leads.size < 255:
            self._lead_class[~drawn] = np.searchsorted(self._leads, self._e_lead_time[~drawn])
        self._e_into_manufacturer = self._manufacturer[self._e_target]
        # a quantity action goes to the first supplier, or bom units per kit to every supplier
        self._e_per_unit = np.where(
            self._e_into_manufacturer,
            self._e_bom,
            np.array([e.position == 0 for e in edges], dtype=np.float64),
        )
        self._first_edge = np.searchsorted(self._e_target, np.arange(n + 1))

        # customer demand: drawn in the customers' own blocks, gathered into one matrix
        self._customer_sku = np.array(sorted(self._customers), dtype=np.int64)
        self._customer_agents = [self._customers[int(i)] for i in self._customer_sku]
        self._block_start = np.zeros(len(self._customer_agents), dtype=np.int64)
        self._block_end = np.zeros(len(self._customer_agents), dtype=np.int64)
        self._blocks = np.zeros((len(self._customer_agents), 16))

        # the echelons: contiguous stock-point and edge ranges, and who decides how
        echelon = np.array([self.echelons[node] for node, _ in self.sku_names], dtype=np.int64)
        # the copy axis: each stock point's copy, and the period its copy's run started at
        self._sku_copy = np.array(
            [node[0] if self.copy_seeds is not None else 0 for node, _ in self.sku_names],
            dtype=np.int64,
        )
        self._sku_start = np.zeros(n, dtype=np.int64)
        self._restarted = False  # whether some copy's run started after period 0
        self.copy_starts = [0] * len(self.copy_seeds or ())
        self._steps = []
        for k in np.unique(echelon):
            lo, hi = np.searchsorted(echelon, [k, k + 1])
            in_k = (self._customer_sku >= lo) & (self._customer_sku < hi)
            self._steps.append(
                _EchelonStep(
                    lo=int(lo),
                    hi=int(hi),
                    edge_lo=int(self._first_edge[lo]),
                    edge_hi=int(self._first_edge[hi]),
                    manufacturers=lo + np.flatnonzero(self._manufacturer[lo:hi]),
                    processing=lo + np.flatnonzero(self._processing[lo:hi]),
                    customers=np.flatnonzero(in_k),
                    groups=self._policy_groups(int(lo), int(hi)),
                )
            )
        if self.decide == "end":
            self._ops = [(serve, step) for step in self._steps for serve in (True, False)]
        else:
            self._ops = [(False, step) for step in self._steps]
            self._ops += [(True, step) for step in reversed(self._steps)]
        self._op = -1  # the next of _ops to do in this period; -1: the period has not begun
        self._demand = None
        observing = [i for i in range(n) if "echelon_inventory_position" in self._observes[i]]
        self._echelon_sum = None
        if observing:  # row i sums the inventory positions of i and everything below it,
            # in the event engine's order (scipy keeps the column order it is given)
            chosen = set(observing)
            rows = [self._descendants[i] if i in chosen else [] for i in range(n)]
            self._echelon_sum = scipy.sparse.csr_matrix(
                (
                    np.ones(sum(map(len, rows))),
                    np.array([k for row in rows for k in row], dtype=np.int64),
                    np.cumsum([0, *map(len, rows)]),
                ),
                shape=(n, n),
            )

        # the calendar: receipts, delayed orders and delayed source shipments, by time
        self._calendar: dict[float, list[tuple[int, list[np.ndarray], list[np.ndarray]]]] = {}
        self._times: list[float] = []
        index = {id(e): k for k, e in enumerate(edges)}
        for time, lots in self._arrivals.items():
            self._schedule(
                float(time),
                _RECEIVE,
                np.array([index[id(e)] for e, _ in lots], dtype=np.int64),
                floats([lot for _, lot in lots]),
            )
        for e, q, k in self._initial_orders:  # in the mail at time 0 (the event engine's order)
            self._schedule(
                float(k),
                _SHIP if e.supplier < 0 else _TAKE_ORDER,
                np.array([index[id(e)]], dtype=np.int64),
                floats([q]),
            )
        del self._arrivals, self._pipe_by, self._components, self._queue  # now in arrays
        self._owed = _OwedQueues(n, self._e_supplier)

    def _policy_groups(self, lo: int, hi: int) -> list[tuple[Policy | None, np.ndarray, Any]]:
        """Stock points of ``[lo, hi)`` by the module that decides for them: one group per
        module with ``act_batch``, one ``(None, stock points)`` for all the others, and
        last the stock points decided from outside (:class:`External`), one group per set of
        fields they observe (a decision of the echelon waits for each group's actions)."""
        batched: dict[Any, list[int]] = {}
        single = []
        for i in range(lo, hi):
            policy = self._policy[i]
            if type(policy) is External:  # one decision for those observing the same
                batched.setdefault(policy.observes, []).append(i)
            elif callable(getattr(policy, "act_batch", None)):
                batched.setdefault(id(policy), []).append(i)
            else:
                single.append(i)
        groups = []
        for members in batched.values():
            groups.append(
                (
                    self._policy[members[0]],
                    np.array(members, dtype=np.int64),
                    self._names_of(members),
                )
            )
        if single:
            groups.append((None, np.array(single, dtype=np.int64), None))
        groups.sort(key=lambda group: type(group[0]) is External)  # the others decide first
        return groups

    def _names_of(self, members: Sequence[int]) -> tuple[list, list, list]:
        """The nodes, products and supplier names of stock points ``members``, as a batch
        carries them (lists made once per group, so that modules may cache by them)."""
        names = [self.sku_names[i] for i in members]
        return (
            [node for node, _ in names],
            [p for _, p in names],
            [self._identity[i][2] for i in members],
        )

    # ------------------------------------------------------------------ running
    def _advance(self, stop: float) -> None:
        while self.period < stop:
            t = self.period
            if self._op < 0:
                self._process(t, inclusive=True)  # receipts and orders due at the start of t
                self._demand = self._customer_demand_of(t)
                self._op = 0
            if not self._continue_step(t):
                return  # an external decision: _resume finishes the echelon
            self._process(t + 1, inclusive=False)  # within the period: on hand at its close
            self._close(t)
            self.period = self.steps = t + 1
            self._op = -1
            for book in self._source_orders:  # as the event engine's period close
                shipped = book.refill()
                if shipped:
                    edges, quantities = zip(*shipped, strict=True)
                    self._ship(np.array(edges, dtype=np.int64), np.array(quantities), t + 1)

    def _continue_step(self, t: int) -> bool:
        """Do period ``t``'s echelon steps from where they stand; ``False`` if one stopped
        for an external decision."""
        ops = self._ops
        while self._op < len(ops):
            serve, step = ops[self._op]
            self._op += 1
            if serve:
                self._serve_echelon(step, self._demand, t)
            elif not self._review_echelon(step, t):
                return False
        return True

    def _schedule(self, time: float, kind: int, edges: np.ndarray, quantities: np.ndarray) -> None:
        """Do ``kind`` for ``edges`` at ``time``: after what is already due then, except that
        receipts join the first receipt entry of their time (the event engine's bucket)."""
        entries = self._calendar.get(time)
        if entries is None:
            entries = self._calendar[time] = []
            heapq.heappush(self._times, time)
        if kind == _RECEIVE:
            for entry in entries:
                if entry[0] == _RECEIVE:
                    entry[1].append(edges)
                    entry[2].append(quantities)
                    return
        entries.append((kind, [edges], [quantities]))

    def _process(self, until: float, *, inclusive: bool) -> None:
        """Carry out the calendar up to ``until``, in time order."""
        times = self._times
        while times and (times[0] < until or (inclusive and times[0] == until)):
            now = heapq.heappop(times)
            for kind, edges, quantities in self._calendar.pop(now):
                edges, quantities = _joined(edges), _joined(quantities)
                if kind == _RECEIVE:
                    self._receive(edges, quantities, now)
                elif kind == _TAKE_ORDER:
                    self._take_orders(edges, quantities)
                else:
                    self._from_sources(edges, quantities, now)

    def _customer_demand_of(self, t: int) -> np.ndarray:
        """Every customer's demand in period ``t``, in customer order."""
        blocks = self._blocks
        for c in np.flatnonzero(t >= self._block_end):
            # a customer draws by the period of its own copy's run (a trace is read from it)
            began = int(self._sku_start[self._customer_sku[c]])
            start, values = self._customer_agents[c].demand_block(t - began)
            if len(values) > blocks.shape[1]:
                blocks = self._blocks = np.pad(blocks, ((0, 0), (0, len(values) - len(blocks[0]))))
            blocks[c, : len(values)] = values
            start += began
            self._block_start[c], self._block_end[c] = start, start + len(values)
        return blocks[np.arange(len(blocks)), t - self._block_start]

    # ------------------------------------------------------------------ serving
    def _serve_echelon(self, step: _EchelonStep, demand: np.ndarray, t: int) -> None:
        """Produce, take customer demand, and fill what the echelon owes, oldest first."""
        if step.manufacturers.size:
            self._produce(step)
        if step.processing.size:
            self._release(step)
        if step.customers.size:
            skus, d = self._customer_sku[step.customers], demand[step.customers]
            self._acc_demand[skus] += d
            lost = self._lost_sales[skus]
            if lost.any():
                at, asked = skus[lost], d[lost]
                held = self._on_hand[at]
                sold = np.minimum(asked, held)
                whole = self._whole_customer[at]
                if whole.any():  # sold whole or lost whole
                    sold = np.where(whole & (asked > held), 0.0, sold)
                self._on_hand[at] -= sold
                self._acc_sales[at] += sold
                self._acc_lost[at] += asked - sold
            owed = ~lost & (d > 0)
            if owed.any():
                at = skus[owed]
                self._enqueue(at, np.full(at.size, -1, dtype=np.int64), d[owed])
                self._backlog[at] += d[owed]
        self._fill(step, t)
        self._demand_seen[step.lo : step.hi] = self._acc_demand[step.lo : step.hi]

    def _enqueue(self, skus: np.ndarray, edges: np.ndarray, quantities: np.ndarray) -> None:
        """Add what stock points ``skus`` now owe (in order) at the back of their queues."""
        if skus.size:
            self._owed.new.append((skus, edges, quantities))

    def _fill(self, step: _EchelonStep, t: int) -> None:
        """Fill what the echelon's stock points owe, oldest first, and ship it.

        Only stock points with stock and entries are visited, and of their queues only the
        oldest entries, about as many as their stock reaches (more while stock is left).
        Under a guaranteed-service plan most stages owe for their service time, and no
        period's stock reaches most of the entries that wait."""
        owed = self._owed
        if owed.new:
            owed.flush()
        lo, hi = step.lo, step.hi
        local = ((owed.count[lo:hi] > 0) & (self._on_hand[lo:hi] > 0)).nonzero()[0]
        if not local.size:
            return
        at = local + lo
        stock, count, backlog = self._on_hand[at], owed.count[at], self._backlog[at]
        # the entries the stock would reach if all were alike (the backlog is what the
        # queue holds), and a quarter more: a second round is rare, and costs more
        share = np.divide(stock, backlog, out=np.ones(at.size), where=backlog > stock)
        sizes = np.minimum(count, (count * share * 1.25).astype(np.int64) + 3)
        entries, fill, got, done = self._fill_window(at, stock, None, sizes)
        # on while a window was filled in full and stock is left (an order that waits whole
        # stops its queue)
        more = ((stock > 0) & (done == sizes) & (sizes < count)).nonzero()[0]
        owner = None  # the (local) stock point of each entry served, where needed
        if more.size:
            owner = local.repeat(sizes)[got]
            entries, fill, owner = self._fill_further(
                at, local, stock, more, sizes, (entries, fill, owner), done
            )
        elif step.customers.size or self.recorder is not None:
            owner = local.repeat(sizes)[got]
        self._on_hand[at] = stock
        owed.pop(at, done)
        edges = owed.edge[entries]
        if step.customers.size:  # (only an echelon with customers owes them)
            to_customers = edges < 0
            self._acc_sales[lo:hi] += np.bincount(
                owner[to_customers], fill[to_customers], minlength=hi - lo
            )
            shipped = ~to_customers
            edges, fill, owner = edges[shipped], fill[shipped], owner[shipped]
        if edges.size:
            if self.recorder is not None:  # (a flow only the table shows)
                self._acc_shipped[lo:hi] += np.bincount(owner, fill, minlength=hi - lo)
            self._ship(edges, fill, t)

    def _fill_further(
        self,
        at: np.ndarray,
        local: np.ndarray,
        stock: np.ndarray,
        more: np.ndarray,
        sizes: np.ndarray,
        served: tuple[np.ndarray, np.ndarray, np.ndarray],
        done: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Go on filling the queues of stock points ``at[more]``, which have stock left
        after their oldest ``sizes`` entries, in windows four times wider each round (add
        to ``done``). Returns what :meth:`_fill_window` does, for all rounds together."""
        owed = self._owed
        parts = [served]
        looked, width = sizes.copy(), 4 * sizes
        while more.size:
            skus, left = at[more], stock[more]
            sizes = np.minimum(owed.count[skus] - looked[more], width[more])
            entries, fill, got, complete = self._fill_window(skus, left, looked[more], sizes)
            parts.append((entries, fill, local[more].repeat(sizes)[got]))
            stock[more] = left
            done[more] += complete
            looked[more] += sizes
            width[more] *= 4
            more = more[(left > 0) & (complete == sizes) & (looked[more] < owed.count[skus])]
        entries, fill, owner = (np.concatenate(part) for part in zip(*parts, strict=True))
        order = owner.argsort(kind="stable")  # by stock point, oldest first
        return entries[order], fill[order], owner[order]

    def _fill_window(
        self, skus: np.ndarray, stock: np.ndarray, skip: np.ndarray | None, sizes: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Fill entries ``skip`` to ``skip + sizes - 1`` (0 or ``None``: the oldest) of the
        queues of ``skus`` in order from their ``stock`` (lowered in place), and lower their
        backlog. Returns where the entries that got something are, what they got (by stock
        point, oldest first), which of the window's entries they are, and how many entries
        of each queue were filled completely (the oldest, as FIFO fills them)."""
        owed = self._owed
        whole_orders = self.allocation == "whole"
        begins = sizes.cumsum() - sizes
        entries = owed.positions(skus, skip, sizes, begins)
        qty = owed.qty[entries]
        owed_to = qty.cumsum()  # owed up to and including each entry, the windows in a row
        if (owed.whole or _whole(qty)) and owed_to[-1] < 2.0**52 and _whole(stock):
            # Whole numbers (below 2**53) add exactly in any order: fill all at once. What
            # the stock leaves after each entry, were it filled in full (< 0: it is not):
            before = owed_to[begins] - qty[begins]
            left = (stock + before).repeat(sizes) - owed_to
            done = np.add.reduceat(left >= 0, begins, dtype=np.int64)
            if whole_orders:  # complete or not at all; once one waits, all behind it wait
                fill = np.where(left >= 0, qty, 0.0)
                filled = np.where(done > 0, owed_to[begins + done - 1] - before, 0.0)
            else:
                fill = np.minimum(qty, np.maximum(qty + left, 0.0))
                filled = np.minimum(stock, owed_to[begins + sizes - 1] - before)
                part = (begins + done)[done < sizes]  # the next entry may get part of its order
                owed.qty[entries[part]] = qty[part] - fill[part]
            stock -= filled
            self._backlog[skus] -= filled
        else:
            # The k-th oldest entries of all stock points at once, in the event engine's
            # arithmetic (stock less each fill in turn), so both give the same bits.
            owed.whole = False  # (a fill may leave part of an entry)
            fill = np.zeros(qty.size)
            waiting = np.zeros(skus.size, dtype=bool)  # whole orders: one waits, and all behind
            for k in range(int(sizes.max())):
                serving = ((sizes > k) & (stock > 0) & ~waiting).nonzero()[0]
                if not serving.size:
                    break
                if whole_orders:
                    fits = qty[begins[serving] + k] <= stock[serving]
                    waiting[serving[~fits]] = True
                    serving = serving[fits]
                entry, left = begins[serving] + k, stock[serving]
                asked = qty[entry]
                x = np.where(asked <= left, asked, left)
                stock[serving] = left - x
                fill[entry] = x
                self._backlog[skus[serving]] -= x
            qty -= fill
            owed.qty[entries] = qty
            done = np.add.reduceat(qty <= 0, begins, dtype=np.int64)
        got = (fill > 0).nonzero()[0]
        return entries[got], fill[got], got, done

    def _produce(self, step: _EchelonStep) -> None:
        """Turn whole kits of components into product at the echelon's manufacturers."""
        lo, hi, e_lo, e_hi = step.lo, step.hi, step.edge_lo, step.edge_hi
        whole = np.floor(self._e_components[e_lo:e_hi] / self._e_bom[e_lo:e_hi] + 1e-9)
        kits_held = np.minimum.reduceat(whole, self._first_edge[lo:hi] - e_lo)
        at = step.manufacturers
        kits = np.minimum(self._capacity[at] - self._acc_produced[at], kits_held[at - lo])
        kits = np.where(kits > 0, kits, 0.0)
        if not kits.any():
            return
        per_sku = np.zeros(hi - lo)
        per_sku[at - lo] = kits
        edges_of = self._first_edge[lo + 1 : hi + 1] - self._first_edge[lo:hi]
        used = per_sku.repeat(edges_of) * self._e_bom[e_lo:e_hi]  # (edges come by stock point)
        self._e_components[e_lo:e_hi] -= used  # (0 at the others: x - 0.0 is x, to the bit)
        self._on_hand[at] += kits
        self._acc_produced[at] += kits

    def _release(self, step: _EchelonStep) -> None:
        """Put what the echelon's stock points with a capacity hold in process into stock,
        up to the period's capacity."""
        at = step.processing
        x = self._capacity[at] - self._acc_produced[at]
        wip = self._wip[at]
        x = np.where(wip < x, wip, x)
        x = np.where(x > 0, x, 0.0)
        self._wip[at] = wip - x
        self._on_hand[at] += x
        self._acc_produced[at] += x

    # ------------------------------------------------------------------ shipping
    def _ship(self, edges: np.ndarray, quantities: np.ndarray, now: float) -> None:
        leads, keys = self._leads, self._lead_class[edges]
        if np.maximum.reduce(keys) < 255 and leads[np.minimum.reduce(keys)] > 0:
            # constant lead times, none zero: in transit, then by arrival time (the lead
            # times' order), in shipping order within each (one byte each: a radix sort)
            if self._counts_transit:
                np.add.at(self._e_transit, edges, quantities)
            first = keys[0]
            if np.logical_and.reduce(keys == first):
                self._schedule(float(now + leads[first]), _RECEIVE, edges, quantities)
                return
            order = keys.argsort(kind="stable")
            keys, edges, quantities = keys[order], edges[order], quantities[order]
            cuts = [0, *((keys[1:] != keys[:-1]).nonzero()[0] + 1).tolist(), keys.size]
            for a, b in itertools.pairwise(cuts):
                self._schedule(float(now + leads[keys[a]]), _RECEIVE, edges[a:b], quantities[a:b])
            return
        lead_times = self._e_lead_time[edges]
        arrival = now + lead_times
        if math.isnan(np.add.reduce(lead_times)):
            for k in np.isnan(lead_times).nonzero()[0]:  # drawn in shipping order
                arrival[k] = self._edges[edges[k]].arrival(now)
        if np.minimum.reduce(arrival) > now:
            if self._counts_transit:
                np.add.at(self._e_transit, edges, quantities)
            self._schedule_by_time(arrival, _RECEIVE, edges, quantities)
            return
        at_once = arrival <= now
        if self._counts_transit:
            # In shipping order, as the event engine does it: a shipment goes in transit,
            # and one that arrives at once comes out again before the next goes in.
            times = 1 + at_once
            amounts = quantities.repeat(times)
            amounts[times.cumsum()[at_once] - 1] *= -1.0
            np.add.at(self._e_transit, edges.repeat(times), amounts)
        self._receive(edges[at_once], quantities[at_once], now, shipped_now=True)
        later = ~at_once
        self._schedule_by_time(arrival[later], _RECEIVE, edges[later], quantities[later])

    def _schedule_by_time(
        self, times: np.ndarray, kind: int, edges: np.ndarray, quantities: np.ndarray
    ) -> None:
        if not times.size:
            return
        first = times[0]
        if np.logical_and.reduce(times == first):
            self._schedule(float(first), kind, edges, quantities)
            return
        # by time, in order within each time (whole periods apart: a linear radix sort)
        keys = times - np.minimum.reduce(times)
        if np.maximum.reduce(keys) < 65536:
            small = keys.astype(np.uint16)
            if np.logical_and.reduce(small == keys):
                keys = small
        order = keys.argsort(kind="stable")
        times, edges, quantities = times[order], edges[order], quantities[order]
        cuts = [0, *((times[1:] != times[:-1]).nonzero()[0] + 1).tolist(), times.size]
        for a, b in itertools.pairwise(cuts):
            self._schedule(float(times[a]), kind, edges[a:b], quantities[a:b])

    def _receive(
        self, edges: np.ndarray, quantities: np.ndarray, now: float, shipped_now: bool = False
    ) -> None:
        """Receive shipments; ``shipped_now``: :meth:`_ship` took them out of transit."""
        targets = self._e_target[edges]
        if not shipped_now and self._counts_transit:  # (x - q is x + (-q) to the bit)
            np.subtract.at(self._e_transit, edges, quantities)
        np.subtract.at(self._pipeline, targets, quantities)
        np.subtract.at(self._e_pipeline, edges, quantities)
        if self.recorder is not None:  # (a flow only the table shows)
            np.add.at(self._acc_received, targets, quantities * self._e_kit_share[edges])
        components = self._e_into_manufacturer[edges]
        if components.any():
            np.add.at(self._e_components, edges[components], quantities[components])
            stock = ~components
            targets, quantities = targets[stock], quantities[stock]
        work = self._processing[targets]
        if work.any():  # in process first, within the room stock leaves
            self._take_in(targets[work], quantities[work])
            targets, quantities = targets[~work], quantities[~work]
        if self._any_storage:
            capped = self._storage[targets] < math.inf
            # receipt by receipt, in the event engine's arithmetic
            for j, x in zip(targets[capped].tolist(), quantities[capped].tolist(), strict=True):
                room = self._storage[j] - self._on_hand[j]
                if x > room:
                    x = self._refuse_beyond(j, x, room)
                self._on_hand[j] += x
            targets, quantities = targets[~capped], quantities[~capped]
        np.add.at(self._on_hand, targets, quantities)

    def _take_in(self, targets: np.ndarray, quantities: np.ndarray) -> None:
        """Receipts at stock points with a capacity: into process, within the storage room
        that stock on hand and in process leave (receipt by receipt where it is finite)."""
        capped = self._storage[targets] < math.inf
        for j, x in zip(targets[capped].tolist(), quantities[capped].tolist(), strict=True):
            room = self._storage[j] - self._on_hand[j] - self._wip[j]
            if x > room:
                x = self._refuse_beyond(j, x, room)
            self._wip[j] += x
        np.add.at(self._wip, targets[~capped], quantities[~capped])

    # ------------------------------------------------------------------ deciding
    def _review_echelon(
        self, step: _EchelonStep, t: int, resume: tuple[np.ndarray, list, int] | None = None
    ) -> bool:
        """Every stock point of the echelon decides; then their orders go out, in order.
        ``False``: the echelon waits for the actions of its external stock points (one
        decision per group of them). ``resume``: the quantities, per-supplier orders and
        first group of a review that waited."""
        lo, hi = step.lo, step.hi
        if resume is None:
            quantity = np.zeros(hi - lo)
            per_supplier: list[tuple[int | np.ndarray, Any]] = []
            first = 0
        else:
            quantity, per_supplier, first = resume
        for g in range(first, len(step.groups)):
            policy, members, names = step.groups[g]
            if policy is None:
                for i in members.tolist():
                    action = self._decide(i, t, self._policy[i])
                    if isinstance(action, float):
                        quantity[i - lo] = action
                    else:
                        per_supplier.append((i, action))
                continue
            if type(policy) is External:
                self._pending = (members, t, True)
                self._waiting = (step, quantity, per_supplier, names, g)
                return False
            self._act_batch(policy, members, names, t, quantity, lo, per_supplier)
        self._place_echelon(step, quantity, per_supplier, t)
        return True

    def _act_batch(
        self,
        policy: Policy,
        members: np.ndarray,
        names: Any,
        t: int,
        quantity: np.ndarray,
        lo: int,
        per_supplier: list[tuple[int | np.ndarray, Any]],
    ) -> None:
        """``policy``'s checked actions for stock points ``members`` in period ``t``, into
        ``quantity`` (of stock points ``lo, lo + 1, ...``) or ``per_supplier``: one call of
        ``act_batch``, or one per start period of the members' copies (a batch has one
        period, and each copy's module sees its own run's period)."""
        starts = self._sku_start[members] if self._restarted else None
        if starts is None or (starts == starts[0]).all():
            parts = [(members, names)]
        else:
            parts = []
            for began in np.unique(starts):
                at = np.flatnonzero(starts == began)
                parts.append((members[at], tuple([part[j] for j in at] for part in names)))
        for chosen, chosen_names in parts:
            action = np.asarray(
                policy.act_batch(self._batch_of(chosen, chosen_names, t)), np.float64
            )
            if action.shape == chosen.shape:
                quantity[chosen - lo] = self._checked_batch(chosen, action)
            elif action.ndim == 2 and action.shape[0] == len(chosen):
                per_supplier.extend(self._supplier_rows(chosen, action))
            else:
                self._bad_action(int(chosen[0]), action)

    def _supplier_rows(
        self, members: np.ndarray, rows: np.ndarray
    ) -> list[tuple[int | np.ndarray, Any]]:
        """Checked ``per_supplier`` entries for a row of quantities per member, one per
        supplier: the whole batch at once when every member has ``rows.shape[1]``
        suppliers, else row by row (a row may be zero beyond its member's suppliers)."""
        first = self._first_edge
        width = first[members + 1] - first[members]
        if (width == rows.shape[1]).all() and np.isfinite(rows).all() and (rows >= 0).all():
            return [(members, rows)]  # one check for the whole batch
        entries = []  # all checked first: a refused row leaves nothing
        for i, row, w in zip(members.tolist(), rows, width.tolist(), strict=True):
            if len(row) > w and (row[w:] != 0).any():
                self._bad_action(i, row)
            entries.append((i, self._checked(i, row[:w])))
        return entries

    def _batch_of(self, members: np.ndarray, names: Any, t: int) -> ObservationBatch:
        """The observations of stock points ``members`` (all of one echelon) in period ``t``
        of the model; the batch's period is that of the members' own runs when their copies
        started together (see :meth:`reset_copies`), else ``t``."""
        lo = int(members.min())  # the echelon's part of the network, not all of it
        pipe = self._decision_pipeline(lo, int(members.max()) + 1)[members - lo]
        on_hand, backlog = self._on_hand[members], self._backlog[members]
        observes = self._observes[int(members[0])]
        echelon = by_supplier = arrivals = None
        if self._echelon_sum is not None and "echelon_inventory_position" in observes:
            echelon = (
                self._echelon_sum
                @ (self._on_hand + self._decision_pipeline(0, len(self._on_hand)) - self._backlog)
            )[members]
        first, last = self._first_edge[members], self._first_edge[members + 1]
        width = last - first
        if (width == width[0]).all():
            by_supplier = self._e_pipeline[first[:, None] + np.arange(width[0])]
        if "arrivals" in observes:
            arrivals = self._arrivals_batch(members, t)
        period = t
        if self._restarted:
            starts = self._sku_start[members]
            if (starts == starts[0]).all():
                period = t - int(starts[0])
        return ObservationBatch(
            period,
            names[0],
            names[1],
            on_hand,
            backlog,
            pipe,
            on_hand + pipe - backlog,
            self._demand_seen[members],
            echelon,
            by_supplier,
            arrivals,
            names[2],
        )

    def _checked_batch(self, members: np.ndarray, action: np.ndarray) -> np.ndarray:
        if action.size and np.minimum.reduce(action) >= 0 and np.add.reduce(action) < math.inf:
            return action  # (NaN fails the first test, infinity the second)
        valid = np.isfinite(action) & (action >= 0)
        if not valid.all():
            bad = np.flatnonzero(~valid)[0]
            self._bad_action(int(members[bad]), float(action[bad]))
        return action

    def _decision(self, observe: bool = True) -> Decision:
        members, t, _ = self._pending
        return Decision(
            t, members, self._batch_of(members, self._waiting[3], t) if observe else None
        )

    def observe_batch(self, indices: np.ndarray, t: int | None = None) -> ObservationBatch:
        """The observations of stock points ``indices`` (of one echelon) in period ``t`` (by
        default the current one), with every optional field."""
        indices = np.asarray(indices, dtype=np.int64)
        t = self.period if t is None else t
        batch = self._batch_of(indices, self._names_of(indices.tolist()), t)
        if batch.arrivals is None:
            batch = batch._replace(arrivals=self._arrivals_batch(indices, t))
        return batch

    def observe(self, i: int, t: int) -> InventoryObservation:
        """See :meth:`SupplyChainModel.observe`; ``t`` is the model's period, the
        observation's period that of the stock point's own run (see :meth:`reset_copies`)."""
        obs = super().observe(i, t)
        if self._restarted and self._sku_start[i]:
            return obs._replace(period=t - int(self._sku_start[i]))
        return obs

    def _resume(self, action: Any) -> None:
        """Carry out the external stock points' actions: one quantity each (an array of
        their number), or one per supplier (an array of shape ``(number, suppliers)``)."""
        members, t, _ = self._pending
        step, quantity, per_supplier, _, group = self._waiting
        action = np.asarray(action, dtype=np.float64)
        if action.shape == members.shape:
            quantity[members - step.lo] = self._checked_batch(members, action)
        elif action.ndim == 2 and action.shape[0] == len(members):
            per_supplier.extend(self._supplier_rows(members, action))
        else:
            raise ValueError(
                f"advance: expected {len(members)} actions (or {len(members)} rows of one per "
                f"supplier) for nodes {[self.sku_names[i][0] for i in members[:3]]}..., got "
                f"shape {action.shape}"
            )
        self._pending = self._waiting = None
        # the echelon's other external groups, then the rest of the step, as the event
        # engine does: between two calls of advance both engines stand at the same point
        # (the period's close still to come)
        if self._review_echelon(step, t, (quantity, per_supplier, group + 1)):
            self._continue_step(t)

    def _place_echelon(
        self,
        step: _EchelonStep,
        quantity: np.ndarray,
        per_supplier: list[tuple[int | np.ndarray, Any]],
        t: int,
    ) -> None:
        """Orders of the echelon: ``quantity`` per stock point, split over its suppliers,
        except the stock points of ``per_supplier``: ``(i, quantities)`` of one, or ``(members,
        rows)`` of a batch (a row of one quantity per supplier for each member)."""
        e_lo, e_hi = step.edge_lo, step.edge_hi
        orders = quantity[self._e_target[e_lo:e_hi] - step.lo] * self._e_per_unit[e_lo:e_hi]
        first = self._first_edge
        for i, quantities in per_supplier:
            if isinstance(i, np.ndarray):
                orders[first[i][:, None] + np.arange(quantities.shape[1]) - e_lo] = quantities
            else:
                orders[first[i] - e_lo : first[i + 1] - e_lo] = quantities
        positive = orders > 0
        if np.logical_and.reduce(positive):  # (base-stock orders on every edge, most periods)
            self._order_every_edge(step, orders, t)
            return
        placed = positive.nonzero()[0]
        if placed.size:
            self._order(e_lo + placed, orders[placed], t)

    def _order_every_edge(self, step: _EchelonStep, quantities: np.ndarray, t: int) -> None:
        """:meth:`_order` on every supply edge of the echelon, with what is fixed about those
        edges worked out at the first such order (see :attr:`_EchelonStep.ordering`)."""
        e_lo, e_hi = step.edge_lo, step.edge_hi
        if step.ordering is None:
            suppliers = self._e_supplier[e_lo:e_hi]
            order = suppliers.argsort(kind="stable")
            costs = self._e_unit_cost[e_lo:e_hi], self._e_fixed_cost[e_lo:e_hi]
            step.ordering = (
                order,
                e_lo + order,
                suppliers[order],
                bool(suppliers.min() >= 0 and not self._e_order_lead_time[e_lo:e_hi].any()),
                bool(costs[0].any() or costs[1].any()),
            )
        order, edges, suppliers, direct, costly = step.ordering
        if not direct:  # from a source or with an order lead time: the general way
            self._order(np.arange(e_lo, e_hi), quantities, t)
            return
        self._book(slice(e_lo, e_hi), quantities, costly)
        # by supplier (in order within each), a queue's entries come together: no sort
        self._take_orders(edges, quantities[order], suppliers)

    def take_rewards(self, indices: np.ndarray) -> np.ndarray:
        """:meth:`take_reward_of` for many stock points at once: an array of shape
        ``(len(indices), 6)`` whose columns are :class:`~sim.model.Reward`'s fields."""
        if not self._track_all:
            untracked = [
                i for i in np.atleast_1d(indices).tolist() if type(self._policy[i]) is not External
            ]
            if untracked:
                self.take_reward_of(untracked[0])  # the error naming the stock point
        money = self._reward[indices]
        self._reward[indices] = 0.0
        return money

    def _arrivals_of(self, i: int, t: int) -> tuple[float, ...]:
        return tuple(self._arrivals_batch(np.array([i]), t)[0].tolist())

    def _arrivals_batch(self, members: np.ndarray, t: int) -> np.ndarray:
        """In transit to each of ``members``, by the period it is received at the start of:
        shape ``(len(members), slots)``, zero-padded to the latest pending receipt."""
        n = len(self._on_hand)
        by_period: dict[int, np.ndarray] = {}
        for time in self._times:
            for kind, edges, quantities in self._calendar[time]:
                k = math.ceil(time) - t - 1
                if kind == _RECEIVE and k >= 0:  # (k < 0: due now, between two periods)
                    got = np.bincount(
                        self._e_target[_joined(edges)], _joined(quantities), minlength=n
                    )[members]
                    by_period[k] = by_period[k] + got if k in by_period else got
        slots = max((k for k, got in by_period.items() if (got > 1e-12).any()), default=-1) + 1
        out = np.zeros((len(members), slots))
        for k, got in by_period.items():
            if k < slots:
                out[:, k] = got
        return out

    def _decision_pipeline(self, lo: int, hi: int) -> np.ndarray:
        """The pipeline stock points ``[lo, hi)`` decide on (kits at manufacturers; stock in
        process counts)."""
        pipeline = self._pipeline[lo:hi] + self._wip[lo:hi]
        at = self._manufacturer[lo:hi]
        if at.any():
            e_lo, e_hi = self._first_edge[lo], self._first_edge[hi]
            kits = (self._e_components[e_lo:e_hi] + self._e_pipeline[e_lo:e_hi]) / self._e_bom[
                e_lo:e_hi
            ]
            fewest = np.minimum.reduceat(kits, self._first_edge[lo:hi] - e_lo)
            pipeline[at] = fewest[at]
        return pipeline

    def _pipeline_of(self, i: int) -> float:
        return float(self._decision_pipeline(i, i + 1)[0])

    def observe_vector(self, i: int, t: int, layout: ObservationLayout) -> np.ndarray:
        """See :meth:`SupplyChainModel.observe_vector` (here through :meth:`observe`; the
        vector environment reads whole batches instead)."""
        return layout.vector(self.observe(i, t))

    def _pipeline_by_supplier(self, i: int) -> tuple[float, ...]:
        return tuple(self._e_pipeline[self._first_edge[i] : self._first_edge[i + 1]].tolist())

    def _order(self, edges: np.ndarray, quantities: np.ndarray, t: int) -> None:
        """Place orders on ``edges`` (in order) in period ``t``."""
        self._book(edges, quantities)
        suppliers = self._e_supplier[edges]
        delay = self._e_order_lead_time[edges]
        if np.minimum.reduce(suppliers) >= 0 and not np.logical_or.reduce(delay):
            self._take_orders(edges, quantities, suppliers)  # all at once from stock points
            return
        from_source = suppliers < 0
        now = delay == 0
        for kind, chosen in ((_SHIP, from_source), (_TAKE_ORDER, ~from_source)):
            at = chosen & now
            if at.any():
                if kind == _SHIP:
                    self._from_sources(edges[at], quantities[at], t)
                else:
                    self._take_orders(edges[at], quantities[at])
            later = chosen & ~now
            if later.any():
                self._schedule_by_time(t + delay[later], kind, edges[later], quantities[later])

    def _from_sources(self, edges: np.ndarray, quantities: np.ndarray, now: float) -> None:
        """Orders on ``edges`` reach their external sources at ``now``: each ships what it is
        asked for, or at a source with a capacity what the period's capacity leaves (its
        order book, the event engine's, keeps the rest)."""
        books = self._e_source[edges]
        if np.maximum.reduce(books) >= 0:
            quantities = quantities.copy()
            for k in np.flatnonzero(books >= 0).tolist():
                j = int(edges[k])
                quantities[k] = self._source_orders[books[k]].take(j, float(quantities[k]))
            sent = quantities > 0
            edges, quantities = edges[sent], quantities[sent]
            if not edges.size:
                return
        self._ship(edges, quantities, now)

    def _book(
        self, edges: np.ndarray | slice, quantities: np.ndarray, costly: bool | None = None
    ) -> None:
        """Count orders on ``edges`` in the pipelines, the recorded flows and the order
        costs (``costly``: whether any of these edges has a cost, if known)."""
        targets = self._e_target[edges]
        np.add.at(self._pipeline, targets, quantities)
        self._e_pipeline[edges] += quantities
        if self.recorder is not None:  # (flows only the tables show)
            np.add.at(self._acc_ordered, targets, quantities * self._e_kit_share[edges])
            self._e_ordered[edges] += quantities
        unit, fixed = self._e_unit_cost[edges], self._e_fixed_cost[edges]
        if costly is None:
            costly = np.logical_or.reduce(unit) or np.logical_or.reduce(fixed)
        if costly:  # (else every order adds 0.0)
            np.add.at(self._acc_order_cost, targets, unit * quantities + fixed)

    def _take_orders(
        self, edges: np.ndarray, quantities: np.ndarray, suppliers: np.ndarray | None = None
    ) -> None:
        if suppliers is None:
            suppliers = self._e_supplier[edges]
        self._enqueue(suppliers, edges, quantities)
        np.add.at(self._backlog, suppliers, quantities)
        np.add.at(self._acc_demand, suppliers, quantities)

    # ------------------------------------------------------------------ closing
    def _close(self, t: int) -> None:
        rec = self.recorder
        if rec is not None or self._tracked:
            n = len(self._on_hand)
            held = self._on_hand
            if self._has_components:
                held = held + np.bincount(self._e_target, self._e_components, minlength=n)
            if self._processing.any():
                held = held + self._wip
            transit = np.zeros(n)
            if self.charge_in_transit:
                transit = np.bincount(
                    self._e_target, self._e_transit_rate * self._e_transit, minlength=n
                )
        if self._tracked:
            at = self._tracked_arr
            money = self._reward[at]
            money[:, 0] += self._holding[at] * held[at]
            money[:, 1] += self._backlog_rate[at] * self._backlog[at]
            money[:, 2] += self._lost_rate[at] * self._acc_lost[at]
            money[:, 3] += self._acc_order_cost[at]
            money[:, 4] += transit[at]
            money[:, 5] += self._price[at] * self._acc_sales[at]
            self._reward[at] = money
        if rec is not None:
            rec.append_period(
                t,
                self._on_hand,
                self._backlog,
                self._decision_pipeline(0, n),
                self._acc_demand,
                self._acc_sales,
                self._acc_shipped,
                self._acc_lost,
                self._acc_ordered,
                self._acc_received,
                self._acc_refused,
                self._holding * held,
                self._backlog_rate * self._backlog,
                self._lost_rate * self._acc_lost,
                self._acc_order_cost,
                transit,
                self._price * self._acc_sales,
            )
            rec.append_edges(t, self._e_ordered, self._e_transit)
        self._e_ordered[:] = 0.0
        for name in _ACCUMULATORS:
            getattr(self, name)[:] = 0.0


def _natural(x: Any) -> bool:
    """An integer >= 0 (not a bool)."""
    return not isinstance(x, bool) and isinstance(x, numbers.Integral) and x >= 0


def _seeds(copies: Sequence[int]) -> list[int]:
    seeds = list(copies)
    if not seeds or not all(map(_natural, seeds)):
        raise ValueError(f"copies: must be one integer seed >= 0 per copy, got {copies!r}")
    return [int(x) for x in seeds]


def _copies(
    graph: nx.DiGraph, policies: Mapping[Any, Policy] | Policy, n: int
) -> tuple[nx.DiGraph, Mapping[Any, Policy] | Policy]:
    """``n`` disjoint copies of ``graph``, node ``v`` of copy ``k`` named ``(k, v)``, and the
    policies of each copy's nodes (a node's module is shared by all copies)."""
    union = nx.DiGraph(**graph.graph)
    for k in range(n):
        union.add_nodes_from(((k, v), data) for v, data in graph.nodes(data=True))
        union.add_edges_from(((k, u), (k, v), data) for u, v, data in graph.edges(data=True))
    if isinstance(policies, Mapping):  # a key is a node, else (node, product), as in the model
        policies = {
            (k, key)
            if key in graph or not isinstance(key, tuple)
            else ((k, key[0]), key[1]): module
            for key, module in policies.items()
            for k in range(n)
        }
    return union, policies


def _whole(values: np.ndarray) -> bool:
    """Whether every value (all ``>= 0``) is a whole number and float64 sums of them are
    exact."""
    return np.add.reduce(values) < 2.0**52 and np.logical_and.reduce(np.floor(values) == values)


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


#: from this many entries on, :meth:`_OwedQueues.positions` saves passes over them at the
#: price of more numpy calls
_MANY = 4096


def _ranges(firsts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The positions ``firsts[k], ..., firsts[k] + sizes[k] - 1`` for every ``k``, in order."""
    begins = sizes.cumsum() - sizes
    return (firsts - begins).repeat(sizes) + np.arange(int(sizes.sum()))


class _OwedQueues:
    """What each stock point owes, oldest first: per entry the edge it ships on (-1: a
    customer) and the quantity still owed.

    Each stock point's queue is a ring of its own in the flat arrays: ``cap[i]`` places
    from ``start[i]`` to ``stop[i]``, the oldest of its ``count[i]`` entries at ``head[i]``.
    Filling moves the head past the entries it filled and appending writes behind the
    last one, so a period touches what it adds and fills, not every entry that waits
    (assembly chains under a guaranteed-service plan owe a hundred thousand at once). A
    full ring moves to one twice as large at the end of the arrays, which double when
    they are full."""

    __slots__ = ("cap", "count", "edge", "end", "head", "new", "qty", "start", "stop", "whole")

    def __init__(self, n: int, suppliers: np.ndarray):
        # room for a few periods of orders: one entry per customer edge (and customers)
        self.cap = 4 * (np.bincount(suppliers[suppliers >= 0], minlength=n) + 1)
        self.stop = self.cap.cumsum()
        self.start = self.stop - self.cap
        self.head = self.start.copy()
        self.count = np.zeros(n, dtype=np.int64)
        self.end = int(self.stop[-1]) if n else 0  # the rings end here; the rest is free
        self.edge = np.zeros(2 * self.end, dtype=np.int64)
        self.qty = np.zeros(2 * self.end)
        #: entries owed since the last :meth:`flush`: (stock points, edges, quantities)
        self.new: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        #: every quantity queued so far was a whole number, and no fill left a fraction
        self.whole = True

    def flush(self) -> None:
        """Append the entries owed since the last call (one append for many orders)."""
        new, self.new = self.new, []
        if len(new) == 1:
            self.append(*new[0])
        else:
            self.append(*(np.concatenate(part) for part in zip(*new, strict=True)))

    def positions(
        self, ids: np.ndarray, skip: np.ndarray | None, sizes: np.ndarray, begins: np.ndarray
    ) -> np.ndarray:
        """Where entries ``skip[k]`` to ``skip[k] + sizes[k] - 1`` (0: the oldest; ``None``:
        from the oldest) of queue ``ids[k]`` are, for every ``k`` in order (every
        ``sizes[k] >= 1``; ``begins``: the cumulative ``sizes`` before ``k``)."""
        first, cap, stop = self.head[ids], self.cap[ids], self.stop[ids]
        if skip is not None:
            first = first + skip
            first -= cap * (first >= stop)
        total = int(begins[-1] + sizes[-1])
        if total < _MANY:  # few entries: the fewest numpy calls
            at = (first - begins).repeat(sizes) + np.arange(total)
            at -= cap.repeat(sizes) * (at >= stop.repeat(sizes))  # past the end: round the ring
            return at
        # many: a running sum of steps, one from each entry to the next, except a jump to
        # where the next queue's window begins and one back where a window passes its end
        last = first + sizes - 1
        wraps = (last >= stop).nonzero()[0]
        last[wraps] -= cap[wraps]
        step = np.ones(total, dtype=np.int64)
        step[begins] = first
        step[begins[1:]] -= last[:-1]
        step[begins[wraps] + (stop - first)[wraps]] = 1 - cap[wraps]
        return step.cumsum()

    def append(self, skus: np.ndarray, edges: np.ndarray, quantities: np.ndarray) -> None:
        """Add entries (in order) at the back of the queues of stock points ``skus``."""
        if skus.size > 1 and not (skus[1:] >= skus[:-1]).all():  # by stock point, in order
            keys = skus.astype(np.uint16) if self.count.size <= 65536 else skus
            order = keys.argsort(kind="stable")  # of 16-bit keys: a linear radix sort
            skus, edges, quantities = skus[order], edges[order], quantities[order]
        starts = np.empty(skus.size, dtype=bool)
        starts[0] = True
        np.not_equal(skus[1:], skus[:-1], out=starts[1:])
        begins = starts.nonzero()[0]
        ids, added = skus[begins], np.empty_like(begins)
        np.subtract(begins[1:], begins[:-1], out=added[:-1])
        added[-1] = skus.size - begins[-1]
        count = self.count[ids]
        need = count + added
        if (need > self.cap[ids]).any():
            self._grow(ids, need)
        at = self.positions(ids, count, added, begins)  # behind what each queue holds
        self.edge[at] = edges
        self.qty[at] = quantities
        self.count[ids] = need
        if self.whole:
            self.whole = bool(np.logical_and.reduce(np.floor(quantities) == quantities))

    def clear(self, ids: np.ndarray) -> None:
        """Empty the queues of stock points ``ids`` (those owed since the last flush too)."""
        if self.new:
            self.flush()  # (in order, as a fill would append them)
        self.count[ids] = 0
        self.head[ids] = self.start[ids]

    def pop(self, ids: np.ndarray, filled: np.ndarray) -> None:
        """Drop the oldest ``filled[k]`` entries of stock point ``ids[k]``'s queue."""
        head = self.head[ids] + filled
        head -= self.cap[ids] * (head >= self.stop[ids])
        self.head[ids] = head
        self.count[ids] -= filled

    def _grow(self, ids: np.ndarray, need: np.ndarray) -> None:
        """Let queues ``ids`` hold ``need`` entries each: a ring twice that size at the end
        of the arrays for each one short of room (new arrays if these are full)."""
        short = need > self.cap[ids]
        ids, cap = ids[short], 2 * need[short]
        if self.end + int(cap.sum()) <= self.qty.size:
            stop = self.end + cap.cumsum()
            self.end = int(stop[-1])
            self._move(ids, stop - cap, cap, self.edge, self.qty)
            return
        # every queue to new arrays, twice the size of all rings
        caps = self.cap.copy()
        caps[ids] = cap
        stop = caps.cumsum()
        self.end = int(stop[-1])
        edge, qty = np.zeros(2 * self.end, dtype=np.int64), np.zeros(2 * self.end)
        self._move(np.arange(caps.size), stop - caps, caps, edge, qty)
        self.edge, self.qty = edge, qty

    def _move(
        self, ids: np.ndarray, start: np.ndarray, cap: np.ndarray, edge: np.ndarray, qty: np.ndarray
    ) -> None:
        """Move queues ``ids`` to rings of ``cap`` places from ``start`` in ``edge`` and ``qty``
        (the arrays in use, or new ones), oldest entry first."""
        held = self.count[ids].nonzero()[0]
        if held.size:
            count = self.count[ids[held]]
            old = self.positions(ids[held], None, count, count.cumsum() - count)
            new = _ranges(start[held], count)
            edge[new] = self.edge[old]
            qty[new] = self.qty[old]
        self.start[ids] = self.head[ids] = start
        self.cap[ids] = cap
        self.stop[ids] = start + cap


class _EchelonStep:
    """The stock points ``[lo, hi)`` of one echelon, their supply edges ``[edge_lo,
    edge_hi)``, its manufacturers, other stock points with a capacity (``processing``) and
    customers, its decision-module groups, and (once its stock points have ordered on every
    edge) what is fixed about doing so."""

    __slots__ = (
        "customers",
        "edge_hi",
        "edge_lo",
        "groups",
        "hi",
        "lo",
        "manufacturers",
        "ordering",
        "processing",
    )

    def __init__(self, **fields: Any):
        #: what is fixed about ordering on every supply edge, from the first time that
        #: happens: the edges' order by supplier, the edges and suppliers in that order,
        #: whether all go straight to stock points (no source, no order lead time), and
        #: whether any has an order cost
        self.ordering: tuple[np.ndarray, np.ndarray, np.ndarray, bool, bool] | None = None
        for k, v in fields.items():
            setattr(self, k, v)
