"""Throughput of replications: one worker against two (and more, if the machine has them).

Run: ``python benchmarks/replications.py`` (about 10 s on 2 cores). Replicates the
``clark_scarf`` scenario (4-stage serial, 2,200 periods a replication) and prints
replications per second for each worker count, the speed-up over one worker, and checks
that every worker count gave the same numbers. Record the figures in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import os
import time

import pandas as pd

from analysis.experiment import replicate
from scenarios import resolve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=64)
    parser.add_argument("--scenario", default="clark_scarf")
    args = parser.parse_args()
    scenario = resolve(args.scenario)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    reference = None
    base_rate = None
    for workers in sorted({1, 2, cores}):
        start = time.perf_counter()
        result = replicate(scenario, n=args.replications, workers=workers)
        elapsed = time.perf_counter() - start
        rate = args.replications / elapsed
        base_rate = base_rate or rate
        if reference is None:
            reference = result.kpis
        else:
            pd.testing.assert_frame_equal(reference, result.kpis)
        print(
            f"{args.scenario}: {args.replications} replications × {scenario.periods} periods, "
            f"{workers} worker(s): {rate:.2f} replications/s ({elapsed:.2f} s), "
            f"speed-up {rate / base_rate:.2f}×"
        )
    print("identical results for every worker count")


if __name__ == "__main__":
    main()
