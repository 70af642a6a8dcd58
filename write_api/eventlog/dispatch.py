"""After commit: publish the new head position and ask the projectors to drain.

Failures here are logged, never raised: the command has committed, and beat re-triggers every
projector each second, so a lost trigger only costs latency.
"""

from __future__ import annotations

import functools
import logging

import redis
from celery import Celery
from django.conf import settings

from infra.redis_client import redis_client
from kernel.positions import HEAD_KEY

log = logging.getLogger(__name__)

DRAIN_TASK = "workers.tasks.drain_all_projections"

# Keep the head monotonic even when two commits publish out of order.
_SET_MAX = ("local c = tonumber(redis.call('GET', KEYS[1]) or '0') "
            "if tonumber(ARGV[1]) > c then redis.call('SET', KEYS[1], ARGV[1]) end return 1")


@functools.cache
def _celery() -> Celery:
    return Celery("write_api", broker=settings.CELERY_BROKER_URL)


def _redis() -> redis.Redis:
    return redis_client(timeout=1)


def publish_head(position: int) -> None:
    _redis().eval(_SET_MAX, 1, HEAD_KEY, str(position))


def after_commit_dispatch(position: int) -> None:
    try:
        publish_head(position)
    except redis.RedisError:
        log.warning("could not publish event head %s", position, exc_info=True)
    if settings.EVENT_DISPATCH != "celery":
        return
    try:
        _celery().send_task(DRAIN_TASK, queue="projections")
    except Exception:  # noqa: BLE001 - broker down must not fail a committed command
        log.warning("could not trigger projectors after position %s", position, exc_info=True)
