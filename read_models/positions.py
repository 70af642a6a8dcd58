"""What each read model has applied (published by the projectors to Redis) and read-your-writes waits.

``X-Min-Position`` cannot be turned against the read API:

* a position beyond the event log's head can never be reached, so it is refused at once (400
  ``position_beyond_head``, the head in ``errors``) instead of holding a worker for the whole wait;
* at most :func:`waiting_slots` requests of one process wait at the same time (a bounded wait pool);
  one that finds the pool full answers 503 ``projection_lagging`` at once, so waiting requests never
  occupy every thread and other requests keep being served.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import redis
from django.conf import settings

from api_conventions.errors import ApplicationError, ProjectionLagging, ValidationFailed
from infra.environment import env_int
from infra.redis_client import redis_client
from kernel import positions as keys
from kernel.vocabulary import ErrorCode


class PositionBeyondHead(ApplicationError):
    status_code = 400
    code = ErrorCode.POSITION_BEYOND_HEAD
    default_message = "X-Min-Position is beyond the last committed event; send a position a write answered with."


@dataclass(frozen=True)
class ModelPosition:
    generation: int
    position: int
    updated_at: float


def client() -> redis.Redis:
    return redis_client(timeout=2)


def head() -> int:
    raw = client().get(keys.HEAD_KEY)
    return int(raw) if raw else 0


def reachable_head() -> int:
    """The newest position any read model could reach: the published head, or a projection's position
    when that is higher (the projectors republish the head they drained to, see ``workers.positions``)."""
    pipe = client().pipeline(transaction=False)
    pipe.get(keys.HEAD_KEY)
    names = [keys.projection_name(key) for key in client().scan_iter(match=keys.PROJECTION_KEY_PATTERN, count=100)]
    for name in names:
        pipe.hget(keys.projection_key(name), "position")
    raw = pipe.execute()
    return max((int(v) for v in raw if v), default=0)


def waiting_slots() -> int:
    """How many requests of one API process may wait for a position at once: one fewer than its threads
    (``READ_API_THREADS``), so one thread is always free for requests that do not wait."""
    return max(env_int("READ_API_THREADS") - 1, 0)


@functools.cache
def _wait_pool() -> threading.BoundedSemaphore | None:
    slots = waiting_slots()
    return threading.BoundedSemaphore(slots) if slots else None


def position_of(name: str) -> ModelPosition:
    raw = client().hgetall(keys.projection_key(name))
    if not raw:
        return ModelPosition(0, 0, 0.0)
    return ModelPosition(int(raw[b"generation"]), int(raw[b"position"]), float(raw.get(b"updated_at", 0)))


def all_projections() -> dict[str, ModelPosition]:
    out = {}
    for key in client().scan_iter(match=keys.PROJECTION_KEY_PATTERN, count=100):
        name = keys.projection_name(key)
        out[name] = position_of(name)
    return out


def lowest_position(names: tuple[str, ...]) -> int:
    return min(position_of(n).position for n in names) if names else head()


def parse_min_position(raw: str | None) -> int | None:
    """The ``X-Min-Position`` header's value: None when absent; 400 ``validation_failed`` unless it is a
    whole number from 0 to 2**63 - 1 (an event position)."""
    if raw is None:
        return None
    try:
        minimum = int(raw) if raw.strip().isascii() else -1
        if not 0 <= minimum < 2**63:
            raise ValueError
    except ValueError:
        raise ValidationFailed(errors={"X-Min-Position": ["Must be a non-negative whole number."]}) from None
    return minimum


def await_position(minimum: int, applied: Callable[[], int],
                   wait: Callable[[int, float], int | None]) -> int:
    """The ``X-Min-Position`` rule, for any read model: the position it has applied (``applied()``) when
    that is at least ``minimum``; otherwise, after :func:`waiting_turn` (400 beyond the head, 503 with the
    pool full), what ``wait(minimum, timeout)`` reached within ``MIN_POSITION_WAIT_SECONDS``, or 503
    ``projection_lagging`` when it returned None (timed out)."""
    current = applied()
    if current >= minimum:
        return current
    with waiting_turn(minimum, current):
        reached = wait(minimum, settings.MIN_POSITION_WAIT_SECONDS)
    if reached is None:
        raise ProjectionLagging(errors={"requested_position": minimum, "projection_position": applied()})
    return reached


@contextlib.contextmanager
def waiting_turn(minimum: int, current: int) -> Iterator[None]:
    """The right to wait for ``minimum`` (which ``current`` has not reached): refused at once with 400
    ``position_beyond_head`` when no committed event has that position, and with 503 ``projection_lagging``
    when this process's wait pool is full, so waits never hold every thread (any read model's waits)."""
    newest = reachable_head()
    if minimum > newest:
        raise PositionBeyondHead(errors={"X-Min-Position": [f"Must be at most {newest}, the last committed "
                                                            "event's position."],
                                         "requested_position": minimum, "head": newest})
    pool = _wait_pool()
    if pool is None or not pool.acquire(blocking=False):
        raise ProjectionLagging(errors={"requested_position": minimum, "projection_position": current})
    try:
        yield
    finally:
        pool.release()


def wait_until(names: tuple[str, ...], minimum: int, timeout: float) -> int | None:
    """The lowest position of ``names`` once it reaches ``minimum``; None after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        current = lowest_position(names)
        if current >= minimum:
            return current
        if time.monotonic() >= deadline:
            return None
        time.sleep(delay)
        delay = min(delay * 2, 0.05)
