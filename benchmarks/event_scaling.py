"""The event engine's cost per event against network size, on SupplyNetPy's reference tree.

The tree of ``benchmarks/supplynetpy.py`` (no table): each size runs ``--warmup`` periods
untimed (every edge has shipped and drawn its first lead times, checked; the pipelines are
filled), then a window of periods scaled so that every size processes about ``--events``
events (the tree makes about 0.89 events per node and period: a customer's review is part
of its event when nothing else is due at that instant). Prints CPU microseconds per event
and per node-period, the events (SimPy event ids used) and the pending events at the
window's start (about one per node: a customer per retailer, the shipments in transit).

Beside it, in the same run, the control: :func:`hand_written`, the same tree as a bare
event loop (one heap of tuples, a list of floats per field, (s, S) inline, one random stream
and one block of draws per node, no engine, no policies, no records), timed over the same
periods. What the control's cost per node-period gains from 200 to 20,000 nodes is what
memory costs a Python loop on this machine; the engine's growth is to be read against it.

    python benchmarks/event_scaling.py --nodes 200 2000 20000

With ``--compare calendar``, the engine's calendar against one heap in the same process:
one model per size, windows of the same length alternating between the two (the pending
events rebuilt at each switch), median CPU microseconds per event of ``--rounds`` windows
each. With ``--compare packed``, the same for the stock points' quantities packed in one
record per stock point against lists of floats (``SupplyChainModel.PACKED_FROM``; converted
at each switch, so the lists start each window freshly allocated, in index order).

On a shared machine, ``--repeat N`` runs every size in a process of its own, N rounds, the
sizes' order reversed every other round, and prints per size the median and the range of
its rounds, and the ratio of its cost per event to the first size's in the same round
(median and range): a round's sizes share the host's state of the moment (on a VM whose
neighbours moved one run's 200-node figure from 2.6 to 5.4 µs an event), and each size
starts in a fresh interpreter, as a user's run would.

    python benchmarks/event_scaling.py --nodes 200 20000 --repeat 8
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import math
import multiprocessing
import statistics
import time
from array import array
from collections import deque
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from supplynetpy import POLICY, sizes, supplysim_model

from sim.model import _QUANTITIES

EVENTS_PER_NODE_PERIOD = 0.89


def window(nodes: int, events: int) -> int:
    """Periods that make about ``events`` events on the tree of ``nodes`` nodes."""
    return max(1, round(events / (EVENTS_PER_NODE_PERIOD * nodes)))


def warmed(nodes: int, warmup: int, seed: int = 0):
    """The tree of ``nodes`` nodes after ``warmup`` periods, every edge past its first
    shipment: an edge draws its first lead times on it (a random stream made, a block
    drawn), a cost per edge that a window right after too short a warm-up would count as
    events (after 10 periods, 64% of the edges at 2,000 nodes had not shipped yet)."""
    model = supplysim_model(nodes, seed, record=False)
    model.run(warmup)
    idle = sum(edge.rng is None for edge in model._edges)
    if idle:
        raise SystemExit(
            f"--warmup {warmup}: {idle:,} of {len(model._edges):,} edges at {nodes:,} nodes "
            "have not shipped yet; warm up longer"
        )
    return model


def per_event(nodes: int, events: int, warmup: int, seed: int = 0) -> dict:
    model = warmed(nodes, warmup, seed)
    periods = window(nodes, events)
    first = next(model.env._eid)
    pending = model.env.pending()
    start = time.process_time()
    model.run(periods)
    seconds = time.process_time() - start
    done = next(model.env._eid) - first - 1  # the look at the counter above took one
    return {
        "periods": periods,
        "events": done,
        "pending": pending,
        "us": seconds / done * 1e6,
        "us_node_period": seconds / (periods * nodes) * 1e6,
    }


def measured(nodes: int, events: int, warmup: int) -> dict:
    """:func:`per_event` and the control's µs per node-period over the same periods."""
    r = per_event(nodes, events, warmup)
    r["control"] = hand_written(nodes, warmup, r["periods"])["us_node_period"]
    return r


