"""Random initial states: stock on hand and in transit drawn anew at the start of every run.

A run starts from the network's declared state: ``initial_stock`` on hand and the edges'
``initial_pipeline`` lots in transit. An :class:`InitialState` replaces that state, at the
stock points it names, by draws from declared distributions (the declarations of
:mod:`networks.distributions`, such as ``{"dist": "poisson", "mean": 5}``)::

    SupplyChainModel(graph, policies, seed=3,
                     initial_state=InitialState(on_hand={"dist": "poisson", "mean": 8},
                                                pipeline={"dist": "poisson", "mean": 5},
                                                nodes="all"))

* ``on_hand``: one draw per stock point (units of stock), capped at its
  ``storage_capacity``;
* ``pipeline``: one lot per supplier edge of the stock point and arrival slot: in transit at
  the start of period 0 and received at the start of period ``k``, ``k = 1, ..., L - 1``,
  where ``L`` is the edge's mean lead time rounded to whole periods (the periods of the edge
  attribute ``initial_pipeline``, whose lot received at time 0 would only add to the stock
  on hand). A lot drawn as 0 ships nothing. The drawn lots replace the edge's
  ``initial_pipeline``; orders in the mail (``initial_orders``) stay.

The draws come from streams of their own (:attr:`~sim.streams.Purpose.INITIAL_STATE`, keyed
by the stock point and, for lots, the edge), derived from the run's seed: the same seed
gives the same initial state in both engines, and the demand and lead-time draws of a seed
are those it has without random initial states (common random numbers across policies and
across initial-state declarations).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from networks.distributions import Distribution, parse_distribution

__all__ = ["InitialState"]

_NODE_SETS = ("external", "all")


@dataclass(frozen=True, kw_only=True)
class InitialState:
    """A declared distribution of the state a run starts from (see the module docstring).

    Attributes:
        on_hand: the stock on hand of each chosen stock point (units of stock): a
            distribution declaration, or ``None`` to keep ``initial_stock``.
        pipeline: each lot in transit to a chosen stock point, per supplier edge and
            arrival slot (units of stock): a declaration, or ``None`` to keep
            ``initial_pipeline``.
        nodes: the stocking nodes whose state is drawn: ``"external"`` (those decided from
            outside, such as a learner's), ``"all"``, or a sequence of node names.

    Raises:
        ValueError: a declaration or ``nodes`` is invalid, or neither ``on_hand`` nor
            ``pipeline`` is given (the message names the field).
    """

    on_hand: Any = None
    pipeline: Any = None
    nodes: Any = "external"
    on_hand_distribution: Distribution | None = field(init=False, repr=False, compare=False)
    pipeline_distribution: Distribution | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.on_hand is None and self.pipeline is None:
            raise ValueError("initial_state: give on_hand, pipeline or both (declarations)")
        for name in ("on_hand", "pipeline"):
            spec = getattr(self, name)
            parsed = None if spec is None else parse_distribution(spec, f"initial_state.{name}")
            object.__setattr__(self, f"{name}_distribution", parsed)
        nodes = self.nodes
        if isinstance(nodes, str) and nodes not in _NODE_SETS:
            raise ValueError(
                f"initial_state.nodes: must be 'external', 'all' or a list of node names, got "
                f"{nodes!r}"
            )
        if not isinstance(nodes, str):
            if isinstance(nodes, Mapping) or not hasattr(nodes, "__iter__") or not list(nodes):
                raise ValueError(
                    f"initial_state.nodes: must be 'external', 'all' or a non-empty list of node "
                    f"names, got {nodes!r}"
                )
            object.__setattr__(self, "nodes", tuple(nodes))

    @classmethod
    def of(cls, value: InitialState | Mapping[str, Any]) -> InitialState:
        """``value`` itself, or the :class:`InitialState` a mapping of its fields declares
        (a TOML table, a JSON object).

        Raises:
            ValueError: not an :class:`InitialState` or a mapping, or a field is unknown or
                invalid.
        """
        if isinstance(value, cls):
            return value
        if not isinstance(value, Mapping):
            raise ValueError(
                f"initial_state: must be an InitialState or a table of its fields, got "
                f"{type(value).__name__}"
            )
        known = [f.name for f in fields(cls) if f.init]
        unknown = sorted(str(key) for key in value if key not in known)
        if unknown:
            raise ValueError(
                f"initial_state: unknown field(s) {', '.join(unknown)}; expected {', '.join(known)}"
            )
        return cls(**value)
