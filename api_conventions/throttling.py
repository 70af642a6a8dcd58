"""Redis-backed request throttles of both APIs: DRF's sliding window, decided in one Redis round trip.

DRF's own classes keep each client's request history as a pickled list in the cache and read and
rewrite all of it on every request (two round trips, and a list as long as the rate allows): a third
of the read API's time per request under load. Here the history is a sorted set that a Lua script
trims, counts and extends atomically, so the decision costs one ``EVALSHA`` whatever the rate, and
concurrent requests cannot both take the last place. The semantics stay DRF's: at most N requests in
any window of the rate's duration, per scope and identity (peer address or user).

The counters live in the ``default`` cache's Redis. Rates are read from the current settings on every
request, so a settings override (tests, the read API's own settings) takes effect. While Redis is down,
requests are counted in the process's memory instead (DRF's own history, in a local cache): the limits
still hold (per process), so an outage neither fails open nor turns every answer into a 500.
"""

from __future__ import annotations

import functools
import logging
import secrets
from typing import TYPE_CHECKING

import redis
from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from redis.commands.core import Script
from redis.exceptions import RedisError
from rest_framework import throttling
from rest_framework.settings import api_settings

if TYPE_CHECKING:  # DRF's views import the throttle classes named in the settings: no import at run time
    from rest_framework.request import Request
    from rest_framework.views import APIView

log = logging.getLogger("api.throttling")
_LOCAL_COUNTS = LocMemCache("throttle-fallback", {"MAX_ENTRIES": 100_000})

# KEYS[1] history; ARGV: now, window seconds, limit, a unique member. Returns nil when the request is
# allowed (and recorded), else the time of the oldest request still inside the window.
_SLIDING_WINDOW = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return false
"""


@functools.cache
def _script(location: str) -> Script:
    client = redis.Redis.from_url(location, socket_timeout=2, socket_connect_timeout=2)
    return client.register_script(_SLIDING_WINDOW)


class _SlidingWindow(throttling.SimpleRateThrottle):
    """Replaces :class:`rest_framework.throttling.SimpleRateThrottle`'s cache-held history."""

    # Set by DRF from the rate (``parse_rate``): None exactly when the scope has no rate.
    num_requests: int | None
    duration: int | None
    _now: float
    _oldest: float | None = None

    def get_rate(self) -> str | None:
        # DRF reads a class attribute fixed at import; the current settings here, so that settings
        # changed at run time apply (a throttle is built per request).
        # djangorestframework-stubs types the rates as numbers; they are DRF's "N/period" strings.
        self.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES  # type: ignore[assignment]
        return super().get_rate()

    def allow_request(self, request: Request, view: APIView) -> bool:
        if self.rate is None or self.num_requests is None or self.duration is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = self.timer()
        try:
            oldest = _script(settings.CACHES["default"]["LOCATION"])(
                keys=[key], args=[repr(now), self.duration, self.num_requests, f"{now!r}:{secrets.token_hex(4)}"])
        except RedisError as exc:
            # Never fail open (an outage must not lift the login rate): count in this process instead.
            log.warning("throttle store unavailable, counting in this process: %s", exc)
            return self._allow_locally(request, view)
        if oldest is None:
            return True
        self._now, self._oldest = now, float(oldest)
        return False

    def _allow_locally(self, request: Request, view: APIView) -> bool:
        self.cache = _LOCAL_COUNTS
        allowed = throttling.SimpleRateThrottle.allow_request(self, request, view)
        if not allowed:
            self._now, self._oldest = self.now, self.history[-1]
        return allowed

    def wait(self) -> float | None:
        """Seconds until the oldest request in the window leaves it (a place frees up)."""
        if self._oldest is None or self.duration is None:
            return None
        return max(self.duration - (self._now - self._oldest), 0.0)


class AnonThrottle(_SlidingWindow, throttling.AnonRateThrottle):
    """Anonymous requests per client IP (``anon`` rate)."""


class UserThrottle(_SlidingWindow, throttling.UserRateThrottle):
    """Authenticated requests per user (``user`` rate)."""


class ScopedThrottle(_SlidingWindow, throttling.ScopedRateThrottle):
    """Requests per view ``throttle_scope`` (e.g. ``auth``), per user or else per client IP."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        # DRF's ScopedRateThrottle learns its scope and rate from the view here, before deciding.
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)
