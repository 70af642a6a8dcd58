"""Unified search and suggestions (search read model) against PostgreSQL at request time.

Baselines:

* ``django_orm`` — the conventional Django + DRF app (:mod:`bench.django_orm`) over HTTP: stored, GIN-indexed
  ``tsvector`` columns, ``websearch`` queries, ``ts_rank`` (+ trigram similarity where ``pg_trgm`` exists),
  highlighted snippets, total and facets;
* ``pg_fulltext_gin`` — the competent SQL: the same stored, GIN-indexed ``tsvector`` columns
  (:mod:`bench.django_orm.schema`) ``@@ plainto_tsquery``, ranked by ``ts_rank``, with total and facets,
  in-process;
* ``pg_fulltext`` (naive) — ``to_tsvector(...) @@ plainto_tsquery(...)`` computed per row, no index;
* ``pg_ilike`` (naive) — ``ILIKE '%term%'`` on titles and descriptions, no index;
* suggestions: ``django_orm`` (prefix ``tsquery`` on the titles' stored vectors or ``istartswith``, booking
  counts annotated) and ``pg_prefix``: prefix ``ILIKE`` on titles and names, ranked by popularity counted
  from bookings.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from urllib.parse import urlencode

from bench.harness import HttpRequest, Job
from bench.scenarios.base import Baselines, Context, HttpVsSql, forever

_ENTITIES = {
    # kind: (FROM … WHERE visible, searchable text, title expression, price, service columns)
    "service": ("service s JOIN practitioner p ON p.id = s.practitioner_id WHERE s.status = 'active' AND p.is_active",
                "s.title || ' ' || s.description", "s.title", "s.price_cents",
                "s.service_type, s.format, s.category_id", "s.id"),
    "practitioner": ("practitioner p WHERE p.is_active", "p.display_name || ' ' || p.title || ' ' || p.bio",
                     "p.display_name", "NULL::int", "NULL::varchar, NULL::varchar, NULL::uuid", "p.id"),
    "stream": ("stream st JOIN practitioner p ON p.id = st.practitioner_id WHERE st.status = 'published' "
               "AND p.is_active", "st.title || ' ' || st.description", "st.title", "st.price_cents",
               "NULL::varchar, NULL::varchar, NULL::uuid", "st.id"),
}


def search_sql(mode: str) -> str:
    """One statement: the first page (20, by score), the total and the facets, like the API's answer."""
    parts = []
    for kind, (source, text, title, price, columns, id_column) in _ENTITIES.items():
        alias = id_column.split(".")[0]
        if mode == "fulltext":
            match = f"to_tsvector('english', {text}) @@ plainto_tsquery('english', %(q)s)"
            score = f"ts_rank(to_tsvector('english', {text}), plainto_tsquery('english', %(q)s))"
        elif mode == "fulltext_gin":  # the stored, GIN-indexed vector of bench.django_orm.schema
            match = f"{alias}.search_vector @@ plainto_tsquery('english', %(q)s)"
            score = f"ts_rank({alias}.search_vector, plainto_tsquery('english', %(q)s))"
        else:
            match = f"({title} ILIKE %(like)s OR {text} ILIKE %(like)s)"
            score = f"({title} ILIKE %(like)s)::int + 0.5"
        parts.append(f"SELECT '{kind}' AS kind, {id_column} AS id, {title} AS title, {score} AS score, "
                     f"{price} AS price_cents, p.display_name AS practitioner_name, {columns} "
                     f"FROM {source} AND {match}")
    hits = " UNION ALL ".join(parts)
    return (f"WITH hits (kind, id, title, score, price_cents, practitioner_name, service_type, format, category_id) "
            f"AS MATERIALIZED ({hits}) "
            "SELECT (SELECT json_agg(t) FROM (SELECT kind, id, title, score, price_cents, practitioner_name FROM hits "
            "ORDER BY score DESC, id LIMIT 20) t), (SELECT count(*) FROM hits), "
            "(SELECT json_agg(f) FROM (SELECT kind, service_type, format, category_id, count(*) FROM hits "
            "GROUP BY GROUPING SETS ((kind), (service_type), (format), (category_id))) f)")


