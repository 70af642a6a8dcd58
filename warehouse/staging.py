"""Staging a batch of events in the writer's connection, where :mod:`warehouse.derivation` reads them.

From the log (the runtime's path): ``postgres_query`` over the write database attached read-only, by
position range and by the event types the warehouse handles; no Python object per event. From events in
memory (``WarehouseProjection.apply``): one newline-delimited JSON file read with ``read_json`` (types
given, nothing sniffed; binding Python values as parameters costs about a millisecond per row). The file
is local scratch space (``DATA_DIR/warehouse/staging``) even when the lake's data files live in an object
store. Staging happens before the batch's lake transaction (a transaction writes to one database only).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

import duckdb
import orjson

from infra.environment import data_path
from kernel.events import RecordedEvent
from warehouse.derivation import STAGED, STAGED_COLUMNS


def from_log(connection: duckdb.DuckDBPyConnection, alias: str, query: str) -> None:
    """Stage the rows of ``query`` (run by PostgreSQL on the database attached as ``alias``)."""
    quoted = query.replace("'", "''")
    casts = ", ".join(f"CAST({name} AS {kind}) AS {name}" for name, kind in STAGED_COLUMNS.items())
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {STAGED.rpartition('.')[2]} AS "
                       f"SELECT {casts} FROM postgres_query('{alias}', '{quoted}')")


def from_events(connection: duckdb.DuckDBPyConnection, events: Sequence[RecordedEvent[Any]]) -> None:
    """Stage ``events`` given in memory."""
    path = data_path("warehouse", "staging") / f"events-{os.getpid()}-{threading.get_ident()}.jsonl"
    lines = [orjson.dumps({"position": e.position, "type": e.type, "payload": orjson.dumps(e.payload).decode(),
                           "recorded_at": e.recorded_at}) for e in events]
    columns = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in STAGED_COLUMNS.items()) + "}"
    try:
        path.write_bytes(b"\n".join(lines) + b"\n")
        quoted = str(path).replace("'", "''")
        connection.execute(f"CREATE OR REPLACE TEMP TABLE {STAGED.rpartition('.')[2]} AS SELECT * FROM "
                           f"read_json('{quoted}', format = 'newline_delimited', columns = {columns})")
    finally:
        path.unlink(missing_ok=True)
