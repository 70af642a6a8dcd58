"""``make run``: migrate, load demo data into an empty database, then run every process until stopped.

Runs under :mod:`infra.with_services`, so the database and Redis URLs are already exported. Each
process (write API, read API, projector worker, warehouse writer, beat) runs in its own session (process group), with
its own ``DJANGO_SETTINGS_MODULE`` (and, for the APIs, a fresh ``PROMETHEUS_MULTIPROC_DIR`` under
``DATA_DIR/prometheus``, so each API's ``/metrics`` sums its gunicorn workers).

A process that exits on its own (crash, SIGKILL, OOM) is restarted while the others keep serving:
after 1 s, then with a doubling backoff (up to 30 s) while it keeps crashing; three crashes within
five minutes are reported loudly. SIGINT/SIGTERM stops all of them: SIGTERM to each leader (which
stops its own children gracefully), SIGKILL to whatever is left after the grace period, and a final
SIGKILL sweep of every group so that no grandchild (gunicorn or Celery pool worker) outlives us.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from infra.environment import PROJECT_ROOT, data_path, env, env_bool
from warehouse.lake import LakeUnavailable, check

PYTHON = sys.executable
BIN = os.path.dirname(PYTHON)
GRACE_SECONDS = 10.0
FIRST_BACKOFF_SECONDS = 1.0  # a crashed process restarts after 1 s, then 2, 4, 8… up to MAX_BACKOFF_SECONDS
MAX_BACKOFF_SECONDS = 30.0
STABLE_SECONDS = 60.0  # a process that ran this long before crashing starts its backoff afresh
CRASH_WINDOW_SECONDS = 300.0
LOUD_CRASHES = 3  # this many crashes in the window are reported loudly
COLOURS = ("36", "33", "32", "35", "34", "31")


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    argv: list[str]
    settings: str
    metrics_dir: Path | None = None  # PROMETHEUS_MULTIPROC_DIR of a multi-process API


def processes() -> list[ProcessSpec]:
    """The long-running processes; docker-compose.yml runs the same roles, one per container."""
    host = env("BIND_HOST")
    log_level = env("LOG_LEVEL") or "INFO"
    schedule = data_path("celery") / "beat-schedule"
    gunicorn = [f"{BIN}/gunicorn", "--config", "python:infra.gunicorn_conf", "--workers", str(env("WEB_CONCURRENCY")),
                "--access-logfile", "-", "--graceful-timeout", "8"]
    # Access lines carry the request id the API put on the response (the id of its own log lines).
    gunicorn += ["--access-logformat", '%(h)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s']
    celery = [f"{BIN}/celery", "-A", "workers.celery_app"]
    metrics = data_path("prometheus")
    return [
        ProcessSpec("write-api", [*gunicorn, "--bind", f"{host}:{env('WRITE_API_PORT')}",
                                  "write_api.wsgi:application"], "write_api.settings", metrics / "write-api"),
        # Threads: a read waiting for X-Min-Position (or on Redis, the search engine) holds one thread, never a
        # whole process (bench/README.md, "Worker model").
        ProcessSpec("read-api", [*gunicorn, "--worker-class", "gthread", "--threads", str(env("READ_API_THREADS")),
                                 "--bind", f"{host}:{env('READ_API_PORT')}", "read_models.wsgi:application"],
                    "read_models.settings", metrics / "read-api"),
        ProcessSpec("worker", [*celery, "worker", "--queues", "projections,default", "--hostname", "worker@%h",
                               "--concurrency", str(env("WORKER_CONCURRENCY")), "--loglevel", log_level,
                               "--without-gossip", "--without-mingle"], "workers.settings"),
        # The lake has one writer process: the warehouse queue has its own worker, concurrency 1.
        # Solo pool: tasks run in the worker's own process (no pool child to hand each task to).
        ProcessSpec("warehouse", [*celery, "worker", "--queues", "warehouse", "--hostname", "warehouse@%h",
                                  "--pool", "solo", "--concurrency", "1", "--loglevel", log_level,
                                  "--without-gossip", "--without-mingle"], "workers.settings"),
        ProcessSpec("beat", [*celery, "beat", "--loglevel", log_level, "--schedule", str(schedule)],
                    "workers.settings"),
    ]


class StopRequest:
    """Records SIGINT/SIGTERM; the loops below poll it (a handler that raises could strike mid-spawn)."""

    signum: int | None = None

    @classmethod
    def handle(cls, signum: int, _frame: object) -> None:
        cls.signum = cls.signum or signum

    @classmethod
    def install(cls) -> None:
        signal.signal(signal.SIGINT, cls.handle)
        signal.signal(signal.SIGTERM, cls.handle)


def _child_env(settings: str, metrics_dir: Path | None = None) -> dict[str, str]:
    values = {**os.environ, "DJANGO_SETTINGS_MODULE": settings, "PYTHONUNBUFFERED": "1"}
    if metrics_dir is not None:
        values["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    return values


def _fresh_directory(path: Path) -> None:
    """Samples of a previous run's processes must not be summed into this run's figures."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)


