"""Random streams: one ``numpy.random.Generator`` per (purpose, entity), from the run's seed.

Keys are stable integers: the purpose's number and CRC-32 checksums of the entity's
names (stable across processes and Python versions, unlike ``hash(str)``). So a node's
demand stream depends only on the seed and that node's and product's names: changing
another node's policy, or adding a node elsewhere, leaves it unchanged (common random
numbers).
"""

from __future__ import annotations

import zlib
from enum import IntEnum

import numpy as np

__all__ = ["Purpose", "stream"]


class Purpose(IntEnum):
    """What a stream is drawn for (part of its key: never renumber)."""

    DEMAND = 1
    LEAD_TIME = 2
    ARRIVALS = 3
    POLICY = 4
    MESA = 5  # the model's own model.rng / model.random (Mesa's agent shuffles)
    ORDER_SIZE = 6  # what each one-at-a-time customer buys (its own stream: gaps unchanged)
    INITIAL_STATE = 7  # random starting stock (sim.initial): demand and lead times unchanged


def _key(name: object) -> int:
    return zlib.crc32(str(name).encode("utf-8"))


def stream(seed: int, purpose: Purpose, *entity: object) -> np.random.Generator:
    """The generator for ``purpose`` and ``entity`` (e.g. a node and a product) in run ``seed``."""
    key = (int(purpose), *(_key(e) for e in entity))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))
