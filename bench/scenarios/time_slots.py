"""Time slots (catalogue read model + :mod:`kernel.availability`) against the same function fed by SQL.

Computing free slots in SQL alone is impractical (zones, DST, grids, buffers), so the baseline is the
write side's way: load the practitioner's rules, weekly windows, overrides, busy time (confirmed 1:1
bookings and scheduled group sessions) and blocks from PostgreSQL for each request, then call the same
pure function the read API calls. ``time_slots``: 31 days of the practitioner with the most future
bookings (issue 3: 500); ``time_slots_week``: 7 days of random 1:1 services.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import psycopg

from bench.harness import HttpRequest, Job
from bench.scenarios.base import Baselines, Context, HttpVsSql, ScenarioResult, forever
from kernel import availability
from kernel.timezones import local_days_range, parse_zone

MARGIN = timedelta(days=2)


def slot_queries(ctx: Context, rng: random.Random, *, heavy: bool) -> Iterator[tuple[str, date, int]]:
    """31 days of the busiest practitioner, or 7 days of a random 1:1 service."""
    first = (ctx.anchor + timedelta(days=1)).date()
    sessions = ctx.manifest["session_service_ids"]

    def make() -> tuple[str, date, int]:
        if heavy or not sessions:
            return ctx.manifest["slots_service_id"], first, 31
        return rng.choice(sessions), first + timedelta(days=rng.randrange(14)), 7
    return forever(make)


def slots_from_sql(conn: psycopg.Connection, service_id: str, day: date, days: int) -> list[dict[str, Any]]:
    row = conn.execute(
        "SELECT p.id, p.timezone, p.buffer_minutes, p.min_notice_minutes, p.max_advance_days, s.step_minutes, "
        "s.duration_minutes FROM service s JOIN practitioner p ON p.id = s.practitioner_id "
        "WHERE s.id = %s AND s.status = 'active' AND p.is_active", [service_id]).fetchone()
    if row is None:
        raise LookupError(f"service {service_id} is not bookable")
    pid, zone_name, buffer, notice, advance, step, duration = row
    zone = parse_zone(zone_name)
    start, end = local_days_range(day, days, zone)
    low, high = start - MARGIN, end + MARGIN
    weekly = [availability.WeeklyWindow(*w) for w in conn.execute(
        "SELECT weekday, start_minute, end_minute FROM schedule_weekly_window WHERE practitioner_id = %s", [pid])]
    overrides = [availability.DateOverride(date=d, windows=tuple(tuple(w) for w in ws)) for d, ws in conn.execute(
        "SELECT date, windows FROM schedule_date_override WHERE practitioner_id = %s AND date BETWEEN %s AND %s",
        [pid, low.date(), high.date()])]
    busy = [availability.Interval(s, e) for s, e in conn.execute(
        "SELECT b.start_at, b.end_at FROM booking b WHERE b.practitioner_id = %(p)s AND b.status = 'confirmed' "
        "AND b.start_at < %(high)s AND b.end_at > %(low)s AND NOT EXISTS (SELECT 1 FROM booking_seat bs "
        "WHERE bs.booking_id = b.id) UNION ALL SELECT ss.start_at, ss.end_at FROM service_session ss "
        "JOIN service sv ON sv.id = ss.service_id WHERE sv.practitioner_id = %(p)s AND ss.status = 'scheduled' "
        "AND ss.start_at < %(high)s AND ss.end_at > %(low)s", {"p": pid, "low": low, "high": high})]
    blocks = [availability.Interval(s, e) for s, e in conn.execute(
        "SELECT start_at, end_at FROM schedule_block WHERE practitioner_id = %s AND start_at < %s AND end_at > %s",
        [pid, high, low])]
    rules = availability.Rules(zone=zone.key, buffer_minutes=buffer, min_notice_minutes=notice,
                               max_advance_days=advance, step_minutes=step)
    slots = availability.free_slots(rules=rules, weekly=weekly, overrides=overrides, busy=busy, blocks=blocks,
                                    duration_minutes=duration, range_start_utc=start, range_end_utc=end,
                                    now_utc=datetime.now(UTC))
    return availability.present_slots(slots, practitioner_zone=zone, display_zone=zone)


class TimeSlotsScenario(HttpVsSql):
    name = "time_slots"
    title = "Time slots: 31 days of the practitioner with the most future bookings"
    endpoint = "GET /api/v1/services/{service_id}/time-slots/"
    baseline = "kernel.availability.free_slots fed by SQL per request (the write side's inputs)"
    orm = "inputs loaded through the ORM per request, then the same kernel.availability.free_slots"
    heavy = True

    def requests(self, ctx: Context, rng: random.Random) -> Iterator[HttpRequest]:
        queries = slot_queries(ctx, rng, heavy=self.heavy)
        return (HttpRequest("GET", f"/api/v1/services/{service_id}/time-slots/?"
                            + urlencode({"date": day.isoformat(), "days": days}))
                for service_id, day, days in queries)

    def baselines(self, ctx: Context) -> Baselines:
        def make(rng: random.Random) -> Iterator[Job]:
            def bind(service_id: str, day: date, days: int) -> Job:
                return lambda conn: slots_from_sql(conn, service_id, day, days)
            return (bind(*query) for query in slot_queries(ctx, rng, heavy=self.heavy))

        return {"pg_inputs_kernel": ("rules, windows, overrides, busy time and blocks by SQL, then the same "
                                     "kernel.availability.free_slots", make)}

    def run(self, ctx: Context) -> ScenarioResult:
        result = super().run(ctx)
        result.extra["slots_future_bookings"] = ctx.manifest["slots_future_bookings"]
        return result


class TimeSlotsWeekScenario(TimeSlotsScenario):
    name = "time_slots_week"
    title = "Time slots: 7 days of a random 1:1 service"
    heavy = False