def _manage(*args: str) -> bool:
    """Run a management command in the foreground; False when a stop request interrupted it."""
    child = subprocess.Popen([PYTHON, "manage.py", *args], cwd=PROJECT_ROOT, env=_child_env("workers.settings"))
    while child.poll() is None:
        if StopRequest.signum is not None:
            child.send_signal(StopRequest.signum)
            try:
                child.wait(GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            return False
        time.sleep(0.1)
    if child.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed with exit code {child.returncode}")
    return True


def _has_exited(child: subprocess.Popen) -> bool:
    """Exited, without reaping it: an unreaped leader keeps its process-group id from being reused,
    so signalling the group later can only reach what is left of *our* processes."""
    if child.returncode is not None:
        return True
    try:
        return os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


@dataclass
class Crashes:
    """When a process last started and its recent crashes, for the restart backoff."""

    started_at: float = 0.0
    times: list[float] = field(default_factory=list)

    def record(self, now: float) -> int:
        """Count a crash at ``now``; the number in the last :data:`CRASH_WINDOW_SECONDS`."""
        if now - self.started_at >= STABLE_SECONDS:
            self.times.clear()  # it had run long enough: a fresh crash starts the backoff again
        self.times = [t for t in self.times if now - t < CRASH_WINDOW_SECONDS] + [now]
        return len(self.times)

    def backoff(self) -> float:
        return min(FIRST_BACKOFF_SECONDS * 2 ** (len(self.times) - 1), MAX_BACKOFF_SECONDS)


class Supervisor:
    """Starts every process, restarts one that exits with backoff while the others keep serving, and on a
    stop request stops them all."""

    def __init__(self, specs: list[ProcessSpec]) -> None:
        names = [s.name for s in specs]
        if len(set(names)) != len(names):
            raise ValueError(f"process names must be unique: {names}")
        self.specs = specs
        self.children: dict[str, subprocess.Popen] = {}
        self.crashes: dict[str, Crashes] = {s.name: Crashes() for s in specs}
        self.restart_due: dict[str, float] = {}  # name → monotonic time of its restart
        self._out_lock = threading.Lock()
        self._pumps: list[threading.Thread] = []
        self._width = max(len("system"), *(len(s.name) for s in specs))
        self._colour = sys.stdout.isatty()

    def _print(self, name: str, index: int, line: str) -> None:
        label = f"{name:<{self._width}} | "
        if self._colour:
            colour = "1" if index < 0 else COLOURS[index % len(COLOURS)]
            label = f"\033[{colour}m{label}\033[0m"
        with self._out_lock:
            sys.stdout.write(label + line if line.endswith("\n") else label + line + "\n")
            sys.stdout.flush()

    def say(self, message: str) -> None:
        self._print("system", -1, message)

    def _pump(self, name: str, index: int, stream: IO[str]) -> None:
        for line in stream:
            self._print(name, index, line)

    def start(self) -> None:
        for spec in self.specs:
            if spec.metrics_dir is not None:
                _fresh_directory(spec.metrics_dir)
            self._spawn(spec)

    def _spawn(self, spec: ProcessSpec) -> None:
        index = self.specs.index(spec)
        child = subprocess.Popen(spec.argv, cwd=PROJECT_ROOT, env=_child_env(spec.settings, spec.metrics_dir),
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 text=True, errors="replace", start_new_session=True)
        self.children[spec.name] = child
        self.crashes[spec.name].started_at = time.monotonic()
        pump = threading.Thread(target=self._pump, args=(spec.name, index, child.stdout), daemon=True)
        pump.start()
        self._pumps.append(pump)
        self.say(f"{spec.name} started (pid {child.pid})")

    def supervise(self) -> None:
        """Until a stop is requested: restart, after a backoff, every process that exits."""
        while StopRequest.signum is None:
            now = time.monotonic()
            for spec in self.specs:
                child = self.children[spec.name]
                if spec.name in self.restart_due:
                    if now >= self.restart_due[spec.name]:
                        del self.restart_due[spec.name]
                        self._spawn(spec)
                elif _has_exited(child):
                    self._crashed(spec.name, child, now)
            time.sleep(0.2)

    def _crashed(self, name: str, child: subprocess.Popen, now: float) -> None:
        _signal_group(child.pid, signal.SIGKILL)  # what is left of its group (pool workers) goes with it
        code = child.wait()
        crashes = self.crashes[name]
        count = crashes.record(now)
        delay = crashes.backoff()
        self.restart_due[name] = now + delay
        if count >= LOUD_CRASHES:
            self.say(f"{'!' * 12} {name} HAS CRASHED {count} TIMES IN {CRASH_WINDOW_SECONDS:.0f}s (last exit code "
                     f"{code}); restarting it in {delay:.0f}s — look at its log above {'!' * 12}")
        else:
            self.say(f"{name} exited with code {code}; restarting it in {delay:.0f}s (the others keep running)")

    def stop(self) -> None:
        """SIGTERM every leader, SIGKILL after the grace period, then sweep every group once more."""
        for name, child in self.children.items():
            if not _has_exited(child):
                # The leader (gunicorn master, Celery main process) stops its own children gracefully.
                self.say(f"stopping {name} (pid {child.pid})")
                with contextlib.suppress(ProcessLookupError):
                    child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        while time.monotonic() < deadline and not all(_has_exited(c) for c in self.children.values()):
            time.sleep(0.1)
        for name, child in self.children.items():
            if not _has_exited(child):
                self.say(f"{name} did not stop in {GRACE_SECONDS:.0f}s: killing")
        for child in self.children.values():
            _signal_group(child.pid, signal.SIGKILL)  # also whatever grandchildren are left in the group
        for child in self.children.values():
            child.wait()
        for pump in self._pumps:
            pump.join(timeout=1)


def _warehouse_extensions_load(supervisor: Supervisor) -> bool:
    """Start-up check: the DuckDB extensions the lake needs load into the pinned DuckDB (clear error if not)."""
    try:
        supervisor.say(f"warehouse lake: extensions {', '.join(check())} load")
    except LakeUnavailable as failure:
        supervisor.say(f"warehouse lake unusable: {failure}")
        return False
    return True


def main() -> int:
    StopRequest.install()
    supervisor = Supervisor(processes())
    if not _manage("migrate", "--noinput"):
        return 0
    if not _warehouse_extensions_load(supervisor):
        return 1
    if env_bool("DEMO_DATA") and not _manage("demo_data", "--if-empty"):
        return 0
    supervisor.start()
    supervisor.supervise()
    supervisor.say(f"{signal.Signals(StopRequest.signum or signal.SIGTERM).name} received: stopping everything")
    supervisor.stop()
    supervisor.say("all processes stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
