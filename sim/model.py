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

import array
import difflib
import functools
import gc
import heapq
import itertools
import math
import numbers
import operator
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, NamedTuple

import mesa
import networkx as nx
import numpy as np
import simpy
from simpy.core import BoundClass
from simpy.events import NORMAL, URGENT, Event

from networks.attributes import EDGE_DEFAULTS, is_source, node_value, products
from networks.builders import echelons
from networks.distributions import Constant, Distribution, Trace, parse_distribution
from networks.validate import validate

from .agents import CustomerAgent, StockingAgent
from .initial import InitialState
from .policy import (
    External,
    InventoryObservation,
    Policy,
    PolicyError,
    Priced,
    decides_by_position,
)
from .recorder import Recorder
from .spaces import ObservationLayout
from .streams import Purpose, stream

__all__ = ["Decision", "Reward", "SupplyChainModel", "cost_of_money"]

_CLOSE = -2  # a period closes before anything else happens at its end instant
_STOP = -1  # a run stops right after the close, before the next period's receipts
_NO_ACTION = object()
_ZEROS = itertools.repeat(0.0)
_ceil = math.ceil
_heappush = heapq.heappush
_INF = math.inf
_gc_isenabled, _gc_disable, _gc_enable = gc.isenabled, gc.disable, gc.enable
_new_tuple = tuple.__new__  # the default of dict.get in map(due.get, periods, _ZEROS)


class Decision(NamedTuple):
    """An externally controlled stock point must decide (see
    :meth:`SupplyChainModel.advance`).

    Attributes:
        period: the period ``t`` of the decision.
        index: the stock point's index in :attr:`SupplyChainModel.sku_names` (an ``int``), or
            in the vectorized engine the indices of all the external stock points of one
            echelon that decide together (an ``int64`` array).
        observation: what the module would see: an
            :class:`~sim.policy.InventoryObservation`, or an
            :class:`~sim.policy.ObservationBatch` for an array of indices.
    """

    period: int
    index: Any
    observation: Any


class Reward(NamedTuple):
    """Money a stock point made and spent over some periods (see :meth:`take_reward`)."""

    holding: float
    backlog: float
    lost_sales: float
    ordering: float
    transit_holding: float
    revenue: float

    @property
    def cost(self) -> float:
        """All cost parts together."""
        return self.holding + self.backlog + self.lost_sales + self.ordering + self.transit_holding

    @property
    def profit(self) -> float:
        """Revenue less cost."""
        return self.revenue - self.cost


def cost_of_money(money: np.ndarray) -> np.ndarray:
    """:attr:`Reward.cost` of money arrays whose last axis holds :class:`Reward`'s fields
    (as :meth:`SupplyChainModel.take_rewards` returns them): all parts but the revenue."""
    return money[..., :5].sum(axis=-1)


_NO_MONEY = (0.0,) * len(Reward._fields)
_LT_BLOCK = 256  # lead-time draws per refill
_GAP_BLOCK = 1024  # a Poisson customer stream's gaps per refill, at most


_LEVELS = (  # where a stock point stands
    "_on_hand",
    "_backlog",
    "_pipeline",
    "_wip",  # received, not yet in stock (stock points with a capacity)
    "_demand_seen",
)
_ACCUMULATORS = (  # a stock point's flows in the period, zeroed when it closes
    "_acc_demand",
    "_acc_sales",
    "_acc_shipped",
    "_acc_lost",
    "_acc_ordered",
    "_acc_received",
    "_acc_order_cost",
    "_acc_produced",
    "_acc_refused",
)
#: Each stock point's quantities: a list of floats each, or packed doubles
#: (:attr:`SupplyChainModel.PACKED_FROM`); all but the stock on hand start at 0.
_QUANTITIES = (
    *_LEVELS,
    *_ACCUMULATORS,
    # time-weighted levels (see _touch; the event engine's alone)
    "_level_since",
    "_area_on_hand",
    "_area_backlog",
)


