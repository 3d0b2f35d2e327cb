"""The event engine's cost per event against network size, on SupplyNetPy's reference tree.

The tree of ``benchmarks/supplynetpy.py`` (no table): each size runs ``--warmup`` periods
untimed (every edge has drawn its first lead times, the pipelines are filled), then a window
of periods scaled so that every size processes about ``--events`` events (the tree makes
about 0.89 events per node and period: a customer's review is part of its event when
nothing else is due at that instant). Prints CPU microseconds per event and per
node-period, the events (SimPy event ids used) and the pending events at the window's
start (the heap's size).

    python benchmarks/event_scaling.py --nodes 200 2000 20000

On a shared machine run the sizes more than once and compare within one run.
"""

from __future__ import annotations

import argparse
import time

from supplynetpy import supplysim_model

EVENTS_PER_NODE_PERIOD = 0.89


def per_event(nodes: int, events: int, warmup: int, seed: int = 0) -> dict:
    model = supplysim_model(nodes, seed, record=False)
    model.run(warmup)
    periods = max(1, round(events / (EVENTS_PER_NODE_PERIOD * nodes)))
    first = next(model.env._eid)
    pending = len(model.env._queue)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[200, 2000, 20000])
    parser.add_argument("--events", type=int, default=330_000)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    print("| nodes | periods timed | events | pending events | µs per event | µs per node-period |")
    print("|---|---|---|---|---|---|")
    for nodes in args.nodes:
        r = per_event(nodes, args.events, args.warmup)
        print(
            f"| {nodes:,} | {r['periods']} | {r['events']:,} | {r['pending']:,} "
            f"| {r['us']:.2f} | {r['us_node_period']:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
