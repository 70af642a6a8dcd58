"""Celery tasks: thin wrappers that load state and call one runtime function. Safe to run twice."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import orjson
from django.db import connection

from warehouse import maintenance
from warehouse.projection import WarehouseProjection
from workers import event_reader, positions, registry, runtime
from workers.celery_app import app
from write_api.bookings.services import bookings_autocomplete
from write_api.eventlog.idempotency import idempotency_records_purge
from write_api.eventlog.models import ProjectionState
from write_api.notifications.reminders import notifications_send_session_reminders

log = logging.getLogger(__name__)


@app.task(name="workers.tasks.drain_all_projections")
def drain_all_projections() -> list[dict[str, Any]]:
    # Projections with a queue of their own (the warehouse) are drained by that queue's worker; a trigger
    # is passed on to it when the log has moved past what it published (an idle tick wakes nobody).
    if _warehouse_behind():
        drain_warehouse.apply_async(expires=5)
    return [dataclasses.asdict(r) for r in runtime.drain_all(registry.names_on_queue(registry.DEFAULT_QUEUE))]


def _warehouse_behind() -> bool:
    if WAREHOUSE not in registry.projections():
        return False
    published = positions.client().hget(f"projection:{WAREHOUSE}", "position")
    return published is None or int(published) < event_reader.head_position()


@app.task(name="workers.tasks.catch_up_projections")
def catch_up_projections() -> list[str]:
    """Beat's safety net for a trigger lost between a commit and the broker: wakes only the projections
    that need it (:func:`runtime.needing_drain`), so with no writes it returns before touching a read model."""
    stale = runtime.needing_drain(registry.projections())
    if WAREHOUSE in stale:  # its own queue and writer process
        drain_warehouse.apply_async(expires=5)
    shared = [name for name in registry.names_on_queue(registry.DEFAULT_QUEUE) if name in stale]
    if shared:
        runtime.drain_all(shared)
    return stale


@app.task(name="workers.tasks.publish_projection_status")
def publish_projection_status() -> None:
    rows = [{**dataclasses.asdict(s), "health": s.health} for s in runtime.status()]
    positions.client().set(positions.STATUS_KEY, orjson.dumps(rows, default=str))


@app.task(name="workers.tasks.send_session_reminders")
def send_session_reminders() -> int:
    """Notify of sessions starting within 24 h; each reminder once (dedupe key per booking and start)."""
    return notifications_send_session_reminders()


# --- the warehouse: one writer process (queue ``warehouse``, concurrency 1) ----------------------------

WAREHOUSE = "warehouse"


@dataclasses.dataclass(frozen=True)
class WarehouseRun:
    ran: bool
    generation: int = 0
    position: int = 0


def warehouse_catch_up() -> WarehouseRun:
    """Drain the warehouse, holding its drain lock; every batch is a DuckLake commit readers see at once.

    The checkpoint committed with the lake's rows is authoritative: the runtime's PostgreSQL checkpoint
    is set to it before draining (a batch committed but not yet recorded in PostgreSQL is not replayed; a
    lake behind PostgreSQL — restored or lost — is caught up from its own position), and the lake is
    told the drained position afterwards (events it does not handle).
    """
    projection = registry.projection(WAREHOUSE)
    assert isinstance(projection, WarehouseProjection)  # the registry's, under this name
    idle = _idle(projection)
    if idle is not None:
        return idle
    with runtime.projection_lock(WAREHOUSE) as acquired:
        if not acquired:
            return WarehouseRun(ran=False)
        state = ProjectionState.objects.filter(name=WAREHOUSE).first()
        if state is not None:
            _align_checkpoint(projection, state)
        runtime.drain(WAREHOUSE)
        state = ProjectionState.objects.get(name=WAREHOUSE)
        projection.mark_drained(state.active_generation, state.active_position)
        return WarehouseRun(True, state.active_generation, state.active_position)


def _idle(projection: Any) -> WarehouseRun | None:
    """One query, no lock: when the head has not moved past what this process last committed to the active
    generation, there is nothing to do (an idle writer reads neither the lake nor its catalog)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT s.active_generation, s.active_position, h.position FROM projection_state s, "
                       "event_log_head h WHERE s.name = %s AND h.id = 1", [WAREHOUSE])
        row = cursor.fetchone()
    if row is None:
        return None
    generation, position, head = row
    if projection.known_checkpoint(generation) == position and head <= position \
            and positions.client().exists(f"projection:{WAREHOUSE}"):
        return WarehouseRun(True, generation, position)
    return None


def _align_checkpoint(projection: Any, state: Any) -> None:
    lake_position = projection.checkpoint(state.active_generation)
    if lake_position is None:  # the generation is gone: fill it again from the first event
        log.warning("warehouse generation %s is missing; replaying it from position 0", state.active_generation)
        projection.prepare(state.active_generation)
        projection.activate(state.active_generation)
        lake_position = 0
    if lake_position != state.active_position:
        type(state).objects.filter(name=WAREHOUSE, active_generation=state.active_generation).update(
            active_position=lake_position)


@app.task(name="workers.tasks.drain_warehouse")
def drain_warehouse() -> dict[str, Any]:
    return dataclasses.asdict(warehouse_catch_up())


@app.task(name="workers.tasks.maintain_warehouse")
def maintain_warehouse() -> dict[str, Any]:
    """Beat: keep the lake's file count bounded and its history retained (see ``warehouse.maintenance``).

    Skipped while a rebuild or verify writes a generation from another process (compacting the tables it
    writes would make one of the two commits conflict); otherwise it holds the drain lock, so no drain
    commits meanwhile either (same lock order as a rebuild: rebuild lock, then drain lock)."""
    with runtime.projection_lock(WAREHOUSE, purpose="rebuild") as free:
        if not free:
            return {"skipped": "a rebuild or verify of the warehouse is running"}
        with runtime.projection_lock(WAREHOUSE, wait=True):
            return dataclasses.asdict(maintenance.compact())


@app.task(name="workers.tasks.complete_ended_bookings")
def complete_ended_bookings() -> int:
    return bookings_autocomplete()


@app.task(name="workers.tasks.purge_idempotency_records")
def purge_idempotency_records() -> int:
    return idempotency_records_purge()
