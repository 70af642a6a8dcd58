"""The warehouse projection: events into the lake's facts and dimensions, one schema per generation.

* **Checkpoint with the rows.** ``apply`` reads ``warehouse_checkpoint``, skips every event at or below
  it, writes the rows and the new checkpoint in one DuckLake transaction (one snapshot). A batch
  replayed after a crash (the runtime's PostgreSQL checkpoint not saved yet) is therefore a no-op, and
  a writer killed mid-batch leaves the lake at the previous batch (the commit never happened).
  :meth:`WarehouseProjection.mark_drained` moves the checkpoint over events the warehouse does not
  handle, so the lake's checkpoint is the authoritative drain position (see ``workers.tasks``).
* **Every commit says where it stands**: its DuckLake commit message carries ``{"generation", "position",
  "active"}``, which is how ``as_of_position`` finds the snapshot that answered after event N.
* **Generations are schemas** (``g<N>``): ``prepare`` creates an empty one, ``activate`` points
  :data:`schema.ACTIVE` at it in one commit (readers switch atomically), ``discard`` drops it.
* **Derived facts are incremental**: a batch derives ``fact_booking`` for the bookings it touched from
  their stored row plus the batch's own events (no history scan), and credit movements get the
  practitioner and service type of what they paid for as soon as both sides have arrived.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import orjson

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
from warehouse import lake, schema, staging
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
            staging.load(connection, by_name[name], rows.values(), replace=True)
        for name, listed in self.appends.items():
            staging.load(connection, by_name[name], listed, replace=False)


# One booking's row = its stored row (if any) folded with this batch's events for it. ``booking_event``
# and ``fact_credit_movement`` rows after ``$since`` are this batch's (files are pruned by position).
_DERIVE_BOOKINGS = """
MERGE INTO fact_booking AS f
USING (
    WITH fresh AS (
        SELECT * FROM booking_event WHERE position > $since
    ), fresh_refunds AS (
        SELECT booking_id, sum(amount_cents) AS cents FROM fact_credit_movement
        WHERE position > $since AND kind = 'refund' AND booking_id IS NOT NULL GROUP BY booking_id
    ), touched AS (
        SELECT booking_id FROM fresh UNION SELECT booking_id FROM fresh_refunds
    ), stored AS (
        SELECT * FROM fact_booking WHERE booking_id IN (SELECT booking_id FROM touched)
    ), early_refunds AS (
        -- refunds that arrived before the booking's first event (never attributed: no booking then)
        SELECT booking_id, sum(amount_cents) AS cents FROM fact_credit_movement
        WHERE position <= $since AND practitioner_id IS NULL AND kind = 'refund'
          AND booking_id IN (SELECT booking_id FROM fresh) GROUP BY booking_id
    ), latest AS (
        SELECT * FROM fresh QUALIFY row_number() OVER (PARTITION BY booking_id ORDER BY position DESC) = 1
    ), lifecycle AS (
        SELECT booking_id,
               min(occurred_at) FILTER (WHERE event_type = 'booking.scheduled') AS scheduled_at,
               count(*) FILTER (WHERE event_type = 'booking.rescheduled') AS reschedules,
               max(occurred_at) FILTER (WHERE event_type = 'booking.cancelled') AS cancelled_at,
               coalesce(sum(refund_cents) FILTER (WHERE event_type = 'booking.cancelled'), 0) AS cancellation_refund,
               max(occurred_at) FILTER (WHERE event_type = 'booking.completed') AS completed_at
        FROM fresh GROUP BY booking_id
    ), folded AS (
        SELECT t.booking_id,
               coalesce(l.practitioner_id, s.practitioner_id) AS practitioner_id,
               coalesce(l.client_id, s.client_id) AS client_id,
               CASE WHEN l.booking_id IS NULL THEN s.service_id ELSE l.service_id END AS service_id,
               CASE WHEN l.booking_id IS NULL THEN s.service_type ELSE l.service_type END AS service_type,
               CASE WHEN l.booking_id IS NULL THEN s.parent_id ELSE l.parent_id END AS parent_id,
               CASE WHEN l.booking_id IS NULL THEN s.status ELSE l.status END AS status,
               CASE WHEN l.booking_id IS NULL THEN s.price_cents ELSE l.price_cents END AS price_cents,
               CASE WHEN l.booking_id IS NULL THEN s.created_at ELSE l.created_at END AS created_at,
               CASE WHEN l.booking_id IS NULL THEN s.start_at ELSE l.start_at END AS start_at,
               CASE WHEN l.booking_id IS NULL THEN s.end_at ELSE l.end_at END AS end_at,
               CASE WHEN l.booking_id IS NULL THEN s.practitioner_timezone ELSE l.practitioner_timezone END
                   AS practitioner_timezone,
               CASE WHEN l.booking_id IS NULL THEN s.start_local ELSE l.start_local END AS start_local,
               least(s.scheduled_at, c.scheduled_at) AS scheduled_at,
               (coalesce(s.reschedule_count, 0) + coalesce(c.reschedules, 0))::INTEGER AS reschedule_count,
               greatest(s.cancelled_at, c.cancelled_at) AS cancelled_at,
               CASE WHEN l.booking_id IS NULL THEN s.cancelled_by ELSE l.cancelled_by END AS cancelled_by,
               coalesce(s.cancellation_refund_cents, 0) + coalesce(c.cancellation_refund, 0)
                   AS cancellation_refund_cents,
               coalesce(s.refunded_cents, 0) + coalesce(r.cents, 0) + coalesce(e.cents, 0) AS refunded_cents,
               greatest(s.completed_at, c.completed_at) AS completed_at,
               CASE WHEN l.booking_id IS NULL THEN s.completed_by ELSE l.completed_by END AS completed_by,
               coalesce(l.position, s.last_position) AS last_position,
               s.booking_id IS NOT NULL AS stored
        FROM touched t
        LEFT JOIN latest l USING (booking_id) LEFT JOIN stored s USING (booking_id)
        LEFT JOIN lifecycle c USING (booking_id) LEFT JOIN fresh_refunds r USING (booking_id)
        LEFT JOIN early_refunds e ON e.booking_id = t.booking_id AND s.booking_id IS NULL
        WHERE l.booking_id IS NOT NULL OR s.booking_id IS NOT NULL
    )
    SELECT booking_id, practitioner_id, client_id, service_id, service_type, parent_id,
           parent_id IS NOT NULL AS is_package_session, status, price_cents, created_at, start_at, end_at,
           practitioner_timezone, start_local, scheduled_at, reschedule_count,
           CASE WHEN status = 'cancelled' THEN cancelled_at END AS cancelled_at,
           CASE WHEN status = 'cancelled' THEN cancelled_by END AS cancelled_by,
           cancellation_refund_cents, refunded_cents,
           CASE WHEN status = 'completed' THEN completed_at END AS completed_at,
           CASE WHEN status = 'completed' THEN completed_by END AS completed_by,
           last_position, stored
    FROM folded
) AS d
ON f.booking_id = d.booking_id
WHEN MATCHED THEN UPDATE SET
    practitioner_id = d.practitioner_id, client_id = d.client_id, service_id = d.service_id,
    service_type = d.service_type, parent_id = d.parent_id, is_package_session = d.is_package_session,
    status = d.status, price_cents = d.price_cents, created_at = d.created_at, start_at = d.start_at,
    end_at = d.end_at, practitioner_timezone = d.practitioner_timezone, start_local = d.start_local,
    scheduled_at = d.scheduled_at, reschedule_count = d.reschedule_count, cancelled_at = d.cancelled_at,
    cancelled_by = d.cancelled_by, cancellation_refund_cents = d.cancellation_refund_cents,
    refunded_cents = d.refunded_cents, completed_at = d.completed_at, completed_by = d.completed_by,
    last_position = d.last_position
