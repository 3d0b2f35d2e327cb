"""Read and write supply network graphs: GraphML, node-link JSON and CSV tables.

Every writer/reader pair round-trips exactly: the nodes and edges, in their order (node
order, and each node's order of suppliers and of customers, which the engine uses), the
attribute names, the values and their Python types (``int``, ``float`` including ``inf``,
``bool``, ``str``, and mappings/lists such as distribution declarations and per-product
values), and the graph attributes (e.g. ``products``). Tuples come back as lists; numpy
scalars come back as Python numbers. ``None`` is not a storable attribute value.

Formats
    **GraphML** (:func:`write_graphml`): each scalar attribute is a typed GraphML key
    (``boolean``, ``long``, ``double``, ``string``). A mapping or list is stored as JSON
    text in a ``string`` key; on reading, a string value whose text starts with ``{``, ``[``
    or ``"`` is decoded as JSON (so a string that itself starts with one of those, is empty,
    or holds non-printable characters is written as a quoted JSON string).

    **Node-link JSON** (:func:`write_json`): ``networkx.node_link_data(graph,
    edges="edges")``, i.e. ``{"directed": true, "multigraph": false, "graph": {...},
    "nodes": [{"id": ..., attrs}], "edges": [{"source": ..., "target": ..., attrs}]}``.
    ``inf`` is written as ``Infinity`` (as Python's :mod:`json` does).

    **CSV** (:func:`write_csv`), three files beside each other, for ``path = net.csv``:

    * ``net.csv``: the edge list; header ``source,target,<edge attribute>...``, one row per
      edge, one column per edge attribute name;
    * ``net.nodes.csv``: the node table; header ``node,<node attribute>...``, one row per
      node (every node, also those without attributes), one column per node attribute name;
    * ``net.graph.json``: the graph attributes as a JSON object (``{"products": [...]}``).

    A cell is empty when the row's node or edge lacks that attribute. Otherwise the cell
    text gives the type: ``true``/``false`` is a bool; an integer literal (``12``) an int; a
    decimal or exponent literal or ``inf``/``-inf``/``nan`` (``0.5``, ``1e+20``) a float;
    text starting with ``{``, ``[`` or ``"`` is JSON (mappings, lists, and strings that
    would otherwise read as something else, such as ``"12"`` or the empty string); any
    other text is a string. Node names are the raw text of the ``source``, ``target`` and
    ``node`` cells. On reading, the node table and the graph file are optional (a bare edge
    list is a graph whose nodes have no attributes).

Node names must be non-empty printable text (``str``) for GraphML and CSV; JSON also keeps
integer names. Attribute names must be text.

Writes are atomic per file: the text goes to a temporary file in the same folder, which
then replaces the target (:func:`os.replace`). Readers do not validate: call
:func:`networks.validate` (the engine does). A malformed file raises
:class:`NetworkFileError` naming the file and, when it can, the line, row, node, edge or
field; a missing file raises the usual :class:`OSError`.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from itertools import pairwise
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeET
import networkx as nx
import numpy as np
from defusedxml import DefusedXmlException

from .validate import NetworkError

__all__ = [
    "NetworkFileError",
    "atomic_folder",
    "atomic_path",
    "csv_paths",
    "read_csv",
    "read_graphml",
    "read_json",
    "write_csv",
    "write_graphml",
    "write_json",
]

PathLike = str | os.PathLike[str]
_JSON_START = ("{", "[", '"')
_GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"
_GRAPHML_TYPES: dict[type, str] = {bool: "boolean", int: "long", float: "double", str: "string"}


class NetworkFileError(NetworkError):
    """A network file cannot be read or written; the message names the file and, when it
    can, the line, row, node, edge or field at fault."""


# ---------------------------------------------------------------------------- values
def _plain(value: Any, where: str, *, nested: bool = False) -> Any:
    """``value`` as plain Python data (numpy scalars -> numbers, tuples -> lists); ``None``
    only inside mappings and lists (JSON null)."""
    if value is None and nested:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        out = {}
        for key, v in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{where}: mapping keys must be text to be stored, got {key!r}")
            out[key] = _plain(v, f"{where}[{key!r}]", nested=True)
        return out
    if isinstance(value, list | tuple | np.ndarray):
        return [_plain(v, f"{where}[{i}]", nested=True) for i, v in enumerate(value)]
    if value is None:
        raise ValueError(f"{where}: None cannot be stored; remove the attribute instead")
    raise ValueError(f"{where}: cannot store a value of type {type(value).__name__}: {value!r}")


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=True, allow_nan=True)


def _needs_quoting(text: str) -> bool:
    """A string that a reader would not give back as itself."""
    return text == "" or text.startswith(_JSON_START) or not text.isprintable()


def _encode_text(value: Any) -> Any:
    """A value for a typed format (GraphML): scalars as they are, the rest as JSON text."""
    if isinstance(value, str):
        return _json_text(value) if _needs_quoting(value) else value
    if isinstance(value, dict | list):
        return _json_text(value)
    return value


def _decode_text(text: str, where: str) -> Any:
    if not text.startswith(_JSON_START):
        return text
    try:
        return _json_loads(text, where)
    except json.JSONDecodeError as err:
        raise NetworkFileError(f"{where}: not valid JSON text ({err.msg}): {text!r}") from None


_INT = re.compile(r"[-+]?\d+\Z")
_FLOAT = re.compile(r"[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?\Z|[-+]?(inf|infinity|nan)\Z", re.I)


def _decode_cell(text: str, where: str) -> Any:
    """The value of a CSV cell (see the module docstring); ``_ABSENT`` for an empty cell."""
    if text == "":
        return _ABSENT
    if text == "true":
        return True
    if text == "false":
        return False
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return _decode_text(text, where)


def _encode_cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        if _needs_quoting(value):
            return _json_text(value)
        try:
            same = _decode_cell(value, "") == value
        except NetworkFileError:
            same = False
        return value if same else _json_text(value)
    return _json_text(value)


class _Absent:
    pass


_ABSENT = _Absent()


# ---------------------------------------------------------------------------- graph shape
def _check_graph(graph: Any) -> None:
    if not isinstance(graph, nx.DiGraph) or graph.is_multigraph():
        raise ValueError(f"graph: must be a networkx DiGraph, got {type(graph).__name__}")


def _check_name(node: Any, fmt: str) -> None:
    if not isinstance(node, str) or not node or not node.isprintable():
        raise ValueError(
            f"node {node!r}: {fmt} stores node names as text; names must be non-empty "
            f"printable str (rename with nx.relabel_nodes(graph, str))"
        )


def _check_attr_names(data: Mapping[Any, Any], where: str, reserved: tuple[str, ...]) -> None:
    for name in data:
        if not isinstance(name, str):
            raise ValueError(f"{where}: attribute names must be text, got {name!r}")
        if name in reserved:
            raise ValueError(
                f"{where}: attribute name {name!r} is reserved by the file format; rename it"
            )


def _edge_order(graph: nx.DiGraph) -> list[tuple[Any, Any]]:
    """The edges in an order that, added one by one, rebuilds every node's order of
    successors *and* of predecessors (``graph.edges`` keeps only the first)."""
    edges = list(graph.edges)
    index = {e: i for i, e in enumerate(edges)}
    constraints = nx.DiGraph()
    constraints.add_nodes_from(range(len(edges)))
    for u, nbrs in graph.succ.items():
        constraints.add_edges_from(pairwise(index[u, v] for v in nbrs))
    for v, nbrs in graph.pred.items():
        constraints.add_edges_from(pairwise(index[u, v] for u in nbrs))
    try:
        order = list(nx.lexicographical_topological_sort(constraints))
    except nx.NetworkXUnfeasible:  # pragma: no cover - only if the adjacency was hand-edited
        return edges
    return [edges[i] for i in order]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` to write; on success it replaces ``path``
    (mode 0644), so a reader sees the whole file or none of it. Creates missing folders."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


@contextlib.contextmanager
def atomic_folder(path: str | os.PathLike, work: str | os.PathLike | None = None) -> Iterator[Path]:
    """Yield a folder to fill; on success it replaces the folder ``path`` whole (the old one
    is deleted), so a reader finds the old folder or the new one, never a mix of the two.

    Args:
        path: the folder to replace (created if missing, with its parents).
        work: the folder to fill, kept as it is if it exists and left in place on failure
            (a computation that resumes from it); it must be beside ``path``. Default: a new
            temporary folder beside ``path``, deleted on failure.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if work is None:
        folder = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    else:
        folder = Path(work)
        folder.mkdir(exist_ok=True)
    try:
        yield folder
        os.chmod(folder, 0o755)  # mkdtemp makes it owner-only
        # a folder cannot be renamed over a non-empty one: move the old one aside first; in
        # between, ``path`` is briefly absent, never half old and half new
        old = path.with_name(f".{path.name}.{os.getpid()}.old")
        if path.exists():
            os.replace(path, old)
        try:
            os.replace(folder, path)
        except BaseException:
            if old.exists():
                os.replace(old, path)
            raise
        shutil.rmtree(old, ignore_errors=True)
    finally:
        if work is None:
            shutil.rmtree(folder, ignore_errors=True)


