"""Read-only snapshots: how readers see a consistent warehouse while the single writer keeps writing.

DuckDB allows one read-write process or many read-only ones on a file, never both. So readers never
open a generation file: the writer checkpoints (the write-ahead log into the file) and copies the file
byte for byte while it holds it (``COPY FROM DATABASE`` re-encodes every table: 7× slower on a 335 MB
file here, and the copy grows with the warehouse), then atomically replaces the pointer ``current.json``
(``os.replace``) that names it. A reader reads the pointer and opens that file read-only; a file is complete before any
pointer names it, and never changes afterwards. Old snapshots are deleted after two newer ones exist
(a reader that read the pointer just before a publication still finds the previous file; a reader that
already has a file open keeps reading it even after deletion — POSIX semantics); a reader that loses
the race re-reads the pointer.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import duckdb
import orjson

from warehouse import connections, layout

UNREFERENCED_GRACE_SECONDS = 2.0
PUBLISH_COST_RATIO = 4.0


class NoSnapshot(RuntimeError):
    """Nothing has been published yet."""


@dataclass(frozen=True)
class SnapshotInfo:
    id: str
    file: str
    generation: int
    position: int
    published_at: float
    previous_file: str | None = None
    seconds: float = 0.0  # how long the publication took (checkpoint and copy)

    def due_after(self, interval: float) -> float:
        """Seconds after :attr:`published_at` before the next publication: at least ``interval``, and
        :data:`PUBLISH_COST_RATIO` times this publication's own duration, so that copying a large warehouse
        takes at most a fifth of the writer's time (and of the disk's bandwidth) however often it is asked."""
        return max(interval, PUBLISH_COST_RATIO * self.seconds)


def current() -> SnapshotInfo | None:
    """The newest published snapshot, or None."""
    try:
        raw = layout.pointer_file().read_bytes()
        return SnapshotInfo(**orjson.loads(raw))
    except (FileNotFoundError, orjson.JSONDecodeError, TypeError):
        return None


def _write_pointer(info: SnapshotInfo) -> None:
    pointer = layout.pointer_file()
    temporary = pointer.with_name(f".{pointer.name}.{os.getpid()}.{threading.get_ident()}")
    temporary.write_bytes(orjson.dumps(asdict(info)))
    os.replace(temporary, pointer)


def publish(generation: int, *, force: bool = False) -> SnapshotInfo | None:
    """Copy generation ``generation`` into a new snapshot file and point readers at it.

    Without ``force`` nothing happens when the newest snapshot already shows this generation at its
    current checkpoint (returns it), or when readers already moved to a newer generation (returns
    None): a slow writer of a retired generation must not take readers back.
    """
    database = layout.generation_file(generation)
    with connections.writer(database) as connection:
        row = connection.execute("SELECT position FROM warehouse_checkpoint WHERE id = 1").fetchone()
        position = int(row[0]) if row else 0
        pointer = current()
        if not force and pointer is not None:
            if pointer.generation > generation:
                return None
            if pointer.generation == generation and pointer.position == position:
                return pointer
        snapshot_id = f"g{generation}-p{position}-{uuid.uuid4().hex[:10]}"
        target = layout.snapshot_file(snapshot_id)
        # Everything committed goes from the write-ahead log into the file; while this connection is held
        # nothing else writes to it, so a byte copy of the file is a complete, consistent database.
        started = time.perf_counter()
        connection.execute(f"CHECKPOINT {connections.ALIAS}")
        shutil.copyfile(database, target)
    info = SnapshotInfo(id=snapshot_id, file=target.name, generation=generation, position=position,
                        published_at=time.time(), previous_file=pointer.file if pointer else None,
                        seconds=round(time.perf_counter() - started, 4))
    _write_pointer(info)
    collect_garbage()
    return info


def collect_garbage() -> list[str]:
    """Delete snapshot files the pointer no longer names (keeping the current and the previous one).

    A file younger than :data:`UNREFERENCED_GRACE_SECONDS` and newer than the pointer may be a
    publication in progress elsewhere; it is left for the next collection.
    """
    pointer = current()
    keep = {pointer.file, pointer.previous_file} if pointer else set()
    removed = []
    now = time.time()
    for path in sorted(layout.snapshots_dir().glob("snap-*.duckdb*")):
        database_name = path.name.split(".duckdb")[0] + ".duckdb"
        if database_name in keep:
            continue
        with contextlib.suppress(FileNotFoundError):
            modified = path.stat().st_mtime
            if now - modified < UNREFERENCED_GRACE_SECONDS and (pointer is None or modified >= pointer.published_at):
                continue
            path.unlink()
            removed.append(path.name)
    return removed


# --- readers ------------------------------------------------------------------------------------------


class SnapshotReader:
    """Per-process cache of read-only connections to the newest snapshots (thread-safe).

    :meth:`open` yields the snapshot's description and a cursor of its own: each thread queries
    through its own cursor, and a connection is dropped once two newer snapshots were opened.
    """

    KEEP = 2

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: dict[str, duckdb.DuckDBPyConnection] = {}

    def _connection(self, info: SnapshotInfo) -> duckdb.DuckDBPyConnection:
        with self._lock:
            connection = self._connections.get(info.id)
            if connection is None:
                path = layout.snapshots_dir() / info.file
                if not path.exists():
                    raise FileNotFoundError(path)
                connection = duckdb.connect(str(path), read_only=True)
                connection.execute("SET TimeZone = 'UTC'")
                self._connections[info.id] = connection
                while len(self._connections) > self.KEEP:
                    # Dropping the reference closes it once no cursor of an in-flight query uses it.
                    self._connections.pop(next(iter(self._connections)))
            return connection

    @contextlib.contextmanager
    def open(self, info: SnapshotInfo | None = None) -> Iterator[tuple[SnapshotInfo, duckdb.DuckDBPyConnection]]:
        """The newest snapshot (or ``info``) and a cursor on it; :class:`NoSnapshot` if none exists."""
        for _attempt in range(5):
            chosen = info or current()
            if chosen is None:
                raise NoSnapshot("no warehouse snapshot has been published yet")
            try:
                cursor = self._connection(chosen).cursor()
            except (FileNotFoundError, duckdb.IOException):
                # Garbage-collected between reading the pointer and opening it: take the newer one.
                info = None
                time.sleep(0.01)
                continue
            try:
                yield chosen, cursor
            finally:
                cursor.close()
            return
        raise NoSnapshot("the warehouse snapshot kept changing while opening it")

    def close(self) -> None:
        with self._lock:
            self._connections.clear()


def wait_for_position(minimum: int, *, timeout: float) -> SnapshotInfo | None:
    """Poll the pointer until a snapshot at ``minimum`` or later is published (None on timeout)."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        info = current()
        if info is not None and info.position >= minimum:
            return info
        if time.monotonic() >= deadline:
            return None
        time.sleep(delay)
        delay = min(delay * 2, 0.05)
