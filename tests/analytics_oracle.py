"""The analytics oracle: a market made through the real commands over three months that include DST changes
(``build_market``), and every figure of docs/analytics.md computed independently in SQL on PostgreSQL from
the write tables (``oracle``), for the oracle tests and the warehouse process tests to compare the API with."""

from __future__ import annotations

import functools
import random
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.db.models import QuerySet
from rest_framework.test import APIClient

from api_conventions.errors import ApplicationError
from workers import event_reader
from workers.tasks import warehouse_catch_up
from write_api.accounts.models import User
from write_api.accounts.services import user_register
from write_api.accounts.tokens import token_pair_for
from write_api.bookings.models import Booking
from write_api.bookings.services import (
    booking_cancel,
    booking_complete,
    booking_create,
    booking_reschedule,
    booking_schedule,
)
from write_api.catalogue.models import ServiceSession
from write_api.catalogue.services import service_create
from write_api.credits.services import credits_purchase
from write_api.practitioners.models import Practitioner
from write_api.practitioners.services import practitioner_register
from write_api.scheduling.services import schedule_replace
from write_api.sessions.services import session_cancel, session_create
from write_api.streams.services import stream_publish, stream_unlock

START = datetime(2025, 2, 3, 8, 0, tzinfo=UTC)
DAYS = 75  # to mid-April: past the DST changes of March and early April
ENDPOINTS = {"revenue": "/api/v1/practitioner/analytics/revenue/",
             "clients": "/api/v1/practitioner/analytics/clients/",
             "trends": "/api/v1/practitioner/analytics/bookings/trends/"}
PARAMETER_SETS: tuple[dict[str, str], ...] = (
    {"start": "2025-02-01", "end": "2025-04-30"},  # the practitioner's zone, by day
    {"start": "2025-02-10", "end": "2025-04-27", "granularity": "week", "timezone": "America/New_York",
     "compare": "previous"},
    {"start": "2025-01-01", "end": "2025-06-30", "granularity": "month", "timezone": "Asia/Kolkata",
     "compare": "previous"},
    {"start": "2025-03-29", "end": "2025-03-31", "timezone": "Europe/London"},  # London springs forward
    {"start": "2025-03-08", "end": "2025-03-10", "granularity": "day", "timezone": "America/Los_Angeles",
     "compare": "previous"},
    {"start": "2025-04-04", "end": "2025-04-08", "timezone": "Pacific/Chatham", "compare": "previous"},
)
# 2025 DST changes (UTC) of the zones below, where the generator also acts around local midnight.
DST_DAYS = (date(2025, 3, 9), date(2025, 3, 30), date(2025, 4, 6))


# --- a market, made through the real commands ----------------------------------------------------------


