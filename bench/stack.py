"""The system under test: ``python -m infra.supervise`` (both APIs under gunicorn, the projector worker, beat),
and beside it the conventional baseline (:mod:`bench.django_orm`) under the read API's gunicorn command line.

Started with the database and Redis of the benchmark, free ports, no demo data and throttles lifted
(the harness is one client address sending thousands of requests a second). Output goes to log files;
stopping sends SIGTERM to the supervisor, which stops every process it started, and to the baseline.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from infra.environment import PROJECT_ROOT
from infra.supervise import processes

STARTUP_SECONDS = 90
STOP_SECONDS = 20
UNTHROTTLED = "1000000/min"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Stack:
    process: subprocess.Popen
    write_url: str
    read_url: str
    log: Path
    orm_url: str = ""

    def output(self, tail: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-tail:] if self.log.exists() else ""


def orm_command(port: int) -> list[str]:
    """The read API's gunicorn command line (worker class, counts, timeouts), serving the baseline instead."""
    argv = list(next(spec for spec in processes() if spec.name == "read-api").argv)
    argv[argv.index("--bind") + 1] = f"127.0.0.1:{port}"
    argv[-1] = "bench.django_orm.wsgi:application"
    return argv


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _ready(url: str, path: str = "/health/ready/") -> bool:
    try:
        with urllib.request.urlopen(f"{url}{path}", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def running_stack(*, database_url: str, redis_url: str, data_dir: Path, log: Path,
                  orm: bool = False) -> Iterator[Stack]:
    """The shipped configuration (``WEB_CONCURRENCY``/``WORKER_CONCURRENCY`` as set, else their defaults), and
    the ``django_orm`` baseline when ``orm``."""
    write_port, read_port, orm_port = free_port(), free_port(), free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url, "REDIS_URL": redis_url, "CELERY_BROKER_URL": redis_url,
        "DATA_DIR": str(data_dir), "WRITE_API_PORT": str(write_port), "READ_API_PORT": str(read_port),
        "BIND_HOST": "127.0.0.1", "DEMO_DATA": "0", "EVENT_DISPATCH": "celery",
        "THROTTLE_ANON": UNTHROTTLED, "THROTTLE_USER": UNTHROTTLED, "THROTTLE_AUTH": UNTHROTTLED,
        "LOG_LEVEL": "WARNING",
    }
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "infra.supervise"], cwd=PROJECT_ROOT, env=environment,
                                   stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
        baseline = None
        if orm:
            orm_log = log.with_name("bench-django-orm.log")
            with orm_log.open("wb") as orm_sink:
                baseline = subprocess.Popen(orm_command(orm_port), cwd=PROJECT_ROOT, stdout=orm_sink,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                                            env={**environment, "DJANGO_SETTINGS_MODULE": "bench.django_orm.settings"})
    stack = Stack(process, f"http://127.0.0.1:{write_port}", f"http://127.0.0.1:{read_port}", log,
                  f"http://127.0.0.1:{orm_port}" if orm else "")
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not (_ready(stack.write_url) and _ready(stack.read_url)
                   and (baseline is None or _ready(stack.orm_url, "/health/"))):
            if process.poll() is not None:
                raise RuntimeError(f"the stack exited while starting:\n{stack.output()}")
            if baseline is not None and baseline.poll() is not None:
                raise RuntimeError(f"the django_orm baseline exited while starting (see {orm_log})")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the stack did not become ready in {STARTUP_SECONDS}s:\n{stack.output()}")
            time.sleep(0.25)
        yield stack
    finally:
        _stop(process)
        if baseline is not None:
            _stop(baseline)
