"""The writer's connections to generation files: at most one per file per process, closed when idle.

DuckDB lets one process open a database file read-write, and no other process may open it at the same
time (not even read-only). The projection runtime hands a projection from one process to another (the
warehouse worker, a CLI rebuild or verify, a test) under a PostgreSQL advisory lock, so a process must
not keep a file open once it is done: a connection is closed as soon as its holder says so
(:func:`close`) and, failing that, after :data:`IDLE_SECONDS` without use. Opening waits (bounded) while
another process still holds the file.

Each file is attached under the alias :data:`ALIAS` to an in-memory DuckDB connection, so that statements
(``CHECKPOINT`` before a snapshot is published) can name it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

ALIAS = "wh"
IDLE_SECONDS = 0.5
LOCK_WAIT_SECONDS = 20.0
# The writer's statements touch a batch's rows; one thread avoids thread hand-offs on every small statement.
THREADS = 1


class WarehouseLocked(RuntimeError):
    """Another process kept the generation file open for longer than :data:`LOCK_WAIT_SECONDS`."""


class _Handle:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.RLock()
        self.connection: duckdb.DuckDBPyConnection | None = None
        self.timer: threading.Timer | None = None
        self.held = 0  # open holds (:func:`held`): no idle close meanwhile

    def open(self) -> duckdb.DuckDBPyConnection:
        if self.connection is None:
            self.connection = _attach(self.path)
        return self.connection

    def close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.connection is not None:
            connection, self.connection = self.connection, None
            with contextlib.suppress(duckdb.Error):
                connection.execute("USE memory")
                connection.execute(f"DETACH {ALIAS}")
            connection.close()

    def close_later(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.held:
            return
        self.timer = threading.Timer(IDLE_SECONDS, self._close_if_idle)
        self.timer.daemon = True
        self.timer.start()

    def _close_if_idle(self) -> None:
        # Non-blocking: a holder that is using the connection right now re-arms the timer when done.
        if self.lock.acquire(blocking=False):
            try:
                self.close()
            finally:
                self.lock.release()


_handles: dict[str, _Handle] = {}
_handles_guard = threading.Lock()


def _handle(path: Path) -> _Handle:
    key = str(path.resolve())
    with _handles_guard:
        return _handles.setdefault(key, _Handle(path))


def _is_lock_conflict(error: duckdb.Error) -> bool:
    text = str(error).lower()
    return "lock" in text and ("conflict" in text or "could not set lock" in text)


def _attach(path: Path) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    delay = 0.02
    while True:
        connection = duckdb.connect(config={"threads": THREADS})
        try:
            connection.execute("SET TimeZone = 'UTC'")
            connection.execute(f"ATTACH '{_quoted(path)}' AS {ALIAS}")
            connection.execute(f"USE {ALIAS}")
            return connection
        except duckdb.Error as error:
            connection.close()
            if not _is_lock_conflict(error) or time.monotonic() >= deadline:
                if _is_lock_conflict(error):
                    raise WarehouseLocked(f"{path} is held by another process: {error}") from error
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.25)


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


@contextlib.contextmanager
def writer(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The read-write connection to ``path`` (opened on first use), exclusively for the caller.

    The file is closed after :data:`IDLE_SECONDS` unless used again; callers that know they are done
    (a worker task, a CLI command) call :func:`close` to release it at once.
    """
    handle = _handle(path)
    with handle.lock:
        if handle.timer is not None:
            handle.timer.cancel()
            handle.timer = None
        try:
            yield handle.open()
        except BaseException:
            # A failed statement may leave DuckDB's connection in an aborted state: start clean next time.
            handle.close()
            raise
        else:
            handle.close_later()


@contextlib.contextmanager
def held(path: Path) -> Iterator[None]:
    """Keep the writer's connection to ``path`` open across the :func:`writer` uses inside (no idle close
    between a replay's batches: closing checkpoints the file and reopening starts with a cold cache — 15% of
    a 5M-booking replay went to closing alone); idle-closed as usual afterwards."""
    handle = _handle(path)
    with handle.lock:
        handle.held += 1
    try:
        yield
    finally:
        with handle.lock:
            handle.held -= 1
            if handle.connection is not None:
                handle.close_later()


def is_open(path: Path) -> bool:
    handle = _handles.get(str(path.resolve()))
    return handle is not None and handle.connection is not None


def close(path: Path) -> None:
    """Close this process's connection to ``path`` (waits for a holder in another thread to finish)."""
    handle = _handle(path)
    with handle.lock:
        handle.close()


def close_all() -> None:
    with _handles_guard:
        handles = list(_handles.values())
    for handle in handles:
        with handle.lock:
            handle.close()