def repeated(
    node_counts: list[int], events: int, warmup: int, rounds: int
) -> dict[int, list[dict]]:
    """:func:`measured` for every size in a fresh process, ``rounds`` rounds, the sizes'
    order reversed every other round; per size, its rounds in order."""
    runs: dict[int, list[dict]] = {nodes: [] for nodes in node_counts}
    order = list(runs)  # (a size named twice runs once a round)
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn, max_tasks_per_child=1) as pool:
        for r in range(rounds):
            for nodes in order if r % 2 == 0 else order[::-1]:
                runs[nodes].append(pool.submit(measured, nodes, events, warmup).result())
    return runs


def spread(values: list[float], digits: int) -> str:
    """Median and range, e.g. ``2.71 (2.63-3.04)``."""
    median, low, high = statistics.median(values), min(values), max(values)
    return f"{median:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"


def use_calendar(model, calendar: bool) -> None:
    """The calendar (or one heap) from now on; the ticks' retune keeps the choice."""
    model.env.CALENDAR_FROM = 0 if calendar else math.inf
    model.env.rebuild(calendar=calendar)


def use_packed(model, packed: bool) -> None:
    """The stock points' quantities packed in records (or lists of floats) from now on."""
    columns = {name: list(getattr(model, name)) for name in _QUANTITIES}
    model._packed = packed
    model._pack(columns)


def alternating(nodes: int, events: int, warmup: int, rounds: int, switch) -> dict:
    """Median CPU µs per event with ``switch(model, True)`` and with ``switch(model,
    False)``: one model, windows of the same length alternating (which goes first, too)."""
    model = warmed(nodes, warmup)
    env = model.env
    periods = window(nodes, events)
    times: dict[bool, list[float]] = {True: [], False: []}
    for r in range(rounds):
        for on in (r % 2 == 0, r % 2 == 1):
            switch(model, on)
            first = next(env._eid)
            start = time.process_time()
            model.run(periods)
            seconds = time.process_time() - start
            times[on].append(seconds / (next(env._eid) - first - 1) * 1e6)
    return {on: statistics.median(t) for on, t in times.items()}


