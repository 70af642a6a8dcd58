"""Reading the lake: the latest committed snapshot, or the one that stood after event N.

Guarantees:

* A read is one DuckLake transaction: every statement of it sees one snapshot, the active generation
  and its checkpoint are read from that same snapshot (:class:`View`), so the position a response
  reports is the position of the data that answered. Nothing is copied or published: a commit of the
  writer is visible to the next read.
* Readers attach ``READ_ONLY`` with the reader's credentials (``warehouse.lake.reader_url``).
* ``as_of_position=N`` reads the newest snapshot whose commit was at or before position N (the
  writer stamps each commit with its position); N beyond the head or before the retained history
  raises :class:`PositionOutOfRange` with the range that is available.
* A catalog that cannot be reached raises ``lake.LakeUnavailable``; a lake that was never built (no
  catalog yet, no active generation) raises :class:`NoWarehouse`.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import duckdb
import orjson
import psycopg

from warehouse import lake, schema, slices

log = logging.getLogger(__name__)

PINNED_KEEP = 4  # snapshot versions kept attached for time travel, per process


class NoWarehouse(RuntimeError):
    """The warehouse has not been built yet."""


class PositionOutOfRange(ValueError):
    def __init__(self, earliest: int | None, latest: int) -> None:
        self.earliest, self.latest = earliest, latest
        super().__init__(f"available positions: {earliest}…{latest}")


@dataclass(frozen=True)
class View:
    """What a read sees: the snapshot, the generation readers use in it, and its applied position."""

    snapshot_id: int
    generation: int
    position: int


def _not_built(error: duckdb.Error) -> bool:
    text = str(error).lower()
    return ("database" in text and "does not exist" in text) or "read-only" in text or "read only" in text


def _view(cursor: duckdb.DuckDBPyConnection, alias: str, snapshot_id: int | None = None) -> View:
    """The view of ``alias`` in the cursor's open transaction (``snapshot_id``: the version it is pinned to)."""
    if snapshot_id is None:
        snapshot_id = int(lake.scalar(cursor.execute(f"SELECT id FROM {alias}.current_snapshot()").fetchone()))
    try:
        row = cursor.execute(f"SELECT max(generation) FROM {alias}.{schema.ACTIVE}").fetchone()
    except duckdb.CatalogException as error:
        raise NoWarehouse("the warehouse has not been built yet") from error
    if not row or row[0] is None:
        raise NoWarehouse("the warehouse has not been built yet")
    generation = int(row[0])
    table = f"{alias}.{schema.generation_schema(generation)}.{schema.CHECKPOINT.name}"
    position = cursor.execute(f"SELECT position FROM {table} WHERE id = 1").fetchone()
    return View(snapshot_id, generation, int(position[0]) if position else 0)


# The lake's head in one catalog round trip: the newest snapshot and the newest commit stamp of the
# generation readers use (``warehouse.projection._stamp`` writes it into the commit's extra info; orjson
# writes no spaces). Maintenance commits carry no stamp: they change files, not rows, so the stamp before
# them still gives the position and generation of what the newest snapshot holds.
_HEAD_SQL = """
SELECT s.id, c.commit_extra_info
FROM (SELECT max(snapshot_id) AS id FROM ducklake_snapshot) AS s
LEFT JOIN LATERAL (
    SELECT commit_extra_info FROM ducklake_snapshot_changes
    WHERE snapshot_id <= s.id AND commit_extra_info LIKE '%"active":true%'
    ORDER BY snapshot_id DESC LIMIT 1
) AS c ON true
"""


def _stamped_view(snapshot_id: int | None, info: str | None) -> View | None:
    if snapshot_id is None or info is None:
        return None
    try:
        stamp = orjson.loads(info)
        return View(int(snapshot_id), int(stamp["generation"]), int(stamp["position"]))
    except (orjson.JSONDecodeError, TypeError, KeyError, ValueError):
        return None


