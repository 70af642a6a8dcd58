"""Celery tasks: thin wrappers that load state and call one runtime function. Safe to run twice."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import orjson

from kernel.projection import DEFAULT_QUEUE, CheckpointOwner
from warehouse import maintenance
from warehouse.catch_up import WarehouseRun, catch_up
from warehouse.projection import WarehouseProjection
from workers import event_reader, positions, registry, runtime
from workers.celery_app import app
from write_api.bookings.services import bookings_autocomplete
from write_api.eventlog.idempotency import idempotency_records_purge
from write_api.notifications.reminders import notifications_send_session_reminders

log = logging.getLogger(__name__)

WAREHOUSE = WarehouseProjection.name  # drained on its own queue by one writer process


@app.task(name="workers.tasks.drain_all_projections")
def drain_all_projections() -> list[dict[str, Any]]:
    # Projections with a queue of their own (the warehouse) are drained by that queue's worker; a trigger
    # is passed on to it when the log has moved past what it published (an idle tick wakes nobody).
    if _warehouse_behind():
        drain_warehouse.apply_async(expires=5)
    return [dataclasses.asdict(r) for r in runtime.drain_all(registry.names_on_queue(DEFAULT_QUEUE))]


def _warehouse_behind() -> bool:
    if WAREHOUSE not in registry.projections():
        return False
    published = positions.published([WAREHOUSE]).get(WAREHOUSE)
    return published is None or published[1] < event_reader.head_position()


@app.task(name="workers.tasks.catch_up_projections")
def catch_up_projections() -> list[str]:
    """Beat's safety net for a trigger lost between a commit and the broker: wakes only the projections
    that need it (:func:`runtime.needing_drain`), so with no writes it returns before touching a read model."""
    stale = runtime.needing_drain(registry.projections())
    if WAREHOUSE in stale:  # its own queue and writer process
        drain_warehouse.apply_async(expires=5)
    shared = [name for name in registry.names_on_queue(DEFAULT_QUEUE) if name in stale]
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


# --- the warehouse: one writer process (queue ``warehouse``, concurrency 1); see ``warehouse.catch_up`` ---

def warehouse_catch_up() -> WarehouseRun:
    projection = registry.projection(WAREHOUSE)
    assert isinstance(projection, CheckpointOwner)
    return catch_up(projection, runtime.BOOKKEEPING)


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
