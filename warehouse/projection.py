"""The warehouse projection: events into the DuckDB facts and dimensions, one generation per file.

* **Checkpoint inside the file.** ``apply`` reads ``warehouse_checkpoint``, skips every event at or
  below it, writes the rows and the new checkpoint in one DuckDB transaction. A batch replayed after a
  crash (the runtime's PostgreSQL checkpoint not saved yet) is therefore a no-op, and a writer killed
  mid-batch leaves the file at the previous batch (DuckDB rolls the open transaction back).
  :meth:`WarehouseProjection.mark_drained` moves the file's checkpoint over events the warehouse does
  not handle, so the file's checkpoint is the authoritative drain position (see ``workers.tasks``).
* **Generations are files** (``warehouse/layout.py``): ``prepare`` creates an empty one, ``activate``
  publishes a snapshot of it for readers, ``discard`` deletes it.
* **Derived facts** are recomputed in the same transaction for the bookings a batch touched:
  ``fact_booking`` from that booking's whole ``booking_event`` history, and credit movements get the
  practitioner and service type of what they paid for as soon as both sides have arrived.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb

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
    FavoriteAdded,
    FavoriteRemoved,
    PractitionerRegistered,
    PractitionerUpdated,
    RecordedEvent,
    ReviewDeleted,
    ReviewPublished,
    ReviewReplied,
    ReviewUpdated,
    ScheduleBlockAdded,
    ScheduleBlockRemoved,
    ScheduleOverrideSet,
    ScheduleUpdated,
    ServiceCreated,
    ServiceSessionCancelled,
    ServiceSessionScheduled,
    ServiceUpdated,
    StreamArchived,
    StreamLiked,
    StreamPublished,
    StreamSaved,
    StreamUnliked,
    StreamUnlocked,
    StreamUnsaved,
    StreamUpdated,
    UserRegistered,
)
from kernel.projection import Projection, on
from warehouse import connections, layout, schema, snapshots, staging
from warehouse.schema import Table

CREDIT_KINDS = {"credits.purchased": "purchase", "credits.spent": "spend", "credits.refunded": "refund",
                "credits.adjusted": "adjustment"}


def _utc(value: Any) -> datetime | None:
    """An ISO string or aware datetime as naive UTC (the warehouse's representation), None stays None."""
    if value in (None, ""):
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _local(moment: datetime | None, zone_name: str) -> datetime | None:
    """Wall-clock time in ``zone_name`` of a naive-UTC ``moment`` (UTC if the zone is unknown)."""
    if moment is None:
        return None
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return moment.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)


def _uuid_or_none(value: Any) -> str | None:
    try:
        return str(UUID(str(value))) if value else None
    except ValueError:
        return None


class _Batch:
    """Rows gathered from one batch of events, written in bulk at its end."""

    def __init__(self) -> None:
        self.upserts: dict[str, dict[str, dict[str, Any]]] = {}  # table -> key -> row (latest wins)
        self.appends: dict[str, list[dict[str, Any]]] = {}

    def upsert(self, table: Table, key: str, row: dict[str, Any]) -> None:
        self.upserts.setdefault(table.name, {})[key] = row

    def append(self, table: Table, row: dict[str, Any]) -> None:
        self.appends.setdefault(table.name, []).append(row)

    def write(self, connection: Any) -> None:
        by_name = {table.name: table for table in schema.TABLES}
        for name, rows in self.upserts.items():
            staging.load(connection, by_name[name], rows.values(), on_conflict="REPLACE")
        for name, listed in self.appends.items():
            staging.load(connection, by_name[name], listed, on_conflict="IGNORE")


# The bookings whose derived row must be recomputed: new history rows, or new money moved for them.
_TOUCHED = """
CREATE OR REPLACE TEMP TABLE touched_booking AS
SELECT booking_id FROM booking_event WHERE position > $since
UNION
SELECT booking_id FROM fact_credit_movement WHERE position > $since AND booking_id IS NOT NULL
"""

_DELETE_TOUCHED = "DELETE FROM fact_booking WHERE booking_id IN (SELECT booking_id FROM touched_booking)"

