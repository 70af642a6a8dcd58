"""Readiness checks of the write API: its database and Redis."""

from __future__ import annotations

from django.db import connection

from infra.redis_client import redis_client


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_redis() -> None:
    redis_client(timeout=1).ping()


CHECKS = {"database": check_database, "redis": check_redis}
