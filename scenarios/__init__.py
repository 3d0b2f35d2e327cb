"""Declared experiments: TOML scenario files and the built-in library."""

from .library import LIBRARY, builtin_names, describe, resolve
from .scenario import Scenario, ScenarioError, load, parse_path, parse_value

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
