"""What the conventional baseline adds to the database: stored search vectors, GIN and filter indexes.

Idempotent DDL, run by the benchmark before the baselines are measured (the ``pg_fulltext_gin`` SQL
baseline uses the same columns). ``pg_trgm`` is used when the server can create it (CI's PostgreSQL
usually can; the embedded PostgreSQL has no contrib extensions).
"""

from __future__ import annotations

import psycopg

# The text each kind is searched by, weighted like the read model (title A, the rest B).
VECTORS = {
    "service": "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
               "setweight(to_tsvector('english', coalesce(description, '')), 'B')",
    "practitioner": "setweight(to_tsvector('english', coalesce(display_name, '')), 'A') || "
                    "setweight(to_tsvector('english', coalesce(title, '') || ' ' || coalesce(bio, '')), 'B')",
    "stream": "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
              "setweight(to_tsvector('english', coalesce(description, '')), 'B')",
}
INDEXES = (
    "CREATE INDEX IF NOT EXISTS orm_service_search ON service USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS orm_practitioner_search ON practitioner USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS orm_stream_search ON stream USING gin (search_vector)",
    # browse: the filters and orderings, and a bounding box before the haversine distance
    "CREATE INDEX IF NOT EXISTS orm_service_browse ON service (status, service_type, price_cents)",
    "CREATE INDEX IF NOT EXISTS orm_service_newest ON service (status, created_at DESC)",
    "CREATE INDEX IF NOT EXISTS orm_practitioner_point ON practitioner (latitude, longitude) WHERE is_active",
    # suggestions: title prefixes; analytics: a practitioner's bookings by creation time
    "CREATE INDEX IF NOT EXISTS orm_service_title_prefix ON service (upper(title) text_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS orm_practitioner_name_prefix ON practitioner (upper(display_name) text_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS orm_booking_created ON booking (practitioner_id, created_at)",
    "CREATE INDEX IF NOT EXISTS orm_booking_service_status ON booking (service_id, status)",
)
TRIGRAM_INDEXES = (
    "CREATE INDEX IF NOT EXISTS orm_service_title_trgm ON service USING gin (title gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS orm_practitioner_name_trgm ON practitioner USING gin (display_name gin_trgm_ops)",
)


def has_trigram(connection: psycopg.Connection) -> bool:
    return connection.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").fetchone() is not None


def prepare(database_url: str) -> bool:
    """Add the columns and indexes (no-ops when present); True when trigram similarity is available."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        for table, expression in VECTORS.items():
            connection.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS search_vector tsvector "
                               f"GENERATED ALWAYS AS ({expression}) STORED")
        for statement in INDEXES:
            connection.execute(statement)
        try:
            connection.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except psycopg.Error:
            return False
        for statement in TRIGRAM_INDEXES:
            connection.execute(statement)
        for table in ("service", "practitioner", "stream", "booking"):
            connection.execute(f"ANALYZE {table}")
        return True
