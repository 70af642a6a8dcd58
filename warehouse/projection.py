"""The warehouse projection: events into the lake's facts and dimensions, one schema per generation.

* **Checkpoint with the rows.** A batch (:meth:`WarehouseProjection.apply_log`: a position range DuckDB
  reads from the log itself; :meth:`WarehouseProjection.apply`: events in memory) is staged in the writer's
  connection, then one DuckLake transaction (one snapshot) reads ``warehouse_checkpoint``, derives the
  rows of the staged events after it in SQL (:mod:`warehouse.derivation`), then the derived facts, and
  moves the checkpoint to the batch's end (the events the warehouse ignores included). A batch replayed
  after a crash (the runtime's PostgreSQL checkpoint not saved yet) is therefore a no-op, and a writer
  killed mid-batch leaves the lake at the previous batch (the commit never happened).
  :meth:`WarehouseProjection.mark_drained` moves the checkpoint over events no batch covered, so the
  lake's checkpoint is the authoritative drain position (see ``warehouse.catch_up``).
* **Every commit says where it stands**: its DuckLake commit message carries ``{"generation", "position",
  "active"}``, which is how ``as_of_position`` finds the snapshot that answered after event N.
* **Generations are schemas** (``g<N>``): ``prepare`` creates an empty one, ``activate`` points
  :data:`schema.ACTIVE` at it in one commit (readers switch atomically), ``discard`` drops it.
* **Derived facts are incremental**: a batch derives ``fact_booking`` for the bookings it touched from
  their stored row plus the batch's own events (no history scan), and credit movements get the
  practitioner and service type of what they paid for as soon as both sides have arrived.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import duckdb
import orjson

from kernel.events import (
    FAVORITE_EVENTS,
    SCHEDULE_EVENTS,
    SESSION_EVENTS,
    RecordedEvent,
    StreamArchived,
    StreamLiked,
    StreamPublished,
    StreamSaved,
    StreamUnliked,
    StreamUnsaved,
    StreamUpdated,
)
from kernel.projection import CheckpointOwner, LogRange
from warehouse import derivation, lake, schema, staging

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


class WarehouseProjection(CheckpointOwner):
    name = "warehouse"
    description = "Analytics facts and dimensions (DuckLake: one writer, readers attach the lake read-only)."
    # Event types this read model does not need: whole contexts it needs nothing of, then single types (a new
    # type must be handled or ignored here).
    ignores = (FAVORITE_EVENTS | SCHEDULE_EVENTS | SESSION_EVENTS
               | {StreamArchived, StreamLiked, StreamPublished, StreamSaved, StreamUnliked, StreamUnsaved,
                  StreamUpdated})
    # Every other type: its rows are derived in SQL (``warehouse.derivation``), a whole batch at once.
    handled_in_bulk = derivation.HANDLED
    reads_log = True
    # The Celery queue whose single worker process drains this projection (one writer: no commit conflicts).
    queue = "warehouse"

    def __init__(self) -> None:
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
        commit when it is there already: an idle drain writes nothing). Nothing to read either when this
        process committed that far itself (a batch of the log's range moves the checkpoint to its end)."""
        if self._known.get(generation, -1) >= position:
            return
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
        """Apply events given in memory (the same SQL as the log's path, over these events staged)."""
        if not events:
            return
        with lake.writer() as connection:
            staging.from_events(connection, events)
            self._apply_staged(connection, generation, events[-1].position)

    def apply_log(self, generation: int, batch: LogRange) -> None:
        """Apply the log's events of ``batch``: DuckDB reads them from the write database itself
        (``postgres_query``, only the types the warehouse handles) and derives every row in SQL; the
        checkpoint moves to ``batch.through`` in the same commit (the events it ignores included)."""
        with lake.writer() as connection:
            alias = lake.attach_event_log(connection, batch.conninfo)
            staging.from_log(connection, alias, batch.query)
            self._apply_staged(connection, generation, batch.through)

    def _apply_staged(self, connection: duckdb.DuckDBPyConnection, generation: int, through: int) -> None:
        """One DuckLake transaction: the facts and dimensions of the staged events after the checkpoint, the
        derived facts, the checkpoint ``through``; nothing when the checkpoint is there already."""
        _use(connection, generation)
        connection.execute("BEGIN TRANSACTION")
        since = _checkpoint(connection)
        if through <= since:
            connection.execute("ROLLBACK")
            self._known[generation] = since
            return
        present = _present_types(connection, since)
        for derivation_ in derivation.DERIVATIONS:
            if present.intersection(derivation_.types):
                connection.execute(derivation_.statement(), {"since": since})
        self._derive(connection, present, since)
        connection.execute("UPDATE warehouse_checkpoint SET position = $position, applied_at = $now WHERE id = 1",
                           {"position": through, "now": datetime.now(UTC).replace(tzinfo=None)})
        _stamp(connection, generation, through)
        connection.execute("COMMIT")
        self._known[generation] = through

    @staticmethod
    def _derive(connection: duckdb.DuckDBPyConnection, present: set[str], since: int) -> None:
        """Facts derived from other facts, for what this batch touched (after its own rows are written)."""
        bookings = bool(present.intersection(derivation.BOOKING_EVENT.types))
        money = bool(present.intersection(derivation.FACT_CREDIT_MOVEMENT.types))
        if bookings or money:
            connection.execute(_DERIVE_BOOKINGS, {"since": since})
            connection.execute(_RESOLVE_BOOKING_MONEY)
        if money or present.intersection(derivation.DIM_STREAM.types):
            connection.execute(_RESOLVE_STREAM_MONEY)


def _present_types(connection: duckdb.DuckDBPyConnection, since: int) -> set[str]:
    rows = connection.execute(f"SELECT DISTINCT type FROM {derivation.STAGED} WHERE position > $since",
                              {"since": since}).fetchall()
    return {str(row[0]) for row in rows}


def _checkpoint(connection: Any) -> int:
    row = connection.execute("SELECT position FROM warehouse_checkpoint WHERE id = 1").fetchone()
    return int(row[0]) if row else 0
