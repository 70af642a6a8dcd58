"""The warehouse's catch-up: one writer process (queue ``warehouse``, concurrency 1) drains the lake.

Every batch is a DuckLake commit readers see at once. The checkpoint committed with the lake's rows is
authoritative (:class:`kernel.projection.CheckpointOwner`): the runtime's checkpoint is set to it before
draining (a batch committed but not yet recorded by the runtime is not replayed; a lake behind the runtime
— restored or lost — is caught up from its own position), and the lake is told the drained position
afterwards (events it does not handle). The runtime's bookkeeping is reached only through
:class:`kernel.projection.Bookkeeping`, which the runtime in ``workers`` passes in.
"""

from __future__ import annotations

import dataclasses
import logging

from kernel.projection import Bookkeeping, CheckpointOwner

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class WarehouseRun:
    ran: bool
    generation: int = 0
    position: int = 0


def catch_up(projection: CheckpointOwner, runtime: Bookkeeping) -> WarehouseRun:
    """Drain ``projection`` to the head, holding its drain lock (``ran=False`` when another process holds it)."""
    idle = _idle(projection, runtime)
    if idle is not None:
        return idle
    name = projection.name
    with runtime.drain_lock(name) as acquired:
        if not acquired:
            return WarehouseRun(ran=False)
        recorded = runtime.checkpoint(name)
        if recorded is not None:
            _align_checkpoint(projection, runtime, recorded.generation, recorded.position)
        runtime.drain(name)
        drained = runtime.checkpoint(name)
        assert drained is not None  # a drain records the checkpoint
        projection.mark_drained(drained.generation, drained.position)
        return WarehouseRun(True, drained.generation, drained.position)


def _idle(projection: CheckpointOwner, runtime: Bookkeeping) -> WarehouseRun | None:
    """One query, no lock: when the head has not moved past what this process last committed to the active
    generation, there is nothing to do (an idle writer reads neither the lake nor its catalog)."""
    recorded = runtime.checkpoint(projection.name)
    if recorded is None:
        return None
    generation, position = recorded.generation, recorded.position
    if projection.known_checkpoint(generation) == position and recorded.head <= position \
            and runtime.published(projection.name):
        return WarehouseRun(True, generation, position)
    return None


def _align_checkpoint(projection: CheckpointOwner, runtime: Bookkeeping, generation: int, position: int) -> None:
    own = projection.checkpoint(generation)
    if own is None:  # the generation is gone: fill it again from the first event
        log.warning("%s generation %s is missing; replaying it from position 0", projection.name, generation)
        projection.prepare(generation)
        projection.activate(generation)
        own = 0
    if own != position:
        runtime.set_position(projection.name, generation, own)
