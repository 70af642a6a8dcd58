"""The load harness: concurrent HTTP clients (aiohttp) and, for baselines, concurrent PostgreSQL sessions.

Both drivers take a stream of work items, run ``total`` of them with ``concurrency`` workers pulling
from the stream, and time each one. A :class:`Measurement` keeps every latency, the status counts and
the errors; :meth:`Measurement.summary` gives p50/p95/p99, mean, throughput and the error count.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson
import psycopg

TIMEOUT_SECONDS = 30
Job = Callable[[psycopg.Connection], Any]


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str] | None = None
    body: Any = None
    ok: tuple[int, ...] = (200,)


@dataclass
class Measurement:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    codes: Counter = field(default_factory=Counter)  # envelope ``code`` of answers with status >= 400
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def error(self, text: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(text[:300])

    def summary(self) -> dict[str, Any]:
        values = sorted(self.latencies_ms)
        return {
            "count": len(values), "errors": self.errors,
            "p50_ms": percentile(values, 50), "p95_ms": percentile(values, 95), "p99_ms": percentile(values, 99),
            "mean_ms": sum(values) / len(values) if values else None,
            "throughput_rps": len(values) / self.seconds if self.seconds > 0 else None,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "codes": dict(sorted(self.codes.items())), "error_samples": self.error_samples,
        }


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not sorted_values:
        return None
    position = (len(sorted_values) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


# --- HTTP ---------------------------------------------------------------------------------------------


def _until(items: Iterator[Any], total: int, seconds: float | None) -> Iterator[Any]:
    """At most ``total`` items, and none taken once ``seconds`` have passed since the first."""
    deadline = None if seconds is None else time.perf_counter() + seconds
    for item in itertools.islice(items, total):
        if deadline is not None and time.perf_counter() > deadline:
            return
        yield item


async def _drive_http(base_url: str, requests: Iterator[HttpRequest], total: int, concurrency: int,
                      seconds: float | None) -> Measurement:
    measurement = Measurement()
    work = _until(requests, total, seconds)
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(base_url, connector=connector, timeout=timeout) as session:

        async def worker() -> None:
            for request in work:  # one shared iterator: each item is taken once
                data = orjson.dumps(request.body) if request.body is not None else None
                headers = {"Content-Type": "application/json", **(request.headers or {})}
                started = time.perf_counter()
                try:
                    async with session.request(request.method, request.path, data=data, headers=headers) as resp:
                        body = await resp.read()
                        elapsed = (time.perf_counter() - started) * 1000
                        measurement.statuses[resp.status] += 1
                        if resp.status >= 400:
                            measurement.codes[_code(body)] += 1
                        if resp.status in request.ok:
                            measurement.latencies_ms.append(elapsed)
                        else:
                            measurement.error(f"{request.method} {request.path} → {resp.status} {body[:200]!r}")
                except (aiohttp.ClientError, TimeoutError) as exc:
                    measurement.error(f"{request.method} {request.path} → {type(exc).__name__}: {exc}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        measurement.seconds = time.perf_counter() - started
    return measurement


def _code(body: bytes) -> str:
    """The envelope's ``code``, with the first reason given for ``start_at`` when there is one."""
    try:
        envelope = orjson.loads(body)
        code = str(envelope.get("code") or "none")
        reasons = (envelope.get("errors") or {}).get("start_at") if isinstance(envelope.get("errors"), dict) else None
    except (orjson.JSONDecodeError, AttributeError):
        return "not_json"
    return f"{code} ({reasons[0]})" if isinstance(reasons, list) and reasons else code


def drive_http(base_url: str, requests: Iterator[HttpRequest], *, total: int, concurrency: int,
               seconds: float | None = None) -> Measurement:
    """``total`` requests, or fewer when ``seconds`` run out first (the count is in the summary)."""
    return asyncio.run(_drive_http(base_url, requests, total, concurrency, seconds))


# --- PostgreSQL baselines -------------------------------------------------------------------------------


def drive_sql(database_url: str, jobs: Iterator[Job], *, total: int, concurrency: int,
              seconds: float | None = None) -> Measurement:
    """Run ``total`` jobs (fewer when ``seconds`` run out first) on ``concurrency`` threads, each with its own
    connection (opened before timing)."""
    measurement = Measurement()
    connections = [psycopg.connect(database_url, autocommit=True) for _ in range(concurrency)]
    work = _until(jobs, total, seconds)
    lock = threading.Lock()

    def worker(connection: psycopg.Connection) -> None:
        while True:
            with lock:
                job = next(work, None)
            if job is None:
                return
            started = time.perf_counter()
            try:
                job(connection)
            except Exception as exc:  # noqa: BLE001 - a failed baseline query is counted, not fatal
                with lock:
                    measurement.error(f"{type(exc).__name__}: {exc}")
                continue
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                measurement.latencies_ms.append(elapsed)
                measurement.statuses[200] += 1

    threads = [threading.Thread(target=worker, args=(c,), daemon=True) for c in connections]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    measurement.seconds = time.perf_counter() - started
    for connection in connections:
        connection.close()
    return measurement
