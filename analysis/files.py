"""Result files and folders written atomically.

A file is written to a temporary file beside it, then renamed; a command's output folder is
filled as ``OUT.partial`` beside ``OUT`` and then takes its place, so a reader (or a resumed
sweep) finds a whole file and a whole folder from one run, or the previous one.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from networks.io import atomic_folder, atomic_path

__all__ = [
    "OUTPUT_NAMES",
    "atomic_folder",
    "atomic_path",
    "locked",
    "output_folder",
    "parquet_appender",
    "strict_json",
    "write_parquet",
    "write_text",
]

#: What the commands write in an output folder: a folder holding anything else is not
#: replaced (it may be the user's own).
OUTPUT_NAMES = frozenset(
    {
        "manifest.json",
        "summary.json",
        "periods.parquet",
        "replications.parquet",
        "network.json",
        "results.parquet",
        "results.csv",
        "differences.csv",
        "figures",
        "points",
    }
)


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_parquet(table: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write ``table`` as Parquet to ``path`` atomically."""
    with atomic_path(path) as tmp:
        table.to_parquet(tmp, index=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def strict_json(value: Any) -> str:
    """``value`` as standard JSON text (indented): infinite and NaN numbers become ``null``
    (``json.dumps`` would write the non-standard ``Infinity`` and ``NaN``)."""
    return json.dumps(_finite(value), indent=2, allow_nan=False)


@contextlib.contextmanager
def parquet_appender(path: str | os.PathLike) -> Iterator[Callable[[pd.DataFrame], None]]:
    """Yield ``append(table)``, which adds ``table`` to the Parquet file ``path`` as one row
    group and keeps no reference to it; the file appears whole when the block ends (at least
    one table must be appended). Every table must have the same columns and types."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with atomic_path(path) as tmp:
        writer: pq.ParquetWriter | None = None

        def append(table: pd.DataFrame) -> None:
            nonlocal writer
            arrow = pa.Table.from_pandas(table, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(tmp, arrow.schema)
            writer.write_table(arrow)

        try:
            yield append
        finally:
            if writer is not None:
                writer.close()
        if writer is None:
            raise ValueError(f"{path}: no table to write")


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (on the file ``.NAME.lock`` beside it) while the
    block runs; a second command on the same folder fails at once."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    folder = Path(folder).resolve()  # one lock file for every spelling of the folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{folder.name}.lock", "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "?"
            raise ValueError(
                f"{folder}: another supplysim command (process {holder}) is writing this "
                "folder; wait for it to finish or choose another --out"
            ) from None
        lock.truncate(0)
        lock.write(str(os.getpid()))
        lock.flush()
        yield  # the lock goes with the file's closing


def _check_replaceable(out: Path) -> None:
    if not out.exists():
        return
    if not out.is_dir():
        raise ValueError(f"{out}: is a file, not a folder; choose another --out")
    foreign = sorted(
        p.name
        for p in out.iterdir()
        if p.name not in OUTPUT_NAMES and not (p.name.startswith(".") and p.name.endswith(".tmp"))
    )
    if foreign:
        raise ValueError(
            f"{out}: holds files supplysim did not write ({', '.join(foreign[:3])}"
            f"{', ...' if len(foreign) > 3 else ''}), which a new run would delete; "
            "choose another --out or move them away"
        )
    if not os.access(out, os.W_OK | os.X_OK):
        raise PermissionError(f"{out}: not writable; choose another --out")


def _link_points(source: Path, target: Path) -> None:
    """Hard-link (else copy) the finished points of ``source`` missing from ``target``."""
    if not source.is_dir():
        return
    target.mkdir(parents=True, exist_ok=True)
    for point in source.glob("*.parquet"):
        if not (target / point.name).exists():
            try:
                os.link(point, target / point.name)
            except OSError:
                shutil.copy2(point, target / point.name)


def _clear(folder: Path, keep: str | None) -> None:
    """Delete what ``folder`` holds but its entry named ``keep``."""
    for entry in folder.iterdir():
        if entry.name != keep:
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()


@contextlib.contextmanager
def output_folder(out: str | os.PathLike, *, resume: bool = False) -> Iterator[Path]:
    """Lock ``out``, check that it can be written, and yield the folder to fill: ``OUT.partial``
    beside it, which replaces ``out`` whole when the block ends without error.

    Args:
        resume: keep ``OUT.partial/points/`` (a sweep's finished points) of an earlier,
            interrupted command, add the points of ``out`` to it, and leave ``OUT.partial``
            in place on failure so that a rerun resumes. Otherwise ``OUT.partial`` starts
            empty and is deleted on failure.

    On failure the exception gets a note saying what is left (``out`` unchanged, and with
    ``resume`` where the finished points are).
    """
    out = Path(out)
    where = out.resolve()  # `--out .` has no name of its own
    work = where.with_name(where.name + ".partial")
    with locked(where):
        _check_replaceable(out)
        if work.exists():
            _clear(work, keep="points" if resume else None)
        work.mkdir(exist_ok=True)  # fails here, before any computing, if out's folder is read-only
        if resume:
            _link_points(out / "points", work / "points")
        try:
            with atomic_folder(where, work=work) as folder:
                yield folder
        except BaseException as e:
            if resume:
                _clear(work, keep="points")
                e.add_note(
                    f"finished points are kept in {work}/points: rerun the same command to resume"
                )
            else:
                shutil.rmtree(work, ignore_errors=True)
                e.add_note(f"nothing was written: {out} is as it was")
            raise
