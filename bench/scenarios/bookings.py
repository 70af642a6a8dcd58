"""Booking writes under contention, then a count of double bookings (it must be zero).

Each run, concurrent clients ask for overlapping starts (10:00, 10:15 … 11:45 local, 60-minute sessions
with a 15-minute buffer) with four practitioners on one day, so most requests must lose: 201 for the
winners, 409 ``slot_unavailable`` for the rest. Afterwards SQL counts, for the whole database, confirmed
1:1 bookings of one practitioner that overlap, those closer than the buffer, and group sessions with more
active seats than capacity.

Baseline: the bare invariant in SQL — lock the practitioner row, look for a clash within the buffer,
insert — into a scratch table, with the same concurrency and the same overlapping requests (no credits,
events, idempotency or HTTP).
"""

from __future__ import annotations

import functools
import random
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from bench.harness import HttpRequest, Job, drive_http, drive_sql
from bench.scenarios.base import Context, Scenario, ScenarioResult

STARTS = [10 * 60 + 15 * k for k in range(8)]
DURATION = timedelta(minutes=60)
BUFFER = timedelta(minutes=15)
SCRATCH = "bench_baseline_booking"

OVERLAPS_SQL = """
SELECT count(*) FILTER (WHERE start_at < previous_end),
       count(*) FILTER (WHERE start_at < previous_end + make_interval(mins => buffer))
FROM (SELECT b.start_at, p.buffer_minutes AS buffer,
             max(b.end_at) OVER (PARTITION BY b.practitioner_id ORDER BY b.start_at, b.id
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS previous_end
      FROM booking b JOIN practitioner p ON p.id = b.practitioner_id
      WHERE b.status = 'confirmed' AND b.start_at IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM booking_seat s WHERE s.booking_id = b.id)) t
"""
OVERBOOKED_SQL = """
SELECT count(*) FROM (SELECT ss.id FROM service_session ss JOIN booking_seat bs ON bs.session_id = ss.id AND bs.active
                      GROUP BY ss.id, ss.capacity HAVING count(*) > ss.capacity) t
"""


def _start(day: date, minutes: int, zone: str) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=ZoneInfo(zone)) + timedelta(minutes=minutes)


def _targets(ctx: Context, day: date) -> list[tuple[str, str, str]]:
    """(practitioner id, service id, zone) of the contention practitioners."""
    m = ctx.manifest
    return list(zip(m["contention_practitioner_ids"], m["contention_service_ids"], m["contention_zones"],
                    strict=True))


def double_bookings(conn: psycopg.Connection) -> dict[str, int]:
    overlaps, within_buffer = _one(conn, OVERLAPS_SQL)
    return {"double_bookings": int(overlaps), "buffer_violations": int(within_buffer),
            "overbooked_sessions": int(_one(conn, OVERBOOKED_SQL)[0])}


def _one(conn: psycopg.Connection, sql: str) -> tuple[Any, ...]:
    """The single row an aggregate query returns."""
    row = conn.execute(sql).fetchone()
    assert row is not None, "an aggregate always returns a row"
    return tuple(row)


def _baseline_book(conn: psycopg.Connection, practitioner_id: str, start: datetime) -> bool:
    end = start + DURATION
    with conn.transaction():
        conn.execute("SELECT 1 FROM practitioner WHERE id = %s FOR UPDATE", [practitioner_id])
        clash = conn.execute(
            f"SELECT 1 FROM {SCRATCH} WHERE practitioner_id = %(p)s AND start_at < %(end)s AND end_at > %(start)s "
            "UNION ALL SELECT 1 FROM booking WHERE practitioner_id = %(p)s AND status = 'confirmed' "
            "AND start_at < %(end)s AND end_at > %(start)s LIMIT 1",
            {"p": practitioner_id, "start": start - BUFFER, "end": end + BUFFER}).fetchone()
        if clash is None:
            conn.execute(f"INSERT INTO {SCRATCH} (id, practitioner_id, start_at, end_at) VALUES (%s, %s, %s, %s)",
                         [uuid.uuid4(), practitioner_id, start, end])
            return True
    return False