class Market:
    """Practitioners in ``zones`` with every kind of service, clients with credits, and a random history."""

    def __init__(self, seed: int, zones: tuple[str, ...], clients: int = 8, days: int = DAYS) -> None:
        self.rng = random.Random(seed)
        self.days = days
        self.zones = zones
        self.client_count = clients
        self.now = START
        self.traveller = time_machine.travel(START, tick=False)
        self.coordinates = self.traveller.start()
        self.practitioners: list[dict[str, Any]] = []
        self.clients: list[User] = []

    def at(self, moment: datetime) -> None:
        if moment > self.now:
            self.now = moment
            self.coordinates.move_to(moment)

    def stop(self) -> None:
        self.traveller.stop()

    def attempt(self, command: Callable[[], Any]) -> Any:
        try:
            return command()
        except ApplicationError:
            return None  # a taken slot, a closed window…: what real clients run into too

    # --- setup ---------------------------------------------------------------------------------------
    def setup(self) -> Market:
        for i, zone in enumerate(self.zones):
            user = user_register(email=f"p{i}-{uuid.uuid4().hex[:8]}@example.com", password="a-strong-password-1",
                                 first_name=f"Prac{i}", last_name="Titioner")
            assert user is not None  # a new address registers
            practitioner = practitioner_register(user=user, display_name=f"Practitioner {i}", timezone=zone,
                                                 min_notice_minutes=60, max_advance_days=60, buffer_minutes=0)
            schedule_replace(actor=user, windows=[{"weekday": d, "start_minute": 0, "end_minute": 1440}
                                                  for d in range(7)])
            flow = service_create(actor=user, title=f"Flow {i}", service_type="session", price_cents=5000)
            breath = service_create(actor=user, title=f"breath {i}", service_type="session", price_cents=3000,
                                    duration_minutes=30)
            workshop = service_create(actor=user, title=f"Workshop {i}", service_type="workshop", price_cents=2500,
                                      capacity=4, duration_minutes=90)
            course = service_create(actor=user, title=f"Course {i}", service_type="course", price_cents=12001,
                                    capacity=5)
            package = service_create(actor=user, title=f"Starter {i}", service_type="package", price_cents=7000,
                                     children=[{"service_id": flow.id, "quantity": 1},
                                               {"service_id": breath.id, "quantity": 2}])
            bundle = service_create(actor=user, title=f"Five breaths {i}", service_type="bundle", price_cents=12000,
                                    children=[{"service_id": breath.id, "quantity": 5}])
            starts = [(workshop, START + timedelta(days=7 * week, hours=3 + i)) for week in range(1, 10, 2)]
            starts += [(course, START + timedelta(days=20 + 7 * week, hours=5 + i)) for week in range(3)]
            for service, start_at in starts:
                self.attempt(functools.partial(session_create, service_id=service.id, actor=user, start_at=start_at))
            stream = stream_publish(actor=user, title=f"Calm {i}", access="premium", price_cents=700)
            self.practitioners.append({"user": user, "practitioner": practitioner, "zone": zone,
                                       "sessions": [flow, breath], "workshop": workshop, "course": course,
                                       "containers": [package, bundle], "stream": stream})
        for i in range(self.client_count):
            client = user_register(email=f"c{i}-{uuid.uuid4().hex[:8]}@example.com",
                                   password="a-strong-password-1", first_name=f"Client{i}",
                                   last_name=self.rng.choice(["Ng", "O'Hara", ""]))
            assert client is not None  # a new address registers
            credits_purchase(user=client, amount_cents=1_000_000, payment_token="tok_test_success")
            self.clients.append(client)
        return self

    # --- actions -------------------------------------------------------------------------------------
    def _future(self, low_hours: float, high_hours: float) -> datetime:
        moment = self.now + timedelta(hours=self.rng.uniform(low_hours, high_hours))
        return moment.replace(minute=(moment.minute // 15) * 15, second=0, microsecond=0)

    def book_session(self) -> None:
        p = self.rng.choice(self.practitioners)
        service = self.rng.choice(p["sessions"])
        client = self.rng.choice(self.clients)
        for _ in range(4):
            start = self._future(2, 24 * 20)
            if self.attempt(functools.partial(booking_create, client=client, service_id=service.id, start_at=start)):
                return

    def book_group(self) -> None:
        p = self.rng.choice(self.practitioners)
        client = self.rng.choice(self.clients)
        if self.rng.random() < 0.5:
            sessions = list(ServiceSession.objects.filter(service=p["workshop"], start_at__gt=self.now,
                                                          status="scheduled"))
            if sessions:
                session = self.rng.choice(sessions)
                self.attempt(lambda: booking_create(client=client, service_id=p["workshop"].id,
                                                    session_id=session.id))
        else:
            self.attempt(lambda: booking_create(client=client, service_id=p["course"].id))

    def buy_container(self) -> None:
        p = self.rng.choice(self.practitioners)
        client = self.rng.choice(self.clients)
        self.attempt(lambda: booking_create(client=client, service_id=self.rng.choice(p["containers"]).id))

    def schedule_child(self) -> None:
        child = self._pick(Booking.objects.filter(status="unscheduled"))
        if child is not None:
            for _ in range(3):
                start = self._future(2, 24 * 15)
                if self.attempt(functools.partial(booking_schedule, booking_id=child.id, actor=child.client,
                                                  start_at=start)):
                    return

    def cancel(self) -> None:
        booking = self._pick(Booking.objects.filter(status__in=("confirmed", "unscheduled")))
        if booking is None:
            return
        by_practitioner = self.rng.random() < 0.25
        actor = booking.practitioner.user if by_practitioner else booking.client
        self.attempt(lambda: booking_cancel(booking_id=booking.id, actor=actor, reason="changed plans"))

    def reschedule(self) -> None:
        booking = self._pick(Booking.objects.filter(status="confirmed", service__service_type="session",
                                                    start_at__gt=self.now + timedelta(hours=25)))
        if booking is not None:
            start = self._future(26, 24 * 20)
            self.attempt(lambda: booking_reschedule(booking_id=booking.id, actor=booking.client, start_at=start))

    def complete(self) -> None:
        booking = self._pick(Booking.objects.filter(status="confirmed", start_at__lte=self.now)
                             .exclude(service__service_type__in=("package", "bundle")))
        if booking is not None:
            self.attempt(lambda: booking_complete(booking_id=booking.id, actor=booking.practitioner.user))

    def cancel_course_session(self) -> None:
        p = self.rng.choice(self.practitioners)
        session = ServiceSession.objects.filter(service=p["course"], status="scheduled",
                                                start_at__gt=self.now).order_by("start_at").last()
        if session is not None and session.seats.filter(active=True).exists():
            self.attempt(lambda: session_cancel(service_id=p["course"].id, session_id=session.id, actor=p["user"]))

    def unlock(self) -> None:
        p = self.rng.choice(self.practitioners)
        self.attempt(lambda: stream_unlock(stream_id=p["stream"].id, user=self.rng.choice(self.clients)))

    def _pick(self, query: QuerySet[Booking]) -> Booking | None:
        ids = list(query.order_by("id").values_list("id", flat=True))
        return Booking.objects.select_related("client", "practitioner__user").get(id=self.rng.choice(ids)) \
            if ids else None

    ACTIONS: tuple[tuple[str, int], ...] = (("book_session", 10), ("book_group", 3), ("buy_container", 2),
                                           ("schedule_child", 4), ("cancel", 4), ("reschedule", 2),
                                           ("complete", 3), ("cancel_course_session", 1), ("unlock", 1))

    def act(self) -> None:
        names = [name for name, _ in self.ACTIONS]
        weights = [weight for _, weight in self.ACTIONS]
        getattr(self, self.rng.choices(names, weights)[0])()

    def moments(self) -> list[datetime]:
        """When something happens: a few times a day, plus around local midnight on DST days."""
        found = []
        for day in range(self.days):
            base = START + timedelta(days=day)
            found += [base + timedelta(minutes=self.rng.randrange(0, 24 * 60)) for _ in range(self.rng.randint(2, 5))]
        for zone in {p["zone"] for p in self.practitioners} | {"Europe/London", "America/New_York"}:
            for dst_day in DST_DAYS:
                midnight = datetime(dst_day.year, dst_day.month, dst_day.day)
                for local in (midnight - timedelta(minutes=10), midnight.replace(minute=20),
                              midnight.replace(hour=3, minute=5)):
                    found.append(local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC))
        return sorted(m for m in found if START < m < START + timedelta(days=self.days))

    def run(self) -> Market:
        for moment in self.moments():
            self.at(moment)
            self.act()
        return self


def build_market(seed: int, zones: tuple[str, ...], clients: int = 8, days: int = DAYS) -> Market:
    market = Market(seed, zones, clients, days)
    try:
        market.setup().run()
    finally:
        market.stop()
    return market


# --- the oracle: docs/analytics.md in PostgreSQL ----------------------------------------------------------

WINDOW = """w AS (SELECT (%(start)s::date)::timestamp AT TIME ZONE %(tz)s AS lo,
                          ((%(end)s::date) + 1)::timestamp AT TIME ZONE %(tz)s AS hi)"""
MONEY = """money AS (
    SELECT ct.kind, ct.amount_cents, ct.created_at, ct.user_id,
           CASE WHEN ct.reference_type = 'stream' THEN 'stream'
                ELSE coalesce(parent_service.service_type, s.service_type) END AS revenue_type
    FROM credit_transaction ct
    LEFT JOIN booking b ON ct.reference_type = 'booking' AND b.id::text = ct.reference_id
    LEFT JOIN booking parent ON parent.id = b.parent_id
    LEFT JOIN service s ON s.id = b.service_id
    LEFT JOIN service parent_service ON parent_service.id = parent.service_id
    LEFT JOIN stream st ON ct.reference_type = 'stream' AND st.id::text = ct.reference_id
    WHERE ct.kind IN ('spend', 'refund') AND coalesce(b.practitioner_id, st.practitioner_id) = %(pid)s
)"""
KEPT = """kept AS (SELECT client_id, created_at FROM booking
                  WHERE practitioner_id = %(pid)s AND parent_id IS NULL AND status <> 'cancelled')"""
LOCAL_PERIOD = "date_trunc(%(grain)s, {column} AT TIME ZONE %(tz)s)::date"


def sql(statement: str, params: dict[str, Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


def spine(params: dict[str, Any]) -> list[date]:
    rows = sql("SELECT generate_series(date_trunc(%(grain)s, %(start)s::date::timestamp), %(end)s::date::timestamp, "
               "('1 ' || %(grain)s)::interval)::date", params)
    return [r[0] for r in rows]


def rate(value: Any) -> float:
    return float(value) if value is not None else 0.0


def oracle_revenue(params: dict[str, Any]) -> dict[str, Any]:
    rows = sql(f"""WITH {WINDOW}, {MONEY}
        SELECT {LOCAL_PERIOD.format(column='m.created_at')}, m.revenue_type,
               sum(CASE WHEN kind = 'spend' THEN -amount_cents ELSE 0 END),
               sum(CASE WHEN kind = 'refund' THEN amount_cents ELSE 0 END)
        FROM money m, w WHERE m.created_at >= w.lo AND m.created_at < w.hi GROUP BY 1, 2""", params)
    periods: dict[date, dict[str, Any]] = {
        p: {"period": p.isoformat(), "gross_cents": 0, "refunds_cents": 0, "net_cents": 0, "by_service_type": {}}
        for p in spine(params)}
    kinds: dict[str, list[int]] = {}
    for period, kind, gross, refunds in rows:
        entry = periods[period]
        entry["gross_cents"] += int(gross)
        entry["refunds_cents"] += int(refunds)
        entry["net_cents"] = entry["gross_cents"] - entry["refunds_cents"]
        entry["by_service_type"][kind] = {"gross_cents": int(gross), "refunds_cents": int(refunds),
                                          "net_cents": int(gross) - int(refunds)}
        kinds.setdefault(kind, [0, 0])
        kinds[kind][0] += int(gross)
        kinds[kind][1] += int(refunds)
    totals = sql(f"""WITH {WINDOW}, {MONEY}
        SELECT coalesce(sum(-amount_cents) FILTER (WHERE kind = 'spend'), 0),
               coalesce(sum(amount_cents) FILTER (WHERE kind = 'refund'), 0)
        FROM money m, w WHERE m.created_at >= w.lo AND m.created_at < w.hi""", params)[0]
    return {"totals": {"gross_cents": int(totals[0]), "refunds_cents": int(totals[1]),
                       "net_cents": int(totals[0]) - int(totals[1])},
            "periods": [periods[p] for p in sorted(periods)],
            "by_service_type": [{"service_type": k, "gross_cents": v[0], "refunds_cents": v[1],
                                 "net_cents": v[0] - v[1]} for k, v in sorted(kinds.items())]}


def oracle_client_totals(params: dict[str, Any]) -> dict[str, Any]:
    unique, new, repeat, repeat_rate = sql(f"""WITH {WINDOW}, {KEPT},
        firsts AS (SELECT client_id, min(created_at) AS first_at FROM kept GROUP BY client_id),
        active AS (SELECT client_id, count(*) AS n FROM kept, w WHERE created_at >= w.lo AND created_at < w.hi
                   GROUP BY client_id)
        SELECT count(*), count(*) FILTER (WHERE f.first_at >= (SELECT lo FROM w)),
               count(*) FILTER (WHERE a.n >= 2),
               round(count(*) FILTER (WHERE a.n >= 2)::numeric / nullif(count(*), 0), 4)
        FROM active a JOIN firsts f USING (client_id)""", params)[0]
    return {"unique_clients": unique, "new_clients": new, "returning_clients": unique - new,
            "repeat_clients": repeat, "repeat_rate": rate(repeat_rate)}


def oracle_clients(params: dict[str, Any]) -> dict[str, Any]:
    by_period = {row[0]: row[1:] for row in sql(f"""WITH {WINDOW}, {KEPT},
        firsts AS (SELECT client_id, min(created_at) AS first_at FROM kept GROUP BY client_id)
        SELECT {LOCAL_PERIOD.format(column='k.created_at')}, count(DISTINCT k.client_id),
               count(DISTINCT k.client_id) FILTER (
                   WHERE f.first_at >= w.lo AND {LOCAL_PERIOD.format(column='f.first_at')}
                                              = {LOCAL_PERIOD.format(column='k.created_at')})
        FROM kept k JOIN firsts f USING (client_id), w
        WHERE k.created_at >= w.lo AND k.created_at < w.hi GROUP BY 1""", params)}
    periods = [{"period": p.isoformat(), "unique_clients": by_period.get(p, (0, 0))[0],
                "new_clients": by_period.get(p, (0, 0))[1],
                "returning_clients": by_period.get(p, (0, 0))[0] - by_period.get(p, (0, 0))[1]}
               for p in spine(params)]
    cells = sql(f"""WITH {KEPT},
        months AS (SELECT client_id, date_trunc('month', created_at AT TIME ZONE %(tz)s)::date AS m FROM kept),
        cohorts AS (SELECT client_id, min(m) AS c FROM months GROUP BY client_id),
        sizes AS (SELECT c, count(*) AS size FROM cohorts GROUP BY c)
        SELECT co.c, ((extract(year FROM a.m) - extract(year FROM co.c)) * 12
                      + extract(month FROM a.m) - extract(month FROM co.c))::int AS k,
               count(DISTINCT a.client_id), round(count(DISTINCT a.client_id)::numeric / max(s.size), 4)
        FROM cohorts co JOIN months a USING (client_id) JOIN sizes s ON s.c = co.c
        WHERE co.c BETWEEN date_trunc('month', %(start)s::date) AND date_trunc('month', %(end)s::date)
          AND a.m <= date_trunc('month', %(end)s::date)
        GROUP BY 1, 2""", params)
    end = date.fromisoformat(params["end"])
    cohorts: dict[date, dict[int, tuple[int, float]]] = {}
    for cohort, k, clients, share in cells:
        cohorts.setdefault(cohort, {})[k] = (clients, rate(share))
    retention = [{"cohort": c.isoformat(), "size": cohorts[c][0][0],
                  "months": [{"month_offset": k, "clients": cohorts[c].get(k, (0, 0.0))[0],
                              "rate": cohorts[c].get(k, (0, 0.0))[1]}
                             for k in range((end.year - c.year) * 12 + end.month - c.month + 1)]}
                 for c in sorted(cohorts)]
    top = sql(f"""WITH {WINDOW}, {KEPT}, {MONEY},
        active AS (SELECT client_id, count(*) AS n FROM kept, w WHERE created_at >= w.lo AND created_at < w.hi
                   GROUP BY client_id),
        net AS (SELECT user_id AS client_id, sum(-amount_cents) AS cents FROM money m, w
                WHERE m.created_at >= w.lo AND m.created_at < w.hi GROUP BY user_id)
        SELECT a.client_id::text, trim(u.first_name || ' ' || u.last_name), a.n, coalesce(net.cents, 0)
        FROM active a JOIN accounts_user u ON u.id = a.client_id LEFT JOIN net USING (client_id)
        ORDER BY 4 DESC, 3 DESC, a.client_id::text COLLATE "C" LIMIT 10""", params)
    return {"totals": oracle_client_totals(params), "periods": periods, "retention": retention,
            "top_clients": [{"client_id": r[0], "name": r[1], "bookings": r[2], "net_cents": int(r[3])}
                            for r in top]}


def oracle_trend_totals(params: dict[str, Any]) -> dict[str, int]:
    made, cancelled = sql(f"""WITH {WINDOW}
        SELECT count(*) FILTER (WHERE b.created_at >= w.lo AND b.created_at < w.hi),
               count(*) FILTER (WHERE b.status = 'cancelled' AND b.cancelled_at >= w.lo AND b.cancelled_at < w.hi)
        FROM booking b, w WHERE b.practitioner_id = %(pid)s AND b.parent_id IS NULL""", params)[0]
    return {"bookings": made, "cancellations": cancelled}


LEAD_BUCKETS = (("under_1_day", None, 1440), ("1_to_3_days", 1440, 4320), ("3_to_7_days", 4320, 10080),
                ("7_to_14_days", 10080, 20160), ("14_to_30_days", 20160, 43200), ("30_days_or_more", 43200, None))


def oracle_trends(params: dict[str, Any]) -> dict[str, Any]:
    made = dict(sql(f"""WITH {WINDOW}
        SELECT {LOCAL_PERIOD.format(column='b.created_at')}, count(*) FROM booking b, w
        WHERE b.practitioner_id = %(pid)s AND b.parent_id IS NULL AND b.created_at >= w.lo AND b.created_at < w.hi
        GROUP BY 1""", params))
    cancelled = dict(sql(f"""WITH {WINDOW}
        SELECT {LOCAL_PERIOD.format(column='b.cancelled_at')}, count(*) FROM booking b, w
        WHERE b.practitioner_id = %(pid)s AND b.parent_id IS NULL AND b.status = 'cancelled'
          AND b.cancelled_at >= w.lo AND b.cancelled_at < w.hi GROUP BY 1""", params))
    cells = [[0] * 24 for _ in range(7)]
    for weekday, hour, count in sql(f"""WITH {WINDOW}
        SELECT extract(isodow FROM b.start_at AT TIME ZONE p.timezone)::int,
               extract(hour FROM b.start_at AT TIME ZONE p.timezone)::int, count(*)
        FROM booking b JOIN practitioner p ON p.id = b.practitioner_id JOIN service s ON s.id = b.service_id, w
        WHERE b.practitioner_id = %(pid)s AND b.start_at IS NOT NULL AND b.status <> 'cancelled'
          AND s.service_type NOT IN ('package', 'bundle') AND b.start_at >= w.lo AND b.start_at < w.hi
        GROUP BY 1, 2""", params):
        cells[weekday - 1][hour] = count
    bucket_sql = ", ".join(
        "count(*) FILTER (WHERE " + " AND ".join(
            ([f"minutes >= {lo}"] if lo is not None else []) + ([f"minutes < {hi}"] if hi is not None else [])) + ")"
        for _, lo, hi in LEAD_BUCKETS)
    lead = sql(f"""WITH {WINDOW}, leads AS (
            SELECT floor(extract(epoch FROM (b.start_at - b.created_at)) / 60)::bigint AS minutes FROM booking b, w
            WHERE b.practitioner_id = %(pid)s AND b.parent_id IS NULL AND b.start_at IS NOT NULL
              AND b.created_at >= w.lo AND b.created_at < w.hi)
        SELECT {bucket_sql}, count(*), percentile_disc(0.5) WITHIN GROUP (ORDER BY minutes) FROM leads""", params)[0]
    top = sql(f"""WITH {WINDOW}
        SELECT s.id::text, s.title, s.service_type, count(*) FROM booking b JOIN service s ON s.id = b.service_id, w
        WHERE b.practitioner_id = %(pid)s AND b.parent_id IS NULL AND b.created_at >= w.lo AND b.created_at < w.hi
        GROUP BY s.id, s.title, s.service_type
        ORDER BY 4 DESC, s.title COLLATE "C", s.id::text COLLATE "C" LIMIT 10""", params)
    zone = sql("SELECT timezone FROM practitioner WHERE id = %(pid)s", params)[0][0]
    return {
        "totals": oracle_trend_totals(params),
        "periods": [{"period": p.isoformat(), "bookings": made.get(p, 0), "cancellations": cancelled.get(p, 0)}
                    for p in spine(params)],
        "heat_map": {"timezone": zone, "weekdays": ["monday", "tuesday", "wednesday", "thursday", "friday",
                                                    "saturday", "sunday"], "hours": list(range(24)), "cells": cells},
        "lead_time": {"bookings": lead[len(LEAD_BUCKETS)],
                      "median_minutes": None if lead[-1] is None else int(lead[-1]),
                      "buckets": [{"bucket": name, "min_minutes": lo, "max_minutes": hi, "bookings": lead[i]}
                                  for i, (name, lo, hi) in enumerate(LEAD_BUCKETS)]},
        "top_services": [{"service_id": r[0], "title": r[1], "service_type": r[2], "bookings": r[3]} for r in top],
    }


ORACLES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "revenue": oracle_revenue, "clients": oracle_clients, "trends": oracle_trends}
PREVIOUS_TOTALS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "revenue": lambda p: oracle_revenue(p)["totals"], "clients": oracle_client_totals,
    "trends": oracle_trend_totals}


def oracle(endpoint: str, practitioner: Practitioner, query: dict[str, str]) -> dict[str, Any]:
    params = {"pid": practitioner.id, "tz": query.get("timezone", practitioner.timezone),
              "grain": query.get("granularity", "day"), "start": query["start"], "end": query["end"]}
    expected = ORACLES[endpoint](params)
    if query.get("compare") == "previous":
        first, last = date.fromisoformat(query["start"]), date.fromisoformat(query["end"])
        days = (last - first).days + 1
        previous = {**params, "start": (first - timedelta(days=days)).isoformat(),
                    "end": (first - timedelta(days=1)).isoformat()}
        expected["previous"] = {"start": previous["start"], "end": previous["end"],
                                "totals": PREVIOUS_TOTALS[endpoint](previous)}
    return expected


def as_practitioner(read_api: APIClient, user: User) -> APIClient:
    read_api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_pair_for(user)['access']}")
    return read_api


def assert_every_figure_matches(read_api: APIClient, market: Market) -> int:
    """Every endpoint × parameter set × practitioner against the oracle; the number of figures compared."""
    compared = 0
    for p in market.practitioners:
        practitioner = Practitioner.objects.get(id=p["practitioner"].id)
        as_practitioner(read_api, p["user"])
        for query in PARAMETER_SETS:
            for endpoint, url in ENDPOINTS.items():
                response = read_api.get(url, query)
                assert response.status_code == 200, response.content
                body = response.json()
                expected = oracle(endpoint, practitioner, query)
                assert body["data"] == expected, (endpoint, p["zone"], query)
                assert body["meta"]["filters_applied"]["timezone"] == query.get("timezone", p["zone"])
                compared += _figures(expected)
    return compared


def _figures(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_figures(v) for v in value.values())
    if isinstance(value, list):
        return sum(_figures(v) for v in value)
    return 1 if isinstance(value, int | float) and not isinstance(value, bool) else 0


def catch_up() -> None:
    result = warehouse_catch_up()
    assert result.ran and result.position == event_reader.head_position()
