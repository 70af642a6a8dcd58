"""Helpers for tests that start processes of their own: the test database's URL for a child process, free
ports, JSON over HTTP, a signed-up user, an empty lake catalog, and the supervised stack (``stack``, a
fixture that ``conftest.py`` shares)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import psutil
import psycopg
import pytest
from django.conf import settings
from django.db import connection

from infra.environment import PROJECT_ROOT

STARTUP_SECONDS = 30
STOP_SECONDS = 15


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url() -> str:
    """The URL of the database this test runs on (pytest's test database), for a process of its own."""
    return urlsplit(os.environ["DATABASE_URL"])._replace(path="/" + connection.settings_dict["NAME"]).geturl()


def http_call(method: str, url: str, body: dict[str, Any] | None = None,
              headers: dict[str, str] | None = None) -> tuple[int, Message, Any]:
    request = urllib.request.Request(url, method=method, data=orjson.dumps(body) if body is not None else None,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, orjson.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers, orjson.loads(error.read())


def signed_up(write_url: str, prefix: str = "proc") -> tuple[str, dict[str, str]]:
    """Register a fresh user over HTTP and log in: (user id, the Authorization header)."""
    email, password = f"{prefix}-{uuid.uuid4().hex[:8]}@example.com", "a-strong-password-1"
    status, _, body = http_call("POST", f"{write_url}/api/v1/auth/register/", {"email": email, "password": password})
    assert status == 202, body
    status, _, body = http_call("POST", f"{write_url}/api/v1/auth/login/", {"email": email, "password": password})
    assert status == 200, body
    auth = {"Authorization": f"Bearer {body['data']['access']}"}
    status, _, body = http_call("GET", f"{write_url}/api/v1/auth/me/", headers=auth)
    assert status == 200, body
    return body["data"]["id"], auth


def fresh_lake_catalog() -> str:
    """A warehouse catalog database of the stack's own, empty (a catalog names its data directory, and a
    stack's DATA_DIR is new): the suite's catalog URL with ``_processes`` appended, dropped first."""
    catalog = urlsplit(os.environ["WAREHOUSE_CATALOG_URL"])
    with psycopg.connect(catalog._replace(path="/postgres").geturl(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{catalog.path.lstrip("/")}_processes" WITH (FORCE)')
    return catalog._replace(path=catalog.path + "_processes").geturl()


def is_alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class Stack:
    def __init__(self, supervisor: subprocess.Popen[bytes], log: Path, write_url: str, read_url: str) -> None:
        self.supervisor = supervisor
        self.log = log
        self.write_url = write_url
        self.read_url = read_url
        self.seen: dict[int, psutil.Process] = {}  # every descendant ever listed, for the cleanup

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def descendants(self) -> list[psutil.Process]:
        try:
            found = psutil.Process(self.supervisor.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        self.seen.update((p.pid, p) for p in found)
        return found

    def wait_until(self, what: str, predicate: Callable[[], object], timeout: float = STARTUP_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.supervisor.poll() is None, f"supervisor exited while waiting for {what}:\n{self.output()}"
            try:
                if predicate():
                    return
            except (OSError, ValueError):
                pass
            time.sleep(0.2)
        pytest.fail(f"timed out waiting for {what}:\n{self.output()}")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    write_port, read_port = free_port(), free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "WRITE_API_PORT": str(write_port),
        "READ_API_PORT": str(read_port),
        "BIND_HOST": "127.0.0.1",
        "DEMO_DATA": "0",
        "EVENT_DISPATCH": "celery",
        "WEB_CONCURRENCY": "1",
        "WORKER_CONCURRENCY": "1",
        "DATA_DIR": str(tmp_path / "data"),
        # Generous for a loaded CI machine; the read still has to wait for the worker's projection.
        "MIN_POSITION_WAIT_SECONDS": "10",
    }
    environment["WAREHOUSE_CATALOG_URL"] = fresh_lake_catalog()
    log = tmp_path / "supervise.log"
    with log.open("wb") as sink:
        supervisor = subprocess.Popen([sys.executable, "-m", "infra.supervise"], cwd=PROJECT_ROOT, env=environment,
                                      stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                      start_new_session=True)
    stack = Stack(supervisor, log, f"http://127.0.0.1:{write_port}", f"http://127.0.0.1:{read_port}")
    try:
        yield stack
    finally:
        stack.descendants()
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()
        leftovers = [p for p in stack.seen.values() if is_alive(p)]  # only when the test failed
        for process in leftovers:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        psutil.wait_procs(leftovers, timeout=5)
