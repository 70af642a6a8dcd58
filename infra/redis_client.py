"""The one way every process opens Redis: a client (with its connection pool) per timeout, per process."""

from __future__ import annotations

import functools

import redis
from django.conf import settings


@functools.cache
def redis_client(*, timeout: float = 2.0) -> redis.Redis:
    """A client for ``settings.REDIS_URL`` whose commands give up after ``timeout`` seconds (connecting
    gives up after at most 2 s), so an outage becomes a quick ``redis.RedisError`` instead of a hang."""
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=timeout,
                                socket_connect_timeout=min(timeout, 2.0))