_DERIVE_BOOKINGS = """
INSERT INTO fact_booking
WITH history AS (
    SELECT * FROM booking_event WHERE booking_id IN (SELECT booking_id FROM touched_booking)
), latest AS (
    SELECT * FROM history QUALIFY row_number() OVER (PARTITION BY booking_id ORDER BY position DESC) = 1
), lifecycle AS (
    SELECT booking_id,
           min(occurred_at) FILTER (WHERE event_type = 'booking.scheduled') AS scheduled_at,
           count(*) FILTER (WHERE event_type = 'booking.rescheduled') AS reschedule_count,
           max(occurred_at) FILTER (WHERE event_type = 'booking.cancelled') AS cancelled_at,
           coalesce(sum(refund_cents) FILTER (WHERE event_type = 'booking.cancelled'), 0) AS cancellation_refund_cents,
           max(occurred_at) FILTER (WHERE event_type = 'booking.completed') AS completed_at
    FROM history GROUP BY booking_id
), refunds AS (
    SELECT booking_id, sum(amount_cents) AS refunded_cents FROM fact_credit_movement
    WHERE kind = 'refund' AND booking_id IN (SELECT booking_id FROM touched_booking) GROUP BY booking_id
)
SELECT l.booking_id, l.practitioner_id, l.client_id, l.service_id, l.service_type, l.parent_id,
       l.parent_id IS NOT NULL, l.status, l.price_cents, l.created_at, l.start_at, l.end_at,
       l.practitioner_timezone, l.start_local, c.scheduled_at, c.reschedule_count,
       CASE WHEN l.status = 'cancelled' THEN c.cancelled_at END,
       CASE WHEN l.status = 'cancelled' THEN l.cancelled_by END,
       c.cancellation_refund_cents, coalesce(r.refunded_cents, 0),
       CASE WHEN l.status = 'completed' THEN c.completed_at END,
       CASE WHEN l.status = 'completed' THEN l.completed_by END,
       l.position
FROM latest l JOIN lifecycle c USING (booking_id) LEFT JOIN refunds r USING (booking_id)
"""

# Money for a package/bundle session was paid on the package: its revenue counts as the package's.
# Only the bookings with unresolved money are joined (a join over the whole fact table per batch made a
# replay of millions of bookings quadratic).
_RESOLVE_BOOKING_MONEY = """
UPDATE fact_credit_movement AS m
SET practitioner_id = paid.practitioner_id, service_id = paid.service_id, revenue_type = paid.revenue_type
FROM (
    WITH unresolved AS (
        SELECT DISTINCT booking_id FROM fact_credit_movement WHERE practitioner_id IS NULL AND booking_id IS NOT NULL
    ), b AS (
        SELECT booking_id, practitioner_id, service_id, service_type, parent_id FROM fact_booking
        WHERE booking_id IN (SELECT booking_id FROM unresolved)
    ), p AS (
        SELECT booking_id, service_id, service_type FROM fact_booking
        WHERE booking_id IN (SELECT parent_id FROM b WHERE parent_id IS NOT NULL)
    )
    SELECT b.booking_id, b.practitioner_id, coalesce(p.service_id, b.service_id) AS service_id,
           coalesce(p.service_type, b.service_type) AS revenue_type
    FROM b LEFT JOIN p ON p.booking_id = b.parent_id
) AS paid
WHERE m.practitioner_id IS NULL AND m.booking_id = paid.booking_id
"""

_RESOLVE_STREAM_MONEY = """
UPDATE fact_credit_movement AS m
SET practitioner_id = s.practitioner_id, revenue_type = 'stream'
FROM dim_stream AS s
WHERE m.practitioner_id IS NULL AND m.stream_id = s.stream_id
"""