#: The quantities in the order of a stock point's record when they are packed
#: (:attr:`SupplyChainModel.PACKED_FROM`): the first eight are what a customer's event reads
#: and writes (its stock, levels, demand and sales, the time-weighted on-hand), one cache
#: line; ``_RECORD[_ZEROED]`` are the flows and areas that a period's close zeroes.
_RECORD = (
    "_on_hand",
    "_backlog",
    "_pipeline",
    "_demand_seen",
    "_level_since",
    "_acc_demand",
    "_acc_sales",
    "_area_on_hand",
    "_area_backlog",
    *(name for name in _ACCUMULATORS if name not in ("_acc_demand", "_acc_sales")),
    "_wip",
)
_ZEROED = slice(_RECORD.index("_acc_demand"), _RECORD.index("_wip"))
_LINE = 8  # doubles in a 64-byte cache line
_STRIDE = -(-len(_RECORD) // _LINE) * _LINE  # doubles a record takes, whole lines


class _Records:
    """Every stock point's quantities packed, a record of ``_STRIDE`` doubles per stock point
    in one buffer, each record starting a cache line: quantity ``_RECORD[k]`` of stock point
    ``i`` is double ``k`` of record ``i``. The model reads a quantity through a strided
    ``memoryview`` per quantity (``self._on_hand[i]`` whatever the layout), a period's close
    the whole table as one array.

    Separate packed arrays (one per quantity) put each quantity a customer's event touches
    on its own line; here they share one, and a period's close zeroes the flows in one pass
    of numpy. On SupplyNetPy's tree at 20,000 nodes, alternating with the arrays, 5.07-5.40
    against 5.66-5.75 µs an event (``benchmarks/event_scaling.py``); Cachegrind at 2,000
    nodes with a 2 MiB cache, 14.8 -> 11.2 lines read from memory an event. A view's item
    also reads faster than an array's (no sequence protocol in between)."""

    def __init__(self, columns: Mapping[str, Iterable[float]], n: int):
        # one line more than the records need, so that the first record can start a line
        self.buffer = array.array("d", (0.0,)) * (n * _STRIDE + _LINE)
        start = -self.buffer.buffer_info()[0] % (_LINE * 8) // 8
        doubles = np.frombuffer(self.buffer, np.float64)
        self.table = doubles[start : start + n * _STRIDE].reshape(n, _STRIDE)
        view = memoryview(self.buffer)
        self.views = {
            name: view[start + k : start + n * _STRIDE : _STRIDE] for k, name in enumerate(_RECORD)
        }
        for name, values in columns.items():
            self.views[name][:] = array.array("d", values)

    def column(self, name: str) -> np.ndarray:
        """Quantity ``name`` of every stock point, a view into the table."""
        return self.table[:, _RECORD.index(name)]


def _packed(values: np.ndarray) -> array.array:
    """``values`` as packed doubles: an item is 8 bytes in one buffer, where a list holds a
    pointer to a float object of 24 bytes somewhere on the heap. With a block per edge and
    per customer stream, lists made most of a large network's memory (about half of the
    900 MB of SupplyNetPy's tree at 20,000 nodes), and a draw that waits a period to be
    used waits in memory, not in the cache."""
    block = array.array("d")
    block.frombytes(np.ascontiguousarray(values, dtype=np.float64).tobytes())
    return block


class _Message:
    """A scheduled callback carrying a payload (a shipment, an order, a clock tick).

    What the clock reads of a SimPy event (``callbacks``, ``_value``, ``_ok``) in a slotted
    object (``_ok`` a class attribute: the engine's events never fail): a SimPy ``Event``
    keeps them in a dict of its own, 352 bytes against 48 for every pending event (one per
    shipment on SupplyNetPy's tree; a retailer's customers are an event of their own,
    :class:`_PoissonArrivals`), read again when it is due, long after it left the cache."""

    __slots__ = ("_value", "callbacks")
    _ok = True

    def __init__(
        self, env: simpy.Environment, delay: float, value: Any, callbacks: tuple, priority: int
    ):
        # one tuple per kind of event, shared (SupplyChainModel._calls): a bound method and a
        # list made per event were two more objects to read back, cold, when it is due
        self.callbacks = callbacks
        self._value = value
        # _Clock.schedule written out: every event of the engine but a customer stream's is
        # one of these
        at = env._now + delay
        if delay == 0 and priority == URGENT:
            env._now_queue.append([at, priority, next(env._eid), self])
        elif at < env._horizon:
            _heappush(env._queue, [at, priority, next(env._eid), self])
        else:  # _Clock._defer written out for a window that has events already: at
            # 20,000 nodes 0.93 of the events are deferred, and doing without the call
            # saved 0.08 µs an event (benchmarks/README.md)
            entry = [at, priority, next(env._eid), self]
            window = at * env._scale
            bucket = env._buckets.get(int(window)) if window < _INF else None
            if bucket is None:
                env._defer(entry)
            else:
                bucket.append(entry)


class _Calls:
    """The callbacks of the engine's kinds of events, each a tuple shared by every event
    of its kind (what a SimPy event's ``callbacks`` list would hold)."""

    __slots__ = ("arrivals", "close", "customer", "order", "review", "source_order", "stop", "tick")

    def __init__(self, model: SupplyChainModel):
        self.arrivals = (model._on_arrivals,)
        self.close = (model._on_close,)
        self.customer = (model._on_customer,)
        self.order = (model._on_order,)
        self.review = (model._on_review,)
        self.source_order = (model._on_source_order,)
        self.stop = (model._on_stop,)
        self.tick = (model._on_tick,)


class _Clock(simpy.Environment):
    """A SimPy environment that pickles: its early-bound shortcuts (``timeout``, ...) are
    bound again when it is loaded, and its event counter travels as a number (counters
    themselves do not pickle from Python 3.14 on).

    An entry of the schedule is a list ``[time, priority, id, event]``, compared as SimPy's
    tuple is (lists compare only with lists): a customer stream changes its one entry in
    place when its next customer is due (:class:`_PoissonArrivals`), where a tuple made per
    customer and freed a period later cost the cyclic collector the unlinking of two
    neighbours that had left the cache: at 20,000 nodes 1.7 lines an event fewer read from
    the L3, of which comparing lists (their items an array apart) takes back 0.7
    (``benchmarks/README.md``).

    Events due now with priority ``URGENT`` (under continuous review: every review) wait in
    a FIFO beside the heap instead of in it. They are keyed ``(now, URGENT, id)`` as SimPy
    keys them, the FIFO is in key order (its events share time and priority) and the next
    event is the smaller of the two heads: SimPy's order, event for event. In the heap, such
    an event would cost a pop that sifts the heap's last entry down its whole depth; on
    SupplyNetPy's tree the heap holds an event per retailer. (A customer's review is an event
    only when it cannot run at once in the same order: see ``_review_next``.)

    With many events pending (:data:`CALENDAR_FROM`), the heap holds only those due before
    ``_horizon``, a window of about :data:`CALENDAR_WINDOW` events; later ones wait unsorted
    in buckets, one per window (a calendar queue), and a window's bucket is heapified when
    the heap runs empty. A heap of every pending event reads about four entries that left
    the cache long ago at each of its lower levels, per pop; on SupplyNetPy's tree at 20,000
    nodes the calendar takes about 10% off the cost of an event (at 2,000 to 8,000 nodes
    0-5%, within the noise: one heap there). Windows are ``1 / _scale`` long, a power of
    two, so that a time's bucket ``floor(time * _scale)`` is exact and in time order: the
    order of events is SimPy's whatever the windows (an event due at infinity waits in a
    bucket of its own)."""

    #: pending events from which the calendar is used (at each period's tick, :meth:`retune`)
    CALENDAR_FROM = 4096
    #: the events a window holds, on average: a heap this small stays in the cache
    CALENDAR_WINDOW = 64

    def __init__(self, initial_time: float = 0):
        super().__init__(initial_time)
        self._now_queue: deque[list] = deque()
        self._horizon = math.inf  # events due from then on wait in _buckets
        self._scale = 0.0  # windows per unit of time
        self._buckets: dict[int, list[list]] = {}
        self._bucket_keys: list[int] = []  # a heap of _buckets' keys
        self._windows = self._windowed = 0  # windows entered, and their events, since retune

    def schedule(self, event: Event, priority: int = NORMAL, delay: float = 0) -> None:
        """Schedule ``event`` as SimPy does (due now and urgent: in the FIFO)."""
        entry = [self._now + delay, priority, next(self._eid), event]
        if delay == 0 and priority == URGENT:
            self._now_queue.append(entry)
        elif entry[0] < self._horizon:
            heapq.heappush(self._queue, entry)
        else:
            self._defer(entry)

    def _defer(self, entry: list) -> None:
        """Put ``entry`` (due at or after the horizon) in its window's bucket. The
        engine's own events (:class:`_Message`, :meth:`_PoissonArrivals.wait`) append to
        a bucket that exists without this call, and call it for the rest."""
        if self._horizon == math.inf:  # no calendar, or the last window (due at infinity)
            heapq.heappush(self._queue, entry)
            return
        window = entry[0] * self._scale
        key = int(window) if window < math.inf else math.inf  # (huge times wait with inf)
        bucket = self._buckets.get(key)
        if bucket is None:
            self._buckets[key] = [entry]
            heapq.heappush(self._bucket_keys, key)
        else:
            bucket.append(entry)

    def _next_window(self) -> bool:
        """Heapify the next bucket into the (empty) heap; ``False`` if none is left."""
        if not self._bucket_keys:
            return False
        key = heapq.heappop(self._bucket_keys)
        queue = self._queue  # the same list: run_to_halt holds it
        queue.extend(self._buckets.pop(key))
        heapq.heapify(queue)
        self._horizon = (key + 1) / self._scale
        self._windows += 1
        self._windowed += len(queue)
        return True

    def pending(self) -> int:
        """How many events are scheduled."""
        return len(self._now_queue) + len(self._queue) + sum(map(len, self._buckets.values()))

    def retune(self) -> None:
        """Use the calendar while many events are pending, with windows of about
        :data:`CALENDAR_WINDOW` events (called at each period's tick: a rebuild costs a
        pass over the pending events, a period's worth of work in a network where they
        are about one per node; windows are resized only when they held 4x too many or
        too few, on average since the last call)."""
        if self._scale == 0.0:
            if len(self._queue) >= self.CALENDAR_FROM:
                self.rebuild(calendar=True)
            return
        if self._windows:
            held = self._windowed / self._windows
            if self.CALENDAR_WINDOW / 4 <= held <= 4 * self.CALENDAR_WINDOW:
                self._windows = self._windowed = 0
                return
        elif len(self._queue) < 4 * self.CALENDAR_WINDOW:
            return
        self.rebuild(calendar=self.pending() >= self.CALENDAR_FROM // 2)

    def rebuild(self, calendar: bool) -> None:
        """Hold the pending events in one heap, or (``calendar``) in the heap of the
        window that starts now and buckets, the window as long as the next
        :data:`CALENDAR_WINDOW` events take to come due."""
        queue = self._queue
        entries = queue + [entry for bucket in self._buckets.values() for entry in bucket]
        self._buckets.clear()
        self._bucket_keys.clear()
        self._windows = self._windowed = 0
        if not calendar or self._now == math.inf:  # (past infinity, windows order nothing)
            self._scale, self._horizon = 0.0, math.inf
            queue[:] = entries
            heapq.heapify(queue)
            return
        times = heapq.nsmallest(self.CALENDAR_WINDOW + 1, (entry[0] for entry in entries))
        span = times[-1] - self._now if times else 1.0
        exponent = math.frexp(span)[1] if span > 0 else -30  # 2**(e-1) <= span < 2**e
        self._scale = math.ldexp(1.0, -max(-30, min(30, exponent - 1)))
        while self._now * self._scale >= 2.0**52:  # window keys and edges exact as floats
            self._scale /= 2
        self._horizon = (int(self._now * self._scale) + 1) / self._scale
        queue.clear()
        for entry in entries:
            if entry[0] < self._horizon:
                queue.append(entry)
            else:
                self._defer(entry)
        heapq.heapify(queue)

    def _pop(self) -> list:
        """The next entry of the schedule, taken out (IndexError: none is left)."""
        now_queue, queue = self._now_queue, self._queue
        if not queue:
            self._next_window()
        if now_queue and (not queue or now_queue[0] < queue[0]):
            return now_queue.popleft()
        return heapq.heappop(queue)

    def peek(self) -> float:
        """The time of the next scheduled event (``inf`` when none is left)."""
        now_queue, queue = self._now_queue, self._queue
        if not queue:
            self._next_window()
        if now_queue and (not queue or now_queue[0] < queue[0]):
            return now_queue[0][0]
        return queue[0][0] if queue else math.inf

    def step(self) -> None:
        """Process the next event (SimPy's ``step``, over both queues)."""
        if self._now_queue:
            # the next entry at the top of the heap, where SimPy's step takes it from
            heapq.heappush(self._queue, self._pop())
        elif not self._queue:
            self._next_window()
        super().step()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        for name, attribute in vars(simpy.Environment).items():
            if type(attribute) is BoundClass:
                state.pop(name, None)
        state["_eid"] = next(self._eid)  # the next id; the original skips one, harmlessly
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._eid = itertools.count(state["_eid"])
        BoundClass.bind_early(self)

    def run_to_halt(self) -> None:
        """Process events in SimPy's order (time, priority, then scheduling order) until a
        callback calls :meth:`halt` or none are left.

        SimPy's ``run``/``step`` inlined, with a flag where SimPy raises ``StopSimulation``:
        an engine that stops at every decision of a learner would otherwise pay an
        exception and (SimPy 4.1) one more event per decision, more than a period's work.
        An event that failed and was not defused raises its exception, as in SimPy.
        """
        queue, pop = self._queue, heapq.heappop
        now_queue = self._now_queue
        take = now_queue.popleft
        self._halted = False
        while True:
            if now_queue and (not queue or now_queue[0] < queue[0]):
                self._now, _, _, event = take()
            elif queue:
                self._now, _, _, event = pop(queue)
            elif self._next_window():
                continue
            else:
                return
            callbacks, event.callbacks = event.callbacks, None
            for callback in callbacks:
                callback(event)
            if not event._ok and not hasattr(event, "_defused"):
                raise event._value
            if self._halted:
                return

    def halt(self) -> None:
        """End :meth:`run_to_halt` once the current event's callbacks are done."""
        self._halted = True


class _Edge:
    """A supply edge for one product, resolved to integers when the model is built."""

    __slots__ = (
        "bom",
        "crossing",
        "drawn",
        "draws",
        "draws_at",
        "due",
        "fixed_cost",
        "kit_share",
        "last_arrival",
        "lead_time",
        "order_lead_time",
        "ordered",
        "position",
        "rng",
        "rng_key",
        "source",
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
        self.draws = _packed(self.lead_time.draw(self.rng, self.drawn, n))
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
            ``"poisson"`` (customers arrive one at a time as a Poisson process: with a
            ``compound_poisson`` demand at its ``rate``, each buying a quantity drawn from its
            ``size``; with any other demand at the rate of its mean, one unit each).
        allocation: ``"fifo"`` (oldest order first), ``"proportional"`` (scarce stock split
            in proportion to what each order still needs) or ``"whole"`` (whole orders only:
            oldest first, an order ships when it can ship complete, and none behind it ships
            before it, as SupplyNetPy's nodes ship; customers' backlogged demand included).
        charge_in_transit: charge stock in transit on edge ``u -> v`` at ``u``'s holding cost
            (echelon-cost accounting); recorded in ``v``'s ``transit_holding_cost``. An
            order still in its information delay (``order_lead_time``) is not stock in
            transit and is not charged.
        seed: the run's seed; every random stream derives from it.
        record: keep the per-period table (turn off for throughput runs).
        log: keep :attr:`event_log`, one tuple ``(time, kind, supplier, node, product,
            quantity, due)`` per order placed (``"order"``), shipment sent (``"ship"``, with
            its arrival time ``due``) and shipment received (``"receive"``); ``supplier`` is
            ``None`` for customer demand (``"demand"``). For tests and debugging: it grows
            with the run.
        track_rewards: keep every stock point's money per period for :meth:`take_reward`
            (it is always kept for stock points decided from outside).
        market: a :class:`~sim.market.Market`: stock points that set prices, their
            price-responsive customers and competitor agents (see :mod:`sim.market`).
        initial_state: an :class:`~sim.initial.InitialState` (or a mapping of its fields):
            stock on hand and in transit drawn anew for every run from its seed, instead
            of the declared ``initial_stock`` and ``initial_pipeline``.

    A stock point whose module is an :class:`~sim.policy.External` marker (such as
    :data:`~sim.policy.EXTERNAL`) is decided from outside:
    :meth:`advance` runs the model to the exact point where such a stock point must decide,
    returns its :class:`Decision`, and resumes with the action. :meth:`reset` starts a new
    run with another seed without rebuilding the model; models pickle and deep-copy at any
    point, including in the middle of a decision.

    Raises:
        networks.NetworkError: the graph is invalid.
        ValueError: an argument is invalid, or a stocking node has no policy.
    """

    _clocked = True  # time runs on the SimPy clock (the vectorized engine keeps its own)

    #: Stock points from which their quantities (stock, pipeline, the period's flows) are
    #: packed, one record of doubles per stock point (:class:`_Records`), instead of lists of
    #: float objects. An event reads and writes a dozen quantities of one stock point, which
    #: a period later have left the cache: a list costs a line for the item's pointer and
    #: one for its float, a record one line for all that a customer's event touches. Reading
    #: a packed item is slower than a list's while both are cached, so smaller networks keep
    #: lists. On SupplyNetPy's tree under continuous review, one model with its quantities
    #: switched between the two every window (``benchmarks/event_scaling.py --compare
    #: packed``, CPU µs per event, median of 6 windows each), records against lists: 2.96 /
    #: 2.80 at 200 nodes, 3.71 / 3.72 at 2,000, 4.69 / 5.01 at 6,000, 5.83 / 7.04 at 12,000,
    #: 5.14 / 6.31 at 20,000 (one array per quantity had been 7.01 against 7.67 there).
    PACKED_FROM = 4096

    def __init__(
        self,
        graph: nx.DiGraph,
        policies: Mapping[Any, Policy] | Policy,
        *,
        decide: Literal["start", "end"] = "end",
        review: Literal["periodic", "continuous"] = "periodic",
        arrivals: Literal["batch", "poisson"] = "batch",
        allocation: Literal["fifo", "proportional", "whole"] = "fifo",
        charge_in_transit: bool = False,
        seed: int = 0,
        record: bool = True,
        log: bool = False,
        track_rewards: bool = False,
        market: Any = None,
        initial_state: InitialState | Mapping[str, Any] | None = None,
    ):
        for name, value, allowed in (
            ("decide", decide, ("start", "end")),
            ("review", review, ("periodic", "continuous")),
            ("arrivals", arrivals, ("batch", "poisson")),
            ("allocation", allocation, ("fifo", "proportional", "whole")),
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
        self._record = record
        self._log = log
        self._track_all = track_rewards
        self._calls = _Calls(self)
        self._build(policies)
        self._writer = None  # of observe_vector's layout
        self._choose_initial_state(initial_state)
        self._market = market.attach(self) if market is not None else None
        self._with_customers = [i for i, c in enumerate(self._customer_list) if c is not None]
        self._customer_rows = np.array(self._with_customers, dtype=np.intp)
        # Nothing can wait to be served at a stock point that loses what it cannot sell at
        # once and supplies no one: a customer's arrival there serves nothing, and under
        # continuous review with customers one at a time a period's step does nothing there
        # unless it makes or processes.
        supplies = {e.supplier for e in self._edges}
        self._nothing_waits = [
            lost and i not in supplies for i, lost in enumerate(self._lost_sales)
        ]
        self._step_work = [
            i
            for i in self._downstream_first
            if self._makes[i] or self._customer_list[i] is None or not self._nothing_waits[i]
        ]
        self._reset_state()

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
        self._storage = [float(x) for x in per_sku("storage_capacity")]
        self._lost_sales = [s == "lost_sales" for s in per_sku("shortage")]
        self._whole_customer = [s == "whole" for s in per_sku("customer_fill")]
        self._manufacturer = [g.nodes[n]["role"] == "manufacturer" for n, _ in self.sku_names]
        self._initial = [float(x) for x in per_sku("initial_stock")]
        for (n, p), stock, room in zip(self.sku_names, self._initial, self._storage, strict=True):
            if stock > room:
                raise ValueError(
                    f"node {n!r} product {p!r}: initial_stock {stock:g} exceeds "
                    f"storage_capacity {room:g}; lower one or raise the other"
                )

        # edges, per product, grouped by the ordering stock point
        self._edges: list[_Edge] = []
        self._suppliers: list[list[_Edge]] = [[] for _ in range(n_sku)]
        for (n, p), i in self.sku_index.items():
            for u in g.predecessors(n):
                data = g.edges[u, n]
                e = _Edge(
                    supplier=self.sku_index.get((u, p), -1),
                    source=-1,
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
                    transit_rate=float(node_value(g, u, "holding_cost", p))
                    if not is_source(g, u)
                    else 0.0,
                )
                self._edges.append(e)
                self._suppliers[i].append(e)
        # Lots in transit at time 0 (steady-state starts): one per period of mean lead time,
        # received at the start of periods 0, 1, ...: (lot, period) per edge
        self._declared_lots: list[list[tuple[float, int]]] = []
        for e in self._edges:
            u, n, _ = e.supplier_name, *self.sku_names[e.target]
            lot = float(g.edges[u, n].get("initial_pipeline", EDGE_DEFAULTS["initial_pipeline"]))
            slots = math.floor(e.lead_time.mean + 0.5) if lot > 0 else 0
            self._declared_lots.append([(lot, k) for k in range(slots)])
        # Orders in the mail at time 0 (steady-state starts): one per period of order lead
        # time, reaching the supplier at times 0, 1, ...
        self._initial_orders = []
        for e in self._edges:
            u, n, _ = e.supplier_name, *self.sku_names[e.target]
            q = float(g.edges[u, n].get("initial_orders", EDGE_DEFAULTS["initial_orders"]))
            if q > 0:
                mails = math.floor(e.order_lead_time + 0.5)
                self._initial_orders.extend((e, q, k) for k in range(mails))
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
        # A manufacturer's ordered and received flows count kits: per supplier, quantity / bom,
        # averaged over its suppliers.
        for i, suppliers in enumerate(self._suppliers):
            for e in suppliers:
                e.kit_share = 1.0 / (e.bom * len(suppliers)) if self._manufacturer[i] else 1.0
        self._has_components = any(self._manufacturer)
        # External sources with a capacity: one order book per (source, product); an edge
        # from one knows its book (``source``, else -1: the source ships what it is asked)
        self._source_books: list[tuple[Any, str, float]] = []
        books: dict[tuple[Any, str], int] = {}
        for e in self._edges:
            product = self.sku_names[e.target][1]
            cap = float(node_value(g, e.supplier_name, "capacity", product))
            if e.supplier < 0 and cap < math.inf:
                key = (e.supplier_name, product)
                if key not in books:
                    books[key] = len(self._source_books)
                    self._source_books.append((*key, cap))
                e.source = books[key]
        # Any other stock point with a capacity puts at most that many units into stock per
        # period; what it receives waits in process until then (see _release).
        self._processing = [
            cap < math.inf and not made
            for cap, made in zip(self._capacity, self._manufacturer, strict=True)
        ]
        self._makes = [a or b for a, b in zip(self._manufacturer, self._processing, strict=True)]
        self._has_work = self._has_components or any(self._processing)
        # every stock point orders from one supplier and holds nothing in process (a tree,
        # a chain): its pipeline by supplier is its pipeline, booked in the same steps
        self._single_sourced = not self._has_work and all(len(s) == 1 for s in self._suppliers)
        self._packed = n_sku >= self.PACKED_FROM
        self._zeros = [0.0] * n_sku
        # (node, product, supplier names): what an observation names, in one object (a
        # review in a large network reads it cold)
        self._identity = [
            (n, p, tuple(self._name_in_network(e.supplier_name) for e in s))
            for (n, p), s in zip(self.sku_names, self._suppliers, strict=True)
        ]

        # agents and decision modules (spawned anew for every run: see _reset_state)
        self._check_policy_keys(policies, stocking)
        self._modules: list[Policy] = []
        self.stocking_agents: dict[Any, StockingAgent] = {}
        for n in order:
            chosen = {p: self._policy_for(policies, n, p) for p in self.products}
            self.stocking_agents[n] = StockingAgent(self, n, g.nodes[n]["role"], chosen)
            self._modules.extend(chosen.values())
        # equal sets shared: a review reads its module's set, and one object stays in the cache
        shared: dict[frozenset, frozenset] = {}
        self._observes = []
        for pol in self._modules:
            wants = frozenset(getattr(pol, "observes", ()))
            self._observes.append(shared.setdefault(wants, wants))
        self._external = [i for i, pol in enumerate(self._modules) if type(pol) is External]
        # scheduled arrivals are booked only for the stock points whose module observes them
        self._tracks_due = ["arrivals" in o for o in self._observes]
        self._track_due = any(self._tracks_due)
        self._observing = any(self._observes)  # else a review need not read its module's set
        self._tracked = list(range(n_sku)) if self._track_all else self._external
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
            self._customers[i] = CustomerAgent(self, n, p, dist, None)
        self._customer_list = [self._customers.get(i) for i in range(n_sku)]
        self._time_weighted = self.review == "continuous" or self.arrivals == "poisson"
        self._batch = self.arrivals == "batch"
        self._decides_first = self.decide == "start" and self.review == "periodic"

    def _pack(self, columns: Mapping[str, Iterable[float]]) -> None:
        """Every stock point's quantities: those of ``columns``, the others zero, as lists of
        floats, or packed (:class:`_Records`) in a network of :attr:`PACKED_FROM` stock
        points or more."""
        n = len(self.sku_names)
        if self._packed:
            self._records: _Records | None = _Records(columns, n)
            for name, view in self._records.views.items():
                setattr(self, name, view)
            return
        self._records = None
        for name in _QUANTITIES:
            setattr(self, name, list(columns[name]) if name in columns else [0.0] * n)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        if self._records is not None:  # views into one buffer do not pickle; their values do
            state["_records"] = {name: state.pop(name).tolist() for name in _RECORD}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        columns = state.get("_records")
        self.__dict__.update(state)
        self._records = None  # (pickled before records: lists)
        if columns is not None:
            self._pack(columns)

    def _reset_state(self) -> None:
        """Everything a run changes, as at period 0 of run ``self.seed_value``."""
        n_sku = len(self.sku_names)
        self.env = _Clock()
        self.period = self.steps = 0
        self.event_log: list[tuple] | None = [] if self._log else None
        self._policy: list[Policy] = []
        for agent in self.stocking_agents.values():
            for p, module in agent.modules.items():
                spawn = getattr(module, "spawn", None)
                agent.policies[p] = spawn() if callable(spawn) else module
                self._policy.append(agent.policies[p])
        # the classes of modules asked through act_position (whatever object of them a
        # stock point holds later: the vectorized engine swaps some for batch runners)
        self._by_position = frozenset(filter(decides_by_position, set(map(type, self._policy))))
        on_hand = (
            [self._start_on_hand(i) for i in range(n_sku)]
            if self._initial_state is not None
            else self._initial
        )
        self._pack({"_on_hand": on_hand})
        self._queue: list[deque] = [deque() for _ in range(n_sku)]
        for e in self._edges:
            self._restart_edge(e)
        self._pipe_by = [[0.0] * len(s) for s in self._suppliers]
        self._ordered_edges: list[_Edge] = []  # the edges that ordered in the period
        self._components = [
            [0.0] * len(self._suppliers[i]) if self._manufacturer[i] else None for i in range(n_sku)
        ]
        self._source_orders = [
            _SourceOrders(cap, self.allocation) for _, _, cap in self._source_books
        ]
        self._due: list[dict[int, float]] = [{} for _ in range(n_sku)]
        for e in self._edges:  # where a shipment on e is booked by arrival period, if anywhere
            e.due = self._due[e.target] if self._track_due and self._tracks_due[e.target] else None
        for i in self._customers:
            self._restart_customer(i)
        self._arrivals: dict[float, list[tuple[_Edge, float]]] = {}
        for j, lot, k in self._start_lots(range(len(self._edges))):  # received at k's start
            e = self._edges[j]
            self._pipeline[e.target] += lot
            self._pipe_by[e.target][e.position] += lot
            e.transit += lot
            e.last_arrival = max(e.last_arrival, float(k))  # later lots may not overtake these
            if e.due is not None:
                e.due[k] = e.due.get(k, 0.0) + lot
            if k in self._arrivals:
                self._arrivals[k].append((e, lot))
            else:
                self._arrivals[k] = [(e, lot)]
                _Message(self.env, k, k, self._calls.arrivals, URGENT)
        for e, q, k in self._initial_orders:  # ordered, not shipped: no transit, no cost
            self._pipeline[e.target] += q
            self._pipe_by[e.target][e.position] += q
            reach = self._calls.source_order if e.supplier < 0 else self._calls.order
            _Message(self.env, k, (e, q), reach, URGENT)
        # each stock point's money since it was last taken: a tuple per stock point, replaced
        # at each close (one allocation from the tuple free list) and taken by swapping in
        # _NO_MONEY
        self._reward = [_NO_MONEY] * n_sku
        # where a run stands: the decision waiting for an action, the step's progress
        self._pending: tuple[int, int, bool] | None = None
        self._cursor = 0
        self._stop_at = -1
        self._review_due = [False] * n_sku
        self.recorder = (
            Recorder(
                self.sku_names,
                [(e.supplier_name, *self.sku_names[e.target]) for e in self._edges],
                [self.graph.nodes[n]["role"] for n, _ in self.sku_names],
                [self.echelons[n] for n, _ in self.sku_names],
            )
            if self._record
            else None
        )
        if self._market is not None:
            self._market.restart()
        _Message(self.env, 0, 0, self._calls.tick, NORMAL)
        if self.arrivals == "poisson":
            for i, customer in self._customers.items():
                rate = customer.arrival_rate()
                if rate > 0:
                    seed_of, node, product = self._stream_key(self.sku_names[i])
                    arrivals = _PoissonArrivals(
                        i,
                        rate,
                        stream(seed_of, Purpose.ARRIVALS, node, product),
                        customer.order_size(),
                        stream(seed_of, Purpose.ORDER_SIZE, node, product),
                        getattr(customer, "buys", None),
                        self._policy[i],
                        lost_sales=self._lost_sales[i],
                        serves=not self._nothing_waits[i],
                    )
                    arrivals.wait(self.env, arrivals.next_gap(), self._calls.customer)

    def _restart_edge(self, e: _Edge) -> None:
        """Forget edge ``e``'s shipments and lead-time draws: a run starts on it."""
        e.rng = None  # made on first draw: a large network has many edges
        seed_of, node, product = self._stream_key(self.sku_names[e.target])
        supplier = self._stream_key((e.supplier_name, product))[1]
        e.rng_key = (seed_of, Purpose.LEAD_TIME, supplier, node, product)
        e.draws, e.draws_at, e.drawn = [], 0, 0
        e.last_arrival = -math.inf
        e.transit = e.ordered = 0.0

    def _restart_customer(self, i: int) -> None:
        """The customers of stock point ``i`` draw their demand from period 0 on again."""
        seed_of, node, product = self._stream_key(self.sku_names[i])
        self._customers[i].restart(stream(seed_of, Purpose.DEMAND, node, product))

    # ------------------------------------------------------------------ initial state
    def _choose_initial_state(self, initial_state: InitialState | Mapping[str, Any] | None) -> None:
        """Which stock points draw their stock on hand and in transit when a run starts."""
        n_sku = len(self.sku_names)
        self._initial_state = None
        if initial_state is None:
            return
        state = InitialState.of(initial_state)
        if state.nodes == "all":
            chosen = set(range(n_sku))
        elif state.nodes == "external":
            if not self._external:
                raise ValueError(
                    "initial_state.nodes: no stock point is decided from outside ('external'); "
                    "name the nodes, or give 'all'"
                )
            chosen = set(self._external)
        else:
            chosen = set()
            for node in state.nodes:
                names = self._copies_of(node)
                if not names:
                    raise ValueError(
                        f"initial_state.nodes: {node!r} is not a stocking node of the network"
                    )
                chosen.update(self.sku_index[name, p] for name in names for p in self.products)
        self._initial_state = state
        self._draws_on_hand = [state.on_hand is not None and i in chosen for i in range(n_sku)]
        self._draws_pipeline = [state.pipeline is not None and i in chosen for i in range(n_sku)]

    def _copies_of(self, node: Any) -> list[Any]:
        """The names of stocking node ``node`` in this model's graph (none: not one)."""
        g = self.graph
        return [node] if node in g and not is_source(g, node) else []

    def _start_on_hand(self, i: int) -> float:
        """Stock point ``i``'s stock on hand when a run starts (units): declared, or drawn
        from the run's initial-state stream and capped at its storage capacity."""
        if self._initial_state is None or not self._draws_on_hand[i]:
            return self._initial[i]
        seed_of, node, product = self._stream_key(self.sku_names[i])
        rng = stream(seed_of, Purpose.INITIAL_STATE, "on_hand", node, product)
        drawn = float(self._initial_state.on_hand_distribution.draw(rng, 0, 1)[0])
        return min(drawn, self._storage[i])

    def _start_lots(self, edges: Iterable[int]) -> list[tuple[int, float, int]]:
        """The lots in transit when a run starts on ``edges`` (indices into the edge list),
        edge by edge: ``(edge, lot, k)``, received at the start of period ``k``."""
        lots: list[tuple[int, float, int]] = []
        for j in edges:
            e = self._edges[j]
            if self._initial_state is None or not self._draws_pipeline[e.target]:
                lots.extend((j, lot, k) for lot, k in self._declared_lots[j])
                continue
            slots = math.floor(e.lead_time.mean + 0.5) - 1  # received at 1, ..., L - 1
            if slots <= 0:
                continue
            seed_of, node, product = self._stream_key(self.sku_names[e.target])
            supplier = self._stream_key((e.supplier_name, product))[1]
            rng = stream(seed_of, Purpose.INITIAL_STATE, "pipeline", supplier, node, product)
            drawn = self._initial_state.pipeline_distribution.draw(rng, 0, slots).tolist()
            lots.extend((j, lot, k) for k, lot in enumerate(drawn, 1) if lot > 0)
        return lots

    def _stream_key(self, stock_point: tuple[Any, str]) -> tuple[int, Any, str]:
        """``(seed, node name, product)`` that key a stock point's random streams: this
        run's seed and the node's own name (a copy's seed and the original name in a
        :class:`~sim.vector.VectorizedSupplyChainModel` of several copies)."""
        node, product = stock_point
        return self.seed_value, node, product

    def _name_in_network(self, node: Any) -> Any:
        """Node ``node``'s name in the network the modules were given (a copy's node keeps
        its original name in :attr:`InventoryObservation.suppliers`, so that a module that
        names its suppliers finds them on every copy)."""
        return node

    def reset(self, seed: int | None = None) -> None:
        """Start again at period 0, with ``seed`` (the same seed by default), keeping the
        network, the modules and what the constructor checked: the same as building a new
        model with that seed, at a fraction of the cost. Stateful modules are spawned anew."""
        if seed is not None:
            if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
                raise ValueError(f"seed: must be an integer >= 0, got {seed!r}")
            self.seed_value = int(seed)
        # Mesa's own generators, as its constructor seeds them from the stream
        self.reset_rng(stream(self.seed_value, Purpose.MESA))
        self.reset_randomizer(int(self.rng.integers(np.iinfo(np.int32).max)))
        self._reset_state()

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
                    f"give one per stocking node: {names_for_message(self._stocking_names())}"
                )
        else:
            policy = policies
        if not callable(getattr(policy, "act", None)):
            raise ValueError(
                f"policies[{node!r}]: {policy!r} is not a decision module (it needs act(obs))"
            )
        return policy

    def _check_policy_keys(self, policies: Mapping[Any, Policy] | Policy, stocking: list) -> None:
        """A key of ``policies`` that is no stocking node or ``(node, product)`` is a mistake."""
        if not isinstance(policies, Mapping):
            return
        known = set(stocking)
        for key in policies:
            if key in known or (
                isinstance(key, tuple)
                and len(key) == 2
                and key[0] in known
                and key[1] in self.products
            ):
                continue
            node = key[0] if isinstance(key, tuple) and len(key) == 2 else key
            if node in self.graph and is_source(self.graph, node):
                raise ValueError(
                    f"policies: {key!r} is a source (unlimited supply): it decides nothing, "
                    "so it takes no decision module"
                )
            hint = difflib.get_close_matches(str(key), [str(n) for n in stocking], n=1)
            fix = (
                f"did you mean {hint[0]!r}?"
                if hint
                else f"stocking nodes: {names_for_message(stocking)}"
            )
            raise ValueError(f"policies: {key!r} is not a stocking node or (node, product); {fix}")

    def _stocking_names(self) -> list[Any]:
        return [n for n in self.graph.nodes if not is_source(self.graph, n)]

    # ------------------------------------------------------------------ running
    def run(self, periods: int) -> None:
        """Simulate ``periods`` more periods.

        Raises:
            ValueError: ``periods`` is not an integer >= 0, a decision is waiting for an
                action, or the run reaches a stock point decided from outside (use
                :meth:`advance`).
        """
        if isinstance(periods, bool) or not isinstance(periods, numbers.Integral) or periods < 0:
            raise ValueError(f"periods: must be an integer >= 0, got {periods!r}")
        if self._pending is not None:
            raise ValueError("a decision is waiting for its action: call advance(action)")
        if periods:
            self._run_until(self.period + operator.index(periods))
        if self._pending is not None:
            node, product = self._pending_stock_point()
            raise ValueError(
                f"node {node!r} product {product!r} is decided from outside (EXTERNAL): "
                "run the model with advance(), not run()"
            )

    def advance(
        self, action: Any = _NO_ACTION, *, until: int | None = None, observe: bool = True
    ) -> Decision | None:
        """Run to the next decision of an externally controlled stock point.

        The first call (``action`` left out) runs from where the model stands; each later
        call gives the action of the decision it returned (a quantity, or one per supplier,
        as a module's ``act`` returns) and runs on. The model stops exactly where the
        engine would have consulted the module, so a heuristic played through ``advance``
        gives the same table, bit for bit, as the heuristic inside the engine.

        Args:
            action: the action of the pending decision.
            until: stop when period ``until`` starts (all of period ``until - 1`` is done)
                if no decision comes first; ``None`` runs until the next decision.
            observe: ``False`` leaves the decision's ``observation`` out (``None``): for a
                caller that reads the state its own way, such as
                :meth:`observe_vector`, and need not pay for the observation.

        Returns:
            The next :class:`Decision`, or ``None`` when ``until`` was reached first.

        Raises:
            ValueError: an action is missing, not expected, or invalid (naming the node), or
                ``until`` is ``None`` and no stock point is decided from outside.
        """
        pending = self._pending
        if pending is None:
            if action is not _NO_ACTION:
                raise ValueError("advance: no decision is waiting for an action")
        else:
            if action is _NO_ACTION:
                node, product = self._pending_stock_point()
                raise ValueError(
                    f"advance: node {node!r} product {product!r} is waiting for its action"
                )
            self._resume(action)
            if self._pending is not None:
                return self._decision(observe)
        if until is None:
            if not self._external:
                raise ValueError(
                    "advance: no stock point is decided from outside (EXTERNAL); give until="
                )
            self._run_until(math.inf)
        else:
            if type(until) is not int and (
                isinstance(until, bool) or not isinstance(until, numbers.Integral)
            ):
                raise ValueError(f"until: must be an integer period, got {until!r}")
            if until > self.period:
                self._run_until(int(until))
        return self._decision(observe) if self._pending is not None else None

    def advance_period(self, action: Any, *, until: int) -> int | None:
        """:meth:`advance` ``(action, until=until, observe=False)`` returning the period of the
        next decision instead of a :class:`Decision` (``None`` when ``until`` came first): for
        an environment of one learner, which reads its observation itself
        (:meth:`observe_vector`) and has a step's work to save, not a decision to unpack.

        Raises:
            ValueError: as :meth:`advance`.
        """
        if self._pending is None or type(until) is not int:  # advance's checks and errors
            decision = self.advance(action, until=until, observe=False)
            return None if decision is None else decision.period
        self._resume(action)
        if self._pending is None and until > self.period:
            self._run_until(until)
        pending = self._pending
        return None if pending is None else pending[1]

    def step_learner(
        self, action: Any, until: int, layout: ObservationLayout
    ) -> tuple[np.ndarray, float, int | None]:
        """One step of an environment whose learner is the stock point ``i`` whose decision
        is waiting, in one call: :meth:`advance_period` ``(action, until=until)``, then
        :meth:`take_cost_of` ``(i)`` and :meth:`observe_vector` ``(i, t, layout)``, where
        ``t`` is the period of the next decision, or :attr:`period` when ``until`` came
        first. Same results, to the bit, at a fraction of the calls.

        Returns:
            The observation vector, the cost (money) and the next decision's period (``None``
            when ``until`` came first).

        Raises:
            ValueError: as :meth:`advance`.
        """
        pending = self._pending
        if pending is None or type(until) is not int or not self._clocked:
            period = self.advance_period(action, until=until)  # its checks and errors
            i = pending[0]  # advance_period raised if no decision was waiting
            cost = self.take_cost_of(i)
            t = self.period if period is None else period
            return self.observe_vector(i, t, layout), cost, period
        # advance_period's own path (_resume), _run_until's and take_cost_of written out: a
        # learner's every step (a float order needs no _checked; i is tracked, decided from
        # outside; this engine's _advance is its clock's run_to_halt). The cyclic collector
        # is left as it is: a step runs to the learner's next decision, usually a period
        # away, and the collector counts allocations whether it is on or off, so switching
        # it off for the step would only move the same collections after it (1-2% of a
        # step on the lost-sales case; the same time per step at 5,000 nodes).
        i, t, in_step = pending
        if type(action) is not float or not 0 <= action < _INF:
            action = self._checked(i, action)  # a refused action leaves the decision waiting
        self._pending = None
        self._place(i, action)
        if in_step:
            self._continue_step(t)
        if self._pending is None and until > self.period:
            if until != self._stop_at:
                self._run_until(until)
            else:
                self.env.run_to_halt()
        holding, backlog, lost_sales, ordering, transit_holding, _ = self._reward[i]
        self._reward[i] = _NO_MONEY
        cost = float(holding + backlog + lost_sales + ordering + transit_holding)
        pending = self._pending
        if pending is None:
            return self.observe_vector(i, self.period, layout), cost, None
        t = pending[1]
        return self.observe_vector(i, t, layout), cost, t

    def _pending_stock_point(self) -> tuple[Any, str]:
        """The (first) stock point whose decision is waiting."""
        return self.sku_names[int(np.atleast_1d(self._pending[0])[0])]

    def _decision(self, observe: bool = True) -> Decision:
        i, t, _ = self._pending
        # tuple.__new__: the NamedTuple's own __new__ is a Python function, a frame per step
        return _new_tuple(Decision, (t, i, self.observe(i, t) if observe else None))

    def _resume(self, action: Any) -> None:
        """Carry out the pending decision's action and what its step still had to do."""
        i, t, in_step = self._pending
        action = self._checked(i, action)  # a refused action leaves the decision waiting
        self._pending = None
        self._place(i, action)
        if in_step:
            self._continue_step(t)

    def _run_until(self, stop: float) -> None:
        """Process events until period ``stop`` starts or an external decision comes."""
        if stop != self._stop_at:
            self._stop_at = stop
            if stop < math.inf and self._clocked:
                _Message(self.env, stop - self.env.now, stop, self._calls.stop, _STOP)
        # The loop allocates many short-lived objects and builds no reference cycles, so the
        # cyclic collector would only rescan the model's long-lived state, at a cost growing
        # with the network (about 20% of the time at 10,000 nodes). It is on again whenever
        # control leaves the engine (a decision handed out included).
        collecting = _gc_isenabled()
        _gc_disable()
        try:
            self._advance(stop)
        finally:
            if collecting:
                _gc_enable()

    def _advance(self, stop: float) -> None:
        self.env.run_to_halt()  # until _on_stop or an external decision halts it

    def _on_stop(self, event: _Message) -> None:
        if event._value == self._stop_at:  # a stop of an earlier, shorter run is stale
            self.env.halt()

    def step(self) -> None:
        """Simulate one period (Mesa's ``step``)."""
        self.run(1)

    def _on_tick(self, event: _Message) -> None:
        self.env.retune()
        self._cursor = 0
        if not self._continue_step(event._value):
            self.env.halt()  # an external decision: the engine waits for it

    def _continue_step(self, t: int) -> bool:
        """Do period ``t``'s step from where it stands; ``False`` if it stopped for an
        external decision (then :meth:`_resume` calls it again)."""
        done = self._step_start(t) if self._decides_first else self._step_end(t)
        if done:
            # The period closes at t + 1 before anything else; arrivals due then come next,
            # and the next step last.
            _Message(self.env, 1, t, self._calls.close, _CLOSE)
            _Message(self.env, 1, t + 1, self._calls.tick, NORMAL)
        return done

    def _on_close(self, event: _Message) -> None:
        t = event._value
        self._close(t)
        self.period = t + 1
        self.steps = t + 1  # periods done (Mesa's step() wrapper counts too: assign, not add)
        for book in self._source_orders:  # the new period's capacity, to what waits first
            for edge, x in book.refill():
                self._ship(edge, x)

    def _step_end(self, t: int) -> bool:
        # Under continuous review a node decides when its inventory position changes (here:
        # this period's batch of customer demand; orders reaching it are handled on arrival),
        # and once at the start.
        periodic = self.review == "periodic" or t == 0
        order = self._downstream_first if periodic or self._batch else self._step_work
        k = self._cursor
        while k < len(order):
            i = order[k]
            k += 1
            if self._serve_period(i, t) > 0 or periodic:
                if type(self._policy[i]) is External:
                    self._cursor = k
                    self._pending = (i, t, True)
                    return False
                self._review(i, t)
        return True

    def _step_start(self, t: int) -> bool:
        order = self._downstream_first
        k = self._cursor
        while k < len(order):
            i = order[k]
            k += 1
            if type(self._policy[i]) is External:
                self._cursor = k
                self._pending = (i, t, True)
                return False
            self._review(i, t)
        for i in self._upstream_first:
            self._serve_period(i, t)
        return True

    def _serve_period(self, i: int, t: int) -> float:
        """Produce, take this period's batch of customer demand, and serve what ``i`` owes;
        returns that customer demand."""
        if self._makes[i]:
            self._produce(i)
        customer = self._customer_list[i]
        d = 0.0
        if customer is not None and self._batch:
            d = customer.demand_in(t)
            self._acc_demand[i] += d
            self._customer_demand(i, d, self._lost_sales[i])
        self._serve(i)
        if self._batch or customer is None:  # Poisson customers: seen when the period closes
            self._demand_seen[i] = self._acc_demand[i]
        return d

    def _on_customer(self, arrivals: _PoissonArrivals) -> None:
        """A Poisson customer of ``arrivals.stock_point`` arrives now."""
        i = arrivals.stock_point
        k = arrivals.gap_at
        try:
            gap = arrivals.gaps[k]
            arrivals.gap_at = k + 1
        except IndexError:  # a block of gaps is used up
            gap = arrivals.next_gap()
        if arrivals.buys is not None and not arrivals.buys():  # a visitor who does not buy
            arrivals.wait(self.env, gap, self._calls.customer)
            return
        try:
            d = arrivals.take_size()
        except StopIteration:  # a block of drawn sizes is used up
            d = arrivals.next_size()
        self._acc_demand[i] += d
        self._customer_demand(i, d, arrivals.lost_sales)
        if arrivals.serves:
            self._serve(i)
        arrivals.wait(self.env, gap, self._calls.customer)
        if self.review == "continuous":
            self._review_next(i, arrivals.module)

    # ------------------------------------------------------------------ levels
    def _touch(self, i: int) -> None:
        """Accumulate the time-weighted levels of stock point ``i`` up to now."""
        now = self.env._now
        dt = now - self._level_since[i]
        if dt:
            self._area_on_hand[i] += self._on_hand[i] * dt
            backlog = self._backlog[i]
            if backlog:  # adding 0.0 changes nothing: no float made, no cold slot written
                self._area_backlog[i] += backlog * dt
            self._level_since[i] = now

    # ------------------------------------------------------------------ serving
    def _customer_demand(self, i: int, d: float, lost_sales: bool) -> None:
        """Queue (backlog) or serve-or-lose (``lost_sales``: ``i``'s own rule, which a
        customer stream carries) customer demand ``d`` at ``i``: one customer's order (or a
        period's batch); at a lost-sales node with ``customer_fill="whole"`` it is sold whole
        or lost whole."""
        if d <= 0:
            return
        if self.event_log is not None:
            self.event_log.append((self.env.now, "demand", None, *self.sku_names[i], d, None))
        if self._time_weighted:
            self._touch(i)
        if lost_sales:
            on_hand = self._on_hand[i]
            sold = d if d <= on_hand else 0.0 if self._whole_customer[i] else on_hand
            self._on_hand[i] = on_hand - sold
            self._acc_sales[i] += sold
            if sold != d:
                self._acc_lost[i] += d - sold
        else:
            self._queue[i].append([-1, None, d])
            self._backlog[i] += d

    def _serve(self, i: int) -> None:
        """Fill what ``i`` owes from its stock, oldest first (or proportionally, or whole
        orders only), and ship."""
        queue = self._queue[i]
        if not queue or self._on_hand[i] <= 0:
            return
        if self._time_weighted:
            self._touch(i)
        if self.allocation == "proportional" and len(queue) > 1:
            self._serve_proportional(i)
            return
        on_hand = self._on_hand[i]
        whole = self.allocation == "whole"
        while queue and on_hand > 0:
            entry = queue[0]
            if entry[2] <= on_hand:
                x = entry[2]
            elif whole:  # the oldest order waits until it can ship complete
                break
            else:
                x = on_hand
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
        now = self.env._now
        edge.transit += x
        arrival = edge.arrival(now)
        due = edge.due
        if due is not None:
            k = _ceil(arrival)
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
            _Message(self.env, arrival - now, arrival, self._calls.arrivals, URGENT)
        bucket.append((edge, x))

    def _on_arrivals(self, event: _Message) -> None:
        for edge, x in self._arrivals.pop(event._value):
            self._receive(edge, x)

    def _refuse_beyond(self, j: int, x: float, room: float) -> float:
        """What stock point ``j`` takes of a receipt of ``x`` that exceeds its ``room``; the
        rest is booked as refused."""
        taken = room if room > 0 else 0.0
        self._acc_refused[j] += x - taken
        return taken

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
        due = edge.due
        if due is not None:
            k = _ceil(self.env._now)  # not the property now: a learner's arrivals every period
            try:
                left = due[k] - x
                if left <= 1e-12:
                    del due[k]
                else:
                    due[k] = left
            except KeyError:  # a float residue (~1e-14) whose booking went with another's
                pass
        components = self._components[j]
        if components is not None:
            components[edge.position] += x
        elif self._processing[j]:  # in process first, within the room stock leaves
            room = self._storage[j] - self._on_hand[j] - self._wip[j]
            if x > room:
                x = self._refuse_beyond(j, x, room)
            self._wip[j] += x
        else:
            room = self._storage[j] - self._on_hand[j]  # inf - x is inf: no capacity, no cost
            if x > room:
                x = self._refuse_beyond(j, x, room)
            self._on_hand[j] += x
        if self.review == "continuous":
            if self._makes[j]:
                self._produce(j)
            self._serve(j)

    def _produce(self, i: int) -> None:
        """Turn whole kits of components into product, up to the period's capacity (at a
        stock point that is not a manufacturer: :meth:`_release`)."""
        components = self._components[i]
        if components is None:
            self._release(i)
            return
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

    def _release(self, i: int) -> None:
        """Put what ``i`` holds in process into stock, up to the period's capacity."""
        x = self._capacity[i] - self._acc_produced[i]
        wip = self._wip[i]
        if wip < x:
            x = wip
        if x <= 0:
            return
        if self._time_weighted:
            self._touch(i)
        self._wip[i] = wip - x
        self._on_hand[i] += x
        self._acc_produced[i] += x

    # ------------------------------------------------------------------ deciding
    def observe(self, i: int, t: int) -> InventoryObservation:
        """The observation of stock point ``i`` in period ``t``."""
        node, product, suppliers = self._identity[i]
        on_hand, backlog = self._on_hand[i], self._backlog[i]
        pipeline = self._pipeline_of(i)
        echelon = arrivals = None
        wants = self._observing and self._observes[i]
        if wants:
            if "echelon_inventory_position" in wants:
                echelon = self._echelon_position(i)
            if "arrivals" in wants:
                arrivals = self._arrivals_of(i, t)
        # tuple.__new__: the NamedTuple's own __new__ is a Python function, a frame per review
        obs = _new_tuple(
            InventoryObservation,
            (
                t,
                node,
                product,
                on_hand,
                backlog,
                pipeline,
                on_hand + pipeline - backlog,
                self._demand_seen[i],
                suppliers,
                (pipeline,) if self._single_sourced else self._pipeline_by_supplier(i),
                echelon,
                arrivals,
                None,  # the market's price fields: Market.observe fills them
                None,
                None,
            ),
        )
        return obs if self._market is None else self._market.observe(i, obs)

    def observe_vector(self, i: int, t: int, layout: ObservationLayout) -> np.ndarray:
        """The observation of stock point ``i`` in period ``t`` as ``layout``'s float32
        vector: ``layout.vector(self.observe(i, t))`` to the bit, read straight from the
        state (a learner's environment reads one per step). ``i``'s module must observe
        what the layout needs (as the environments' :class:`~sim.policy.External` does)."""
        if layout.priced:  # the market's prices live in the observation only
            return layout.vector(self.observe(i, t))
        on_hand, backlog = self._on_hand[i], self._backlog[i]
        if self._components[i] is None:  # _pipeline_of's first case, without its call
            pipeline = self._pipeline[i] + self._wip[i]
        else:
            pipeline = self._pipeline_of(i)
        values = [on_hand, backlog, on_hand + pipeline - backlog, self._demand_seen[i]]
        values += self._pipe_by[i]
        slots = layout.arrival_slots
        if slots:  # as layout.vector folds them: the last slot sums what comes later
            due = self._due[i]
            if due:  # map over ranges: no comprehension's frame per step
                if slots > 1:
                    values += map(due.get, range(t + 1, t + slots), _ZEROS)
                if len(due) == 1:  # one arrival date (lead times of a period): no scan
                    ((k, x),) = due.items()
                    values.append(0.0 + x if k >= t + slots else 0.0)  # 0.0 + x: as sum adds
                else:
                    values.append(sum(map(due.get, range(t + slots, max(due) + 1), _ZEROS)))
            else:
                values += [0.0] * slots
        if layout.echelon:
            values.append(self._echelon_position(i))
        writer = self._writer
        if writer is None or writer.layout is not layout:
            writer = self._writer = layout.writer()
        return writer.vector(t, values)

    def _echelon_position(self, i: int) -> float:
        """The inventory positions of ``i`` and everything downstream of it, summed (``i``'s
        module observes them)."""
        return sum(
            self._on_hand[k] + self._pipeline_of(k) - self._backlog[k] for k in self._descendants[i]
        )

    def _pipeline_by_supplier(self, i: int) -> tuple[float, ...]:
        return tuple(self._pipe_by[i])

    def _arrivals_of(self, i: int, t: int) -> tuple[float, ...]:
        """What is in transit to ``i``, by the period it is received at the start of."""
        due = self._due[i]
        if not due:
            return ()
        return tuple([due.get(k, 0.0) for k in range(t + 1, max(due) + 1)])

    def _pipeline_of(self, i: int) -> float:
        """The pipeline stock point ``i`` decides on: ordered and not in stock (not received,
        or held in process), except at a manufacturer, where it counts the kits that the
        components held and on order make."""
        if not self._has_work:  # no components, no stock in process anywhere
            return self._pipeline[i]
        if self._components[i] is None:
            return self._pipeline[i] + self._wip[i]
        return min(
            (held + on_order) / e.bom
            for e, held, on_order in zip(
                self._suppliers[i], self._components[i], self._pipe_by[i], strict=True
            )
        )

    def _review(self, i: int, t: int) -> None:
        """Consult ``i``'s decision module and place its orders."""
        self._place(i, self._decide(i, t, self._policy[i]))

    def _decide(self, i: int, t: int, policy: Policy) -> float | list[float]:
        """``i``'s decision module ``policy``'s action, checked."""
        try:
            if type(policy) in self._by_position:  # no observation to build (sim.policy)
                # the inventory position as observe computes it
                action = policy.act_position(
                    self._on_hand[i] + self._pipeline_of(i) - self._backlog[i]
                )
            else:
                action = policy.act(self.observe(i, t))
        except Exception as exc:
            node, product = self.sku_names[i]
            raise PolicyError(
                f"node {node!r} product {product!r}: policy {self._policy[i]!r} raised "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        return self._checked(i, action)

    def _place(self, i: int, action: float | list[float]) -> None:
        """Order ``action`` (checked): a quantity, or a list of one per supplier."""
        if isinstance(action, float):
            if action == 0:  # most reviews: nothing more of i to read
                return
            if self._manufacturer[i]:
                for e in self._suppliers[i]:
                    self._order(e, action * e.bom)
            else:
                self._order(self._suppliers[i][0], action)
            return
        for e, q in zip(self._suppliers[i], action, strict=True):
            if q > 0:
                self._order(e, q)

    def _checked(self, i: int, action: Any) -> float | list[float]:
        """``action`` as a quantity or a list of one per supplier; an error naming the node
        unless every quantity is a finite real number >= 0 (not a string, not a bool).
        A :class:`~sim.policy.Priced` action also posts its price (checked first)."""
        kind = type(action)
        if kind is Priced:
            return self._priced(i, action)
        if kind is float or kind is int or _is_quantity(action):
            q = float(action)
            if 0 <= q < math.inf:
                return q
            self._bad_action(i, action)
        if (
            isinstance(action, str | bytes)
            or not hasattr(action, "__iter__")
            or np.ndim(action) == 0
        ):
            self._bad_action(i, action)
        quantities = list(action)
        if len(quantities) != len(self._suppliers[i]) or not all(map(_is_quantity, quantities)):
            self._bad_action(i, action)
        quantities = [float(q) for q in quantities]
        if not all(0 <= q < math.inf for q in quantities):
            self._bad_action(i, action)
        return quantities

    def _priced(self, i: int, action: Priced) -> float | list[float]:
        """The quantity of ``action``, having posted its price at firm ``i``."""
        node, product = self.sku_names[i]
        who = f"node {node!r} product {product!r}"
        if self._market is None or i not in self._market.firm_of:
            raise ValueError(f"{who}: returned a price, but no market prices this stock point")
        if type(action.quantity) is Priced:
            self._bad_action(i, action)
        quantity = self._checked(i, action.quantity)
        self._market.set_price(i, action.price, f"{who} policy {self._policy[i]!r}")
        return quantity

    def _bad_action(self, i: int, action: Any) -> None:
        node, product, suppliers = self._identity[i]
        raise ValueError(
            f"node {node!r} product {product!r}: policy {self._policy[i]!r} returned {action!r}; "
            f"an action is a finite number >= 0, or one per supplier {list(suppliers)}"
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
        if not edge.ordered:  # its first order in the period: zeroed when the period closes
            self._ordered_edges.append(edge)
        edge.ordered += q
        self._acc_order_cost[i] += edge.unit_cost * q + edge.fixed_cost
        if edge.supplier < 0:  # an external source ships what it is asked for
            if edge.order_lead_time:
                _Message(
                    self.env, edge.order_lead_time, (edge, q), self._calls.source_order, URGENT
                )
            elif edge.source < 0:
                self._ship(edge, q)
            else:
                self._from_source(edge, q)
        elif edge.order_lead_time:
            _Message(self.env, edge.order_lead_time, (edge, q), self._calls.order, URGENT)
        else:
            self._take_order(edge, q)

    def _on_source_order(self, event: _Message) -> None:
        edge, q = event._value
        if edge.source < 0:
            self._ship(edge, q)
        else:
            self._from_source(edge, q)

    def _from_source(self, edge: _Edge, q: float) -> None:
        """An order of ``q`` reaches a source with a capacity: it ships what the period's
        capacity leaves; the rest waits there."""
        x = self._source_orders[edge.source].take(edge, q)
        if x > 0:
            self._ship(edge, x)

    def _on_order(self, event: _Message) -> None:
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
            self._request_review(u)

    def _request_review(self, i: int) -> None:
        """Under continuous review: consult ``i`` once the change that happened now is done
        (an event of its own, so that an external decision can stop the engine there)."""
        if not self._review_due[i]:
            self._review_due[i] = True
            _Message(self.env, 0, i, self._calls.review, URGENT)

    def _review_next(self, i: int, policy: Policy) -> None:
        """Under continuous review, at the end of an event's callbacks: review ``i`` now if
        its review's event would be the very next one (none due now ahead of it: the FIFO
        empty, the heap's head later or less urgent) and ``i`` decides inside the engine;
        else request it. The same order of everything as the event (ids are only compared:
        what the review schedules still comes after what the callback scheduled before it),
        without one: half the events on SupplyNetPy's tree were reviews after a customer.
        ``policy`` is ``i``'s module, which its customer stream carries."""
        env = self.env
        queue = env._queue
        if (
            not env._now_queue
            and (not queue or queue[0][0] > env._now or queue[0][1] > URGENT)
            and type(policy) is not External
        ):
            self._place(i, self._decide(i, self.period, policy))
        else:
            self._request_review(i)

    def _on_review(self, event: _Message) -> None:
        i = event._value
        self._review_due[i] = False
        if type(self._policy[i]) is External:
            self._pending = (i, self.period, False)
            self.env.halt()
            return
        self._review(i, self.period)

    # ------------------------------------------------------------------ closing
    def _close(self, t: int) -> None:
        """Charge period ``t``'s costs and record one row per stock point."""
        records = self._records
        on_hand_level, backlog_level = self._on_hand, self._backlog
        if self._time_weighted:
            # every stock point's _touch in one pass: its levels integrated up to now (read
            # only by rewards and records)
            now = self.env._now
            if records is not None:
                if self._tracked or self.recorder is not None:
                    elapsed = now - records.column("_level_since")
                    on_hand_level = (
                        records.column("_area_on_hand") + records.column("_on_hand") * elapsed
                    ).tolist()
                    backlog_level = (
                        records.column("_area_backlog") + records.column("_backlog") * elapsed
                    ).tolist()
                records.column("_level_since")[:] = now
            else:
                since = self._level_since
                if self._tracked or self.recorder is not None:
                    on_hand_level = [
                        area + x * (now - s)
                        for area, x, s in zip(self._area_on_hand, self._on_hand, since, strict=True)
                    ]
                    backlog_level = [
                        area + x * (now - s)
                        for area, x, s in zip(self._area_backlog, self._backlog, since, strict=True)
                    ]
                since[:] = [now] * len(since)
        if self._market is not None:  # backlogged customers pay the price they arrived at
            self._market.settle()
        for i in self._tracked:
            self._accrue_reward(i, on_hand_level[i], backlog_level[i])
        rec = self.recorder
        if rec is not None:
            held, pipeline = on_hand_level, self._pipeline
            if self._has_work:  # components and stock in process are held too
                held = [
                    x + (sum(c) if c is not None else w)
                    for x, c, w in zip(on_hand_level, self._components, self._wip, strict=True)
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
                self._acc_refused,
                [h * x for h, x in zip(self._holding, held, strict=True)],
                [b * x for b, x in zip(self._backlog_rate, backlog_level, strict=True)],
                [p * x for p, x in zip(self._lost_rate, self._acc_lost, strict=True)],
                self._acc_order_cost,
                transit,
                [p * x for p, x in zip(self._price, self._acc_sales, strict=True)],
            )
            rec.append_edges(t, [e.ordered for e in self._edges], [e.transit for e in self._edges])
        for e in self._ordered_edges:  # the only per-period edge counter
            e.ordered = 0.0
        self._ordered_edges.clear()
        if self._market is not None:
            self._market.close(t)
        if self.arrivals == "poisson":  # what Poisson customers asked for, seen next period
            if records is not None:
                rows = self._customer_rows
                records.column("_demand_seen")[rows] = records.column("_acc_demand")[rows]
            else:
                seen, asked = self._demand_seen, self._acc_demand
                for i in self._with_customers:
                    seen[i] = asked[i]
        if records is not None:
            records.table[:, _ZEROED] = 0.0  # every flow and area (one pass over the table)
            return
        zeros = self._zeros
        for name in _ACCUMULATORS:
            getattr(self, name)[:] = zeros
        if self._time_weighted:
            self._area_on_hand[:] = zeros
            self._area_backlog[:] = zeros

    def _accrue_reward(self, i: int, on_hand_level: float, backlog_level: float) -> None:
        """Add period's money of stock point ``i`` to what :meth:`take_reward` hands out."""
        held = on_hand_level
        if self._makes[i]:  # its components, or its stock in process, are held too
            components = self._components[i]
            held += sum(components) if components is not None else self._wip[i]
        holding, backlog, lost_sales, ordering, transit_holding, revenue = self._reward[i]
        if self.charge_in_transit:
            transit = 0.0
            for e in self._suppliers[i]:
                transit += e.transit_rate * e.transit
            transit_holding += transit
        self._reward[i] = (
            holding + self._holding[i] * held,
            backlog + self._backlog_rate[i] * backlog_level,
            lost_sales + self._lost_rate[i] * self._acc_lost[i],
            ordering + self._acc_order_cost[i],
            transit_holding,
            revenue + self._price[i] * self._acc_sales[i],
        )

    def take_reward(self, node: Any, product: str | None = None) -> Reward:
        """The money of stock point ``(node, product)`` (the first product by default) over
        the periods closed since the last call, and start counting anew. Kept for stock
        points decided from outside, or for all with ``track_rewards=True``; it equals the
        table's cost columns and revenue summed over those periods.

        Raises:
            ValueError: not a stock point, or its rewards are not kept.
        """
        i = self.sku_index.get((node, self.products[0] if product is None else product))
        if i is None:
            raise ValueError(f"take_reward: ({node!r}, {product!r}) is not a stock point")
        return self.take_reward_of(i)

    def take_reward_of(self, i: int) -> Reward:
        """:meth:`take_reward` by stock-point index (see :attr:`sku_names`)."""
        if not self._track_all and type(self._policy[i]) is not External:
            self._untracked(i)
        reward = Reward._make(map(float, self._reward[i]))
        self._reward[i] = _NO_MONEY
        return reward

    def take_cost_of(self, i: int) -> float:
        """``take_reward_of(i).cost`` to the bit, without building the :class:`Reward`: a
        learner's reward every step."""
        if not self._track_all and type(self._policy[i]) is not External:
            self._untracked(i)
        holding, backlog, lost_sales, ordering, transit_holding, _ = self._reward[i]
        self._reward[i] = _NO_MONEY
        return float(holding + backlog + lost_sales + ordering + transit_holding)

    def take_profit_of(self, i: int) -> float:
        """``take_reward_of(i).profit`` to the bit, without building the :class:`Reward`."""
        if not self._track_all and type(self._policy[i]) is not External:
            self._untracked(i)
        holding, backlog, lost_sales, ordering, transit_holding, revenue = self._reward[i]
        self._reward[i] = _NO_MONEY
        return float(revenue - (holding + backlog + lost_sales + ordering + transit_holding))

    def _untracked(self, i: int) -> None:
        node, product = self.sku_names[i]
        raise ValueError(
            f"take_reward: rewards of node {node!r} product {product!r} are not kept; "
            "build the model with track_rewards=True"
        )

    # ------------------------------------------------------------------ results
    def results(self):
        """The per-period table (a pandas DataFrame); see :class:`sim.recorder.Recorder`."""
        if self.recorder is None:
            raise ValueError("this model was built with record=False: it kept no table")
        table = self.recorder.frame()
        return table if self._market is None else self._market.annotate(table)

    def cost_per_period(self, warmup: int = 0) -> float:
        """Mean total network cost per period after ``warmup`` periods (money)."""
        if isinstance(warmup, bool) or not isinstance(warmup, numbers.Integral) or warmup < 0:
            raise ValueError(f"warmup: must be an integer >= 0, got {warmup!r}")
        if self.recorder is None:
            raise ValueError("this model was built with record=False: it kept no table")
        return self.recorder.cost_per_period(warmup)


def names_for_message(nodes: Iterable[Any], shown: int = 12) -> str:
    """Node names for an error message, sorted, at most ``shown`` of them: a network of
    thousands of nodes would otherwise fill the screen."""
    names = sorted(map(str, nodes))
    if len(names) <= shown:
        return str(names)
    return f"{names[:shown]} and {len(names) - shown:,} more"


def _is_quantity(x: Any) -> bool:
    """A real number that is not a bool (numpy numbers and 0-d arrays included)."""
    if isinstance(x, bool | np.bool_):
        return False
    if isinstance(x, numbers.Real):
        return True
    return isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "fiu"


class _PoissonArrivals:
    """The gaps between one stock point's Poisson customers and what each buys, drawn in
    blocks (sizes from their own stream, so that a constant size draws nothing); the stream
    is the event of its next customer (:meth:`wait`), and carries the facts about its stock
    point that a customer's event reads (an object fewer to read, cold, at every customer):
    its rules, and its decision module (``SupplyChainModel._policy[i]`` when the run
    started, which a run does not change), reviewed after a customer under continuous
    review. A stream is due once at a time, so it keeps one entry of the schedule and
    changes it in place (:class:`_Clock`). With the module, the entry and ``_value`` gone
    (a stream carries no payload), at 20,000 nodes on SupplyNetPy's tree an event read 2.0
    lines fewer from the L3 and ran 1,400 instructions fewer (at 200 nodes too): about 5%
    of an event's time at both sizes (``benchmarks/README.md``).

    A customer takes its size through one call into C, a constant's ``__float__`` or the
    iterator over the current block of draws, which raises StopIteration when the block is
    used up (then :meth:`next_size` draws the next; the first customer draws the first).
    The gap to the next customer is read by its index in the current block (:meth:`next_gap`
    draws the next when the index is past its end): an iterator's bound ``__next__`` would be
    two more objects to read, cold in a large network, at every customer. A block is kept as
    packed doubles (``array``), a quarter of the memory of a list of float objects, which on
    SupplyNetPy's tree (150 retailers) is what drawn sizes cost beyond a constant: on the
    very same trajectory, drawn / constant run time went from 1.07 (a list and a Python
    method per customer) to 1.02-1.05 (``benchmarks/customer_sizes.py``). Integer sizes
    come out as floats of the same values."""

    # What a customer's event reads, and the sources of new blocks (read once a block) in
    # one tuple: eleven slots in all, 120 bytes with CPython's headers, a 128-byte block
    # that pymalloc places so that the object proper (104 bytes) starts a cache line: two
    # lines (with the sources as four slots, 160 bytes: three).
    __slots__ = (
        "buys",
        "callbacks",
        "entry",
        "gap_at",
        "gaps",
        "lost_sales",
        "module",
        "serves",
        "sources",
        "stock_point",
        "take_size",
    )
    _ok = True  # (a customer's event never fails)

    def __init__(
        self,
        stock_point: int,
        rate: float,
        rng: np.random.Generator,
        size: Distribution,
        size_rng: np.random.Generator,
        buys: Any,
        module: Policy,
        *,
        lost_sales: bool,
        serves: bool,
    ):
        self.stock_point = stock_point  # the event's own slots are set by wait
        self.entry = [0.0, NORMAL, 0, self]
        self.sources = _ArrivalSources(rng, rate, size, size_rng)
        self.buys = buys  # a price-responsive visitor's choice (sim.market), else None
        self.module = module  # the stock point's decision module, reviewed after a customer
        self.lost_sales = lost_sales  # the stock point's rule for what it cannot sell
        # whether anything can wait to be served at the stock point (else a customer's
        # arrival, which only takes stock, leaves nothing to serve there)
        self.serves = serves
        self.gap_at = 0  # the next gap's index in the current block
        self.gaps = array.array("d")
        self.take_size: Callable[[], float] = (
            _constant_size(float(size.value)) if isinstance(size, Constant) else iter(()).__next__
        )

    def wait(self, env: _Clock, delay: float, callbacks: tuple) -> None:
        """Be due ``delay`` from now (priority ``NORMAL``), handled by ``callbacks``, as a
        :class:`_Message` is scheduled when it is made."""
        self.callbacks = callbacks
        entry = self.entry
        entry[0] = at = env._now + delay
        entry[2] = next(env._eid)
        if at < env._horizon:
            _heappush(env._queue, entry)
        else:  # as a _Message defers itself
            window = at * env._scale
            bucket = env._buckets.get(int(window)) if window < _INF else None
            if bucket is None:
                env._defer(entry)
            else:
                bucket.append(entry)

    def next_size(self) -> float:
        """Draw the next block of sizes; the first of them."""
        sources = self.sources
        self.take_size = iter(_packed(sources.size.draw(sources.size_rng, 0, 1024))).__next__
        return self.take_size()

    def next_gap(self) -> float:
        """Draw the next block of gaps; the first of them."""
        # Blocks double up to _GAP_BLOCK (gap k is draw k of the stream whatever the
        # blocks): short runs of large networks draw little.
        block = min(_GAP_BLOCK, max(16, 2 * len(self.gaps)))
        self.gaps = _packed(self.sources.rng.exponential(1.0 / self.sources.rate, block))
        self.gap_at = 1
        return self.gaps[0]


class _ArrivalSources(NamedTuple):
    """Where a customer stream draws its blocks from: gaps from ``rng`` at ``rate``, sizes
    of distribution ``size`` from ``size_rng``."""

    rng: np.random.Generator
    rate: float
    size: Distribution
    size_rng: np.random.Generator


@functools.lru_cache(maxsize=64)
def _constant_size(size: float) -> Callable[[], float]:
    """A customer's constant size as a call into C, one per size: all retailers of a network
    whose customers buy 10 share one object, which stays in the cache."""
    return size.__float__


class _SourceOrders:
    """The order book of an external source with a capacity (per product): it ships at most
    ``capacity`` units a period in all; an order that reaches it ships at once within what
    the period has left, and the rest waits, oldest first, for the next periods' capacity
    (:meth:`refill`), allocated as the model's ``allocation`` says. Both engines keep their
    sources' books in this class, so they ship the same amounts in the same float steps.
    Entries are ``[edge, owed]``; an edge is whatever the engine ships on."""

    __slots__ = ("capacity", "left", "proportional", "queue", "whole")

    def __init__(self, capacity: float, allocation: str):
        self.capacity = capacity
        self.left = capacity  # what the current period has left to ship
        self.whole = allocation == "whole"
        self.proportional = allocation == "proportional"
        self.queue: deque[list] = deque()

    def take(self, edge: Any, q: float) -> float:
        """Book an order of ``q`` on ``edge``; what ships now (the rest waits)."""
        left = self.left
        if self.queue or left <= 0:  # (orders wait only when the period's capacity is used)
            x = 0.0
        elif q <= left:
            x = q
        elif self.whole:  # an order ships complete or waits
            x = 0.0
        else:
            x = left
        self.left = left - x
        if q > x:
            self.queue.append([edge, q - x])
        return x

    def refill(self) -> list[tuple[Any, float]]:
        """A new period: its capacity, spent on the waiting orders first; the shipments
        ``(edge, quantity)`` in the order of the orders."""
        queue, left = self.queue, self.capacity
        shipped = []
        if self.proportional and len(queue) > 1:
            owed = [entry[1] for entry in queue]
            total = sum(owed)
            if left >= total:
                shares = owed
            else:
                shares = [left * q / total for q in owed]
                if float(left).is_integer() and all(float(q).is_integer() for q in owed):
                    shares = _largest_remainder(shares, int(left))
            for entry, x in zip(queue, shares, strict=True):
                if x > 0:
                    entry[1] -= x
                    shipped.append((entry[0], x))
            self.queue = deque(entry for entry in queue if entry[1] > 0)
            self.left = max(0.0, left - sum(shares))  # no float residue below zero
            return shipped
        while queue and left > 0:
            entry = queue[0]
            if entry[1] <= left:
                x = entry[1]
            elif self.whole:
                break
            else:
                x = left
            left -= x
            entry[1] -= x
            shipped.append((entry[0], x))
            if entry[1] <= 0:
                queue.popleft()
        self.left = left
        return shipped


def _largest_remainder(shares: list[float], total: int) -> list[float]:
    """Round ``shares`` (summing to the integer ``total``) to integers keeping the sum."""
    floors = [math.floor(s) for s in shares]
    rest = total - sum(floors)
    by_remainder = sorted(range(len(shares)), key=lambda k: floors[k] - shares[k])
    for k in by_remainder[:rest]:
        floors[k] += 1
    return [float(f) for f in floors]
