"""GraphML for the network export: people or organisations, and who replied to whom, for Gephi.

A streaming writer (saxutils escaping into a text stream): nodes, then weighted directed edges,
one element at a time, in constant memory. networkx's writer needs the whole graph in memory
and builds the whole document there before writing it: on 200,000 edges between 20,000 people
it took 10.1 s (2.2 s to build the graph, 7.8 s to write) at 380 MB peak resident memory,
this writer 2.9 s at 22 MB (one core, issue 14). networkx is only used to read files back in
the tests.

The graph is described by two tables, so the CSV edge list and the GraphML file share their
columns and codebook:
- the node table has an ``id`` column (the node's identifier: a pseudonym or an organisation)
  and a ``label`` column (what Gephi shows); its other columns become node attributes;
- the edge table has ``source`` and ``target`` (node ids) and ``weight`` (a number, declared
  ``double``, which Gephi takes as the edge weight); its other columns become edge attributes.
Every attribute is declared with a GraphML ``key`` with ``attr.name`` and ``attr.type``, as
Gephi and networkx need; an empty cell leaves the attribute out for that node or edge.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import IO
from xml.sax.saxutils import escape, quoteattr

from bot.exports.cells import Cell, ColumnType, utc_text, xml_safe
from bot.exports.tables import Column, Row, Table

NODE_ID, NODE_LABEL = "id", "label"
EDGE_SOURCE, EDGE_TARGET, EDGE_WEIGHT = "source", "target", "weight"

_GRAPHML_TYPE = {
    ColumnType.TEXT: "string",
    ColumnType.ID: "string",
    ColumnType.INTEGER: "long",
    ColumnType.NUMBER: "double",
    ColumnType.BOOLEAN: "boolean",
    ColumnType.TIMESTAMP: "string",
    ColumnType.LOCAL_TIME: "string",
    ColumnType.DATE: "string",
}

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    ' xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns'
    ' http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n'
)
# A carriage return in element text would come back as a line feed from any XML parser.
_TEXT_ENTITIES = {"\r": "&#13;"}


def _value_text(column_type: ColumnType, value: Cell) -> str:
    """The attribute value as GraphML text for its declared type."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if column_type in (ColumnType.INTEGER, ColumnType.NUMBER):
        if not isinstance(value, int | float):
            raise TypeError(f"a {column_type.value} attribute holds numbers, not {value!r}")
        return repr(float(value)) if column_type is ColumnType.NUMBER else str(int(value))
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return xml_safe(str(value))


def _required(table: Table, names: tuple[str, ...], what: str) -> None:
    missing = [name for name in names if name not in table.header]
    if missing:
        raise ValueError(f"the {what} table {table.name!r} needs columns {', '.join(missing)}")


def _key_ids(table: Table, prefix: str) -> list[str]:
    # Key ids are local to the file; n_/e_ keep a node and an edge attribute of one name apart.
    return [f"{prefix}_{column.name}" for column in table.columns]


def _declare(
    text: IO[str], table: Table, domain: str, key_ids: list[str], skip: tuple[str, ...]
) -> None:
    for column, key_id in zip(table.columns, key_ids, strict=True):
        if column.name in skip:
            continue
        text.write(
            f'  <key id="{key_id}" for="{domain}" attr.name={quoteattr(column.name)}'
            f' attr.type="{_GRAPHML_TYPE[column.type]}"/>\n'
        )


def _data_writer(table: Table, key_ids: list[str], skip: tuple[str, ...]) -> Callable[[Row], str]:
    """A function that gives the ``<data>`` elements of one row."""
    fields = [
        (index, column, key_id)
        for index, (column, key_id) in enumerate(zip(table.columns, key_ids, strict=True))
        if column.name not in skip
    ]

    def data(row: Row) -> str:
        parts = []
        for index, column, key_id in fields:
            value = row[index]
            if value is None or (isinstance(value, float) and not math.isfinite(value)):
                continue
            text = escape(_value_text(column.type, value), _TEXT_ENTITIES)
            parts.append(f'<data key="{key_id}">{text}</data>')
        return "".join(parts)

    return data


def _node_id(value: Cell, what: str) -> str:
    if value is None or value == "":
        raise ValueError(f"every {what} needs a node id")
    return quoteattr(xml_safe(str(value)), {"\r": "&#13;"})


def write_graphml(
    nodes_table: Table,
    nodes: Iterable[Row],
    edges_table: Table,
    edges: Iterable[Row],
    out: IO[bytes],
) -> tuple[int, int]:
    """Write a directed graph to the binary stream ``out`` (left open); return the numbers of
    nodes and edges written."""
    _required(nodes_table, (NODE_ID, NODE_LABEL), "node")
    _required(edges_table, (EDGE_SOURCE, EDGE_TARGET, EDGE_WEIGHT), "edge")
    weight: Column = edges_table.column(EDGE_WEIGHT)
    if weight.type is not ColumnType.NUMBER:
        raise ValueError("the edge weight must be a number column (GraphML double)")
    node_keys = _key_ids(nodes_table, "n")
    edge_keys = _key_ids(edges_table, "e")
    node_data = _data_writer(nodes_table, node_keys, (NODE_ID,))
    edge_data = _data_writer(edges_table, edge_keys, (EDGE_SOURCE, EDGE_TARGET))
    id_at = nodes_table.header.index(NODE_ID)
    source_at = edges_table.header.index(EDGE_SOURCE)
    target_at = edges_table.header.index(EDGE_TARGET)

    text = io.TextIOWrapper(out, encoding="utf-8", newline="\n")
    try:
        text.write(_HEAD)
        _declare(text, nodes_table, "node", node_keys, (NODE_ID,))
        _declare(text, edges_table, "edge", edge_keys, (EDGE_SOURCE, EDGE_TARGET))
        text.write('  <graph id="G" edgedefault="directed">\n')
        node_count = edge_count = 0
        for row in nodes_table.checked_rows(nodes):
            node = _node_id(row[id_at], "node")
            text.write(f"    <node id={node}>{node_data(row)}</node>\n")
            node_count += 1
        for row in edges_table.checked_rows(edges):
            source = _node_id(row[source_at], "edge source")
            target = _node_id(row[target_at], "edge target")
            text.write(f"    <edge source={source} target={target}>{edge_data(row)}</edge>\n")
            edge_count += 1
        text.write("  </graph>\n</graphml>\n")
        text.flush()
    finally:
        text.detach()
    return node_count, edge_count