def _atomic_write(path: Path, write: Callable[[Any], None], *, binary: bool = False) -> None:
    """Call ``write(file)`` on a temporary file beside ``path``, then move it into place."""
    with atomic_path(path) as tmp:
        if binary:
            with open(tmp, "wb") as f:
                write(f)
        else:
            with open(tmp, "w", encoding="utf-8", newline="") as f:
                write(f)


def _graph_attrs(graph: nx.DiGraph) -> dict[str, Any]:
    _check_attr_names(graph.graph, "graph", ())
    return {k: _plain(v, f"graph attribute {k!r}") for k, v in graph.graph.items()}


def _node_attrs(graph: nx.DiGraph, node: Any, reserved: tuple[str, ...] = ()) -> dict[str, Any]:
    data = graph.nodes[node]
    _check_attr_names(data, f"node {node!r}", reserved)
    return {k: _plain(v, f"node {node!r} attribute {k!r}") for k, v in data.items()}


def _edge_attrs(graph: nx.DiGraph, u: Any, v: Any, reserved: tuple[str, ...] = ()) -> dict:
    data = graph.edges[u, v]
    _check_attr_names(data, f"edge {u!r}->{v!r}", reserved)
    return {k: _plain(val, f"edge {u!r}->{v!r} attribute {k!r}") for k, val in data.items()}


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise NetworkFileError(f"{path}: byte {err.start}: not UTF-8 text") from None


