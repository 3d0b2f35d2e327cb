"""What an event of the event engine reaches, counted by Cachegrind, against network size.

The tree of ``benchmarks/supplynetpy.py`` (no table), as in ``benchmarks/event_scaling.py``,
run twice per size under Valgrind's Cachegrind: built and run ``--warmup`` periods, then the
same followed by a window of periods (about ``--events`` events). The difference of the two
runs' counts over the window's events is what one event costs in instructions, data reads,
first-level data misses and misses of a simulated last-level cache (``--ll`` bytes, 16-way,
64-byte lines: a miss there is a line fetched from memory). Beside it, in the same way, the
control of ``event_scaling.py`` (:func:`event_scaling.hand_written`: the same tree as a bare
event loop), per node-period.

Unlike a timing, the counts do not depend on the host's load or clock, but they are not
exact either: where objects land in memory changes from run to run (the children run with
``PYTHONHASHSEED=0``), and with it a few hundred instructions an event. The same code
counted 23,862 and 24,323 instructions an event at 200 nodes in two runs (2%), so a
difference smaller than that between two single runs is not a change. They leave out what
the hardware hides (prefetching, lines in flight at once) and do not weigh a miss by its
latency: they count, the timings of ``event_scaling.py`` measure.

Needs ``valgrind`` (``apt install valgrind``; not a Python package) and is slow: Cachegrind
runs Python about 50 times slower, so 20,000 nodes take about half an hour.

    python benchmarks/event_misses.py --nodes 200 2000 20000

The default, 8 MiB, is what a process got of the L3 before memory on the 2-core AMD EPYC
VM where this was written (a pointer chase, ``benchmarks/pointer_chase.c``: 16-19 ns a load
up to 6 MiB, 46-61 at 8 MiB, 100-160 past 10 MiB, when the neighbours are quiet; ``lscpu``
reports 32 MiB); on an Intel Xeon VM it was about 20 MiB, simulated as ``--ll 16777216``
(the simulated size is a power of two times 16 ways; both in ``benchmarks/README.md``): run
the chase and pick ``--ll`` for the host. With ``--ll
1048576`` the simulated cache is a 1 MiB second level: what an event reads from the L3
rather than from memory.
``--by-function N`` adds, per size, the N C functions whose misses grew most over the
window (the interpreter's own loop stands for the objects Python code reads: their
reference counts and slots).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

from event_scaling import hand_written, warmed, window

COUNTS = ("Ir", "Dr", "D1mr", "DLmr", "DLmw")


def child(what: str, nodes: int, warmup: int, periods: int) -> None:
    """Run the engine (or the control), print the window's events as JSON and leave at
    once: the interpreter's teardown (a last collection, every object freed) would count
    more in the run that made more objects."""
    events = None
    if what == "control":
        hand_written(nodes, warmup, periods)
    else:
        model = warmed(nodes, warmup)
        first = next(model.env._eid)
        model.run(periods)
        events = next(model.env._eid) - first - 1
    print(json.dumps({"events": events}), flush=True)
    os._exit(0)


def misses_by_function(lines: list[str]) -> collections.Counter:
    """Last-level misses (read and written) per ``(file, function)`` of a Cachegrind
    output file's lines (uncompressed names, as Valgrind 3.19 writes them)."""
    names = next(line for line in lines if line.startswith("events:")).split()[1:]
    read, written = names.index("DLmr"), names.index("DLmw")
    misses: collections.Counter = collections.Counter()
    where = None
    for line in lines:
        if line.startswith("fl="):
            file = os.path.basename(line[3:])
        elif line.startswith("fn="):
            where = (file, line[3:])
        elif where is not None and line[:1].isdigit():
            counts = line.split()[1:]  # the first number is the source line
            counts += ["0"] * (len(names) - len(counts))  # trailing zeros are left out
            misses[where] += int(counts[read]) + int(counts[written])
    return misses


def counted(what: str, nodes: int, warmup: int, periods: int, ll: int) -> dict:
    """Cachegrind's totals for one run of :func:`child`, what it printed, and its misses
    per function (``"by_function"``)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cachegrind.out")
        run = subprocess.run(
            [
                "valgrind",
                "--tool=cachegrind",
                "--cache-sim=yes",
                f"--LL={ll},16,64",
                f"--cachegrind-out-file={out}",
                sys.executable,
                __file__,
                "--child",
                what,
                str(nodes),
                str(warmup),
                str(periods),
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},  # the two runs alike but for the window
        )
        if run.returncode:
            sys.exit(f"event_misses.py: the {what} at {nodes:,} nodes failed:\n{run.stderr}")
        with open(out) as f:
            lines = f.read().splitlines()
    names = next(line for line in lines if line.startswith("events:")).split()[1:]
    totals = next(line for line in lines if line.startswith("summary:")).split()[1:]
    result = dict(zip(names, map(int, totals), strict=True))
    result.update(json.loads(run.stdout.splitlines()[-1]))
    result["by_function"] = misses_by_function(lines)
    return result


def per_window(what: str, nodes: int, warmup: int, periods: int, ll: int) -> dict:
    """The counts of a window of ``periods`` after ``warmup``: a run with it less one without."""
    before = counted(what, nodes, warmup, 0, ll)
    after = counted(what, nodes, warmup, periods, ll)
    counts = {name: after[name] - before[name] for name in COUNTS}
    counts["events"] = after["events"]
    counts["by_function"] = after["by_function"]
    counts["by_function"].subtract(before["by_function"])
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[200, 2000, 20000])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--warmup", type=int, default=60)
    parser.add_argument(
        "--ll", type=int, default=8 << 20, help="the simulated last-level cache, bytes"
    )
    parser.add_argument(
        "--by-function",
        type=int,
        default=0,
        metavar="N",
        help="also print the N functions whose misses an event grew most, per size",
    )
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        what, *numbers = args.child
        child(what, *map(int, numbers))
        return
    if shutil.which("valgrind") is None:
        sys.exit("event_misses.py: needs valgrind on the PATH (apt install valgrind)")
    print(
        f"simulated last-level cache {args.ll / 2**20:g} MiB; counts per event "
        "(the control: per node-period)"
    )
    print(
        "| nodes | events | instructions | data reads | L1 misses | last-level misses, read "
        "| written | per node-period | control: last-level misses per node-period |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    by_function = []
    for nodes in args.nodes:
        periods = window(nodes, args.events)
        engine = per_window("engine", nodes, args.warmup, periods, args.ll)
        control = per_window("control", nodes, args.warmup, periods, args.ll)
        e = engine["events"]
        misses = engine["DLmr"] + engine["DLmw"]
        control_misses = control["DLmr"] + control["DLmw"]
        print(
            f"| {nodes:,} | {e:,} | {engine['Ir'] / e:,.0f} | {engine['Dr'] / e:,.0f} "
            f"| {engine['D1mr'] / e:.1f} | {engine['DLmr'] / e:.1f} | {engine['DLmw'] / e:.1f} "
            f"| {misses / (periods * nodes):.1f} | {control_misses / (periods * nodes):.1f} |",
            flush=True,
        )
        if args.by_function:
            by_function.append((nodes, e, engine["by_function"]))
    for nodes, e, misses in by_function:
        print(f"\n{nodes:,} nodes, last-level misses an event by function:")
        for (file, function), n in misses.most_common(args.by_function):
            print(f"  {n / e:6.2f}  {file}:{function}")


if __name__ == "__main__":
    main()
