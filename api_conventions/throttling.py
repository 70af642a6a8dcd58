"""Redis-backed request throttles of both APIs (counters live in the ``default`` cache).

DRF's classes copy ``DEFAULT_THROTTLE_RATES`` once, at import; these read the current settings on
every request, so a settings override (tests, the read API's own settings) takes effect. While the
cache (Redis) is down, requests are counted in the process's memory instead: the limits still hold
(per process), so an outage neither fails open nor turns every answer into a 500.
"""

from __future__ import annotations

import logging

from django.core.cache.backends.locmem import LocMemCache
from redis.exceptions import RedisError
from rest_framework import throttling
from rest_framework.settings import api_settings

log = logging.getLogger("api.throttling")
_LOCAL_COUNTS = LocMemCache("throttle-fallback", {"MAX_ENTRIES": 100_000})


class _LiveRates:
    @property
    def THROTTLE_RATES(self) -> dict[str, str | None]:  # noqa: N802 - the name DRF reads
        return api_settings.DEFAULT_THROTTLE_RATES

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)  # type: ignore[misc]
        except RedisError as exc:
            # Never fail open (an outage must not lift the login rate): count in this process instead.
            log.warning("throttle cache unavailable, counting in this process", exc_info=exc)
            self.cache = _LOCAL_COUNTS
            return super().allow_request(request, view)  # type: ignore[misc]


class AnonThrottle(_LiveRates, throttling.AnonRateThrottle):
    """Anonymous requests per client IP (``anon`` rate)."""


class UserThrottle(_LiveRates, throttling.UserRateThrottle):
    """Authenticated requests per user (``user`` rate)."""


class ScopedThrottle(_LiveRates, throttling.ScopedRateThrottle):
    """Requests per view ``throttle_scope`` (e.g. ``auth``), per user or else per client IP."""
