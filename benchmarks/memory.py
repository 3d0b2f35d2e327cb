"""Peak memory of ``supplysim run`` against the number of replications.

Run: ``python benchmarks/memory.py`` (about a minute on 2 cores; ``--nodes`` and
``--periods`` set the size). Replicates a one-warehouse, many-retailer network (base-stock
everywhere) 2, 8 and 32 times on 2 workers, each count in a fresh process, and prints the
peak resident memory of that parent process (``ru_maxrss``) when the per-period tables are
streamed to ``periods.parquet`` (what ``supplysim run`` does) and when they are all kept in
memory and concatenated (what it did before). Record the table in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

COUNTS = (2, 8, 32)


def scenario(nodes: int, periods: int):
    from scenarios import Scenario

    return Scenario.from_dict(
        {
            "name": "memory",
            "network": {"builder": "distribution", "args": {"n_retailers": nodes - 2}},
            "roles": {
                "warehouse": {"policy": {"kind": "base_stock", "level": 30 * nodes}},
                "retailer": {"policy": {"kind": "base_stock", "level": 20}},
            },
            "run": {"periods": periods, "warmup": 0, "replications": 1},
        }
    )


def measure(mode: str, n: int, nodes: int, periods: int) -> None:
    """In this process: replicate, then print the peak resident memory in MB."""
    from analysis.experiment import replicate

    model = scenario(nodes, periods)
    with tempfile.TemporaryDirectory() as folder:
        if mode == "streamed":
            replicate(model, n=n, workers=2, periods_file=Path(folder) / "periods.parquet")
        else:
            replicate(model, n=n, workers=2, keep_periods=True)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=500)
    parser.add_argument("--periods", type=int, default=200)
    parser.add_argument("--one", nargs=2, metavar=("MODE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        measure(args.one[0], int(args.one[1]), args.nodes, args.periods)
        return
    cells = args.nodes * args.periods
    print(f"{args.nodes} nodes × {args.periods} periods a replication, 2 workers")
    print(f"peak resident memory of the parent process, MB ({cells:,} node-periods each)\n")
    print("| replications | streamed to periods.parquet | kept and concatenated |")
    print("|---|---|---|")
    for n in COUNTS:
        peaks = []
        for mode in ("streamed", "kept"):
            command = [sys.executable, __file__, "--nodes", str(args.nodes),
                       "--periods", str(args.periods), "--one", mode, str(n)]  # fmt: skip
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            peaks.append(float(done.stdout.split()[-1]))
        print(f"| {n} | {peaks[0]:.0f} | {peaks[1]:.0f} |")


if __name__ == "__main__":
    main()
