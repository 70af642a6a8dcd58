"""Readiness checks of the read API: Redis (positions, throttling), the search engine, and that the DuckDB
extensions the warehouse lake needs load (checked once per process)."""

from __future__ import annotations

import functools

from api_conventions.health import Check
from read_models import positions
from search_index.engines import configured_engine
from warehouse import lake


def check_redis() -> None:
    positions.client().ping()


def check_search() -> None:
    configured_engine().ping()


@functools.cache
def check_warehouse_extensions() -> None:
    lake.check()


CHECKS: dict[str, Check] = {"redis": check_redis, "search": check_search, "warehouse": check_warehouse_extensions}
