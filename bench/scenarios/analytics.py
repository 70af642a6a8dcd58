"""Practitioner analytics (DuckDB warehouse) against the same figures computed in PostgreSQL per request.

Each request asks one of the three endpoints for the last 12 months by month, with ``compare=previous``,
for the practitioner with the most bookings (the platform-wide worst case) or a median one. The baseline
aggregates the booking table at request time: revenue (gross, refunds, net per month and service type,
and the previous period), clients (unique, new vs returning, monthly cohorts, top clients) and trends
(bookings and cancellations per month, weekday × hour heat map in the practitioner's zone, lead times,
most booked services).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import psycopg

from bench.harness import HttpRequest, Job
from bench.scenarios.base import Context, HttpVsSql, forever

PATHS = {"revenue": "/api/v1/practitioner/analytics/revenue/",
         "clients": "/api/v1/practitioner/analytics/clients/",
         "trends": "/api/v1/practitioner/analytics/bookings/trends/"}

_OWN = "b.practitioner_id = %(p)s AND b.parent_id IS NULL"
SQL = {
    "revenue": [
        f"SELECT date_trunc('month', b.created_at AT TIME ZONE %(tz)s) AS period, b_s.service_type, "
        f"sum(b.charged_cents) AS gross, sum(b.refund_cents) AS refunds, sum(b.charged_cents - b.refund_cents) AS net "
        f"FROM booking b JOIN service b_s ON b_s.id = b.service_id WHERE {_OWN} AND b.created_at >= %(start)s "
        f"AND b.created_at < %(end)s GROUP BY 1, 2 ORDER BY 1, 2",
        f"SELECT sum(b.charged_cents), sum(b.refund_cents) FROM booking b WHERE {_OWN} "
        f"AND b.created_at >= %(previous)s AND b.created_at < %(start)s",
    ],
    "clients": [
        f"WITH firsts AS (SELECT b.client_id, min(b.created_at) AS first FROM booking b WHERE {_OWN} "
        f"GROUP BY b.client_id), period AS (SELECT DISTINCT b.client_id FROM booking b WHERE {_OWN} "
        f"AND b.created_at >= %(start)s AND b.created_at < %(end)s) SELECT count(*), "
        f"count(*) FILTER (WHERE f.first >= %(start)s), count(*) FILTER (WHERE f.first < %(start)s) "
        f"FROM period JOIN firsts f USING (client_id)",
        f"WITH firsts AS (SELECT b.client_id, date_trunc('month', min(b.created_at)) AS cohort FROM booking b "
        f"WHERE {_OWN} GROUP BY b.client_id) SELECT f.cohort, date_trunc('month', b.created_at) AS month, "
        f"count(DISTINCT b.client_id) FROM booking b JOIN firsts f USING (client_id) WHERE {_OWN} "
        f"AND b.created_at >= %(start)s GROUP BY 1, 2",
        f"SELECT b.client_id, count(*), sum(b.charged_cents - b.refund_cents) AS spent FROM booking b WHERE {_OWN} "
        f"AND b.created_at >= %(start)s AND b.created_at < %(end)s GROUP BY 1 ORDER BY spent DESC LIMIT 10",
    ],
    "trends": [
        f"SELECT date_trunc('month', b.created_at AT TIME ZONE %(tz)s), count(*), "
        f"count(*) FILTER (WHERE b.status = 'cancelled') FROM booking b WHERE {_OWN} AND b.created_at >= %(start)s "
        f"AND b.created_at < %(end)s GROUP BY 1 ORDER BY 1",
        f"SELECT extract(isodow FROM b.start_at AT TIME ZONE %(tz)s), "
        f"extract(hour FROM b.start_at AT TIME ZONE %(tz)s), count(*) FROM booking b WHERE {_OWN} "
        f"AND b.start_at IS NOT NULL AND b.created_at >= %(start)s "
        f"AND b.created_at < %(end)s GROUP BY 1, 2",
        f"SELECT width_bucket(extract(epoch FROM b.start_at - b.created_at) / 86400, 0, 60, 12), count(*) "
        f"FROM booking b WHERE {_OWN} AND b.start_at IS NOT NULL AND b.created_at >= %(start)s "
        f"AND b.created_at < %(end)s GROUP BY 1",
        f"SELECT b.service_id, count(*) FROM booking b WHERE {_OWN} AND b.created_at >= %(start)s "
        f"AND b.created_at < %(end)s GROUP BY 1 ORDER BY 2 DESC LIMIT 10",
    ],
}


def _subjects(ctx: Context) -> list[tuple[str, str, str]]:
    """(practitioner id, user id, label): the heaviest practitioner and a median one."""
    m = ctx.manifest
    return [(m["heavy_practitioner_id"], m["heavy_practitioner_user_id"], "heavy"),
            (m["typical_practitioner_id"], m["typical_practitioner_user_id"], "typical")]


def _window(ctx: Context) -> dict[str, Any]:
    end = ctx.anchor
    start = end - timedelta(days=365)
    return {"start": start, "end": end, "previous": start - timedelta(days=365)}


def analytics_from_sql(conn: psycopg.Connection, endpoint: str, params: dict[str, Any]) -> None:
    for sql in SQL[endpoint]:
        conn.execute(sql, params).fetchall()


class AnalyticsScenario(HttpVsSql):
    name = "analytics"
    title = "Practitioner analytics"
    endpoint = "GET /api/v1/practitioner/analytics/{revenue,clients,bookings/trends}/"
    baseline = "the same aggregates over the booking table in PostgreSQL, per request"

    def unavailable(self, ctx: Context) -> str | None:
        missing = [p for p in PATHS.values() if not ctx.has("read", "GET", p)]
        if missing:
            return f"not available: {', '.join(missing)} not in the read API's schema yet"
        return None

    def requests(self, ctx: Context, rng: random.Random) -> Iterator[HttpRequest]:
        window = _window(ctx)
        subjects = _subjects(ctx)
        zones = dict(ctx.manifest.get("practitioner_zones", {}))

        def make() -> HttpRequest:
            pid, user_id, _ = rng.choice(subjects)
            endpoint = rng.choice(sorted(PATHS))
            query = {"start": window["start"].date().isoformat(), "end": window["end"].date().isoformat(),
                     "granularity": "month", "compare": "previous", "timezone": zones.get(pid, "UTC")}
            return HttpRequest("GET", PATHS[endpoint] + "?" + urlencode(query), headers=ctx.bearer(user_id))
        return forever(make)

    def baselines(self, ctx: Context):
        window = _window(ctx)
        subjects = _subjects(ctx)
        zones = dict(ctx.manifest.get("practitioner_zones", {}))

        def make(rng: random.Random) -> Iterator[Job]:
            def job() -> Job:
                pid, _, _ = rng.choice(subjects)
                endpoint = rng.choice(sorted(PATHS))
                params = {**window, "p": pid, "tz": zones.get(pid, "UTC")}
                return lambda conn: analytics_from_sql(conn, endpoint, params)
            return forever(job)

        return {"pg_aggregates": ("GROUP BY over booking (and service) per request: 2–4 queries per endpoint", make)}

    def run(self, ctx: Context):
        # Tokens are minted before timing starts.
        for _, user_id, _ in _subjects(ctx):
            ctx.token(user_id)
        result = super().run(ctx)
        result.extra["heavy_practitioner_bookings"] = ctx.manifest["heavy_practitioner_bookings"]
        return result
