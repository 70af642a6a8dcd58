"""A dependency outage logs one clear line per process, not a traceback per request, task or tick.

While PostgreSQL (or Redis) is down every request, drain and beat tick fails the same way; printing each
traceback floods the console and hides everything else. :class:`OutageFilter` sits on a process's log
handlers: a record whose exception (or any exception in its cause chain) is a lost connection becomes
one line naming the dependency, and further such records are dropped for :data:`REMIND_SECONDS`
(then one reminder line). Every other record passes untouched.
"""

from __future__ import annotations

import logging
import threading
import time

import django.db
import psycopg
import redis.exceptions

REMIND_SECONDS = 60.0


def _dependency(error: BaseException | None) -> str | None:
    """Which dependency a connection failure is about; None for any other error."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
            # No SQLSTATE: the connection itself failed; 08…: connection exception; 57P…: server shutting down.
            # Anything else (a deadlock, a serialization failure) is a real error with its own traceback.
            state = error.sqlstate
            return "PostgreSQL" if state is None or state.startswith(("08", "57P")) else None
        if isinstance(error, django.db.InterfaceError) and error.__cause__ is None:
            return "PostgreSQL"  # "connection already closed"
        if isinstance(error, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
            return "Redis"
        error = error.__cause__ or error.__context__
        seen += 1
    return None


class OutageFilter(logging.Filter):
    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        dependency = _dependency(error)
        if dependency is None:
            return True
        now = time.monotonic()
        with self._lock:
            last = self._last.get(dependency)
            if last is not None and now - last < REMIND_SECONDS:
                return False
            self._last[dependency] = now
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        record.msg = (f"{dependency} unavailable ({record.getMessage()}): {first_line} — "
                      f"repeats are silenced for {REMIND_SECONDS:.0f}s")
        record.args = ()
        record.exc_info = None
        record.exc_text = None
        record.levelno, record.levelname = logging.ERROR, "ERROR"
        return True


def install(logger: logging.Logger) -> None:
    """Put one shared :class:`OutageFilter` on every handler of ``logger`` (Celery's own handlers)."""
    for handler in logger.handlers:
        if not any(isinstance(f, OutageFilter) for f in handler.filters):
            handler.addFilter(_SHARED)


_SHARED = OutageFilter()