class _Catalog(threading.local):
    """This thread's plain PostgreSQL connection to the catalog (reader's credentials), for :meth:`LakeReader.head`."""

    connection: psycopg.Connection[tuple[Any, ...]] | None = None


class LakeReader:
    """Per-process reader (thread-safe): one read-only attachment, a cursor per read.

    :meth:`head` learns the latest snapshot without DuckDB (one indexed query on the catalog database), so a
    request answered from the snapshot-keyed cache never opens a DuckLake transaction.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._pinned: OrderedDict[int, str] = OrderedDict()  # snapshot version -> alias
        self._catalog = _Catalog()
        self._slices = slices.Slices()

    def head(self) -> View:
        """The latest committed snapshot's view (as :meth:`latest`, in one catalog round trip)."""
        try:
            connection = self._catalog.connection
            if connection is None or connection.closed:
                connection = self._catalog.connection = psycopg.connect(
                    lake.reader_url(), autocommit=True, connect_timeout=5)
            row = connection.execute(_HEAD_SQL).fetchone()
        except psycopg.Error:
            # Not built yet (no catalog database, role or DuckLake tables) or unreachable: the lake's own
            # attach tells which (NoWarehouse or LakeUnavailable).
            self._drop_catalog()
            return self.latest()
        view = _stamped_view(row[0], row[1]) if row else None
        return view if view is not None else self.latest()  # no stamp retained: ask the lake itself

    def _drop_catalog(self) -> None:
        connection, self._catalog.connection = self._catalog.connection, None
        if connection is not None:
            with contextlib.suppress(psycopg.Error):
                connection.close()

    def _base(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if self._connection is None:
                try:
                    self._connection = lake.reader_connection()
                except lake.LakeUnavailable as error:
                    if isinstance(error.__cause__, duckdb.Error) and _not_built(error.__cause__):
                        raise NoWarehouse("the warehouse has not been built yet") from error
                    raise
                self._pinned.clear()
                self._slices.clear()
            return self._connection

    def close(self) -> None:
        """Forget the attachment: the next read attaches afresh.

        The connection is dropped, never ``close()``d: closing it also closes the cursors other threads are
        reading with, and a cursor closed with its transaction open rolls back in a C++ destructor, which
        throws when the catalog link is broken (the catalog database stopped) and aborts the whole process
        (``std::terminate``). Each cursor instead rolls back explicitly, where the error is catchable, and
        closes itself (:meth:`open`); the connection is released with its last cursor.
        """
        with self._lock:
            self._connection = None
            self._pinned.clear()
            self._slices.clear()
        self._drop_catalog()

    def _pin(self, version: int) -> str:
        """The alias of the lake attached at snapshot ``version`` (attached on first use, few kept)."""
        connection = self._base()
        with self._lock:
            alias = self._pinned.get(version)
            if alias is not None:
                self._pinned.move_to_end(version)
                return alias
            alias = f"lake_at_{version}"
            connection.execute(f"DETACH DATABASE IF EXISTS {alias}")
            target = lake.attach_statement(lake.reader_url(), alias, read_only=True, snapshot_version=version)
            connection.execute(target)
            self._pinned[version] = alias
            while len(self._pinned) > PINNED_KEEP:
                _old, old_alias = self._pinned.popitem(last=False)
                with contextlib.suppress(duckdb.Error):
                    connection.execute(f"DETACH DATABASE IF EXISTS {old_alias}")
            return alias

    @contextlib.contextmanager
    def open(self, as_of_position: int | None = None) -> Iterator[tuple[View, duckdb.DuckDBPyConnection]]:
        """A cursor reading one snapshot (``USE`` its active generation) and the :class:`View` of it."""
        try:
            cursor = self._base().cursor()
        except duckdb.Error as error:
            self.close()
            raise lake.LakeUnavailable(f"the warehouse catalog cannot be reached: {error}") from error
        try:
            try:
                alias, version = lake.ALIAS, None
                if as_of_position is not None:
                    version = self.version_at(cursor, as_of_position)
                    alias = self._pin(version)
                cursor.execute("BEGIN TRANSACTION")
                view = _view(cursor, alias, version)
                cursor.execute(f"USE {alias}.{schema.generation_schema(view.generation)}")
            except duckdb.Error as error:
                self.close()
                raise lake.LakeUnavailable(f"the warehouse catalog cannot be reached: {error}") from error
            yield view, cursor
        finally:
            with contextlib.suppress(duckdb.Error):
                cursor.execute("ROLLBACK")
            cursor.close()

    @contextlib.contextmanager
    def practitioner(self, practitioner_id: str, as_of_position: int | None = None
                     ) -> Iterator[tuple[View, str | None, duckdb.DuckDBPyConnection]]:
        """A cursor over one practitioner's rows of one snapshot (:mod:`warehouse.slices`), the :class:`View` of
        that snapshot and the practitioner's zone in it (None: unknown to the warehouse).

        The latest snapshot is learnt from the catalog (:meth:`head`); when this process holds its slice the
        lake is not opened at all. Otherwise (or with ``as_of_position``) the lake is read as :meth:`open`
        does and the slice is copied from that snapshot.
        """
        if as_of_position is None:
            head = self.head()
            found = self._slices.acquire(head.snapshot_id, practitioner_id)
            if found is not None:
                with self._slices.reading(self._base(), found) as cursor:
                    yield head, found.zone, cursor
                return
        with self.open(as_of_position) as (view, lake_cursor), self._slices.building(view.snapshot_id, practitioner_id):
            found = self._slices.acquire(view.snapshot_id, practitioner_id)
            if found is None:
                try:
                    built = slices.build(lake_cursor, view.snapshot_id, practitioner_id)
                except duckdb.Error as error:
                    self.close()
                    raise lake.LakeUnavailable(f"the warehouse catalog cannot be reached: {error}") from error
                found = self._slices.add(self._base(), view.snapshot_id, practitioner_id, built)
        with self._slices.reading(self._base(), found) as cursor:
            yield view, found.zone, cursor

    def version_at(self, cursor: duckdb.DuckDBPyConnection, position: int) -> int:
        """The newest snapshot whose commit was at or before ``position`` in the generation readers used."""
        rows = cursor.execute(f"SELECT snapshot_id, commit_extra_info FROM {lake.ALIAS}.snapshots() "
                              "WHERE commit_extra_info IS NOT NULL ORDER BY snapshot_id").fetchall()
        stamps = []
        for snapshot_id, info in rows:
            with contextlib.suppress(orjson.JSONDecodeError, TypeError, KeyError):
                stamp = orjson.loads(info)
                if stamp["active"]:
                    stamps.append((int(snapshot_id), int(stamp["position"])))
        head = _view(cursor, lake.ALIAS)
        latest = head.position
        if position == latest:
            return head.snapshot_id  # pinned: a commit meanwhile must not move the answer past ``position``
        earliest = stamps[0][1] if stamps else latest
        if not earliest <= position <= latest:
            raise PositionOutOfRange(earliest, latest)
        return max(snapshot_id for snapshot_id, at in stamps if at <= position)

    def latest(self) -> View:
        with self.open() as (view, _cursor):
            return view

    def wait_for_position(self, minimum: int, *, timeout: float) -> View | None:
        """The latest view once it reached ``minimum`` (polled with back-off), None on timeout."""
        deadline = time.monotonic() + timeout
        delay = 0.005
        while True:
            view = self.head()
            if view.position >= minimum:
                return view
            if time.monotonic() >= deadline:
                return None
            time.sleep(delay)
            delay = min(delay * 2, 0.05)


_readers: list[LakeReader] = []


def shared() -> LakeReader:
    """This process's reader."""
    if not _readers:
        _readers.append(LakeReader())
    return _readers[0]


def close_all() -> None:
    for reader in _readers:
        reader.close()