class SearchScenario(HttpVsSql):
    name = "search"
    title = "Unified search"
    endpoint = "GET /api/v1/search/"
    baseline = "PostgreSQL full-text and ILIKE over services, practitioners and streams, at request time"
    orm = ("websearch query on stored GIN-indexed tsvectors, ts_rank, headlines, total and facets, per kind with "
           "the ORM; DRF serializers")

    def requests(self, ctx: Context, rng: random.Random) -> Iterator[HttpRequest]:
        terms = ctx.manifest["search_terms"]
        return forever(lambda: HttpRequest("GET", "/api/v1/search/?" + urlencode({"q": rng.choice(terms),
                                                                                  "type": "all"})))

    def baselines(self, ctx: Context) -> Baselines:
        terms = ctx.manifest["search_terms"]

        def jobs(mode: str) -> Callable[[random.Random], Iterator[Job]]:
            sql = search_sql(mode)

            def make(rng: random.Random) -> Iterator[Job]:
                def job() -> Job:
                    q = rng.choice(terms)
                    return lambda conn: conn.execute(sql, {"q": q, "like": f"%{q}%"}).fetchall()
                return forever(job)
            return make

        return {"pg_fulltext_gin": ("stored tsvector @@ plainto_tsquery with a GIN index, ts_rank, total and facets",
                                    jobs("fulltext_gin")),
                "pg_fulltext": ("naive: to_tsvector @@ plainto_tsquery per row, ts_rank, total and facets, no index",
                                jobs("fulltext")),
                "pg_ilike": ("naive: ILIKE '%term%' on titles and descriptions, total and facets, no index",
                             jobs("ilike"))}


SUGGEST_SQL = """
WITH candidates AS (
  SELECT s.title AS text, 'service' AS type, s.id,
         (SELECT count(*) FROM booking b WHERE b.service_id = s.id AND b.status IN ('confirmed', 'completed')) AS pop,
         (s.title ILIKE %(prefix)s)::int AS quality
  FROM service s JOIN practitioner p ON p.id = s.practitioner_id
  WHERE s.status = 'active' AND p.is_active AND (s.title ILIKE %(prefix)s OR s.title ILIKE %(word)s)
  UNION ALL
  SELECT p.display_name, 'practitioner', p.id,
         (SELECT count(*) FROM booking b WHERE b.practitioner_id = p.id AND b.status IN ('confirmed', 'completed')),
         (p.display_name ILIKE %(prefix)s)::int
  FROM practitioner p WHERE p.is_active AND (p.display_name ILIKE %(prefix)s OR p.display_name ILIKE %(word)s)
)
SELECT text, type, id FROM candidates ORDER BY quality DESC, pop DESC, text LIMIT %(limit)s
"""


class SuggestionsScenario(HttpVsSql):
    name = "suggestions"
    title = "Search suggestions"
    endpoint = "GET /api/v1/search/suggestions/"
    baseline = "prefix ILIKE on titles and names, ranked by booking counts, at request time"
    orm = "prefix tsquery on the titles' stored vectors or istartswith, booking counts annotated, with the ORM"

    def requests(self, ctx: Context, rng: random.Random) -> Iterator[HttpRequest]:
        prefixes = ctx.manifest["suggestion_prefixes"]
        return forever(lambda: HttpRequest("GET", "/api/v1/search/suggestions/?" + urlencode(
            {"q": rng.choice(prefixes), "limit": 8})))

    def baselines(self, ctx: Context) -> Baselines:
        prefixes = ctx.manifest["suggestion_prefixes"]

        def make(rng: random.Random) -> Iterator[Job]:
            def job() -> Job:
                q = rng.choice(prefixes)
                params = {"prefix": f"{q}%", "word": f"% {q}%", "limit": 8}
                return lambda conn: conn.execute(SUGGEST_SQL, params).fetchall()
            return forever(job)

        return {"pg_prefix": ("ILIKE 'q%' or '% q%' on titles and names, popularity = bookings counted per request",
                              make)}
