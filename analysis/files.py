"""Result files written atomically: a temporary file in the same folder, then a rename, so
a reader (or a resumed sweep) sees the whole file or none of it."""

from __future__ import annotations

import os

import pandas as pd

from networks.io import atomic_path

__all__ = ["atomic_path", "write_parquet", "write_text"]


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_parquet(table: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write ``table`` as Parquet to ``path`` atomically."""
    with atomic_path(path) as tmp:
        table.to_parquet(tmp, index=False)
