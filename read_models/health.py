"""Readiness checks of the read API: Redis (positions, throttling) and the search engine."""

from __future__ import annotations

from read_models import positions
from search_index.engines import configured_engine


def check_redis() -> None:
    positions.client().ping()


def check_search() -> None:
    configured_engine().ping()


CHECKS = {"redis": check_redis, "search": check_search}
