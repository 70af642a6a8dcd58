"""A short-lived Redis cache of analytics answers, keyed by the lake snapshot that computed them.

A newer snapshot has another id, so its first request misses and recomputes: every commit of the writer
invalidates every cached answer at once, and the old keys expire after ``ANALYTICS_CACHE_SECONDS``. A Redis outage
only costs the cache, never the answer.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
import redis

from infra.environment import env_int
from read_models import positions

log = logging.getLogger(__name__)
PREFIX = "analytics:v1"


def key(snapshot_id: str, report: str, request_key: str) -> str:
    return f"{PREFIX}:{snapshot_id}:{report}:{request_key}"


def get(cache_key: str) -> Any | None:
    try:
        raw = positions.client().get(cache_key)
    except redis.RedisError:
        log.warning("analytics cache unavailable", exc_info=True)
        return None
    return orjson.loads(raw) if raw else None


def put(cache_key: str, value: Any) -> None:
    seconds = env_int("ANALYTICS_CACHE_SECONDS")
    if seconds <= 0:
        return
    try:
        positions.client().set(cache_key, orjson.dumps(value), ex=seconds)
    except redis.RedisError:
        log.warning("analytics cache unavailable", exc_info=True)
