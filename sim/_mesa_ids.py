"""Mesa 3.3 keeps every model alive: ``mesa.Agent._ids``, the per-model counter of agent
ids, is a class-level ``defaultdict`` keyed by the model (mesa issue #3179, fixed in Mesa
3.4, which needs Python 3.12). Every model built in a process (a replication, an
evaluation, an RL episode's firm) then stays in memory with all its arrays: 0.6 MB per
§VI firm of 100 customers, 1.5 GB in a few minutes of training.

Importing this module swaps that dict for one that holds its models weakly, with the same
counters; on a Mesa without the class-level dict it does nothing. The modules that define
Mesa agents import it.
"""

from __future__ import annotations

import itertools
import weakref
from collections import defaultdict
from typing import Any

import mesa


class _CountersByModel(weakref.WeakKeyDictionary):
    """``defaultdict(itertools.count(1))`` keyed weakly by model."""

    def __getitem__(self, model: Any) -> Any:
        try:
            return super().__getitem__(model)
        except KeyError:
            counter = self[model] = itertools.count(1)
            return counter


if isinstance(getattr(mesa.Agent, "_ids", None), defaultdict):
    mesa.Agent._ids = _CountersByModel()
