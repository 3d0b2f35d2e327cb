"""Drawn against constant customer sizes in the event engine, on SupplyNetPy's reference tree.

Run: ``python benchmarks/customer_sizes.py`` (``--rounds``, ``--nodes``, ``--window``).
The tree of ``benchmarks/supplynetpy.py`` (continuous review, Poisson customers of rate 1
at every retailer, 500 periods) is built twice per round, the customers buying a constant
10 units in one and a drawn size in the other, and the two models run in alternating
windows of ``--window`` periods in one process (CPU time), so that the machine's load falls
on both alike. Per round it prints the ratio of their total times (drawn / constant), for:

* ``same run``: sizes drawn from a distribution that always gives 10 (``discrete`` on
  ``[10, 10]``): the very same trajectory, so the ratio is the cost of drawing alone;
* ``9-11``: sizes drawn from {9, 10, 11} with probabilities 1/4, 1/2, 1/4 (the issue's
  target: at most 10% slower), a different trajectory of about as many events;
* ``control``: both constant (the measurement's own spread).

Round ``k`` uses seed ``k`` in all three.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time

from supplynetpy import PERIODS, supplysim_model

CASES = {
    "same run": {"dist": "discrete", "values": [10, 10], "probs": [0.5, 0.5]},
    "9-11": {"dist": "discrete", "values": [9, 10, 11], "probs": [0.25, 0.5, 0.25]},
    "control": 10,
}


def ratio(nodes: int, seed: int, size: object, window: int) -> float:
    """CPU time of the model with customers of ``size`` over that with constant 10 units."""
    models = [supplysim_model(nodes, seed, False, 10), supplysim_model(nodes, seed, False, size)]
    spent = [0.0, 0.0]
    gc.collect()
    for w in range(PERIODS // window):
        for k in (0, 1) if w % 2 == 0 else (1, 0):
            start = time.process_time()
            models[k].run(window)
            spent[k] += time.process_time() - start
    return spent[1] / spent[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--window", type=int, default=5, help="periods per window")
    args = parser.parse_args()
    print("| case | drawn / constant per round | median |")
    print("|---|---|---|")
    for name, size in CASES.items():
        ratios = [ratio(args.nodes, seed, size, args.window) for seed in range(args.rounds)]
        rounds = ", ".join(f"{r:.3f}" for r in ratios)
        print(f"| {name} | {rounds} | {statistics.median(ratios):.3f} |", flush=True)


if __name__ == "__main__":
    main()
