"""Declared experiments: TOML scenario files and the built-in library.

The names of :mod:`scenarios.scenario` are imported on first use, so that listing the
library (``supplysim list``) does not load the engines.
"""

from __future__ import annotations

from typing import Any

from .library import LIBRARY, builtin_names, describe, resolve

__all__ = [
    "LIBRARY",
    "Scenario",
    "ScenarioError",
    "builtin_names",
    "describe",
    "load",
    "parse_path",
    "parse_value",
    "resolve",
]

_FROM_SCENARIO = ("Scenario", "ScenarioError", "load", "parse_path", "parse_value")


def __getattr__(name: str) -> Any:
    if name in _FROM_SCENARIO:
        from . import scenario

        return getattr(scenario, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
