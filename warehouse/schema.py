"""The warehouse's tables: one declaration per table gives its DDL, its key and its bulk-load columns.

Each generation's tables live in a lake schema of their own (``g<N>``, :func:`generation_schema`); the
one-row table :data:`ACTIVE` in the lake's ``main`` schema names the generation readers use, so a switch
is one DuckLake commit.

Facts hold what happened (bookings with their lifecycle, credit movements, reviews); dimensions describe
who and what (practitioners, services, clients, streams, dates). ``booking_event`` keeps every booking
event as it arrived; ``fact_booking`` is derived from it (one row per booking, its latest state plus its
lifecycle times). Timestamps are ``TIMESTAMP`` holding UTC wall time (no zone arithmetic at rest);
queries convert to a zone when they bucket. ``docs/analytics.md`` defines every metric on these tables.
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEMA_VERSION = 1

# Calendar rows the date dimension holds (query input is validated to lie inside).
DATE_DIMENSION_FIRST = "1990-01-01"
DATE_DIMENSION_LAST = "2110-12-31"


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]
    key: tuple[str, ...]
    # Rows of these tables are part of the projection's comparable image (``snapshot``).
    compared: bool = True

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    def ddl(self) -> str:
        """DuckLake has no key constraints: the writer keeps keys unique (upserts delete the key first)."""
        columns = ", ".join(f"{name} {kind}" for name, kind in self.columns)
        return f"CREATE TABLE IF NOT EXISTS {self.name} ({columns})"

    def json_columns(self) -> str:
        """The ``columns={…}`` argument of ``read_json`` for this table's rows."""
        return "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in self.columns) + "}"


ACTIVE = "main.warehouse_active"
ACTIVE_DDL = f"CREATE TABLE IF NOT EXISTS {ACTIVE} (id INTEGER, generation INTEGER)"


def generation_schema(generation: int) -> str:
    return f"g{int(generation)}"


CHECKPOINT = Table("warehouse_checkpoint", (("id", "INTEGER"), ("position", "BIGINT NOT NULL"),
                                            ("applied_at", "TIMESTAMP")), ("id",), compared=False)
META = Table("warehouse_meta", (("key", "VARCHAR"), ("value", "VARCHAR NOT NULL")), ("key",), compared=False)

DIM_DATE = Table("dim_date", (
    ("date", "DATE"), ("year", "INTEGER"), ("quarter", "INTEGER"), ("month", "INTEGER"), ("day", "INTEGER"),
    ("iso_year", "INTEGER"), ("iso_week", "INTEGER"), ("iso_weekday", "INTEGER"), ("week_start", "DATE"),
    ("month_start", "DATE"), ("is_weekend", "BOOLEAN"),
), ("date",), compared=False)

DIM_PRACTITIONER = Table("dim_practitioner", (
    ("practitioner_id", "UUID"), ("user_id", "UUID"), ("display_name", "VARCHAR"), ("timezone", "VARCHAR"),
    ("is_active", "BOOLEAN"), ("updated_position", "BIGINT"),
), ("practitioner_id",))

DIM_SERVICE = Table("dim_service", (
    ("service_id", "UUID"), ("practitioner_id", "UUID"), ("title", "VARCHAR"), ("service_type", "VARCHAR"),
    ("format", "VARCHAR"), ("status", "VARCHAR"), ("price_cents", "BIGINT"), ("duration_minutes", "INTEGER"),
    ("created_at", "TIMESTAMP"), ("updated_position", "BIGINT"),
), ("service_id",))

DIM_CLIENT = Table("dim_client", (
    ("client_id", "UUID"), ("name", "VARCHAR"), ("registered_at", "TIMESTAMP"),
), ("client_id",))

DIM_STREAM = Table("dim_stream", (
    ("stream_id", "UUID"), ("practitioner_id", "UUID"), ("title", "VARCHAR"), ("updated_position", "BIGINT"),
), ("stream_id",))