WHEN NOT MATCHED THEN INSERT VALUES (
    d.booking_id, d.practitioner_id, d.client_id, d.service_id, d.service_type, d.parent_id,
    d.is_package_session, d.status, d.price_cents, d.created_at, d.start_at, d.end_at, d.practitioner_timezone,
    d.start_local, d.scheduled_at, d.reschedule_count, d.cancelled_at, d.cancelled_by,
    d.cancellation_refund_cents, d.refunded_cents, d.completed_at, d.completed_by, d.last_position)
"""

# Money for a package/bundle session was paid on the package: its revenue counts as the package's.
# Only movements still unattributed are looked at, and only the bookings they name.
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


def _use(connection: duckdb.DuckDBPyConnection, generation: int) -> None:
    connection.execute(f"USE {lake.ALIAS}.{schema.generation_schema(generation)}")


def _active_generation(connection: duckdb.DuckDBPyConnection) -> int | None:
    row = connection.execute(f"SELECT max(generation) FROM {lake.ALIAS}.{schema.ACTIVE}").fetchone()
    return int(row[0]) if row and row[0] is not None else None


def _stamp(connection: duckdb.DuckDBPyConnection, generation: int, position: int) -> None:
    """Say in this commit's message which generation it wrote, at which position, and whether readers use it."""
    active = _active_generation(connection) == generation
    info = orjson.dumps({"generation": generation, "position": position, "active": active}).decode()
    connection.execute(f"CALL {lake.ALIAS}.set_commit_message('warehouse', 'apply', extra_info => $info)",
                       {"info": info})


