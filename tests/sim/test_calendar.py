"""The event engine's calendar (``_Clock``): with many events pending, later windows wait in
buckets; the order of events stays SimPy's, (time, priority, scheduling order), exactly."""

from __future__ import annotations

import collections
import heapq
import math
import pickle
from array import array

import networkx as nx
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st
from simpy.events import NORMAL, URGENT

from agents import SS
from sim import SupplyChainModel
from sim import model as engine
from sim.model import _Clock, _Message, _PoissonArrivals


@pytest.fixture
def calendar_always(monkeypatch):
    """The calendar from 8 pending events on, with windows of about 2."""
    monkeypatch.setattr(_Clock, "CALENDAR_FROM", 8)
    monkeypatch.setattr(_Clock, "CALENDAR_WINDOW", 2)


def tree(retailers: int = 24, seed: int = 0, log: bool = True) -> SupplyChainModel:
    """SupplyNetPy's reference tree in small: (s, S) at a warehouse and its retailers,
    exponential lead times, Poisson customers of drawn sizes, continuous review."""
    g = nx.DiGraph()
    lead = {"dist": "exponential", "mean": 3}
    g.add_node("S", role="supplier")
    g.add_node("D", role="warehouse", initial_stock=400, holding_cost=1.0)
    g.add_edge("S", "D", lead_time=lead)
    policies = {"D": SS(s=100, S=400)}
    for k in range(retailers):
        g.add_node(
            f"R{k}",
            role="retailer",
            initial_stock=150,
            holding_cost=1.0,
            shortage="lost_sales",
            demand={"dist": "compound_poisson", "rate": 1, "size": {"dist": "poisson", "mean": 9}},
        )
        g.add_edge("D", f"R{k}", lead_time=lead)
        policies[f"R{k}"] = SS(s=40, S=150)
    return SupplyChainModel(
        g, policies, review="continuous", arrivals="poisson", seed=seed, log=log
    )


def run(model: SupplyChainModel, periods: int) -> tuple:
    model.run(periods)
    return model.event_log, model.results()


@pytest.mark.parametrize("window", [1, 2, 16])
def test_the_calendar_keeps_every_event_in_simpys_order(monkeypatch, window):
    log, table = run(tree(), 30)
    monkeypatch.setattr(_Clock, "CALENDAR_FROM", 8)
    monkeypatch.setattr(_Clock, "CALENDAR_WINDOW", window)
    model = tree()
    log_calendar, table_calendar = run(model, 30)
    assert model.env._scale > 0  # the calendar was in use
    assert log_calendar == log
    assert table_calendar.equals(table)


class _WholeGaps(_PoissonArrivals):
    """Customers 1, 0.5, 0.5 and 2 periods apart: due at the same instants as each other
    and as the periods' ticks."""

    __slots__ = ()

    def next_gap(self) -> float:
        self.gaps = array("d", [1.0, 0.5, 0.5, 2.0] * 4)
        self.gap_at = 1
        return self.gaps[0]


class _NewEntries(_WholeGaps):
    """A stream scheduled for each customer as a new event, through the clock's ``schedule``
    (SimPy's ``Environment.schedule``)."""

    __slots__ = ()

    def wait(self, env: _Clock, delay: float, callbacks: tuple) -> None:
        self.callbacks = callbacks
        env.schedule(self, NORMAL, delay)


@pytest.mark.parametrize("calendar", [False, True])
def test_a_stream_due_again_keeps_the_order_of_a_new_event(monkeypatch, calendar):
    """A customer stream changes its one entry in place when it is due again: the same
    run as with a new entry each time, ties with other customers and with ticks included
    (SimPy breaks them by the order events were scheduled in)."""
    if calendar:
        monkeypatch.setattr(_Clock, "CALENDAR_FROM", 8)
        monkeypatch.setattr(_Clock, "CALENDAR_WINDOW", 2)
    runs = []
    for stream in (_WholeGaps, _NewEntries):
        monkeypatch.setattr(engine, "_PoissonArrivals", stream)
        model = tree(retailers=6)
        runs.append(run(model, 20))
        assert (model.env._scale > 0) == calendar
    (log, table), (log_new, table_new) = runs
    demand_at = collections.Counter(row[0] for row in log if row[1] == "demand")
    assert max(demand_at.values()) >= 6 and 5.0 in demand_at  # ties, one of them with a tick
    assert log == log_new
    assert table.equals(table_new)


