"""Real parallel requests for the concurrency tests: threads released together by a barrier."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def in_parallel(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run ``calls`` in threads released at once; each gives its value or the exception it raised.

    Each thread closes its own database connection (Django opens one per thread).
    """
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def in_parallel_n(n: int, call: Callable[[int], Any]) -> list[Any]:
    """``call(0) … call(n - 1)`` in parallel."""
    return in_parallel([functools.partial(call, i) for i in range(n)])


def in_thread(target: Callable[[], None]) -> Callable[[], None]:
    """``target`` made fit to run on a thread of its own: its database connection is closed at the end."""

    def run() -> None:
        try:
            target()
        finally:
            connection.close()

    return run
