"""Catalogue browsing with filters and distance (search read model) against PostgreSQL at request time.

Requests mix service type, format, price range, category, a point with a radius (km) and orderings
(distance, price, newest). The baseline applies the same filters in SQL, computes the great-circle
distance (haversine) per row, and returns the first page, the total and the facet counts.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from bench.harness import HttpRequest, Job
from bench.scenarios.base import Baselines, Context, HttpVsSql, forever

CATEGORIES = ("mind", "body", "movement", "nutrition", "coaching")
_KM = ("6371 * 2 * asin(sqrt(power(sin(radians(p.latitude - %(lat)s) / 2), 2) + cos(radians(%(lat)s)) "
       "* cos(radians(p.latitude)) * power(sin(radians(p.longitude - %(lng)s) / 2), 2)))")
_ORDER = {"distance": "km", "price": "s.price_cents, s.id", "-price": "s.price_cents DESC, s.id",
          "newest": "s.created_at DESC, s.id"}


def browse_params(ctx: Context, rng: random.Random) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if rng.random() < 0.6:
        params["service_type"] = rng.choice(("session", "workshop", "session", "bundle"))
    if rng.random() < 0.3:
        params["format"] = rng.choice(("in_person", "hybrid"))
    if rng.random() < 0.5:
        low = rng.choice((0, 20, 40))
        params["price_min"], params["price_max"] = low, low + rng.choice((30, 60, 120))
    if rng.random() < 0.3:
        params["category"] = rng.choice(CATEGORIES)
    if rng.random() < 0.7:
        lat, lng = rng.choice(ctx.manifest["points"])
        params.update(latitude=lat, longitude=lng, distance=rng.choice((10, 25, 50, 100)), ordering="distance")
    else:
        params["ordering"] = rng.choice(("price", "-price", "newest"))
    return params


def browse_sql(params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    where = ["s.status = 'active'", "p.is_active"]
    args: dict[str, Any] = dict(params)
    if "service_type" in params:
        where.append("s.service_type = %(service_type)s")
    if "format" in params:
        where.append("s.format = %(format)s")
    if "price_min" in params:
        where.append("s.price_cents >= %(price_min)s * 100")
        where.append("s.price_cents <= %(price_max)s * 100")
    if "category" in params:
        where.append("c.slug = %(category)s")
    km = "NULL::float"
    if "latitude" in params:
        km = _KM
        args.update(lat=params["latitude"], lng=params["longitude"])
        where.append("p.latitude IS NOT NULL")
        where.append(f"{_KM} <= %(distance)s")
    sql = (f"WITH hits AS MATERIALIZED (SELECT s.id, s.title, s.price_cents, s.created_at, s.service_type, s.format, "
           f"c.slug AS category, p.display_name, {km} AS km FROM service s "
           f"JOIN practitioner p ON p.id = s.practitioner_id LEFT JOIN category c ON c.id = s.category_id "
           f"WHERE {' AND '.join(where)}) "
           f"SELECT (SELECT json_agg(t) FROM (SELECT * FROM hits s ORDER BY {_ORDER[params['ordering']]} LIMIT 20) t), "
           "(SELECT count(*) FROM hits), (SELECT json_agg(f) FROM (SELECT service_type, format, category, count(*) "
           "FROM hits GROUP BY GROUPING SETS ((service_type), (format), (category))) f)")
    return sql, args


class BrowseScenario(HttpVsSql):
    name = "browse"
    title = "Catalogue browse with filters and distance"
    endpoint = "GET /api/v1/services/"
    baseline = "the same filters in SQL with a haversine distance per row, first page, total and facets"
    orm = ("ListAPIView: filters on indexed columns, bounding box + haversine annotation, ordering, "
           "PageNumberPagination, facets; ModelSerializer")

    def requests(self, ctx: Context, rng: random.Random) -> Iterator[HttpRequest]:
        return forever(lambda: HttpRequest("GET", "/api/v1/services/?" + urlencode(browse_params(ctx, rng))))

    def baselines(self, ctx: Context) -> Baselines:
        def make(rng: random.Random) -> Iterator[Job]:
            def job() -> Job:
                sql, args = browse_sql(browse_params(ctx, rng))
                return lambda conn: conn.execute(sql, args).fetchall()
            return forever(job)

        return {"pg_filters": ("WHERE on the filters + haversine km per row, ORDER BY, LIMIT 20, count, facets", make)}
