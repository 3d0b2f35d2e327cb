"""Scenarios: declared experiments in TOML, validated before anything runs.

A scenario file (``tomllib``) declares the network, the attributes of its nodes and edges
(defaults per role, overrides per node), the decision module of every stocking agent, and
the run (horizon, warm-up, replications, seed, engine options)::

    name = "serial_study"
    description = "one line for `supplysim list`"

    [network]                 # a builder from `networks` and its keyword arguments ...
    builder = "serial"
    args = { n_stages = 4, lead_time = 2 }
    # file = "chain.graphml"  # ... or a file: .graphml, .json (node-link), .csv (edge list),
    # format = "willems"      #     or a Willems (2008) chain (stage and link CSVs / workbook)
    # args = { chain = 38, holding_cost_rate = 0.001 }  # with a file: the reader's options

    [roles.warehouse]         # node attributes and policy for every node of a role
    holding_cost = 1.0
    policy = { kind = "base_stock", level = 20 }

    [nodes.stage1]            # node attributes of one node (over role defaults)
    backlog_cost = 10
    demand = { dist = "poisson", mean = 4 }

    [edge_defaults]           # attributes of every edge
    lead_time = { dist = "gamma", mean = 2, std = 0.5 }

    [edges."stage2->stage1"]  # attributes of one edge (over edge_defaults)
    crossing = false

    [agents.stage1]           # the decision module of one node (over its role's)
    policy = { kind = "sterman", desired_stock = 17, stock_adjustment = 0.26,
               supply_line_weight = 0.34, smoothing = 0.36, initial_expectation = 4 }

    [agents.stage1.products.tea]   # in a multi-product network: one stock point's module
    policy = { kind = "base_stock", level = 30 }   # (over the node's, for that product)
    # policy = { kind = "mypkg.module:MyPolicy", ... }   # a class of yours, by import path

    [market]                  # optional: priced stock points (sim.market), see pricing_*.toml
    firms = ["stage1"]
    demand = { eta = 2500, delta = 1.0 }   # Eq. (3); beta = [...] overrides the default
    competitors.rival.strategy = { kind = "undercut", step = 1, floor = 10 }

    [run]
    periods = 52
    warmup = 0
    replications = 30
    seed = 0
    decide = "end"            # or "start"; see sim.model
    # review, arrivals, allocation, charge_in_transit: the engine's options
    # engine = "vectorized"   # sim.vector: periodic review, batch demand, FIFO or whole; large
    #                         # networks (default "event": sim.model, every option)
    # start = "steady"        # base-stock targets in place at time 0 (default "cold")

A policy table's ``kind`` is a name of ``agents.REGISTRY`` or ``module:Class``; its other
keys are the class's parameters. ``module:Class`` must name a class with a callable ``act``
(checked before it is instantiated). A module of supplysim itself (``agents``, ``sim``, ...)
is always allowed; any other module, on ``sys.path`` or beside the scenario file, is code
that importing runs, so it is imported only when the person running the scenario allows
it: ``allow_code=True`` here (:func:`load`, :meth:`Scenario.from_dict`), ``--allow-code``
on the command line, or the environment variable ``SUPPLYSIM_ALLOW_CODE=1``. A module beside
the scenario file is imported by its path, under a name unique to that file.

``network.file`` may be absolute or relative to the scenario file (``../`` included): a
scenario reads any file its runner can read (a CSV file whose header is not a network's is
refused without quoting that line).

Errors (:class:`ScenarioError`) name the TOML path and the fix, e.g.
``edges["wholesaler->retailer"].lead_time.mean: must be > 0, got -2``; unknown keys are
errors with a did-you-mean.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import hashlib
import importlib
import importlib.util
import inspect
import json
import os
import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx

import agents
import networks
from networks.attributes import EDGE_DEFAULTS, EDGE_REQUIRED, NODE_DEFAULTS, ROLES, is_source
from networks.validate import NetworkError, check_edge_attribute, check_node_attribute
from sim import ENGINE_NAMES
from sim.policy import VECTORIZED_FIXED_OPTIONS, Policy
from sim.spaces import ObservationLayout

if TYPE_CHECKING:
    from sim import SupplyChainModel

__all__ = [
    "ALLOW_CODE_ENV",
    "BUILDERS",
    "RUN_DEFAULTS",
    "Scenario",
    "ScenarioError",
    "build_policy",
    "code_allowed",
    "did_you_mean",
    "folder_name",
    "format_path",
    "load",
    "parse_path",
    "parse_value",
]

#: The network builders a scenario may call by name.
BUILDERS: dict[str, Any] = {
    name: getattr(networks, name)
    for name in (
        "serial",
        "beer_game",
        "distribution",
        "assembly",
        "layered",
        "two_per_echelon",
        "from_edges",
    )
    if hasattr(networks, name)
}
_READERS = {".graphml": "read_graphml", ".json": "read_json", ".csv": "read_csv"}

#: ``[run]`` keys and their defaults.
RUN_DEFAULTS: dict[str, Any] = {
    "periods": 1000,
    "warmup": 100,
    "replications": 10,
    "seed": 0,
    "decide": "end",
    "review": "periodic",
    "arrivals": "batch",
    "allocation": "fifo",
    "charge_in_transit": False,
    "engine": "event",
    "start": "cold",
}
#: Largest ``run.periods``: a billion periods already takes days and the table's memory.
MAX_PERIODS = 10**9
_ENGINE_OPTIONS = ("decide", "review", "arrivals", "allocation", "charge_in_transit")
_TOP_KEYS = (
    "name",
    "description",
    "network",
    "roles",
    "nodes",
    "edge_defaults",
    "edges",
    "agents",
    "market",
    "run",
)
_MARKET_KEYS = (
    "firms",
    "demand",
    "competitors",
    "low",
    "high",
    "initial_price",
    "initial_reference",
    "smoothing",
)
_NETWORK_KEYS = ("builder", "args", "file", "format")
#: The environment variable that, set to ``1``, allows scenarios to import code of their own.
ALLOW_CODE_ENV = "SUPPLYSIM_ALLOW_CODE"
#: supplysim's own packages: their classes need no opt-in.
_OWN_PACKAGES = ("agents", "analysis", "networks", "scenarios", "sim")
#: Characters a scenario name (a folder name under ``runs/``) may not hold.
_UNSAFE_NAME = re.compile(r'[/\\:*?"<>|\x00-\x1f]')
_NODE_KEYS = (*NODE_DEFAULTS, "role", "demand", "echelon")
_EDGE_KEYS = (*EDGE_REQUIRED, *EDGE_DEFAULTS)


class ScenarioError(ValueError):
    """A scenario is invalid; the message starts with the TOML path at fault."""


# ---------------------------------------------------------------------- TOML paths
_SEGMENT = re.compile(
    r'\s*(?:"((?:[^"\\]|\\.)*)"|\[\s*"((?:[^"\\]|\\.)*)"\s*\]|([A-Za-z0-9_\-*]+))\s*'
)


def parse_path(text: str) -> tuple[str, ...]:
    """Split a TOML path such as ``edges."a->b".lead_time.mean`` or
    ``edges["a->b"].lead_time.mean`` into its keys."""
    keys: list[str] = []
    pos = 0
    while pos < len(text):
        match = _SEGMENT.match(text, pos)
        if not match or match.end() == pos:
            raise ScenarioError(
                f"{text!r}: not a TOML path (keys separated by dots; quote keys with dots or arrows)"
            )
        quoted, bracketed, bare = match.groups()
        keys.append(next(k for k in (quoted, bracketed, bare) if k is not None))
        pos = match.end()
        if pos < len(text):
            if text[pos] == ".":
                pos += 1
            elif text[pos] != "[":
                raise ScenarioError(f"{text!r}: unexpected {text[pos]!r} at position {pos}")
    if not keys:
        raise ScenarioError("empty TOML path")
    return tuple(keys)


def format_path(keys: tuple[str, ...] | list[str]) -> str:
    """Render keys as a TOML path (``edges["a->b"].lead_time``)."""
    out = ""
    for key in keys:
        if re.fullmatch(r"[A-Za-z0-9_]+", key):
            out += f".{key}" if out else key
        else:
            out += f'["{key}"]'
    return out


def did_you_mean(key: str, known) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``known``, else ``"; known: ..."``."""
    close = difflib.get_close_matches(str(key), [str(k) for k in known], n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; known: {', '.join(map(str, known))}"


def _check_keys(table: Mapping, known, path: tuple[str, ...]) -> None:
    for key in table:
        if key not in known:
            raise ScenarioError(
                f"{format_path((*path, key))}: unknown key{did_you_mean(key, known)}"
            )


def _table(data: Mapping, key: str, path: tuple[str, ...]) -> Mapping:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise ScenarioError(
            f"{format_path((*path, key))}: must be a table, got {type(value).__name__} {value!r}"
        )
    return value


# ---------------------------------------------------------------------- policies
def code_allowed(allow_code: bool | None = None) -> bool:
    """Whether scenarios may import code that is not supplysim's: ``allow_code`` if given,
    else whether the environment variable :data:`ALLOW_CODE_ENV` is ``1``."""
    if allow_code is not None:
        return bool(allow_code)
    return os.environ.get(ALLOW_CODE_ENV) == "1"


def build_policy(
    spec: Any, path: tuple[str, ...], folder: Path | None = None, *, allow_code: bool = False
) -> Policy:
    """A decision module from a policy table ``{kind = ..., **parameters}``.

    A ``module:Class`` kind outside supplysim's own packages is imported only if
    ``allow_code``, from ``folder`` (the scenario file's) if it holds ``module.py``, else from
    ``sys.path``; it must be a class with a callable ``act``.
    """
    where = format_path(path)
    if not isinstance(spec, Mapping) or "kind" not in spec:
        raise ScenarioError(
            f"{where}: must be a table with 'kind' (one of {', '.join(agents.REGISTRY)} or "
            f"'module:Class') and the policy's parameters, got {spec!r}"
        )
    kind = spec["kind"]
    params = {k: v for k, v in spec.items() if k != "kind"}
    if not isinstance(kind, str):
        raise ScenarioError(f"{where}.kind: must be text, got {kind!r}")
    if ":" in kind:
        cls = _import_class(kind, f"{where}.kind", folder, allow_code)
    elif kind in agents.REGISTRY:
        cls = agents.REGISTRY[kind]
        path_param = params.get("path")
        if kind == "checkpoint" and isinstance(path_param, str) and folder is not None:
            beside = folder / path_param  # a checkpoint path is relative to the scenario file
            if not Path(path_param).is_absolute() and beside.exists():
                params["path"] = str(beside)
    else:
        raise ScenarioError(
            f"{where}.kind: unknown policy {kind!r}{did_you_mean(kind, list(agents.REGISTRY))}"
        )
    accepted = _parameters(cls)
    if accepted is not None:
        for key in params:
            if key not in accepted:
                raise ScenarioError(
                    f"{format_path((*path, key))}: unknown parameter of {cls.__name__}"
                    f"{did_you_mean(key, accepted)}"
                )
    try:
        return cls(**params)
    except (TypeError, ValueError) as e:
        message = str(e)
        name = message.split(":", 1)[0]
        if name in params:  # "level: must be >= 0, got -3" -> prefixed by the table's path
            raise ScenarioError(f"{where}.{message}") from None
        raise ScenarioError(f"{where}: {cls.__name__}({params}) failed: {message}") from None


def _import_class(text: str, where: str, folder: Path | None, allow_code: bool) -> type:
    """The class ``module:Class`` names, refused before any import of code that is not
    supplysim's unless ``allow_code``, and refused before any call unless it is a class
    with a callable ``act``."""
    module_name, _, attr = text.partition(":")
    own = module_name.split(".")[0] in _OWN_PACKAGES
    if not own and not allow_code:
        raise ScenarioError(
            f"{where}: {text!r} names custom code (module {module_name!r} is not part of "
            "supplysim), and a scenario that names code runs it like a Python script; if you "
            f"trust it, allow it with --allow-code or {ALLOW_CODE_ENV}=1 (Python: allow_code=True)"
        )
    # supplysim's own modules only from the installation: an agents.py beside the scenario
    # must not pass for them
    beside = folder / f"{module_name}.py" if folder is not None and not own else None
    try:
        if beside is not None and beside.is_file():
            module = _import_file(beside)
        else:
            module = importlib.import_module(module_name)
    except ImportError as e:
        raise ScenarioError(
            f"{where}: cannot import module {module_name!r} ({e}); put it on PYTHONPATH "
            "or beside the scenario file"
        ) from None
    try:
        cls = getattr(module, attr)
    except AttributeError:
        names = [n for n in dir(module) if not n.startswith("_")]
        raise ScenarioError(
            f"{where}: module {module_name!r} has no {attr!r}{did_you_mean(attr, names)}"
        ) from None
    if not inspect.isclass(cls) or not callable(getattr(cls, "act", None)):
        what = "a class" if inspect.isclass(cls) else f"a {type(cls).__name__}, not a class"
        raise ScenarioError(
            f"{where}: {text!r} is {what} without act(obs); a policy kind must name a "
            "decision-module class (one with a method act(obs) -> quantity)"
        )
    return cls


def _import_file(path: Path) -> Any:
    """The module of the file ``path``, imported once per process under a name unique to
    the file (two folders' ``custom_policy.py`` are two modules)."""
    path = path.resolve()
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:16]
    name = f"_supplysim_user_{digest}_{path.stem}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # before running it: dataclasses and pickle look it up there
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def folder_name(text: str) -> str:
    """``text`` as a safe folder name: unsafe characters and ``..`` become ``_``."""
    safe = _UNSAFE_NAME.sub("_", text).replace("..", "_").strip()
    return safe if safe not in ("", ".") else "scenario"