class BookingContentionScenario(Scenario):
    name = "booking_contention"
    title = "Booking writes under contention"
    endpoint = "POST /api/v1/bookings/"
    baseline = "lock practitioner row, clash check within the buffer, INSERT (scratch table), same contention"
    api = "write"

    def _requests(self, ctx: Context, rng: random.Random, day: date) -> Iterator[HttpRequest]:
        targets = _targets(ctx, day)
        clients = ctx.manifest["client_user_ids"]
        while True:
            _, service_id, zone = rng.choice(targets)
            start = _start(day, rng.choice(STARTS), zone)
            headers = {**ctx.bearer(rng.choice(clients)), "Idempotency-Key": str(uuid.UUID(int=rng.getrandbits(128)))}
            yield HttpRequest("POST", "/api/v1/bookings/", headers=headers,
                              body={"service_id": service_id, "start_at": start.isoformat()}, ok=(201, 409))

    def _baseline_jobs(self, ctx: Context, rng: random.Random, day: date) -> Iterator[Job]:
        targets = _targets(ctx, day)
        while True:
            practitioner_id, _, zone = rng.choice(targets)
            start = _start(day, rng.choice(STARTS), zone)
            yield functools.partial(_baseline_book, practitioner_id=practitioner_id, start=start)

    def run(self, ctx: Context) -> ScenarioResult:
        result = self.result()
        result.baseline_descriptions = {"pg_transaction": self.baseline}
        missing = self.unavailable(ctx)
        if missing:
            result.status, result.note = "unavailable", missing
        for user_id in ctx.manifest["client_user_ids"]:
            ctx.token(user_id)  # minted before timing
        with psycopg.connect(ctx.database_url, autocommit=True) as conn:
            conn.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
            conn.execute(f"CREATE TABLE {SCRATCH} (id uuid PRIMARY KEY, practitioner_id uuid NOT NULL, "
                         "start_at timestamptz NOT NULL, end_at timestamptz NOT NULL)")
        n, c = ctx.scale.contention_requests, ctx.concurrency
        first = ctx.anchor.date() + timedelta(days=2)
        created: dict[str, int] = {"201": 0}
        codes: dict[str, int] = {}
        for run in range(ctx.runs):
            rng = ctx.rng(f"{self.name}:{run}")
            if not missing:
                measured = drive_http(ctx.write_url, self._requests(ctx, rng, first + timedelta(days=run)), total=n,
                                      concurrency=c)
                result.api_runs.append(measured.summary())
                created["201"] += measured.statuses.get(201, 0)
                for code, count in measured.codes.items():
                    codes[code] = codes.get(code, 0) + count
            measured = drive_sql(ctx.database_url, self._baseline_jobs(ctx, rng, first + timedelta(days=20 + run)),
                                 total=n, concurrency=c)
            result.baseline_runs.setdefault("pg_transaction", []).append(measured.summary())
        with psycopg.connect(ctx.database_url, autocommit=True) as conn:
            result.extra = {"attempts_per_run": n, "created": created["201"], "rejections": codes,
                            **double_bookings(conn)}
            base: dict[str, Any] = dict(zip(("baseline_double_bookings", "baseline_created"), _one(
                conn, f"SELECT count(*) FILTER (WHERE a.id IS NOT NULL), (SELECT count(*) FROM {SCRATCH}) "
                f"FROM {SCRATCH} b LEFT JOIN {SCRATCH} a ON a.practitioner_id = b.practitioner_id AND a.id < b.id "
                "AND a.start_at < b.end_at AND b.start_at < a.end_at"), strict=True))
            result.extra.update(base)
            conn.execute(f"DROP TABLE {SCRATCH}")
        return result
