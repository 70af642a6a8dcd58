"""A dependency outage logs one clear line per process, not a traceback per request or task."""

from __future__ import annotations

import io
import logging

import psycopg
import pytest
import redis

from infra.outage_logging import OutageFilter


def _logger() -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(OutageFilter())
    logger = logging.getLogger(f"outage-test-{id(out)}")
    logger.propagate = False
    logger.addHandler(handler)
    return logger, out


def _real_error(connect) -> Exception:
    with pytest.raises(Exception) as caught:
        connect()
    return caught.value


def test_a_postgresql_outage_logs_one_line_not_a_traceback_per_failure():
    logger, out = _logger()
    # A real connection failure: nothing listens on port 1.
    error = _real_error(lambda: psycopg.connect("postgresql://postgres@127.0.0.1:1/x", connect_timeout=1))
    for _ in range(100):
        logger.error("projection search failed to drain", exc_info=error)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("PostgreSQL unavailable (projection search failed to drain): ")
    assert "Traceback" not in out.getvalue()


def test_a_redis_outage_too_and_other_errors_keep_their_traceback():
    logger, out = _logger()
    error = _real_error(lambda: redis.Redis(port=1, socket_connect_timeout=1).ping())
    for _ in range(10):
        logger.warning("throttle cache unavailable", exc_info=error)
    try:
        raise ValueError("a bug")
    except ValueError as bug:
        logger.error("unhandled error", exc_info=bug)
        logger.error("unhandled error", exc_info=bug)
    text = out.getvalue()
    assert text.count("Redis unavailable (throttle cache unavailable)") == 1
    assert text.count("Traceback") == 2 and text.count("ValueError: a bug") == 2