BOOKING_EVENT = Table("booking_event", (
    ("position", "BIGINT"), ("event_type", "VARCHAR"), ("occurred_at", "TIMESTAMP"), ("booking_id", "UUID"),
    ("client_id", "UUID"), ("practitioner_id", "UUID"), ("service_id", "UUID"), ("service_type", "VARCHAR"),
    ("status", "VARCHAR"), ("start_at", "TIMESTAMP"), ("end_at", "TIMESTAMP"), ("price_cents", "BIGINT"),
    ("parent_id", "UUID"), ("practitioner_timezone", "VARCHAR"), ("start_local", "TIMESTAMP"),
    ("created_at", "TIMESTAMP"), ("cancelled_by", "VARCHAR"), ("refund_cents", "BIGINT"), ("completed_by", "VARCHAR"),
), ("position",))

FACT_BOOKING = Table("fact_booking", (
    ("booking_id", "UUID"), ("practitioner_id", "UUID"), ("client_id", "UUID"), ("service_id", "UUID"),
    ("service_type", "VARCHAR"), ("parent_id", "UUID"), ("is_package_session", "BOOLEAN"), ("status", "VARCHAR"),
    ("price_cents", "BIGINT"), ("created_at", "TIMESTAMP"), ("start_at", "TIMESTAMP"), ("end_at", "TIMESTAMP"),
    ("practitioner_timezone", "VARCHAR"), ("start_local", "TIMESTAMP"), ("scheduled_at", "TIMESTAMP"),
    ("reschedule_count", "INTEGER"), ("cancelled_at", "TIMESTAMP"), ("cancelled_by", "VARCHAR"),
    ("cancellation_refund_cents", "BIGINT"), ("refunded_cents", "BIGINT"), ("completed_at", "TIMESTAMP"),
    ("completed_by", "VARCHAR"), ("last_position", "BIGINT"),
), ("booking_id",))

FACT_CREDIT_MOVEMENT = Table("fact_credit_movement", (
    ("transaction_id", "UUID"), ("position", "BIGINT"), ("kind", "VARCHAR"), ("user_id", "UUID"),
    ("amount_cents", "BIGINT"), ("balance_after_cents", "BIGINT"), ("occurred_at", "TIMESTAMP"),
    ("reference_type", "VARCHAR"), ("reference_id", "VARCHAR"), ("booking_id", "UUID"), ("stream_id", "UUID"),
    # Resolved from the booking or stream paid for (possibly in a later batch than the movement itself):
    ("practitioner_id", "UUID"), ("service_id", "UUID"), ("revenue_type", "VARCHAR"),
), ("transaction_id",))

FACT_REVIEW = Table("fact_review", (
    ("review_id", "UUID"), ("booking_id", "UUID"), ("client_id", "UUID"), ("practitioner_id", "UUID"),
    ("service_id", "UUID"), ("rating", "INTEGER"), ("status", "VARCHAR"), ("created_at", "TIMESTAMP"),
    ("updated_at", "TIMESTAMP"), ("replied_at", "TIMESTAMP"), ("last_position", "BIGINT"),
), ("review_id",))

TABLES: tuple[Table, ...] = (CHECKPOINT, META, DIM_DATE, DIM_PRACTITIONER, DIM_SERVICE, DIM_CLIENT, DIM_STREAM,
                             BOOKING_EVENT, FACT_BOOKING, FACT_CREDIT_MOVEMENT, FACT_REVIEW)

FILL_DATES = f"""
INSERT INTO dim_date
SELECT d::DATE, year(d), quarter(d), month(d), day(d), isoyear(d), week(d), isodow(d),
       date_trunc('week', d)::DATE, date_trunc('month', d)::DATE, isodow(d) >= 6
FROM range(DATE '{DATE_DIMENSION_FIRST}', DATE '{DATE_DIMENSION_LAST}' + INTERVAL 1 DAY, INTERVAL 1 DAY) AS r(d)
"""


def create_statements() -> list[str]:
    """Everything an empty generation needs: tables, the date dimension, checkpoint 0, the schema version."""
    return [
        *(table.ddl() for table in TABLES),
        FILL_DATES,
        "INSERT INTO warehouse_checkpoint VALUES (1, 0, NULL)",
        f"INSERT INTO warehouse_meta VALUES ('schema_version', '{SCHEMA_VERSION}')",
    ]
