"""Readiness checks of the write API: its database and Redis."""

from __future__ import annotations

import redis
from django.conf import settings
from django.db import connection


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_redis() -> None:
    redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1).ping()


CHECKS = {"database": check_database, "redis": check_redis}
