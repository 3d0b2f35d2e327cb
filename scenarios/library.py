"""The built-in scenario library: the TOML files in ``scenarios/library/``."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .scenario import Scenario

__all__ = ["LIBRARY", "builtin_names", "describe", "resolve"]

#: The folder of the built-in scenario files.
LIBRARY = Path(__file__).parent / "library"


def builtin_names() -> list[str]:
    """Names of the built-in scenarios, sorted."""
    return sorted(p.stem for p in LIBRARY.glob("*.toml"))


def describe() -> dict[str, str]:
    """Name -> one-line description of every built-in scenario (without validating them)."""
    out = {}
    for name in builtin_names():
        with (LIBRARY / f"{name}.toml").open("rb") as f:
            out[name] = tomllib.load(f).get("description", "")
    return out


def resolve(name_or_path: str | Path, *, allow_code: bool | None = None) -> Scenario:
    """A built-in scenario by name, or a scenario file by path; ``allow_code`` as in
    :meth:`~scenarios.Scenario.from_dict`."""
    # imported here: the engines behind it are not needed to list the library
    from .scenario import ScenarioError, did_you_mean, load

    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        return load(path, allow_code=allow_code)
    builtin = LIBRARY / f"{name_or_path}.toml"
    if builtin.exists():
        return load(builtin, allow_code=allow_code)
    raise ScenarioError(
        f"{name_or_path}: neither a scenario file nor a built-in scenario"
        f"{did_you_mean(str(name_or_path), builtin_names())}"
    )