#: Deepest nesting of arrays and objects read from JSON: deeper values would exhaust the
#: recursion of the code that copies and checks them (a node-link file needs about 4).
MAX_JSON_DEPTH = 64


def _too_deep(data: Any) -> bool:
    """Whether ``data`` nests lists and dicts deeper than :data:`MAX_JSON_DEPTH` (iterative,
    so that the check itself cannot overflow the stack)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                return True
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
    return False


def _json_loads(text: str, where: str) -> Any:
    """``json.loads(text)``, refusing values nested deeper than :data:`MAX_JSON_DEPTH`
    (:class:`NetworkFileError` starting with ``where``); JSONDecodeError passes through."""
    try:
        data = json.loads(text)
        deep = _too_deep(data)
    except RecursionError:  # json nests on the C stack; deeper than Python's limit
        deep = True
    if deep:
        raise NetworkFileError(
            f"{where}: JSON nested deeper than {MAX_JSON_DEPTH} levels; a network's values are "
            "numbers, text or shallow tables"
        )
    return data


_NONFINITE = "$float"  # {"$float": "inf"}: a non-finite number in standard JSON


def _json_file_text(data: Any, indent: int | None) -> str:
    """Standard JSON (no ``Infinity``/``NaN`` tokens: other readers refuse them); a
    non-finite number is written as ``{"$float": "inf"}`` (or ``"-inf"``, ``"nan"``)."""

    def plain(value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return {_NONFINITE: str(value)}
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    return json.dumps(plain(data), indent=indent, ensure_ascii=False, allow_nan=False) + "\n"


def _numbers_back(value: Any) -> Any:
    """:func:`_json_file_text`'s non-finite numbers as floats again."""
    if isinstance(value, dict):
        if len(value) == 1 and isinstance(value.get(_NONFINITE), str):
            return float(value[_NONFINITE])
        return {k: _numbers_back(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers_back(v) for v in value]
    return value


def _read_json_object(path: Path, expected: str) -> dict[str, Any]:
    """The JSON object in ``path``; errors name the file, line and column, or ``expected``."""
    try:
        data = _json_loads(_read_text(path), str(path))
    except json.JSONDecodeError as err:
        raise NetworkFileError(
            f"{path}: line {err.lineno} column {err.colno}: not valid JSON ({err.msg})"
        ) from None
    if not isinstance(data, dict):
        raise NetworkFileError(f"{path}: expected a JSON object {expected}")
    return _numbers_back(data)


# ---------------------------------------------------------------------------- GraphML
def write_graphml(graph: nx.DiGraph, path: PathLike) -> None:
    """Write ``graph`` as GraphML (mappings and lists as JSON text; see the module docs).

    Args:
        graph: the network.
        path: the ``.graphml`` file to create or replace (atomically).

    Raises:
        ValueError: a node name, attribute name or value cannot be stored.
    """
    _check_graph(graph)
    for node in graph:
        _check_name(node, "GraphML")
    gdata = {k: _encode_text(v) for k, v in _graph_attrs(graph).items()}
    ndata = {n: {k: _encode_text(v) for k, v in _node_attrs(graph, n).items()} for n in graph}
    edges = _edge_order(graph)
    edata = {
        (u, v): {k: _encode_text(x) for k, x in _edge_attrs(graph, u, v).items()} for u, v in edges
    }

    keys: dict[tuple[str, str, str], str] = {}

    def key(scope: str, name: str, value: Any) -> str:
        kind = _GRAPHML_TYPES[type(value)]
        return keys.setdefault((scope, name, kind), f"d{len(keys)}")

    def data_elements(parent: ET.Element, scope: str, attrs: dict[str, Any]) -> None:
        for name, value in attrs.items():
            element = ET.SubElement(parent, "data", key=key(scope, name, value))
            if isinstance(value, bool):
                element.text = "true" if value else "false"
            elif isinstance(value, float):
                element.text = repr(value)
            else:
                element.text = str(value)

    graph_element = ET.Element("graph", edgedefault="directed")
    data_elements(graph_element, "graph", gdata)
    for node in graph:
        data_elements(ET.SubElement(graph_element, "node", id=node), "node", ndata[node])
    for u, v in edges:
        data_elements(ET.SubElement(graph_element, "edge", source=u, target=v), "edge", edata[u, v])

    root = ET.Element("graphml", xmlns=_GRAPHML_NS)
    for (scope, name, kind), key_id in keys.items():
        ET.SubElement(
            root, "key", {"id": key_id, "for": scope, "attr.name": name, "attr.type": kind}
        )
    root.append(graph_element)
    tree = ET.ElementTree(root)
    ET.indent(tree)
    _atomic_write(
        Path(path), lambda f: tree.write(f, encoding="utf-8", xml_declaration=True), binary=True
    )


def read_graphml(path: PathLike) -> nx.DiGraph:
    """Read a network written by :func:`write_graphml` (or any directed GraphML file).

    String values starting with ``{``, ``[`` or ``"`` are decoded as JSON.

    Args:
        path: the GraphML file.

    Returns:
        The graph (not validated).

    The file is parsed once, by :mod:`defusedxml` (entity declarations and external
    references are refused, whatever the runtime's expat version); networkx reads the
    parsed tree written back as text, which holds no DTD.

    Raises:
        NetworkFileError: the file is not valid GraphML, declares XML entities, is not a
            directed graph without parallel edges, or holds bad JSON text (the message names
            the file, and the line or the node/edge and attribute).
    """
    path = Path(path)
    try:
        root = SafeET.parse(path).getroot()
    except ET.ParseError as err:
        line, column = err.position
        raise NetworkFileError(
            f"{path}: line {line} column {column}: not valid XML ({err})"
        ) from None
    except DefusedXmlException as err:
        raise NetworkFileError(
            f"{path}: refused: it declares XML entities or external references ({err}); "
            "GraphML needs neither: remove the <!DOCTYPE ...> part"
        ) from None
    try:
        graph = nx.parse_graphml(ET.tostring(root), node_type=str)
    except (nx.NetworkXError, ValueError, KeyError, TypeError) as err:
        raise NetworkFileError(f"{path}: not a readable GraphML network: {err}") from None
    if not graph.is_directed() or graph.is_multigraph():
        kind = "parallel edges" if graph.is_multigraph() else "an undirected graph"
        raise NetworkFileError(f"{path}: holds {kind}; a supply network is a DiGraph")
    # networkx adds these bookkeeping dicts; stored graph attributes are still JSON text here
    for name in ("node_default", "edge_default"):
        if graph.graph.get(name) == {}:
            del graph.graph[name]
    graph = _in_file_order(graph, root)
    _decode_all(graph, path)
    return graph


def _in_file_order(graph: nx.DiGraph, root: ET.Element) -> nx.DiGraph:
    """``graph`` rebuilt with its nodes and edges in the order of the file whose root element
    is ``root`` (networkx's reader loses each node's order of suppliers)."""
    ns = f"{{{_GRAPHML_NS}}}"
    element = root.find(f"{ns}graph")
    nodes = [] if element is None else [e.get("id") for e in element.iter(f"{ns}node")]
    edges = (
        []
        if element is None
        else [(e.get("source"), e.get("target")) for e in element.iter(f"{ns}edge")]
    )
    out = nx.DiGraph()
    out.graph.update(graph.graph)
    for n in [*nodes, *graph]:
        if n in graph and n not in out:
            out.add_node(n, **graph.nodes[n])
    for u, v in [*edges, *graph.edges]:
        if graph.has_edge(u, v) and not out.has_edge(u, v):
            out.add_edge(u, v, **graph.edges[u, v])
    return out


def _decode_all(graph: nx.DiGraph, path: Path) -> None:
    def decode(data: dict[str, Any], where: str) -> None:
        for name, value in data.items():
            if isinstance(value, str):
                data[name] = _decode_text(value, f"{path}: {where} attribute {name!r}")

    decode(graph.graph, "graph")
    for node, data in graph.nodes(data=True):
        decode(data, f"node {node!r}")
    for u, v, data in graph.edges(data=True):
        decode(data, f"edge {u!r}->{v!r}")


# ---------------------------------------------------------------------------- JSON
def write_json(graph: nx.DiGraph, path: PathLike, *, indent: int | None = 1) -> None:
    """Write ``graph`` as node-link JSON (``networkx.node_link_data(graph, edges="edges")``).

    Args:
        graph: the network.
        path: the ``.json`` file to create or replace (atomically).
        indent: JSON indentation (``None``: one line).

    Raises:
        ValueError: a node name, attribute name or value cannot be stored.
    """
    _check_graph(graph)
    for node in graph:
        if isinstance(node, bool) or not isinstance(node, str | int):
            raise ValueError(f"node {node!r}: JSON stores node names as text or integers")
    plain = nx.DiGraph()
    plain.graph.update(_graph_attrs(graph))
    for node in graph:
        plain.add_node(node, **_node_attrs(graph, node, reserved=("id",)))
    order = _edge_order(graph)
    for u, v in order:
        plain.add_edge(u, v, **_edge_attrs(graph, u, v, reserved=("source", "target")))
    data = nx.node_link_data(plain, edges="edges")
    # node_link_data lists edges by source node; keep the order that also rebuilds each
    # node's order of suppliers
    data["edges"] = [{"source": u, "target": v, **plain.edges[u, v]} for u, v in order]
    text = _json_file_text(data, indent)
    _atomic_write(Path(path), lambda f: f.write(text))


def read_json(path: PathLike) -> nx.DiGraph:
    """Read a network written by :func:`write_json` (node-link JSON with an ``edges`` list).

    Args:
        path: the JSON file.

    Returns:
        The graph (not validated).

    Raises:
        NetworkFileError: the file is not valid JSON or not a directed node-link graph (the
            message names the file and the line, or the missing field).
    """
    path = Path(path)
    data = _read_json_object(path, "with 'nodes' and 'edges'")
    for field in ("nodes", "edges"):
        if not isinstance(data.get(field), list):
            raise NetworkFileError(f"{path}: field {field!r}: missing or not a list")
    if data.get("directed") is False or data.get("multigraph") is True:
        raise NetworkFileError(
            f"{path}: fields 'directed'/'multigraph': a supply network is directed without "
            f"parallel edges (directed=true, multigraph=false)"
        )
    for k, node in enumerate(data["nodes"]):
        if not isinstance(node, dict) or "id" not in node:
            raise NetworkFileError(f"{path}: nodes[{k}]: expected an object with an 'id'")
    for k, edge in enumerate(data["edges"]):
        if not isinstance(edge, dict) or "source" not in edge or "target" not in edge:
            raise NetworkFileError(
                f"{path}: edges[{k}]: expected an object with 'source' and 'target'"
            )
    try:
        return nx.node_link_graph(data, directed=True, multigraph=False, edges="edges")
    except (nx.NetworkXError, KeyError, TypeError, ValueError) as err:
        raise NetworkFileError(f"{path}: not a node-link network: {err}") from None


# ---------------------------------------------------------------------------- CSV
def csv_paths(path: PathLike) -> tuple[Path, Path, Path]:
    """The three files of a CSV network: edges ``path``, nodes ``<stem>.nodes.csv`` and
    graph attributes ``<stem>.graph.json`` beside it."""
    path = Path(path)
    stem = path.name[: -len(".csv")] if path.name.endswith(".csv") else path.name
    return path, path.with_name(f"{stem}.nodes.csv"), path.with_name(f"{stem}.graph.json")


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def _table_text(header: list[str], rows: Iterator[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_csv(graph: nx.DiGraph, path: PathLike) -> None:
    """Write ``graph`` as an edge-list CSV plus a node table and a graph-attribute file.

    See the module docstring for the layout and the cell encoding.

    Args:
        graph: the network.
        path: the edge-list file (``net.csv``); ``net.nodes.csv`` and ``net.graph.json`` are
            written beside it (each atomically).

    Raises:
        ValueError: a node name, attribute name or value cannot be stored.
    """
    _check_graph(graph)
    for node in graph:
        _check_name(node, "CSV")
    edges_path, nodes_path, graph_path = csv_paths(path)
    gdata = _graph_attrs(graph)
    nodes = {n: _node_attrs(graph, n, reserved=("node",)) for n in graph}
    order = _edge_order(graph)
    edges = {(u, v): _edge_attrs(graph, u, v, reserved=("source", "target")) for u, v in order}

    node_columns = _columns(list(nodes.values()))
    edge_columns = _columns(list(edges.values()))

    def cells(data: dict[str, Any], columns: list[str]) -> list[str]:
        return [_encode_cell(data[c]) if c in data else "" for c in columns]

    node_text = _table_text(
        ["node", *node_columns], ([n, *cells(d, node_columns)] for n, d in nodes.items())
    )
    edge_text = _table_text(
        ["source", "target", *edge_columns],
        ([u, v, *cells(d, edge_columns)] for (u, v), d in edges.items()),
    )
    graph_text = _json_file_text(gdata, 1)
    _atomic_write(graph_path, lambda f: f.write(graph_text))
    _atomic_write(nodes_path, lambda f: f.write(node_text))
    _atomic_write(edges_path, lambda f: f.write(edge_text))


def _read_table(
    path: Path, id_columns: tuple[str, ...]
) -> Iterator[tuple[int, list[str], dict[str, Any]]]:
    """Yield ``(line, ids, attributes)`` per row of a CSV table with ``id_columns`` first."""
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        try:
            header = next(reader, None)
            # the messages never quote line 1: the file may be one the scenario's author
            # pointed at to have it echoed (network.file may name any readable file)
            if header is None or header[: len(id_columns)] != list(id_columns):
                raise NetworkFileError(
                    f"{path}: line 1: header must start with {','.join(id_columns)}; "
                    "this file's first line does not (write it with networks.write_csv)"
                )
            names = header[len(id_columns) :]
            bad = [
                str(k)
                for k, n in enumerate(names, start=len(id_columns) + 1)
                if n == "" or names.count(n) > 1
            ]
            if bad:
                raise NetworkFileError(
                    f"{path}: line 1: column names must be distinct and non-empty "
                    f"(repeated or empty: column {', '.join(bad)})"
                )
            for row in reader:
                line = reader.line_num
                if not row:
                    continue
                if len(row) != len(header):
                    raise NetworkFileError(
                        f"{path}: line {line}: expected {len(header)} fields, got {len(row)}"
                    )
                ids = row[: len(id_columns)]
                for column, name in zip(id_columns, ids, strict=True):
                    if name == "":
                        raise NetworkFileError(f"{path}: line {line} column {column!r}: empty")
                attrs = {}
                for column, text in zip(names, row[len(id_columns) :], strict=True):
                    value = _decode_cell(text, f"{path}: line {line} column {column!r}")
                    if value is not _ABSENT:
                        attrs[column] = value
                yield line, ids, attrs
        except csv.Error as err:
            raise NetworkFileError(f"{path}: line {reader.line_num}: {err}") from None
        except UnicodeDecodeError:
            raise NetworkFileError(
                f"{path}: after line {reader.line_num}: not UTF-8 text"
            ) from None


def read_csv(path: PathLike) -> nx.DiGraph:
    """Read a network written by :func:`write_csv`.

    Args:
        path: the edge-list file (``net.csv``); ``net.nodes.csv`` and ``net.graph.json``
            beside it are read when present.

    Returns:
        The graph (not validated).

    Raises:
        NetworkFileError: a file is malformed (the message names the file, line and column).
        OSError: the edge-list file cannot be read.
    """
    edges_path, nodes_path, graph_path = csv_paths(path)
    graph = nx.DiGraph()
    if graph_path.exists():
        graph.graph.update(_read_json_object(graph_path, "of graph attributes"))
    if nodes_path.exists():
        for line, (node,), attrs in _read_table(nodes_path, ("node",)):
            if node in graph:
                raise NetworkFileError(f"{nodes_path}: line {line}: node {node!r} listed twice")
            graph.add_node(node, **attrs)
    for line, (u, v), attrs in _read_table(edges_path, ("source", "target")):
        if graph.has_edge(u, v):
            raise NetworkFileError(f"{edges_path}: line {line}: edge {u!r}->{v!r} listed twice")
        graph.add_edge(u, v, **attrs)
    return graph
