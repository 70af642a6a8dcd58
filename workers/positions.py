"""Publishing each projection's applied position to Redis, where the read API looks for it.

Key ``projection:<name>`` is a hash ``{generation, position, updated_at}``; HSET writes both fields
at once so a reader never pairs one generation with another's position. ``eventlog:head`` holds the
newest committed position (see ``write_api.eventlog.dispatch``).
"""

from __future__ import annotations

import functools
import time

import redis
from django.conf import settings

STATUS_KEY = "projections:status"


@functools.cache
def client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def published(names: list[str]) -> dict[str, tuple[int, int]]:
    """``{name: (generation, position)}`` as published (names never published are absent)."""
    pipe = client().pipeline(transaction=False)
    for name in names:
        pipe.hmget(f"projection:{name}", "generation", "position")
    return {name: (int(generation), int(position))
            for name, (generation, position) in zip(names, pipe.execute(), strict=True)
            if generation is not None and position is not None}


def publish(name: str, *, generation: int, position: int) -> None:
    client().hset(f"projection:{name}", mapping={"generation": generation, "position": position,
                                                 "updated_at": time.time()})

