"""Service detail (catalogue read model in Redis) against the same document assembled from PostgreSQL.

The baseline runs the queries a straightforward ORM view would: the service with its practitioner and
category, its modalities, its upcoming sessions with seats taken, the review summary, and the active
packages and bundles containing it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import psycopg

from bench.harness import HttpRequest, Job
from bench.scenarios.base import Baselines, Context, HttpVsSql, forever

QUERIES = (
    "SELECT s.*, p.display_name, p.title AS practitioner_title, p.timezone, p.online_only, p.address, p.latitude, "
    "p.longitude, c.slug, c.name FROM service s JOIN practitioner p ON p.id = s.practitioner_id "
    "LEFT JOIN category c ON c.id = s.category_id WHERE s.id = %(id)s AND s.status = 'active' AND p.is_active",
    "SELECT m.slug FROM service_modalities sm JOIN modality m ON m.id = sm.modality_id WHERE sm.service_id = %(id)s "
    "ORDER BY m.slug",
    "SELECT ss.id, ss.start_at, ss.end_at, ss.capacity, count(bs.id) FILTER (WHERE bs.active) AS taken "
    "FROM service_session ss LEFT JOIN booking_seat bs ON bs.session_id = ss.id WHERE ss.service_id = %(id)s "
    "AND ss.status = 'scheduled' AND ss.start_at > now() GROUP BY ss.id ORDER BY ss.start_at LIMIT 20",
    "SELECT rating, count(*) FROM review WHERE service_id = %(id)s AND status = 'published' GROUP BY rating",
    "SELECT parent.id, parent.title, parent.service_type, parent.price_cents, sc.quantity FROM service_child sc "
    "JOIN service parent ON parent.id = sc.parent_id WHERE sc.child_id = %(id)s AND parent.status = 'active'",
)


def detail_from_sql(conn: psycopg.Connection, service_id: str) -> None:
    for sql in QUERIES:
        conn.execute(sql, {"id": service_id}).fetchall()


class ServiceDetailScenario(HttpVsSql):
    name = "service_detail"
    title = "Service detail"
    endpoint = "GET /api/v1/services/{service_id}/"
    baseline = "five queries assembling the same document from the write tables"
    orm = "RetrieveAPIView: select_related + prefetch_related (sessions with seats, containers), nested serializers"

    def requests(self, ctx: Context, rng: random.Random) -> Iterator[HttpRequest]:
        ids = ctx.manifest["public_service_ids"]
        return forever(lambda: HttpRequest("GET", f"/api/v1/services/{rng.choice(ids)}/"))

    def baselines(self, ctx: Context) -> Baselines:
        ids = ctx.manifest["public_service_ids"]

        def make(rng: random.Random) -> Iterator[Job]:
            def job() -> Job:
                service_id = rng.choice(ids)
                return lambda conn: detail_from_sql(conn, service_id)
            return forever(job)

        return {"pg_queries": ("service+practitioner+category, modalities, sessions with seats, review summary, "
                               "containers (5 queries)", make)}
