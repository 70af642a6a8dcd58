"""The warehouse's rows derived in SQL from a batch of events staged in the writer's connection.

A batch's events (position, type, JSON payload, recorded_at) are staged in :data:`STAGED` (a temporary
table of the writer's DuckDB connection, filled by ``postgres_query`` straight from the log, or from
events in memory); each statement here derives one table's rows from the events of its types, vectorised
(``from_json`` parses a payload once per statement, ICU's ``timezone()`` gives local wall-clock times).
This is the warehouse's only definition of its rows; the batch = rebuild tests and the PostgreSQL oracle
tests (``tests/test_analytics_oracle.py``) check it.

Timestamps are stored as naive UTC: an ISO string with an offset is converted to UTC, one without is
taken as UTC already (the connection's ``TimeZone`` is UTC), an empty one is NULL. A booking's
``start_local`` is its start in the practitioner's zone, in UTC when the zone is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

from kernel.events import (
    BookingCancelled,
    BookingCompleted,
    BookingConfirmed,
    BookingCreatedUnscheduled,
    BookingRescheduled,
    BookingScheduled,
    CreditsAdjusted,
    CreditsPurchased,
    CreditsRefunded,
    CreditsSpent,
    DomainEvent,
    PractitionerRegistered,
    PractitionerUpdated,
    ReviewDeleted,
    ReviewPublished,
    ReviewReplied,
    ReviewUpdated,
    ServiceCreated,
    ServiceUpdated,
    StreamUnlocked,
    UserRegistered,
)
from warehouse import schema
from warehouse.schema import Table

STAGED = "temp.main.warehouse_batch"
STAGED_COLUMNS = {"position": "BIGINT", "type": "VARCHAR", "payload": "VARCHAR", "recorded_at": "TIMESTAMPTZ"}


@dataclass(frozen=True)
class Derivation:
    """Rows of ``table`` from the staged events of ``events`` after ``$since``; ``upsert``: the latest event
    per key replaces the stored row (MERGE by key), otherwise the rows are appended."""

    table: Table
    events: tuple[type[DomainEvent], ...]
    select: str  # columns named as the table's, over ``e`` (the staged event) and ``p`` (its parsed payload)
    fields: dict[str, str]  # the payload fields the select reads, with the type from_json gives them
    upsert: bool

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(event.event_type for event in self.events)

    def source(self) -> str:
        structure = "{" + ", ".join(f'"{name}": "{kind}"' for name, kind in self.fields.items()) + "}"
        listed = ", ".join(f"'{t}'" for t in self.types)
        rows = (f"SELECT {self.select} FROM (SELECT position, type, recorded_at, "
                f"from_json(payload, '{structure}') AS p FROM {STAGED} "
                f"WHERE position > $since AND type IN ({listed})) AS e")
        if not self.upsert:
            return rows
        keys = ", ".join(self.table.key)
        return f"SELECT * FROM ({rows}) QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY _position DESC) = 1"

    def statement(self) -> str:
        names = ", ".join(self.table.column_names)
        if not self.upsert:
            return f"INSERT INTO {self.table.name} ({names}) SELECT {names} FROM ({self.source()})"
        on = " AND ".join(f"t.{key} = s.{key}" for key in self.table.key)
        values = ", ".join(f"s.{name}" for name in self.table.column_names)
        updates = ", ".join(f"{name} = s.{name}" for name in self.table.column_names if name not in self.table.key)
        return (f"MERGE INTO {self.table.name} AS t USING ({self.source()}) AS s ON {on} "
                f"WHEN MATCHED THEN UPDATE SET {updates} WHEN NOT MATCHED THEN INSERT ({names}) VALUES ({values})")


def _utc(expression: str) -> str:
    """An ISO timestamp (text) as naive UTC; '' and NULL are NULL."""
    return f"CAST(CAST(NULLIF({expression}, '') AS TIMESTAMPTZ) AS TIMESTAMP)"


_UUID = "UUID"
_TEXT = "VARCHAR"
_INT = "BIGINT"

DIM_CLIENT = Derivation(
    schema.DIM_CLIENT, (UserRegistered,),
    "p.user_id::UUID AS client_id, "
    "trim(concat_ws(' ', NULLIF(p.first_name, ''), NULLIF(p.last_name, ''))) AS name, "
    "CAST(recorded_at AS TIMESTAMP) AS registered_at, position AS _position",
    {"user_id": _TEXT, "first_name": _TEXT, "last_name": _TEXT}, upsert=True)

DIM_PRACTITIONER = Derivation(
    schema.DIM_PRACTITIONER, (PractitionerRegistered, PractitionerUpdated),
    "p.practitioner_id::UUID AS practitioner_id, p.user_id::UUID AS user_id, p.display_name AS display_name, "
    "p.timezone AS timezone, coalesce(p.is_active, false) AS is_active, position AS updated_position, "
    "position AS _position",
    {"practitioner_id": _TEXT, "user_id": _TEXT, "display_name": _TEXT, "timezone": _TEXT, "is_active": "BOOLEAN"},
    upsert=True)

DIM_SERVICE = Derivation(
    schema.DIM_SERVICE, (ServiceCreated, ServiceUpdated),
    "p.service_id::UUID AS service_id, p.practitioner_id::UUID AS practitioner_id, p.title AS title, "
    "p.service_type AS service_type, p.format AS format, p.status AS status, p.price_cents AS price_cents, "
    f"p.duration_minutes::INTEGER AS duration_minutes, {_utc('p.created_at')} AS created_at, "
    "position AS updated_position, position AS _position",
    {"service_id": _TEXT, "practitioner_id": _TEXT, "title": _TEXT, "service_type": _TEXT, "format": _TEXT,
     "status": _TEXT, "price_cents": _INT, "duration_minutes": _INT, "created_at": _TEXT}, upsert=True)

DIM_STREAM = Derivation(
    schema.DIM_STREAM, (StreamUnlocked,),
    "p.stream_id::UUID AS stream_id, p.practitioner_id::UUID AS practitioner_id, coalesce(p.title, '') AS title, "
    "position AS updated_position, position AS _position",
    {"stream_id": _TEXT, "practitioner_id": _TEXT, "title": _TEXT}, upsert=True)

BOOKING_EVENTS: tuple[type[DomainEvent], ...] = (BookingConfirmed, BookingCreatedUnscheduled, BookingScheduled,
                                                 BookingRescheduled, BookingCancelled, BookingCompleted)
_ZONE = "coalesce(NULLIF(p.practitioner_timezone, ''), 'UTC')"
_START = _utc("p.start_at")

BOOKING_EVENT = Derivation(
    schema.BOOKING_EVENT, BOOKING_EVENTS,
    "position, type AS event_type, CAST(recorded_at AS TIMESTAMP) AS occurred_at, p.booking_id::UUID AS booking_id, "
    "p.client_id::UUID AS client_id, p.practitioner_id::UUID AS practitioner_id, p.service_id::UUID AS service_id, "
    f"p.service_type AS service_type, p.status AS status, {_START} AS start_at, {_utc('p.end_at')} AS end_at, "
    f"p.price_cents AS price_cents, p.parent_id::UUID AS parent_id, {_ZONE} AS practitioner_timezone, "
    # The wall-clock start in the practitioner's zone (UTC for a zone ICU does not know).
    f"timezone(CASE WHEN {_ZONE} IN (SELECT name FROM pg_timezone_names()) THEN {_ZONE} ELSE 'UTC' END, "
    f"timezone('UTC', {_START})) AS start_local, "
    f"{_utc('p.created_at')} AS created_at, "
    "CASE WHEN type = 'booking.cancelled' THEN coalesce(p.cancelled_by, '') END AS cancelled_by, "
    "CASE WHEN type = 'booking.cancelled' THEN coalesce(p.refund_cents, 0) END AS refund_cents, "
    "CASE WHEN type = 'booking.completed' THEN coalesce(p.completed_by, '') END AS completed_by",
    {"booking_id": _TEXT, "client_id": _TEXT, "practitioner_id": _TEXT, "service_id": _TEXT, "service_type": _TEXT,
     "status": _TEXT, "start_at": _TEXT, "end_at": _TEXT, "price_cents": _INT, "parent_id": _TEXT,
     "practitioner_timezone": _TEXT, "created_at": _TEXT, "cancelled_by": _TEXT, "refund_cents": _INT,
     "completed_by": _TEXT}, upsert=False)

CREDIT_EVENTS: tuple[type[DomainEvent], ...] = (CreditsPurchased, CreditsSpent, CreditsRefunded, CreditsAdjusted)
_REFERENCE_TYPE = "coalesce(p.reference_type, '')"

FACT_CREDIT_MOVEMENT = Derivation(
    schema.FACT_CREDIT_MOVEMENT, CREDIT_EVENTS,
    "p.transaction_id::UUID AS transaction_id, position, "
    "CASE type WHEN 'credits.purchased' THEN 'purchase' WHEN 'credits.spent' THEN 'spend' "
    "WHEN 'credits.refunded' THEN 'refund' ELSE 'adjustment' END AS kind, p.user_id::UUID AS user_id, "
    "p.amount_cents AS amount_cents, p.balance_after_cents AS balance_after_cents, "
    "CAST(coalesce(CAST(NULLIF(p.created_at, '') AS TIMESTAMPTZ), recorded_at) AS TIMESTAMP) AS occurred_at, "
    f"{_REFERENCE_TYPE} AS reference_type, coalesce(p.reference_id, '') AS reference_id, "
    f"CASE WHEN {_REFERENCE_TYPE} = 'booking' THEN TRY_CAST(p.reference_id AS UUID) END AS booking_id, "
    f"CASE WHEN {_REFERENCE_TYPE} = 'stream' THEN TRY_CAST(p.reference_id AS UUID) END AS stream_id, "
    "NULL::UUID AS practitioner_id, NULL::UUID AS service_id, NULL::VARCHAR AS revenue_type",
    {"transaction_id": _TEXT, "user_id": _TEXT, "amount_cents": _INT, "balance_after_cents": _INT,
     "created_at": _TEXT, "reference_type": _TEXT, "reference_id": _TEXT}, upsert=False)

FACT_REVIEW = Derivation(
    schema.FACT_REVIEW, (ReviewPublished, ReviewUpdated, ReviewDeleted, ReviewReplied),
    "p.review_id::UUID AS review_id, p.booking_id::UUID AS booking_id, p.client_id::UUID AS client_id, "
    "p.practitioner_id::UUID AS practitioner_id, p.service_id::UUID AS service_id, p.rating::INTEGER AS rating, "
    f"p.status AS status, {_utc('p.created_at')} AS created_at, {_utc('p.updated_at')} AS updated_at, "
    f"{_utc('p.replied_at')} AS replied_at, position AS last_position, position AS _position",
    {"review_id": _TEXT, "booking_id": _TEXT, "client_id": _TEXT, "practitioner_id": _TEXT, "service_id": _TEXT,
     "rating": _INT, "status": _TEXT, "created_at": _TEXT, "updated_at": _TEXT, "replied_at": _TEXT},
    upsert=True)

# In this order: dimensions first, then the facts (the derived steps run after all of them).
DERIVATIONS: tuple[Derivation, ...] = (DIM_CLIENT, DIM_PRACTITIONER, DIM_SERVICE, DIM_STREAM, BOOKING_EVENT,
                                       FACT_CREDIT_MOVEMENT, FACT_REVIEW)

HANDLED: frozenset[type[DomainEvent]] = frozenset(event for d in DERIVATIONS for event in d.events)