class WarehouseProjection(Projection):
    name = "warehouse"
    description = "Analytics facts and dimensions (DuckDB, single writer, published as read-only snapshots)."
    # Event types this read model does not need (a new type must be handled or added here).
    ignores = frozenset({
        FavoriteAdded,
        FavoriteRemoved,
        ScheduleBlockAdded,
        ScheduleBlockRemoved,
        ScheduleOverrideSet,
        ScheduleUpdated,
        ServiceSessionCancelled,
        ServiceSessionScheduled,
        StreamArchived,
        StreamLiked,
        StreamPublished,
        StreamSaved,
        StreamUnliked,
        StreamUnsaved,
        StreamUpdated,
    })
    # The Celery queue whose single worker process drains this projection (DuckDB allows one writer).
    queue = "warehouse"

    def __init__(self) -> None:
        self._batch: _Batch | None = None

    # --- generations ------------------------------------------------------------------------------
    def prepare(self, generation: int) -> None:
        self.discard(generation)
        with connections.writer(layout.generation_file(generation)) as connection:
            connection.execute("BEGIN TRANSACTION")
            for statement in schema.create_statements():
                connection.execute(statement)
            connection.execute("COMMIT")

    def activate(self, generation: int) -> None:
        snapshots.publish(generation, force=True)
        connections.close(layout.generation_file(generation))  # let the warehouse worker open it

    def discard(self, generation: int) -> None:
        database = layout.generation_file(generation)
        connections.close(database)
        for path in layout.sidecar_files(database):
            path.unlink(missing_ok=True)

    def snapshot(self, generation: int) -> dict[str, tuple[Any, ...]]:
        """Every row of every compared table, keyed ``table:key`` (for verify and replay tests)."""
        image: dict[str, tuple[Any, ...]] = {}
        with connections.writer(layout.generation_file(generation)) as connection:
            for table in schema.TABLES:
                if not table.compared:
                    continue
                order = ", ".join(table.key)
                for row in connection.execute(f"SELECT * FROM {table.name} ORDER BY {order}").fetchall():
                    key = ":".join(str(row[table.column_names.index(k)]) for k in table.key)
                    image[f"{table.name}:{key}"] = tuple(row)
        return image

    # --- the checkpoint in the file ----------------------------------------------------------------
    def checkpoint(self, generation: int) -> int | None:
        """The file's checkpoint, or None when the generation's file does not exist."""
        database = layout.generation_file(generation)
        if not database.exists() and not connections.is_open(database):
            return None
        with connections.writer(database) as connection:
            try:
                return _checkpoint(connection)
            except duckdb.CatalogException:  # created but never prepared (a writer killed in prepare)
                return None

    def mark_drained(self, generation: int, position: int) -> None:
        """Every event up to ``position`` is applied or irrelevant here: move the file's checkpoint there."""
        with connections.writer(layout.generation_file(generation)) as connection:
            connection.execute("UPDATE warehouse_checkpoint SET position = greatest(position, $position) WHERE id = 1",
                               {"position": position})

    def holding(self, generation: int) -> contextlib.AbstractContextManager[None]:
        return connections.held(layout.generation_file(generation))

    def release(self, generation: int) -> None:
        """Close this process's connection to the generation file (another process may want it)."""
        connections.close(layout.generation_file(generation))

    # --- applying ------------------------------------------------------------------------------------
    def apply(self, events: Sequence[RecordedEvent[Any]], generation: int) -> None:
        with connections.writer(layout.generation_file(generation)) as connection:
            connection.execute("BEGIN TRANSACTION")
            try:
                since = _checkpoint(connection)
                fresh = [e for e in events if e.position > since]
                if fresh:
                    self._apply_fresh(connection, fresh, since)
                connection.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(Exception):
                    connection.execute("ROLLBACK")
                raise

    def _apply_fresh(self, connection: Any, events: Sequence[RecordedEvent[Any]], since: int) -> None:
        self._batch = _Batch()
        try:
            for event in events:
                handler: Callable[[RecordedEvent[Any]], Any] | None = self.handler_for(event.type)
                if handler is not None:
                    handler(event)
            self._batch.write(connection)
        finally:
            self._batch = None
        connection.execute(_TOUCHED, {"since": since})
        connection.execute(_DELETE_TOUCHED)
        connection.execute(_DERIVE_BOOKINGS)
        connection.execute(_RESOLVE_BOOKING_MONEY)
        connection.execute(_RESOLVE_STREAM_MONEY)
        connection.execute("UPDATE warehouse_checkpoint SET position = $position, applied_at = $now WHERE id = 1",
                           {"position": events[-1].position, "now": datetime.now(UTC).replace(tzinfo=None)})

    @property
    def batch(self) -> _Batch:
        assert self._batch is not None, "handlers run inside apply()"
        return self._batch

    # --- dimensions ------------------------------------------------------------------------------------
    @on(UserRegistered)
    def on_user_registered(self, event: RecordedEvent[UserRegistered]) -> None:
        p = event.payload
        name = " ".join(part for part in (p.get("first_name", ""), p.get("last_name", "")) if part).strip()
        self.batch.upsert(schema.DIM_CLIENT, p["user_id"], {
            "client_id": p["user_id"], "name": name, "registered_at": _utc(event.recorded_at)})

    @on(PractitionerRegistered, PractitionerUpdated)
    def _practitioner(self, event: RecordedEvent[PractitionerRegistered | PractitionerUpdated]) -> None:
        p = event.payload
        self.batch.upsert(schema.DIM_PRACTITIONER, p["practitioner_id"], {
            "practitioner_id": p["practitioner_id"], "user_id": p["user_id"], "display_name": p["display_name"],
            "timezone": p["timezone"], "is_active": bool(p["is_active"]), "updated_position": event.position})

    @on(ServiceCreated, ServiceUpdated)
    def _service(self, event: RecordedEvent[ServiceCreated | ServiceUpdated]) -> None:
        p = event.payload
        self.batch.upsert(schema.DIM_SERVICE, p["service_id"], {
            "service_id": p["service_id"], "practitioner_id": p["practitioner_id"], "title": p["title"],
            "service_type": p["service_type"], "format": p["format"], "status": p["status"],
            "price_cents": p["price_cents"], "duration_minutes": p["duration_minutes"],
            "created_at": _utc(p["created_at"]), "updated_position": event.position})

    @on(StreamUnlocked)
    def on_stream_unlocked(self, event: RecordedEvent[StreamUnlocked]) -> None:
        # What a stream reference in a credit movement needs: whose stream it is.
        p = event.payload
        self.batch.upsert(schema.DIM_STREAM, p["stream_id"], {
            "stream_id": p["stream_id"], "practitioner_id": p["practitioner_id"], "title": p.get("title", ""),
            "updated_position": event.position})

    # --- bookings ------------------------------------------------------------------------------------
    @on(BookingConfirmed)
    def on_booking_confirmed(self, event: RecordedEvent[BookingConfirmed]) -> None:
        self._booking(event)

    @on(BookingCreatedUnscheduled)
    def on_booking_created_unscheduled(self, event: RecordedEvent[BookingCreatedUnscheduled]) -> None:
        self._booking(event)

    @on(BookingScheduled)
    def on_booking_scheduled(self, event: RecordedEvent[BookingScheduled]) -> None:
        self._booking(event)

    @on(BookingRescheduled)
    def on_booking_rescheduled(self, event: RecordedEvent[BookingRescheduled]) -> None:
        self._booking(event)

    @on(BookingCancelled)
    def on_booking_cancelled(self, event: RecordedEvent[BookingCancelled]) -> None:
        self._booking(event, cancelled_by=event.payload.get("cancelled_by", ""),
                      refund_cents=int(event.payload.get("refund_cents") or 0))

    @on(BookingCompleted)
    def on_booking_completed(self, event: RecordedEvent[BookingCompleted]) -> None:
        self._booking(event, completed_by=event.payload.get("completed_by", ""))

    def _booking(self, event: RecordedEvent[Any], **extra: Any) -> None:
        p = event.payload
        start_at = _utc(p.get("start_at"))
        zone = p.get("practitioner_timezone") or "UTC"
        self.batch.append(schema.BOOKING_EVENT, {
            "position": event.position, "event_type": event.type, "occurred_at": _utc(event.recorded_at),
            "booking_id": p["booking_id"], "client_id": p["client_id"], "practitioner_id": p["practitioner_id"],
            "service_id": p["service_id"], "service_type": p["service_type"], "status": p["status"],
            "start_at": start_at, "end_at": _utc(p.get("end_at")), "price_cents": p["price_cents"],
            "parent_id": p.get("parent_id"), "practitioner_timezone": zone, "start_local": _local(start_at, zone),
            "created_at": _utc(p["created_at"]), "cancelled_by": extra.get("cancelled_by"),
            "refund_cents": extra.get("refund_cents"), "completed_by": extra.get("completed_by")})

    # --- credits -------------------------------------------------------------------------------------
    @on(CreditsPurchased, CreditsSpent, CreditsRefunded, CreditsAdjusted)
    def _credit(
            self, event: RecordedEvent[CreditsPurchased | CreditsSpent | CreditsRefunded | CreditsAdjusted]) -> None:
        p = event.payload
        reference_type, reference_id = p.get("reference_type") or "", str(p.get("reference_id") or "")
        self.batch.append(schema.FACT_CREDIT_MOVEMENT, {
            "transaction_id": p["transaction_id"], "position": event.position, "kind": CREDIT_KINDS[event.type],
            "user_id": p["user_id"], "amount_cents": p["amount_cents"],
            "balance_after_cents": p.get("balance_after_cents"), "occurred_at": _utc(p.get("created_at")
                                                                                    or event.recorded_at),
            "reference_type": reference_type, "reference_id": reference_id,
            "booking_id": _uuid_or_none(reference_id) if reference_type == "booking" else None,
            "stream_id": _uuid_or_none(reference_id) if reference_type == "stream" else None})

    # --- reviews -------------------------------------------------------------------------------------
    @on(ReviewPublished, ReviewUpdated, ReviewDeleted, ReviewReplied)
    def _review(self, event: RecordedEvent[ReviewPublished | ReviewUpdated | ReviewDeleted | ReviewReplied]) -> None:
        p = event.payload
        self.batch.upsert(schema.FACT_REVIEW, p["review_id"], {
            "review_id": p["review_id"], "booking_id": p["booking_id"], "client_id": p["client_id"],
            "practitioner_id": p["practitioner_id"], "service_id": p["service_id"], "rating": p["rating"],
            "status": p["status"], "created_at": _utc(p["created_at"]), "updated_at": _utc(p["updated_at"]),
            "replied_at": _utc(p.get("replied_at")), "last_position": event.position})


def _checkpoint(connection: Any) -> int:
    row = connection.execute("SELECT position FROM warehouse_checkpoint WHERE id = 1").fetchone()
    return int(row[0]) if row else 0
