"""Publishing each projection's applied position to Redis, where the read API looks for it.

Key ``projection:<name>`` is a hash ``{generation, position, updated_at}``; HSET writes both fields at
once so a reader never pairs one generation with another's position. ``eventlog:head`` holds the newest
committed position (see ``write_api.eventlog.dispatch``). The key names: :mod:`kernel.positions`.
"""

from __future__ import annotations

import time

import redis

from infra.redis_client import redis_client
from kernel.positions import projection_key

STATUS_KEY = "projections:status"


def client() -> redis.Redis:
    return redis_client(timeout=2)


def published(names: list[str]) -> dict[str, tuple[int, int]]:
    """``{name: (generation, position)}`` as published (names never published are absent)."""
    pipe = client().pipeline(transaction=False)
    for name in names:
        pipe.hmget(projection_key(name), "generation", "position")
    return {name: (int(generation), int(position))
            for name, (generation, position) in zip(names, pipe.execute(), strict=True)
            if generation is not None and position is not None}


def publish(name: str, *, generation: int, position: int) -> None:
    client().hset(projection_key(name), mapping={"generation": generation, "position": position,
                                                 "updated_at": time.time()})

