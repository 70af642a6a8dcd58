"""One practitioner's rows of one lake snapshot, copied into the reader's memory once and read many times.

Why: a DuckLake table scan costs several round trips to the catalog database (the snapshot's data and
delete files, their column statistics) before it reads a byte, ~10–40 ms on the bench machine, while the
rows one practitioner's report needs are a few thousand at most. An analytics report runs 2–6 queries
with up to 3 scans each, so it paid for 5–15 catalog walks per request. A :class:`Slice` pays for five
scans once per (snapshot, practitioner) — bookings, money movements, the services and clients they name,
the practitioner's row — and every report, range and granularity asked of that snapshot afterwards runs
on in-memory tables of the same names (``warehouse.queries`` unchanged, no lake access).

Guarantees: a slice is a copy of exactly one snapshot (built inside the reading transaction that pinned
it), so answers and the position reported stay those of that snapshot, time travel included (a pinned
snapshot has its own id). Slices live in the reader connection's in-memory database, one schema each,
at most :data:`SLICES_KEPT` per process (least recently used dropped once no read uses it).
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from uuid import UUID

import duckdb

from warehouse import schema

SLICES_KEPT = 64
MEMORY = "memory"  # the reader connection's own (in-memory) database

# Table -> the rows of it a practitioner's reports read, from the lake generation in use (``USE``d), in
# build order (later ones read earlier copies). ``{slice}`` is the slice's schema in memory.
_COPIES: tuple[tuple[str, str], ...] = (
    (schema.FACT_BOOKING.name, "SELECT * FROM fact_booking WHERE practitioner_id = $practitioner_id::UUID"),
    (schema.FACT_CREDIT_MOVEMENT.name,
     "SELECT * FROM fact_credit_movement WHERE practitioner_id = $practitioner_id::UUID"),
    (schema.DIM_PRACTITIONER.name, "SELECT * FROM dim_practitioner WHERE practitioner_id = $practitioner_id::UUID"),
    (schema.DIM_SERVICE.name,
     "SELECT * FROM dim_service WHERE service_id IN (SELECT DISTINCT service_id FROM {slice}.fact_booking)"),
    (schema.DIM_CLIENT.name,
     "SELECT * FROM dim_client WHERE client_id IN (SELECT DISTINCT client_id FROM {slice}.fact_booking)"),
)
# The calendar the period spines read: the same days as the lake's ``dim_date``, computed once per process
# (``CALENDAR``) instead of copied per slice; each slice sees it under the lake's name.
CALENDAR = f"{MEMORY}.main.calendar"
_CALENDAR = (f"CREATE TABLE IF NOT EXISTS {CALENDAR} AS SELECT d::DATE AS date "
             f"FROM range(DATE '{schema.DATE_DIMENSION_FIRST}', DATE '{schema.DATE_DIMENSION_LAST}' + INTERVAL 1 DAY, "
             "INTERVAL 1 DAY) AS r(d) ORDER BY 1")
_DIM_DATE = f"CREATE VIEW {{slice}}.{schema.DIM_DATE.name} AS SELECT date FROM {CALENDAR}"


@dataclass
class Slice:
    """The in-memory schema holding one practitioner's rows of one snapshot."""

    schema_name: str
    zone: str | None  # the practitioner's zone in that snapshot (None: not in the warehouse)
    users: int = 0
    dropped: bool = field(default=False)


def schema_name(snapshot_id: int, practitioner_id: str) -> str:
    return f"slice_{int(snapshot_id)}_{UUID(practitioner_id).hex}"


def build(cursor: duckdb.DuckDBPyConnection, snapshot_id: int, practitioner_id: str) -> Slice:
    """Copy the practitioner's rows from the snapshot ``cursor``'s open transaction reads (its lake generation
    ``USE``d) into a new schema of the in-memory database, and commit that transaction (the lake is attached
    read-only: only the copies are written)."""
    name = schema_name(snapshot_id, practitioner_id)
    qualified = f"{MEMORY}.{name}"
    cursor.execute(f"DROP SCHEMA IF EXISTS {qualified} CASCADE")
    cursor.execute(f"CREATE SCHEMA {qualified}")
    parameters = {"practitioner_id": practitioner_id}
    for table, select in _COPIES:
        sql = select.format(slice=qualified)
        cursor.execute(f"CREATE TABLE {qualified}.{table} AS {sql}",
                       parameters if "$practitioner_id" in sql else None)
    cursor.execute(_CALENDAR)
    cursor.execute(_DIM_DATE.format(slice=qualified))
    row = cursor.execute(f"SELECT timezone FROM {qualified}.{schema.DIM_PRACTITIONER.name}").fetchone()
    cursor.execute("COMMIT")
    return Slice(name, str(row[0]) if row and row[0] else None)


class Slices:
    """This process's slices, least recently used first (thread-safe; a slice in use is never dropped)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slices: OrderedDict[tuple[int, str], Slice] = OrderedDict()
        self._building: dict[tuple[int, str], threading.Lock] = {}

    def building(self, snapshot_id: int, practitioner_id: str) -> threading.Lock:
        """Held while one thread builds this slice, so concurrent misses build it once."""
        with self._lock:
            return self._building.setdefault((snapshot_id, practitioner_id), threading.Lock())

    def acquire(self, snapshot_id: int, practitioner_id: str) -> Slice | None:
        with self._lock:
            found = self._slices.get((snapshot_id, practitioner_id))
            if found is not None:
                self._slices.move_to_end((snapshot_id, practitioner_id))
                found.users += 1
            return found

    def add(self, connection: duckdb.DuckDBPyConnection, snapshot_id: int, practitioner_id: str,
            built: Slice) -> Slice:
        """Register a built slice (acquired for the caller) and drop the least recently used beyond the bound."""
        with self._lock:
            built.users += 1
            self._slices[(snapshot_id, practitioner_id)] = built
            self._building.pop((snapshot_id, practitioner_id), None)
            while len(self._slices) > SLICES_KEPT:
                _key, old = self._slices.popitem(last=False)
                old.dropped = True
                if old.users == 0:
                    _drop(connection, old)
            return built

    def release(self, connection: duckdb.DuckDBPyConnection, used: Slice) -> None:
        with self._lock:
            used.users -= 1
            if used.dropped and used.users == 0:
                _drop(connection, used)

    def clear(self) -> None:
        """Forget every slice (their connection is closed: its in-memory database went with it)."""
        with self._lock:
            self._slices.clear()
            self._building.clear()

    @contextlib.contextmanager
    def reading(self, connection: duckdb.DuckDBPyConnection, used: Slice) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor whose unqualified table names are the slice's tables; the slice is released afterwards."""
        cursor = connection.cursor()
        try:
            cursor.execute(f"USE {MEMORY}.{used.schema_name}")
            yield cursor
        finally:
            cursor.close()
            self.release(connection, used)


def _drop(connection: duckdb.DuckDBPyConnection, old: Slice) -> None:
    with contextlib.suppress(duckdb.Error):
        cursor = connection.cursor()
        try:
            cursor.execute(f"DROP SCHEMA IF EXISTS {MEMORY}.{old.schema_name} CASCADE")
        finally:
            cursor.close()