class WarehouseProjection(Projection):
    name = "warehouse"
    description = "Analytics facts and dimensions (DuckLake: one writer, readers attach the lake read-only)."
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
    # The Celery queue whose single worker process drains this projection (one writer: no commit conflicts).
    queue = "warehouse"

    def __init__(self) -> None:
        self._batch: _Batch | None = None
        # The checkpoint this process last committed or read, per generation (forgotten when this process
        # prepares or discards it); lets an idle drain skip the lake entirely.
        self._known: dict[int, int] = {}

    def known_checkpoint(self, generation: int) -> int | None:
        return self._known.get(generation)

    # --- generations ------------------------------------------------------------------------------
    def prepare(self, generation: int) -> None:
        self.discard(generation)
        self._known.pop(generation, None)
        with lake.writer() as connection:
            connection.execute(schema.ACTIVE_DDL.replace("main.", f"{lake.ALIAS}.main.", 1))
            connection.execute("BEGIN TRANSACTION")
            connection.execute(f"CREATE SCHEMA {lake.ALIAS}.{schema.generation_schema(generation)}")
            _use(connection, generation)
            for statement in schema.create_statements():
                connection.execute(statement)
            _stamp(connection, generation, 0)
            connection.execute("COMMIT")

    def activate(self, generation: int) -> None:
        with lake.writer() as connection:
            connection.execute("BEGIN TRANSACTION")
            _use(connection, generation)
            position = _checkpoint(connection)
            table = f"{lake.ALIAS}.{schema.ACTIVE}"
            connection.execute(f"DELETE FROM {table}")
            connection.execute(f"INSERT INTO {table} VALUES (1, $generation)", {"generation": generation})
            _stamp(connection, generation, position)
            connection.execute("COMMIT")

    def discard(self, generation: int) -> None:
        self._known.pop(generation, None)
        if not self._exists(generation):
            return
        with lake.writer() as connection:
            connection.execute(f"USE {lake.ALIAS}.main")
            connection.execute(f"DROP SCHEMA IF EXISTS {lake.ALIAS}.{schema.generation_schema(generation)} CASCADE")

    def _exists(self, generation: int) -> bool:
        with lake.writer() as connection:
            return int(lake.scalar(connection.execute(
                "SELECT count(*) FROM duckdb_schemas() WHERE database_name = $db AND schema_name = $schema",
                {"db": lake.ALIAS, "schema": schema.generation_schema(generation)}).fetchone())) > 0

    def snapshot(self, generation: int) -> dict[str, tuple[Any, ...]]:
        """Every row of every compared table, keyed ``table:key`` (for verify and replay tests)."""
        image: dict[str, tuple[Any, ...]] = {}
        with lake.writer() as connection:
            _use(connection, generation)
            for table in schema.TABLES:
                if not table.compared:
                    continue
                order = ", ".join(table.key)
                for row in connection.execute(f"SELECT * FROM {table.name} ORDER BY {order}").fetchall():
                    key = ":".join(str(row[table.column_names.index(k)]) for k in table.key)
                    image[f"{table.name}:{key}"] = tuple(row)
        return image

    # --- the checkpoint with the rows --------------------------------------------------------------
    def checkpoint(self, generation: int) -> int | None:
        """The generation's checkpoint, or None when the generation does not exist."""
        if not self._exists(generation):
            return None
        with lake.writer() as connection:
            _use(connection, generation)
            try:
                return _checkpoint(connection)
            except duckdb.CatalogException:  # created but never prepared (a writer killed in prepare)
                return None

    def mark_drained(self, generation: int, position: int) -> None:
        """Every event up to ``position`` is applied or irrelevant here: move the checkpoint there (no
        commit when it is there already: an idle drain writes nothing)."""
        with lake.writer() as connection:
            _use(connection, generation)
            connection.execute("BEGIN TRANSACTION")
            current = _checkpoint(connection)
            if current >= position:
                connection.execute("ROLLBACK")
                self._known[generation] = current
                return
            connection.execute("UPDATE warehouse_checkpoint SET position = $position WHERE id = 1",
                               {"position": position})
            _stamp(connection, generation, position)
            connection.execute("COMMIT")
        self._known[generation] = position

    def release(self, generation: int) -> None:
        """Nothing to release: the lake holds no file lock, the writer's connection stays attached."""

    # --- applying ------------------------------------------------------------------------------------
    def apply(self, events: Sequence[RecordedEvent[Any]], generation: int) -> None:
        with lake.writer() as connection:
            _use(connection, generation)
            connection.execute("BEGIN TRANSACTION")
            since = _checkpoint(connection)
            fresh = [e for e in events if e.position > since]
            if not fresh:
                connection.execute("ROLLBACK")
                return
            self._apply_fresh(connection, fresh, since)
            _stamp(connection, generation, fresh[-1].position)
            connection.execute("COMMIT")
        self._known[generation] = fresh[-1].position

    def _apply_fresh(self, connection: Any, events: Sequence[RecordedEvent[Any]], since: int) -> None:
        batch = self._batch = _Batch()
        try:
            for event in events:
                handler: Callable[[RecordedEvent[Any]], Any] | None = self.handler_for(event.type)
                if handler is not None:
                    handler(event)
            batch.write(connection)
        finally:
            self._batch = None
        bookings = schema.BOOKING_EVENT.name in batch.appends
        money = schema.FACT_CREDIT_MOVEMENT.name in batch.appends
        if bookings or money:
            connection.execute(_DERIVE_BOOKINGS, {"since": since})
            connection.execute(_RESOLVE_BOOKING_MONEY)
        if money or schema.DIM_STREAM.name in batch.upserts:
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