def test_a_model_pickled_mid_run_with_its_calendar_runs_on_the_same(calendar_always):
    model = tree()
    model.run(12)
    assert model.env._buckets  # events wait in buckets
    copy = pickle.loads(pickle.dumps(model))
    model.run(10)
    copy.run(10)
    assert copy.event_log == model.event_log
    assert copy.results().equals(model.results())


def test_the_calendar_is_left_when_few_events_are_pending(calendar_always, monkeypatch):
    env = _Clock()
    for k in range(40):
        env.schedule(simpy.Event(env), delay=k / 8)
    env.retune()
    assert env._scale > 0 and env._buckets
    monkeypatch.setattr(_Clock, "CALENDAR_FROM", 1000)
    env._windows, env._windowed = 1, 1000  # windows far too full: rebuilt, as one heap
    env.retune()
    assert env._scale == 0 and not env._buckets and len(env._queue) == 40


@pytest.mark.parametrize("how", ["schedule", "message"])
def test_an_event_due_at_the_horizon_waits_for_the_next_window(how):
    """The heap holds the events due before the horizon; one due at it goes to the next
    window's bucket, behind those already there (SimPy's order at equal times)."""
    env = _Clock()
    env.CALENDAR_WINDOW = 1

    def schedule(delay: float, priority: int = NORMAL) -> None:
        if how == "schedule":
            env.schedule(simpy.Event(env), priority=priority, delay=delay)
        else:  # the engine's own events
            _Message(env, delay, None, (), priority)

    for delay in (0.5, 1.0, 2.0):
        schedule(delay)
    env.rebuild(calendar=True)  # windows of length 1: the next two come due within 1.0
    assert env._horizon == 1.0 and env._buckets
    schedule(1.0)  # id 3, due at the horizon
    schedule(1.0, URGENT)  # id 4
    taken = [tuple(env._pop()[:3]) for _ in range(5)]
    assert taken == [(0.5, 1, 0), (1.0, 0, 4), (1.0, 1, 1), (1.0, 1, 3), (2.0, 1, 2)]


@settings(max_examples=300, deadline=None)
@given(
    delays=st.lists(
        st.tuples(
            st.sampled_from([0.0, 0.25, 0.5, 1.0, 3.0, 1e-9, math.inf]) | st.floats(0, 50),
            st.sampled_from([0, 1, 2]),
            st.integers(0, 3),
            st.booleans(),
        ),
        min_size=1,
        max_size=120,
    ),
    window=st.integers(1, 8),
    retune_every=st.integers(1, 10),
    takes=st.lists(st.sampled_from(["peek", "pop", "step"]), min_size=1, max_size=5),
)
def test_events_come_out_as_from_one_heap(delays, window, retune_every, takes):
    """Each event taken schedules the next few of ``delays`` (as many as the third field of
    the next of them says) at its time plus their delays, through ``schedule`` or as the
    engine's own events (a ``_Message`` schedules itself: the fourth field); ``retune``
    runs every few events. An event is taken by ``_pop`` (after ``peek`` or not) or
    processed by SimPy's ``step``, in turns. The clock gives the events in the order of one
    heap of SimPy's keys (time, priority, id), ties at the windows' edges included."""
    env = _Clock()
    env.CALENDAR_FROM, env.CALENDAR_WINDOW = 4, window
    todo = list(delays)
    heap: list[tuple] = []
    processed: list[tuple] = []

    def schedule(n: int) -> None:
        for _ in range(n):
            if todo:
                delay, priority, _, message = todo.pop()
                key = (env._now + delay, priority, len(delays) - len(todo) - 1)
                heapq.heappush(heap, key)
                done = (lambda _, key=key: processed.append(key),)
                if message:
                    _Message(env, delay, None, done, priority)
                else:
                    event = simpy.Event(env)
                    event._ok, event._value = True, None
                    event.callbacks.extend(done)
                    env.schedule(event, priority=priority, delay=delay)

    schedule(8)
    while heap:
        if len(todo) % retune_every == 0:
            env.retune()
        take = takes[len(heap) % len(takes)]
        expected = heapq.heappop(heap)
        if take == "step":
            env.step()
            assert processed[-1] == expected and env.now == expected[0]
        else:
            if take == "peek":
                assert env.peek() == expected[0]
            assert tuple(env._pop()[:3]) == expected
            env._now = expected[0]
        schedule(todo[-1][2] if todo else 0)
    assert env.peek() == float("inf")
