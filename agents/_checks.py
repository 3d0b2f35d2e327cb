"""Argument checks shared by the decision modules.

Each check raises :class:`ValueError` whose message starts with the parameter's name and
ends with the bad value (``level: must be >= 0, got -3``), so a scenario loader can prefix
the TOML path of the table the parameters came from.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from numbers import Integral, Real
from typing import Any


def number(
    name: str,
    value: Any,
    *,
    at_least: float | None = None,
    above: float | None = None,
    at_most: float | None = None,
) -> float:
    """Check that ``value`` is a finite real number within the given bounds."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{name}: must be a finite number, got {value!r}")
    if at_least is not None and value < at_least:
        raise ValueError(f"{name}: must be >= {at_least:g}, got {value!r}")
    if above is not None and value <= above:
        raise ValueError(f"{name}: must be > {above:g}, got {value!r}")
    if at_most is not None and value > at_most:
        raise ValueError(f"{name}: must be <= {at_most:g}, got {value!r}")
    return float(value)


def integer(name: str, value: Any, *, at_least: int) -> int:
    """Check that ``value`` is an integer (not a bool) ``>= at_least``."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < at_least:
        raise ValueError(f"{name}: must be an integer >= {at_least}, got {value!r}")
    return int(value)


def supplier_name(name: str, value: Any) -> None:
    """Check that ``value`` can name a supplier node (hashable, not None, not empty)."""
    if value is None or value == "" or not isinstance(value, Hashable):
        raise ValueError(f"{name}: must name a supplier node, got {value!r}")


def supplier_index(obs_suppliers: tuple, supplier: Any, role: str, node: Any) -> int:
    """The position of ``supplier`` in ``obs.suppliers``, or a ValueError naming it."""
    try:
        return obs_suppliers.index(supplier)
    except ValueError:
        raise ValueError(
            f"{role}: {supplier!r} is not a supplier of node {node!r}; "
            f"its suppliers are {list(obs_suppliers)!r}"
        ) from None
