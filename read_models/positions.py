"""What each read model has applied (published by the projectors to Redis) and read-your-writes waits."""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis
from django.conf import settings

from api_conventions.errors import ProjectionLagging
from infra.redis_client import redis_client


@dataclass(frozen=True)
class ModelPosition:
    generation: int
    position: int
    updated_at: float


def client() -> redis.Redis:
    return redis_client(timeout=2)


def head() -> int:
    raw = client().get("eventlog:head")
    return int(raw) if raw else 0


def position_of(name: str) -> ModelPosition:
    raw = client().hgetall(f"projection:{name}")
    if not raw:
        return ModelPosition(0, 0, 0.0)
    return ModelPosition(int(raw[b"generation"]), int(raw[b"position"]), float(raw.get(b"updated_at", 0)))


def all_projections() -> dict[str, ModelPosition]:
    out = {}
    for key in client().scan_iter(match="projection:*", count=100):
        name = key.decode().split(":", 1)[1]
        out[name] = position_of(name)
    return out


def lowest_position(names: tuple[str, ...]) -> int:
    return min(position_of(n).position for n in names) if names else head()


def wait_for(names: tuple[str, ...], minimum: int, *, timeout: float | None = None) -> int:
    """Block until every named read model applied ``minimum``; 503 ``projection_lagging`` otherwise."""
    deadline = time.monotonic() + (settings.MIN_POSITION_WAIT_SECONDS if timeout is None else timeout)
    delay = 0.005
    while True:
        current = lowest_position(names)
        if current >= minimum:
            return current
        if time.monotonic() >= deadline:
            raise ProjectionLagging(errors={"requested_position": minimum, "projection_position": current})
        time.sleep(delay)
        delay = min(delay * 2, 0.05)