def hand_written(nodes: int, warmup: int, periods: int, seed: int = 0) -> dict:
    """The tree as a bare event loop: customers of 10 units (whole or lost), (s, S) at each
    change of a stock point's position, whole orders shipped first come first served,
    exponential lead times of mean 3, time-weighted stock on hand. CPU seconds of
    ``periods`` after ``warmup``, per node-period."""
    _, n_dist, n_ret = sizes(nodes)
    n = n_dist + n_ret  # distributors first, then retailers
    parent = [-1] * n_dist + [k % n_dist for k in range(n_ret)]
    low = [float(POLICY["distributor"][0])] * n_dist + [float(POLICY["retailer"][0])] * n_ret
    high = [float(POLICY["distributor"][1])] * n_dist + [float(POLICY["retailer"][1])] * n_ret
    on_hand, position = list(high), list(high)
    area, since = [0.0] * n, [0.0] * n
    owed: list[deque] = [deque() for _ in range(n_dist)]
    rng = [np.random.default_rng([seed, k]) for k in range(n)]
    blocks = [[array("d"), 0, array("d"), 0] for _ in range(n)]  # gaps, next, leads, next

    def draw(k: int, which: int, mean: float) -> float:
        block = blocks[k]
        if block[which + 1] >= len(block[which]):
            block[which] = array("d", rng[k].exponential(mean, 256).tobytes())
            block[which + 1] = 0
        block[which + 1] += 1
        return block[which][block[which + 1] - 1]

    seq = itertools.count()
    heap = [(draw(k, 0, 1.0), next(seq), -1.0, k) for k in range(n_dist, n)]
    heapq.heapify(heap)
    push, pop = heapq.heappush, heapq.heappop

    def order(k: int, now: float) -> None:
        q = high[k] - position[k]
        position[k] = high[k]
        if k < n_dist:  # from an unlimited supplier
            push(heap, (now + draw(k, 2, 3.0), next(seq), q, k))
            return
        d = parent[k]
        owed[d].append((k, q))
        position[d] -= q
        serve(d, now)
        if position[d] <= low[d]:
            order(d, now)

    def serve(d: int, now: float) -> None:
        queue = owed[d]
        while queue and queue[0][1] <= on_hand[d]:
            k, q = queue.popleft()
            area[d] += on_hand[d] * (now - since[d])
            since[d] = now
            on_hand[d] -= q
            push(heap, (now + draw(k, 2, 3.0), next(seq), q, k))

    def run(until: float) -> None:
        while heap[0][0] < until:
            now, _, q, k = pop(heap)
            area[k] += on_hand[k] * (now - since[k])
            since[k] = now
            if q < 0:  # a customer
                if on_hand[k] >= 10.0:
                    on_hand[k] -= 10.0
                    position[k] -= 10.0
                    if position[k] <= low[k]:
                        order(k, now)
                push(heap, (now + draw(k, 0, 1.0), next(seq), -1.0, k))
            else:  # a shipment arrives
                on_hand[k] += q
                if k < n_dist:
                    serve(k, now)

    run(warmup)
    start = time.process_time()
    run(warmup + periods)
    seconds = time.process_time() - start
    return {"us_node_period": seconds / (periods * nodes) * 1e6 if periods else math.nan}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[200, 2000, 20000])
    parser.add_argument("--events", type=int, default=330_000)
    parser.add_argument("--warmup", type=int, default=60)
    parser.add_argument(
        "--compare",
        choices=["calendar", "packed"],
        help="in one model, windows alternating: the calendar against one heap, or packed "
        "doubles against lists of floats for the stock points' quantities",
    )
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="rounds of every size, each in a process of its own (median and range)",
    )
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat: at least 1")
    if args.repeat > 1 and args.compare:
        parser.error("--repeat times each size in its own process; --compare uses --rounds")
    comparison = {
        "calendar": (use_calendar, "calendar", "one heap"),
        "packed": (use_packed, "packed doubles", "lists of floats"),
    }.get(args.compare)
    if comparison is not None:
        switch, on, off = comparison
        print(f"| nodes | µs per event, {on} | {off} | ratio |")
        print("|---|---|---|---|")
        for nodes in args.nodes:
            r = alternating(nodes, args.events, args.warmup, args.rounds, switch)
            print(
                f"| {nodes:,} | {r[True]:.2f} | {r[False]:.2f} | {r[True] / r[False]:.3f} |",
                flush=True,
            )
        return
    if args.repeat > 1:
        runs = repeated(args.nodes, args.events, args.warmup, args.repeat)
        first = runs[args.nodes[0]]
        print(
            f"median (range) of {args.repeat} rounds, every size in a process of its own\n"
            f"| nodes | µs per event | × {args.nodes[0]:,} nodes, same round "
            "| control: µs per node-period |"
        )
        print("|---|---|---|---|")
        for nodes, rounds in runs.items():
            ratios = [r["us"] / f["us"] for r, f in zip(rounds, first, strict=True)]
            ratio = "—" if rounds is first else spread(ratios, 3)
            print(
                f"| {nodes:,} | {spread([r['us'] for r in rounds], 2)} | {ratio} "
                f"| {spread([r['control'] for r in rounds], 2)} |"
            )
        return
    print(
        "| nodes | periods timed | events | pending events | µs per event "
        "| µs per node-period | control: µs per node-period | engine / control |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for nodes in args.nodes:
        r = measured(nodes, args.events, args.warmup)
        print(
            f"| {nodes:,} | {r['periods']} | {r['events']:,} | {r['pending']:,} "
            f"| {r['us']:.2f} | {r['us_node_period']:.2f} | {r['control']:.2f} "
            f"| {r['us_node_period'] / r['control']:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
