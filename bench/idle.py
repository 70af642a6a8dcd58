"""``python -m bench.idle``: what the whole ``make run`` stack costs when nothing happens (issue 13, item 4).

Starts ``python -m infra.with_services -- python -m infra.supervise`` exactly as ``make run`` does (embedded
PostgreSQL and Redis under its own ``DATA_DIR``, migrations, demo data, both APIs, the projector worker,
the warehouse writer and beat) on free ports, waits until both APIs are ready and every projection has
caught up, lets it settle, then measures for ``--seconds``: the CPU time of every process of the stack
(the process tree, plus the embedded servers, which daemonise, and their backends) as a share of one
core, per process and in all, and the console lines printed meanwhile. Writes ``bench/results/idle/idle.json``
and re-renders ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import orjson
import psutil

from bench.report import render
from bench.stack import free_port
from infra.environment import PROJECT_ROOT

BENCH_DIR = Path(__file__).resolve().parent
STARTUP_SECONDS = 300


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _caught_up(read_url: str) -> bool:
    """Every projection's published position has reached the head (``/metrics`` projection lag 0)."""
    try:
        with urllib.request.urlopen(f"{read_url}/metrics", timeout=5) as response:
            text = response.read().decode()
    except OSError:
        return False
    lags = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith("projection_lag_events{")]
    return bool(lags) and all(lag == 0 for lag in lags)


def _redis_address(data_dir: Path) -> str | None:
    """``host:port`` of the embedded Redis (its command line names no directory), from ``runtime.env``."""
    with contextlib.suppress(OSError):
        for line in (data_dir / "runtime.env").read_text().splitlines():
            if line.startswith("REDIS_URL="):
                return urlsplit(line.split("=", 1)[1].strip()).netloc.rsplit("@", 1)[-1]
    return None


def _stack_processes(root: psutil.Process, data_dir: Path) -> list[psutil.Process]:
    found = {root.pid: root}
    for process in root.children(recursive=True):
        found[process.pid] = process
    redis_address = _redis_address(data_dir)
    for process in psutil.process_iter(["cmdline"]):
        with contextlib.suppress(psutil.Error):
            cmdline = " ".join(process.info["cmdline"] or ())
            if str(data_dir) in cmdline or (redis_address and "redis-server" in cmdline and redis_address in cmdline):
                found[process.pid] = process
                for child in process.children(recursive=True):
                    found[child.pid] = child
    return list(found.values())


def _label(process: psutil.Process) -> str:
    with contextlib.suppress(psutil.Error):
        cmdline = " ".join(process.cmdline())
        for role in ("write_api.wsgi", "read_models.wsgi", "--queues projections", "--queues warehouse", " beat "):
            if role in cmdline:
                name = {"write_api.wsgi": "write-api", "read_models.wsgi": "read-api",
                        "--queues projections": "worker", "--queues warehouse": "warehouse", " beat ": "beat"}[role]
                return name if process.parent() is None or role not in " ".join(process.parent().cmdline()) \
                    else f"{name} (child)"
        if "postgres" in cmdline:
            return "postgresql"
        if "redis-server" in cmdline:
            return "redis"
        if "infra.supervise" in cmdline:
            return "supervisor"
        if "infra.with_services" in cmdline:
            return "with_services"
        return process.name()
    return "gone"


def _cpu(processes: list[psutil.Process]) -> dict[int, tuple[str, float]]:
    out = {}
    for process in processes:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            out[process.pid] = (_label(process), times.user + times.system)
    return out


def measure(seconds: float, settle: float, data_dir: Path) -> dict:
    write_port, read_port = free_port(), free_port()
    environment = {**os.environ, "DATA_DIR": str(data_dir), "WRITE_API_PORT": str(write_port),
                   "READ_API_PORT": str(read_port)}
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"):
        environment.pop(name, None)
    command = [sys.executable, "-m", "infra.with_services", "--", sys.executable, "-m", "infra.supervise"]
    root = subprocess.Popen(command, cwd=PROJECT_ROOT, env=environment, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, errors="replace",
                            start_new_session=True)
    lines: list[tuple[float, str]] = []

    def read_lines() -> None:
        for line in root.stdout or ():
            lines.append((time.monotonic(), line))

    pump = threading.Thread(target=read_lines, daemon=True)
    pump.start()
    read_url, write_url = f"http://127.0.0.1:{read_port}", f"http://127.0.0.1:{write_port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not (_ready(f"{write_url}/health/ready/") and _ready(f"{read_url}/health/ready/")
                   and _caught_up(read_url)):
            if root.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the stack did not start:\n" + "".join(line for _, line in lines[-40:]))
            time.sleep(1)
        time.sleep(settle)
        processes = _stack_processes(psutil.Process(root.pid), data_dir)
        before, started = _cpu(processes), time.monotonic()
        time.sleep(seconds)
        processes = _stack_processes(psutil.Process(root.pid), data_dir)
        after, elapsed = _cpu(processes), time.monotonic() - started
    finally:
        with contextlib.suppress(ProcessLookupError):
            root.send_signal(signal.SIGTERM)
        try:
            root.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(root.pid, signal.SIGKILL)
    by_role: dict[str, float] = defaultdict(float)
    for pid, (label, total) in after.items():
        by_role[label] += total - (before[pid][1] if pid in before else 0.0)
    window = [line for at, line in lines if started <= at <= started + elapsed]
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "seconds": round(elapsed, 1),
        "settle_seconds": settle, "processes": len(after),
        "cpu_percent_of_one_core": round(100 * sum(by_role.values()) / elapsed, 2),
        "by_process": {label: round(100 * cpu / elapsed, 2)
                       for label, cpu in sorted(by_role.items(), key=lambda item: -item[1])},
        "console_lines": len(window), "console_sample": [line.rstrip() for line in window[:10]],
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.idle", description=__doc__)
    parser.add_argument("--seconds", type=float, default=30.0, help="measured window (default 30)")
    parser.add_argument("--settle", type=float, default=15.0, help="wait after start-up before measuring")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    parser.add_argument("--report", type=Path, default=BENCH_DIR / "RESULTS.md")
    parser.add_argument("--charts-dir", type=Path, default=BENCH_DIR / "charts")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="idle-", dir=PROJECT_ROOT / "var") as scratch:
        figures = measure(args.seconds, args.settle, Path(scratch))
    print(orjson.dumps(figures, option=orjson.OPT_INDENT_2).decode())
    (args.results_dir / "idle").mkdir(parents=True, exist_ok=True)
    (args.results_dir / "idle" / "idle.json").write_bytes(orjson.dumps(figures, option=orjson.OPT_INDENT_2))

    render(args.results_dir, args.report, args.charts_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