def _parameters(cls: type) -> list[str] | None:
    if dataclasses.is_dataclass(cls):
        return [f.name for f in dataclasses.fields(cls) if f.init]
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
        return None
    return list(signature.parameters)


# ---------------------------------------------------------------------- the scenario
@dataclass(frozen=True, kw_only=True)
class Scenario:
    """A validated experiment. Build one with :func:`load` or :meth:`from_dict`.

    Attributes:
        name: its name (the file's stem unless given).
        description: one line.
        data: the scenario as declared (a TOML document as nested dicts), the single source
            of truth; :meth:`with_overrides` returns a new scenario from a modified copy.
        source: the file it came from, for relative paths (``None`` if built from a dict).
        periods, warmup, replications, seed: the ``[run]`` values (periods include warm-up).
        engine: ``"event"`` (:class:`~sim.SupplyChainModel`) or ``"vectorized"``
            (:class:`~sim.VectorizedSupplyChainModel`).
        options: the engine options of ``[run]`` (decide, review, ...).
        allow_code: whether its policies may import code that is not supplysim's (see the
            module docstring); it travels with the scenario to worker processes.
        start: ``"cold"`` (stock and pipelines as the network declares them, empty by
            default) or ``"steady"``: every stock point starts with its base-stock target in
            place, pipelines filled with its mean demand per period and the rest on hand
            (:func:`networks.steady_state_start`; base-stock policies only).
    """

    name: str
    description: str
    data: Mapping[str, Any]
    source: Path | None
    periods: int
    warmup: int
    replications: int
    seed: int
    engine: str
    options: Mapping[str, Any]
    allow_code: bool = False
    start: str = "cold"

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        source: str | Path | None = None,
        *,
        allow_code: bool | None = None,
    ) -> Scenario:
        """Validate ``data`` (a parsed TOML document) into a scenario.

        Args:
            data: the scenario as declared.
            source: the file it came from (relative paths and modules beside it).
            allow_code: allow ``module:Class`` policies from outside supplysim (``None``:
                only if the environment variable ``SUPPLYSIM_ALLOW_CODE`` is ``1``).
        """
        data = copy.deepcopy(dict(data))
        source = Path(source).resolve() if source is not None else None
        _check_keys(data, _TOP_KEYS, ())
        name = data.get("name", folder_name(source.stem) if source else "scenario")
        description = data.get("description", "")
        for key, value in (("name", name), ("description", description)):
            if not isinstance(value, str):
                raise ScenarioError(f"{key}: must be text, got {value!r}")
        if name != folder_name(name):
            raise ScenarioError(
                f"name: {name!r} must be usable as a folder name (it names the output folder): "
                f"no '..', no / \\ : * ? \" < > |, not empty; e.g. {folder_name(name)!r}"
            )
        run = _table(data, "run", ())
        _check_keys(run, RUN_DEFAULTS, ("run",))
        values = {**RUN_DEFAULTS, **run}
        for key in ("periods", "replications"):
            _integer(values[key], ("run", key), at_least=1)
        if values["periods"] > MAX_PERIODS:  # the engine keeps per-period rows: a bound in time
            raise ScenarioError(
                f"run.periods: must be <= {MAX_PERIODS:_}, got {values['periods']:_}; "
                "split a longer horizon into replications"
            )
        for key in ("warmup", "seed"):
            _integer(values[key], ("run", key), at_least=0)
        if values["warmup"] >= values["periods"]:
            raise ScenarioError(
                f"run.warmup: must be less than run.periods ({values['periods']}), got {values['warmup']}"
            )
        choices = {
            "decide": ("start", "end"),
            "review": ("periodic", "continuous"),
            "arrivals": ("batch", "poisson"),
            "allocation": ("fifo", "proportional", "whole"),
            "engine": ENGINE_NAMES,
            "start": ("cold", "steady"),
        }
        for key, allowed in choices.items():
            if values[key] not in allowed:
                raise ScenarioError(
                    f"run.{key}: must be one of {', '.join(map(repr, allowed))}, got {values[key]!r}"
                )
        if values["engine"] == "vectorized":
            for key, allowed in VECTORIZED_FIXED_OPTIONS.items():
                if key in values and values[key] not in allowed:
                    raise ScenarioError(
                        "run.engine: 'vectorized' steps periodic review, batch demand and FIFO "
                        f"or whole-order allocation only, but run.{key} is {values[key]!r}; "
                        'use engine = "event" for it'
                    )
        if not isinstance(values["charge_in_transit"], bool):
            raise ScenarioError(
                f"run.charge_in_transit: must be true or false, got {values['charge_in_transit']!r}"
            )
        scenario = cls(
            name=name,
            description=description,
            data=data,
            source=source,
            periods=values["periods"],
            warmup=values["warmup"],
            replications=values["replications"],
            seed=values["seed"],
            engine=values["engine"],
            options={k: values[k] for k in _ENGINE_OPTIONS},
            allow_code=code_allowed(allow_code),
            start=values["start"],
        )
        graph = scenario.network()  # validates the network, attributes and names
        policies = scenario.policies(graph)  # validates every policy
        scenario._started(graph, policies)  # a steady start needs base-stock targets
        if scenario.market(graph) is not None and values["decide"] != "start":
            raise ScenarioError(
                f"run.decide: a [market] needs 'start' (Eq. (4)-(7)), got {values['decide']!r}"
            )
        return scenario

    # -------------------------------------------------------------- network
    def network(self) -> nx.DiGraph:
        """The network with every declared attribute applied, validated."""
        try:
            return self._network()
        except NetworkError as e:  # from a check of one declared value: starts with its path
            raise ScenarioError(str(e)) from None

    def _network(self) -> nx.DiGraph:
        spec = _table(self.data, "network", ())
        _check_keys(spec, _NETWORK_KEYS, ("network",))
        if ("builder" in spec) == ("file" in spec):
            raise ScenarioError("network: give exactly one of 'builder' (with 'args') or 'file'")
        graph = self._read(spec) if "file" in spec else self._build(spec)
        products = tuple(graph.graph.get("products", ("item",)))

        roles = _table(self.data, "roles", ())
        for role, table in roles.items():
            if role not in ROLES:
                raise ScenarioError(
                    f"{format_path(('roles', role))}: unknown role{did_you_mean(role, ROLES)}"
                )
            if not isinstance(table, Mapping):
                raise ScenarioError(f"{format_path(('roles', role))}: must be a table")
            _check_keys(table, (*_NODE_KEYS, "policy"), ("roles", role))
            for attr, value in table.items():
                if attr == "policy":
                    continue
                check_node_attribute(attr, value, format_path(("roles", role, attr)), products)
                for _, data in graph.nodes(data=True):
                    if data.get("role") == role:
                        data[attr] = copy.deepcopy(value)

        names = {str(n): n for n in graph.nodes}
        for node_name, table in _table(self.data, "nodes", ()).items():
            path = ("nodes", node_name)
            node = self._node(names, node_name, path)
            if not isinstance(table, Mapping):
                raise ScenarioError(f"{format_path(path)}: must be a table of node attributes")
            _check_keys(table, _NODE_KEYS, path)
            for attr, value in table.items():
                check_node_attribute(attr, value, format_path((*path, attr)), products)
                graph.nodes[node][attr] = copy.deepcopy(value)

        defaults = _table(self.data, "edge_defaults", ())
        _check_keys(defaults, _EDGE_KEYS, ("edge_defaults",))
        for attr, value in defaults.items():
            check_edge_attribute(attr, value, format_path(("edge_defaults", attr)))
            for _, _, data in graph.edges(data=True):
                data[attr] = copy.deepcopy(value)
        edge_names = {f"{u}->{v}": (u, v) for u, v in graph.edges}
        for edge_name, table in _table(self.data, "edges", ()).items():
            path = ("edges", edge_name)
            if edge_name not in edge_names:
                raise ScenarioError(
                    f"{format_path(path)}: no such edge (write 'supplier->customer')"
                    f"{did_you_mean(edge_name, list(edge_names))}"
                )
            if not isinstance(table, Mapping):
                raise ScenarioError(f"{format_path(path)}: must be a table of edge attributes")
            _check_keys(table, _EDGE_KEYS, path)
            for attr, value in table.items():
                check_edge_attribute(attr, value, format_path((*path, attr)))
                graph.edges[edge_names[edge_name]][attr] = copy.deepcopy(value)
        try:
            networks.validate(graph)
        except NetworkError as e:
            raise ScenarioError(f"network: {e}") from None
        return graph

    def _build(self, spec: Mapping) -> nx.DiGraph:
        name = spec["builder"]
        if name not in BUILDERS:
            raise ScenarioError(
                f"network.builder: unknown builder {name!r}{did_you_mean(name, list(BUILDERS))}"
            )
        builder = BUILDERS[name]
        args = _table(spec, "args", ("network",))
        accepted = list(inspect.signature(builder).parameters)
        for key in args:
            if key not in accepted:
                raise ScenarioError(
                    f"{format_path(('network', 'args', key))}: not an argument of networks.{name}"
                    f"{did_you_mean(key, accepted)}"
                )
        try:
            return builder(**copy.deepcopy(dict(args)))
        except (TypeError, ValueError) as e:
            message = str(e)
            key = message.split(":", 1)[0].strip()
            if key in args:
                raise ScenarioError(f"network.args.{message}") from None
            raise ScenarioError(f"network.args: networks.{name} rejected them: {message}") from None

    def network_file(self) -> Path | None:
        """The file the network is read from (``network.file``), or ``None`` for a builder."""
        spec = _table(self.data, "network", ())
        if "file" not in spec:
            return None
        path = Path(spec["file"])
        if not path.is_absolute() and self.source is not None:
            path = self.source.parent / path
        return path

    def _read(self, spec: Mapping) -> nx.DiGraph:
        """The network read from ``network.file`` with the reader's options ``network.args``
        (every keyword option of the reader; an unknown one is an error)."""
        path = self.network_file()
        if not path.exists():
            raise ScenarioError(f"network.file: {str(path)!r} does not exist")
        fmt = spec.get("format")
        if fmt == "willems":
            reader = "read_willems"
        elif fmt is not None:
            raise ScenarioError(f"network.format: must be 'willems' or left out, got {fmt!r}")
        else:
            reader = _READERS.get(path.suffix.lower())
            if reader is None:
                raise ScenarioError(
                    f"network.file: cannot tell the format of {path.name!r}; use .graphml, .json or .csv"
                )
        function = getattr(networks, reader)
        args = _table(spec, "args", ("network",))
        accepted = [
            p.name
            for p in inspect.signature(function).parameters.values()
            if p.kind is p.KEYWORD_ONLY
        ]
        for key in args:
            if key not in accepted:
                known = did_you_mean(key, accepted) if accepted else "; it takes none"
                raise ScenarioError(
                    f"{format_path(('network', 'args', key))}: not an option of "
                    f"networks.{reader}{known}"
                )
        try:
            return function(path, **copy.deepcopy(dict(args)))
        except (NetworkError, OSError) as e:
            raise ScenarioError(f"network.file: {e}") from None
        except ValueError as e:  # an option's value: "chain: required with a folder ..."
            message = str(e)
            key = message.split(":", 1)[0].strip()
            if key in args or key in accepted:
                raise ScenarioError(f"network.args.{message}") from None
            raise ScenarioError(f"network.file: {message}") from None

    @staticmethod
    def _node(names: Mapping[str, Any], name: str, path: tuple[str, ...]) -> Any:
        if name not in names:
            raise ScenarioError(
                f"{format_path(path)}: no such node{did_you_mean(name, list(names))}"
            )
        return names[name]

    # -------------------------------------------------------------- agents
    def policies(self, graph: nx.DiGraph | None = None) -> dict[Any, Policy]:
        """The decision module of every stocking node (its own, else its role's), and of
        each stock point ``(node, product)`` given its own (``[agents.NODE.products.P]``)."""
        graph = self.network() if graph is None else graph
        roles = _table(self.data, "roles", ())
        declared = _table(self.data, "agents", ())
        products = tuple(graph.graph.get("products", ("item",)))
        folder = self.source.parent if self.source is not None else None
        names = {str(n): n for n in graph.nodes}
        chosen: dict[Any, Policy] = {}
        for node_name, table in declared.items():
            path = ("agents", node_name)
            node = self._node(names, node_name, path)
            if not isinstance(table, Mapping):
                raise ScenarioError(f"{format_path(path)}: must be a table with 'policy'")
            _check_keys(table, ("policy", "products"), path)
            if is_source(graph, node):
                raise ScenarioError(
                    f"{format_path(path)}: node {node_name!r} is an external source; it has no policy"
                )
            if "policy" in table:
                chosen[node] = build_policy(
                    table["policy"], (*path, "policy"), folder, allow_code=self.allow_code
                )
            for product, sku in _table(table, "products", path).items():
                where = (*path, "products", product)
                if product not in products:
                    raise ScenarioError(
                        f"{format_path(where)}: not a product of the network "
                        f"({', '.join(products)}){did_you_mean(product, list(products))}"
                    )
                if not isinstance(sku, Mapping):
                    raise ScenarioError(f"{format_path(where)}: must be a table with 'policy'")
                _check_keys(sku, ("policy",), where)
                if "policy" in sku:
                    chosen[node, product] = build_policy(
                        sku["policy"], (*where, "policy"), folder, allow_code=self.allow_code
                    )
        by_role = {
            role: build_policy(
                table["policy"], ("roles", role, "policy"), folder, allow_code=self.allow_code
            )
            for role, table in roles.items()
            if isinstance(table, Mapping) and "policy" in table
        }
        for node, data in graph.nodes(data=True):
            if node in chosen or is_source(graph, node):
                continue
            if all((node, product) in chosen for product in products):
                continue
            if data["role"] not in by_role:
                raise ScenarioError(
                    f"{format_path(('agents', str(node), 'policy'))}: missing; give node {str(node)!r} a policy "
                    f"or set roles.{data['role']}.policy"
                )
            chosen[node] = by_role[data["role"]]
        for key, policy in chosen.items():  # a module that reads its node (agents.Myopic)
            if hasattr(policy, "bind"):
                sku = key not in graph
                node = key[0] if sku else key
                if sku:
                    where = ("agents", str(node), "products", key[1])
                elif str(node) in declared and "policy" in declared[str(node)]:
                    where = ("agents", str(node))
                else:
                    where = ("roles", graph.nodes[node]["role"])
                try:
                    chosen[key] = policy.bind(graph, node)
                except ValueError as e:
                    raise ScenarioError(f"{format_path((*where, 'policy'))}.{e}") from None
        for node, module in chosen.items():
            if isinstance(getattr(module, "layout", None), ObservationLayout):
                self._check_trained(graph, chosen, node, module)
        return chosen

    def _check_trained(
        self, graph: nx.DiGraph, chosen: dict[Any, Policy], node: Any, module: Any
    ) -> None:
        """A trained policy must fit its node: the same observation layout (but for a
        finite horizon's, which the run must not outlast), and (unless loaded with ``strict
        = false``) the network, node and options it was trained on."""
        from sim.env import learner_layout

        market = self.market(graph)
        options = self.options if market is None else {**self.options, "market": market}
        layout, fingerprint = learner_layout(graph, chosen, node, options)
        where = f"node {str(node)!r}"
        horizon = module.layout.horizon  # the node's own layout plans for none
        if dataclasses.replace(module.layout, horizon=0) != layout:
            raise ScenarioError(
                f"{where}: the trained policy expects observations {module.layout}, this node "
                f"gives {layout}; train it for this scenario"
            )
        if horizon and self.periods > horizon:
            raise ScenarioError(
                f"{where}: the trained policy plans for {horizon} periods (trained with a "
                f"finite horizon); the scenario runs {self.periods}: set run.periods to at "
                f"most {horizon}"
            )
        known = getattr(module, "fingerprint", None)
        if known is not None and known != fingerprint:
            raise ScenarioError(
                f"{where}: the checkpoint was trained on another scenario (network, node or "
                f"engine options; fingerprint {known}, here {fingerprint}); set strict = false "
                "in its policy table to use it anyway"
            )

    def market(self, graph: nx.DiGraph | None = None) -> Any:
        """The declared :class:`~sim.market.Market` (``[market]``), or ``None``."""
        spec = self.data.get("market")
        if spec is None:
            return None
        from sim.market import LogitDemand, Market  # Mesa: only a scenario with a market

        path = ("market",)
        if not isinstance(spec, Mapping):
            raise ScenarioError(f"market: must be a table, got {spec!r}")
        _check_keys(spec, _MARKET_KEYS, path)
        graph = self.network() if graph is None else graph
        names = {str(n): n for n in graph.nodes}
        firms = spec.get("firms")
        if not isinstance(firms, list) or not firms:
            raise ScenarioError(f"market.firms: must be a list of node names, got {firms!r}")
        nodes = [self._node(names, str(f), ("market", "firms")) for f in firms]
        demand = _table(spec, "demand", path)
        _check_keys(demand, ("eta", "delta", "beta"), (*path, "demand"))
        folder = self.source.parent if self.source is not None else None
        competitors = {}
        for name, table in _table(spec, "competitors", path).items():
            where = (*path, "competitors", name)
            if not isinstance(table, Mapping):
                raise ScenarioError(f"{format_path(where)}: must be a table with 'strategy'")
            _check_keys(table, ("strategy",), where)
            competitors[name] = build_policy(
                table.get("strategy"), (*where, "strategy"), folder, allow_code=self.allow_code
            )
        try:
            model = LogitDemand(**demand)
        except (TypeError, ValueError) as e:
            raise ScenarioError(f"market.demand.{e}") from None
        options = {k: spec[k] for k in _MARKET_KEYS[3:] if k in spec}
        try:
            return Market(demand=model, firms=tuple(nodes), competitors=competitors, **options)
        except (TypeError, ValueError) as e:
            raise ScenarioError(f"market.{e}") from None

    # -------------------------------------------------------------- use
    def build(self, seed: int | None = None, **options: Any) -> SupplyChainModel:
        """A fresh model of this scenario, seeded with ``seed`` (default: the scenario's)."""
        from sim import ENGINES

        graph = self.network()
        policies = self.policies(graph)
        market = self.market(graph)
        if market is not None:
            options = {"market": market, **options}
        return ENGINES[self.engine](
            self._started(graph, policies),
            policies,
            seed=self.seed if seed is None else seed,
            **{**self.options, **options},
        )

    def _started(self, graph: nx.DiGraph, policies: Mapping[Any, Policy]) -> nx.DiGraph:
        """``graph`` as the run starts it: as declared (cold), or in steady state with every
        stock point's base-stock level as its target."""
        if self.start == "cold":
            return graph
        targets = {}
        for node, policy in policies.items():
            if not isinstance(policy, agents.BaseStock):
                raise ScenarioError(
                    f"run.start: 'steady' fills stock from base-stock levels, but node "
                    f'{str(node)!r} uses {type(policy).__name__}; give it kind = "base_stock" '
                    'or use start = "cold"'
                )
            targets[node] = policy.level_of(node)
        try:
            return networks.steady_state_start(graph, targets)
        except ValueError as e:
            raise ScenarioError(f"run.start: {e}") from None

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A new scenario with values set at TOML paths (``{"run.periods": 100}``)."""
        data = copy.deepcopy(dict(self.data))
        for path_text, value in overrides.items():
            keys = parse_path(path_text)
            table = data
            for depth, key in enumerate(keys[:-1]):
                nxt = table.setdefault(key, {})
                if not isinstance(nxt, dict):
                    raise ScenarioError(
                        f"{format_path(keys[: depth + 1])}: is {nxt!r}, not a table; cannot set {path_text}"
                    )
                table = nxt
            table[keys[-1]] = value
        return Scenario.from_dict(data, self.source, allow_code=self.allow_code)

    def to_json(self) -> str:
        """The scenario as declared, as JSON (for manifests)."""
        return json.dumps(self.data, indent=2, sort_keys=True)


def _integer(value: Any, path: tuple[str, ...], *, at_least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < at_least:
        raise ScenarioError(f"{format_path(path)}: must be an integer >= {at_least}, got {value!r}")


def parse_value(text: str) -> Any:
    """A command-line value as TOML (``3``, ``2.5``, ``true``, ``{dist = "poisson", mean = 4}``),
    or else as plain text."""
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text


def load(path: str | Path, *, allow_code: bool | None = None) -> Scenario:
    """Read and validate a scenario file; ``allow_code`` as in :meth:`Scenario.from_dict`."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such scenario file") from None
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{path}: not valid TOML: {e}") from None
    try:
        return Scenario.from_dict(data, path, allow_code=allow_code)
    except ScenarioError as e:
        raise ScenarioError(f"{path.name}: {e}") from None
