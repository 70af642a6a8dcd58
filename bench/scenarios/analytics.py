"""Practitioner analytics (DuckLake warehouse) against the same figures computed in PostgreSQL per request.

One scenario per endpoint and case (:data:`CASES`): the practitioner with the most bookings on the platform
asking the usual dashboard question (the last 12 months by month, ``compare=previous``), and the worst
case the API accepts (the same practitioner, three years by day). The baseline
aggregates the booking table at request time: revenue (gross, refunds, net per month and service type,
and the previous period), clients (unique, new vs returning, monthly cohorts, top clients) and trends
(bookings and cancellations per month, weekday × hour heat map in the practitioner's zone, lead times,
most booked services).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import psycopg

from bench.harness import HttpRequest, Job
from bench.scenarios.base import Baselines, Context, HttpVsSql, ScenarioResult, forever
from read_models.analytics.params import MAX_DAYS

PATHS = {"revenue": "/api/v1/practitioner/analytics/revenue/",
         "clients": "/api/v1/practitioner/analytics/clients/",
         "trends": "/api/v1/practitioner/analytics/bookings/trends/"}

_OWN = "b.practitioner_id = %(p)s AND b.parent_id IS NULL"
SQL = {
    "revenue": [
        f"SELECT date_trunc(%(grain)s, b.created_at AT TIME ZONE %(tz)s) AS period, b_s.service_type, "
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
        f"SELECT date_trunc(%(grain)s, b.created_at AT TIME ZONE %(tz)s), count(*), "
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


ENDPOINT_TITLES = {"revenue": "revenue", "clients": "clients", "trends": "booking trends"}


@dataclass(frozen=True)
class Case:
    """Whose figures and over which range: issue 6 asks for a heavy practitioner and the worst case."""

    name: str
    title: str
    days: int
    granularity: str


CASES = (
    Case("heavy", "the busiest practitioner, 12 months by month", 365, "month"),
    # The largest question the API accepts (MAX_DAYS) at the finest grain, about the busiest practitioner.
    Case("worst", "worst case: the busiest practitioner, 3 years by day", MAX_DAYS, "day"),
)


def _window(ctx: Context, case: Case) -> dict[str, Any]:
    end = ctx.anchor
    start = end - timedelta(days=case.days - 1)
    return {"start": start, "end": end + timedelta(days=1), "previous": start - timedelta(days=case.days),
            "first_day": start.date(), "last_day": end.date()}


def analytics_from_sql(conn: psycopg.Connection, endpoint: str, params: dict[str, Any]) -> None:
    for sql in SQL[endpoint]:
        conn.execute(sql, params).fetchall()


class AnalyticsScenario(HttpVsSql):
    """One endpoint for one :class:`Case` (``analytics_<endpoint>_<case>``)."""

    baseline = "the same aggregates over the booking table in PostgreSQL, per request"
    orm = "ORM aggregates (Trunc, Sum, Count) behind the plan's 5-minute cache; JWTAuthentication loads the user"

    def __init__(self, endpoint: str, case: Case) -> None:
        self.key, self.case = endpoint, case
        self.name = f"analytics_{endpoint}_{case.name}"
        self.title = f"Analytics {ENDPOINT_TITLES[endpoint]}: {case.title}"
        self.endpoint = f"GET {PATHS[endpoint]}"

    def _subject(self, ctx: Context) -> tuple[str, str, str]:
        """Both cases ask about the practitioner with the most bookings on the platform."""
        m = ctx.manifest
        pid = m["heavy_practitioner_id"]
        return pid, m["heavy_practitioner_user_id"], m.get("practitioner_zones", {}).get(pid, "UTC")

    def requests(self, ctx: Context, rng: random.Random) -> Iterator[HttpRequest]:
        window = _window(ctx, self.case)
        _, user_id, zone = self._subject(ctx)
        query = {"start": window["first_day"].isoformat(), "end": window["last_day"].isoformat(),
                 "granularity": self.case.granularity, "compare": "previous", "timezone": zone}
        request = HttpRequest("GET", PATHS[self.key] + "?" + urlencode(query), headers=ctx.bearer(user_id))
        return forever(lambda: request)

    def baselines(self, ctx: Context) -> Baselines:
        window = _window(ctx, self.case)
        pid, _, zone = self._subject(ctx)
        params = {**window, "p": pid, "tz": zone, "grain": self.case.granularity}

        def make(rng: random.Random) -> Iterator[Job]:
            return forever(lambda: lambda conn: analytics_from_sql(conn, self.key, params))

        return {"pg_aggregates": ("GROUP BY over booking (and service) per request: 2–4 queries per endpoint", make)}

    def run(self, ctx: Context) -> ScenarioResult:
        ctx.token(self._subject(ctx)[1])  # minted before timing starts
        result = super().run(ctx)
        result.extra["practitioner_bookings"] = ctx.manifest["heavy_practitioner_bookings"]
        result.extra["range_days"], result.extra["granularity"] = self.case.days, self.case.granularity
        return result


SCENARIOS = tuple(AnalyticsScenario(endpoint, case) for case in CASES for endpoint in PATHS)
