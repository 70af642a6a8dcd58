"""A bounded, transparent retry of commands that lost a deadlock or a serialization conflict.

Commands take their locks in one order (``write_api.eventlog.services``), so deadlocks should not
happen; should one still (a lock taken implicitly, a future command), PostgreSQL aborts one of the
transactions with ``40P01`` (deadlock detected) or ``40001`` (serialization failure). Such an attempt
left nothing behind: a command talks to nothing outside PostgreSQL inside its transaction (work for
the outside world runs after commit), so running it again is safe and is what the client would do.
:func:`retrying` does that up to :data:`ATTEMPTS` times with a short random pause; any other error,
and the last conflict, propagate unchanged.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import psycopg
from django.db import DatabaseError, connection

log = logging.getLogger(__name__)

ATTEMPTS = 3
RETRIED_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected

P = ParamSpec("P")
R = TypeVar("R")


def is_conflict(error: BaseException) -> bool:
    """A deadlock or serialization failure (Django wraps psycopg's error as the cause)."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, psycopg.Error) and seen.sqlstate in RETRIED_SQLSTATES:
            return True
        seen = seen.__cause__
    return False


def retrying(command: Callable[P, R]) -> Callable[P, R]:
    """Put outside ``transaction.atomic(durable=True)``: each attempt is a whole new transaction."""

    @functools.wraps(command)
    def attempt(*args: P.args, **kwargs: P.kwargs) -> R:
        for number in range(1, ATTEMPTS + 1):
            try:
                return command(*args, **kwargs)
            except DatabaseError as error:
                if number == ATTEMPTS or connection.in_atomic_block or not is_conflict(error):
                    raise
                log.warning("%s lost a lock conflict (%s); retrying (attempt %s of %s)", command.__qualname__,
                            getattr(error.__cause__, "sqlstate", "?"), number + 1, ATTEMPTS)
                time.sleep(random.uniform(0.005, 0.05) * number)
        raise AssertionError("unreachable")

    return attempt
