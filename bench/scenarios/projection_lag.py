"""Projection lag under a steady write load: time from a write's response to each read model having it.

A practitioner edits their services (``PATCH /api/v1/services/{id}/``, one ``service.updated`` event each)
at a steady rate; every write's ``X-Event-Position`` is compared with the positions the projectors
publish (``projection:<name>`` in Redis, what ``X-Min-Position`` waits on) and with the position of the
warehouse lake's latest committed snapshot (what the analytics endpoints answer from: read through the
read API's own reader, one lake transaction per poll), polled every 2 ms. Lag per write and projection =
first poll showing the position − the write's response time.

Baseline: PostgreSQL is read-your-writes: after each write's response a SELECT of the service sees the
new price; its "lag" is the time of that one query.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import aiohttp
import orjson
import psycopg
import redis

from bench.harness import Measurement
from bench.scenarios.base import Context, Scenario, ScenarioResult, median_of
from warehouse import reader

POLL_SECONDS = 0.002
SNAPSHOT = "warehouse (lake snapshot)"


class _Poller(threading.Thread):
    """Records when each projection's published position first reached each value."""

    def __init__(self, redis_url: str) -> None:
        super().__init__(daemon=True)
        self.client = redis.Redis.from_url(redis_url)
        self.stop = threading.Event()
        self.projections = sorted(k.decode().split(":", 1)[1] for k in self.client.scan_iter("projection:*"))
        # The warehouse's Redis position is published after its commit; analytics answer from the lake's
        # latest committed snapshot, so what a practitioner sees is measured on the lake itself.
        self.names = self.projections + ([SNAPSHOT] if "warehouse" in self.projections else [])
        self.timeline: dict[str, list[tuple[float, int]]] = {n: [] for n in self.names}

    def run(self) -> None:
        lake_reader = reader.LakeReader()
        while not self.stop.is_set():
            pipe = self.client.pipeline(transaction=False)
            for name in self.projections:
                pipe.hget(f"projection:{name}", "position")
            values = [int(raw or 0) for raw in pipe.execute()]
            if SNAPSHOT in self.names:
                try:
                    values.append(lake_reader.latest().position)
                except reader.NoWarehouse:
                    values.append(0)
            now = time.perf_counter()
            for name, position in zip(self.names, values, strict=True):
                line = self.timeline[name]
                if not line or position > line[-1][1]:
                    line.append((now, position))
            time.sleep(POLL_SECONDS)
        lake_reader.close()

    def seen_at(self, name: str, position: int) -> float | None:
        for when, reached in self.timeline[name]:
            if reached >= position:
                return when
        return None


class ProjectionLagScenario(Scenario):
    name = "projection_lag"
    title = "Projection lag under a steady write load"
    endpoint = "PATCH /api/v1/services/{service_id}/"
    baseline = "PostgreSQL read-after-write: one SELECT sees the write at commit"
    api = "write"

    async def _writes(self, ctx: Context, rate: float, seconds: float, run: int,
                      conn: psycopg.Connection) -> tuple[list[tuple[float, int]], Measurement, Measurement]:
        services = ctx.manifest["lag_service_ids"]
        headers = {"Content-Type": "application/json", **ctx.bearer(ctx.manifest["lag_practitioner_user_id"])}
        writes: list[tuple[float, int]] = []
        api, baseline = Measurement(), Measurement()
        count = max(int(rate * seconds), 1)
        async with aiohttp.ClientSession(ctx.write_url) as session:

            async def one(i: int) -> None:
                service_id = services[i % len(services)]
                price = 5_000 + run * 1_000 + i
                started = time.perf_counter()
                async with session.patch(f"/api/v1/services/{service_id}/", data=orjson.dumps(
                        {"price_cents": price}), headers=headers) as response:
                    body = await response.read()
                    answered = time.perf_counter()
                    api.statuses[response.status] += 1
                    if response.status != 200:
                        api.error(f"PATCH → {response.status} {body[:200]!r}")
                        return
                    api.latencies_ms.append((answered - started) * 1000)
                    writes.append((answered, int(response.headers["X-Event-Position"])))
                seen = await asyncio.to_thread(_select_price, conn, service_id, price)
                baseline.latencies_ms.append((seen - answered) * 1000)

            tasks = []
            started = time.perf_counter()
            for i in range(count):  # a steady rate, whatever the answers' latency
                await asyncio.sleep(max(started + i / rate - time.perf_counter(), 0))
                tasks.append(asyncio.create_task(one(i)))
            await asyncio.gather(*tasks)
            api.seconds = baseline.seconds = time.perf_counter() - started
        return writes, api, baseline

    def run(self, ctx: Context) -> ScenarioResult:
        result = self.result()
        result.baseline_descriptions = {"pg_read_after_write": self.baseline}
        missing = self.unavailable(ctx)
        if missing:
            result.status, result.note = "unavailable", missing
            return result
        ctx.token(ctx.manifest["lag_practitioner_user_id"])
        lags: dict[str, list[dict[str, Any]]] = {}
        with psycopg.connect(ctx.database_url, autocommit=True) as conn:
            for run in range(ctx.runs):
                poller = _Poller(ctx.redis_url)
                poller.start()
                writes, api, baseline = asyncio.run(self._writes(ctx, ctx.scale.lag_writes_per_second,
                                                                 ctx.scale.lag_seconds, run, conn))
                deadline = time.perf_counter() + 30
                top = max((p for _, p in writes), default=0)
                while time.perf_counter() < deadline and any(
                        (poller.seen_at(n, top) is None) for n in poller.names):
                    time.sleep(0.01)
                poller.stop.set()
                poller.join()
                result.api_runs.append(api.summary())
                result.baseline_runs.setdefault("pg_read_after_write", []).append(baseline.summary())
                for name in poller.names:
                    lag = Measurement(seconds=api.seconds)
                    for answered, position in writes:
                        seen = poller.seen_at(name, position)
                        if seen is None:
                            lag.error(f"position {position} not applied by {name} within 30 s")
                        else:
                            lag.latencies_ms.append(max(seen - answered, 0.0) * 1000)
                    lags.setdefault(name, []).append(lag.summary())

        result.extra = {"writes_per_second": ctx.scale.lag_writes_per_second, "seconds": ctx.scale.lag_seconds,
                        "lag_by_projection": {name: median_of(runs) for name, runs in sorted(lags.items())},
                        "poll_interval_ms": POLL_SECONDS * 1000}
        return result


def _select_price(conn: psycopg.Connection, service_id: str, price: int) -> float:
    row = conn.execute("SELECT price_cents FROM service WHERE id = %s", [service_id]).fetchone()
    if row is None or row[0] < price:
        raise AssertionError("PostgreSQL did not show the committed write")
    return time.perf_counter()
