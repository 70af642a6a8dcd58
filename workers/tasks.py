"""Celery tasks: thin wrappers that load state and call one runtime function. Safe to run twice."""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any

import orjson

from infra.environment import env
from workers import positions, registry, runtime
from workers.celery_app import app

log = logging.getLogger(__name__)


@app.task(name="workers.tasks.drain_all_projections")
def drain_all_projections() -> list[dict]:
    # Projections with a queue of their own (the warehouse) are drained by that queue's worker; a
    # trigger after a commit is passed on to it.
    drain_warehouse.apply_async(expires=5)
    return [dataclasses.asdict(r) for r in runtime.drain_all(registry.names_on_queue(registry.DEFAULT_QUEUE))]


@app.task(name="workers.tasks.catch_up_projections")
def catch_up_projections() -> list[str]:
    """Beat's safety net for a trigger lost between a commit and the broker: wakes only the projections
    that need it (:func:`runtime.needing_drain`), so with no writes it returns before touching a read model."""
    stale = runtime.needing_drain(registry.projections())
    if WAREHOUSE in stale:  # its own queue and writer process
        drain_warehouse.apply_async(expires=5)
    elif WAREHOUSE in registry.projections() and not _snapshot_up_to_date():
        publish_warehouse_snapshot.apply_async(expires=10)
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
    from write_api.notifications.reminders import notifications_send_session_reminders

    return notifications_send_session_reminders()


# --- the warehouse: one writer process (queue ``warehouse``, concurrency 1) ----------------------------

WAREHOUSE = "warehouse"


@dataclasses.dataclass(frozen=True)
class WarehouseRun:
    ran: bool
    generation: int = 0
    position: int = 0
    snapshot_position: int | None = None
    publish_in: float | None = None  # seconds until a publication is due (something applied, not yet published)


def warehouse_catch_up(*, drain: bool = True, publish_after: float | None = None) -> WarehouseRun:
    """Drain the warehouse and publish a snapshot, holding its drain lock throughout.

    The checkpoint inside the DuckDB file is authoritative: the runtime's PostgreSQL checkpoint is set
    to it before draining (a batch applied but not yet recorded in PostgreSQL is not replayed; a file
    behind PostgreSQL — restored or lost — is caught up from its own position), and the file is told
    the drained position afterwards. A snapshot is published when something new was applied and the
    newest snapshot is at least ``publish_after`` seconds old; by default ``WAREHOUSE_PUBLISH_SECONDS`` old and
    four times as old as its own publication took (:meth:`SnapshotInfo.due_after`).
    The generation file is closed before the lock is released, so another process can take over.
    """
    from warehouse import snapshots
    from write_api.eventlog.models import ProjectionState

    minimum_age = float(env("WAREHOUSE_PUBLISH_SECONDS") or 1) if publish_after is None else publish_after
    projection = registry.projection(WAREHOUSE)
    with runtime.projection_lock(WAREHOUSE) as acquired:
        if not acquired:
            return WarehouseRun(ran=False)
        state = ProjectionState.objects.filter(name=WAREHOUSE).first()
        generation = state.active_generation if state else 0
        try:
            if drain:
                if state is not None:
                    _align_checkpoint(projection, state)
                runtime.drain(WAREHOUSE)
                state = ProjectionState.objects.get(name=WAREHOUSE)
                generation = state.active_generation
                projection.mark_drained(generation, state.active_position)
            if state is None:
                return WarehouseRun(ran=False)
            position = projection.checkpoint(generation) or 0
            published = snapshots.current()
            fresh = published is not None and published.generation == generation and published.position >= position
            wait = published.due_after(minimum_age) if published is not None and publish_after is None else minimum_age
            age = time.time() - published.published_at if published is not None else wait
            if not fresh and age >= wait:
                published = snapshots.publish(generation)
            due = None if fresh or age >= wait else wait - age
            return WarehouseRun(True, generation, position, published.position if published else None, due)
        finally:
            if generation:
                projection.release(generation)


def _align_checkpoint(projection: Any, state: Any) -> None:
    file_position = projection.checkpoint(state.active_generation)
    if file_position is None:  # the generation's file is gone: fill it again from the first event
        log.warning("warehouse generation %s is missing; replaying it from position 0", state.active_generation)
        projection.prepare(state.active_generation)
        file_position = 0
    if file_position != state.active_position:
        type(state).objects.filter(name=WAREHOUSE, active_generation=state.active_generation).update(
            active_position=file_position)


@app.task(name="workers.tasks.drain_warehouse")
def drain_warehouse() -> dict:
    run = warehouse_catch_up()
    if run.publish_in is not None:  # published a moment ago: publish what this drain applied when due
        publish_warehouse_snapshot.apply_async(countdown=run.publish_in, expires=run.publish_in + 10)
    return dataclasses.asdict(run)


@app.task(name="workers.tasks.publish_warehouse_snapshot")
def publish_warehouse_snapshot() -> dict:
    """Beat: publish whatever the writer applied since the last snapshot (nothing when up to date or when
    the last publication is too recent; a drain schedules the publication it leaves pending). Up to date
    is decided from the snapshot pointer and the checkpoint row, before opening the warehouse."""
    if _snapshot_up_to_date():
        return dataclasses.asdict(WarehouseRun(ran=False))
    return dataclasses.asdict(warehouse_catch_up(drain=False))


def _snapshot_up_to_date() -> bool:
    """The newest snapshot has everything the writer applied (the pointer file and one row; nothing opened)."""
    from warehouse import snapshots
    from write_api.eventlog.models import ProjectionState

    published = snapshots.current()
    state = ProjectionState.objects.filter(name=WAREHOUSE).values_list("active_generation", "active_position").first()
    if state is None:  # never drained: nothing to publish
        return True
    return published is not None and (published.generation, published.position) >= state


@app.task(name="workers.tasks.complete_ended_bookings")
def complete_ended_bookings() -> int:
    from write_api.bookings.services import bookings_autocomplete

    return bookings_autocomplete()


@app.task(name="workers.tasks.purge_idempotency_records")
def purge_idempotency_records() -> int:
    from write_api.eventlog.idempotency import idempotency_records_purge

    return idempotency_records_purge()
