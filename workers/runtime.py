"""The projection runtime: ordered draining, one instance per projection, rebuild and verify.

* **Ordering and exactly-once effect.** A projection reads ``position > checkpoint`` in batches,
  applies a batch, then saves the checkpoint. A crash in between replays the batch; ``apply`` is
  idempotent, so the effect is exactly once.
* **One instance at a time.** Draining holds a PostgreSQL session advisory lock per projection
  (released on unlock or when the connection dies with its process).
* **Rebuild.** A new generation is filled from position 0 while the active one keeps serving and
  advancing; the final catch-up and the switch happen under the projection's lock. The database
  state is switched first and readers second; every drain re-points readers at the database's
  active generation, so a crash between the two steps heals on the next drain. The old generation
  is discarded after a grace period, so reads that started on it just before the switch finish.
* **Self-healing.** A read model that records its own position with its data (the Redis stores and
  the search index) is compared with the checkpoint on every drain; one that is behind lost writes
  and is replayed from where it really is, with no operator.
* **Verify** replays into a scratch generation without blocking the drain, and only pauses it for
  the final catch-up and the comparison.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from infra.environment import env_int
from kernel.events import registered_events
from kernel.projection import LogRange, Projection, RuntimeCheckpoint
from workers import event_reader, positions
from workers.registry import projection as projection_named
from workers.registry import projections
from write_api.eventlog.models import ProjectionState

log = logging.getLogger(__name__)

_LOCK_NAMESPACE = 0x50524F4A  # "PROJ"
Progress = Callable[[int, int], None]  # (applied position, target position)

# How long a replaced generation stays readable after the switch: requests that looked up the
# active generation just before it changed still read the old one for a few milliseconds.
RETIRED_GENERATION_GRACE_SECONDS = 2.0

# A projection object keeps per-batch state while applying; in one process (a rebuild from the CLI
# next to a drain in a thread pool) two generations of one projection must not apply at once.
_apply_locks: dict[str, threading.Lock] = {}
_apply_locks_guard = threading.Lock()


def _apply_lock(name: str) -> threading.Lock:
    with _apply_locks_guard:
        return _apply_locks.setdefault(name, threading.Lock())


# The generation this process last pointed readers at, per projection (saves a pointer write per drain).
_activated: dict[str, int] = {}


def _activate(projection: Projection, generation: int) -> None:
    projection.activate(generation)
    _activated[projection.name] = generation


def batch_size() -> int:
    return env_int("PROJECTION_BATCH_SIZE")


def _lock_key(name: str) -> int:
    return zlib.crc32(name.encode()) - 2**31


@contextlib.contextmanager
def projection_lock(name: str, *, wait: bool = False, purpose: str = "drain") -> Iterator[bool]:
    """Hold the advisory lock of ``name`` (``purpose`` separates drain from rebuild locks)."""
    key = _lock_key(f"{purpose}:{name}")
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [_LOCK_NAMESPACE, key])
            acquired = True
        else:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_NAMESPACE, key])
            acquired = bool(cursor.fetchone()[0])
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_NAMESPACE, key])


def _state(projection: Projection) -> ProjectionState:
    state, created = ProjectionState.objects.get_or_create(name=projection.name)
    if created:
        projection.prepare(state.active_generation)
        _activate(projection, state.active_generation)
    return state


def catch_up_batch_size() -> int:
    return max(env_int("PROJECTION_CATCH_UP_BATCH_SIZE"), batch_size())


# A batch reads at most this many positions ahead (times the batch size): a projection that handles
# few event types skips the rest of the log in large strides instead of one enormous query.
SCAN_FACTOR = 20


def handled_types(projection: Projection) -> list[str]:
    """The registered event types ``projection`` handles (the others are never read for it)."""
    return sorted(t for t in registered_events() if projection.handles(t))


def _replay(projection: Projection, generation: int, start: int, *, up_to: int | None,
            save: Callable[[int], None], progress: Progress | None = None, target: int = 0) -> int:
    """Apply events after ``start`` (up to ``up_to`` if given) into ``generation``; return the position.

    Only the event types the projection handles are read. Positions are gap-free and the head only
    moves in committed transactions, so every event up to the head is visible: a batch that finds fewer
    relevant events than it asked for has consumed its whole scanned range. While the projection is
    behind, batches double up to ``PROJECTION_CATCH_UP_BATCH_SIZE`` (fewer commits per event); a
    projection that is up to date applies small batches, for a short lag.
    """
    with projection.holding(generation):
        return _replay_batches(projection, generation, start, up_to=up_to, save=save, progress=progress,
                               target=target)


# One batch: from (position, head, batch size), the position it reaches and how to apply it (run under the
# projection's apply lock; the reading happened outside it).
Step = Callable[[int, int, int], tuple[int, Callable[[], None]]]

# A projection that reads the log itself takes position ranges: up to this many times the catch-up batch
# size while it is behind (the events it ignores are skipped by the query, not handed over one by one).
LOG_RANGE_FACTOR = 5


def _replay_batches(projection: Projection, generation: int, start: int, *, up_to: int | None,
                    save: Callable[[int], None], progress: Progress | None, target: int) -> int:
    types = handled_types(projection)
    if projection.reads_log:
        step, ceiling = _log_range_step(projection, generation, types), catch_up_batch_size() * LOG_RANGE_FACTOR
    else:
        step, ceiling = _events_step(projection, generation, types), catch_up_batch_size()
    position, size = start, batch_size()
    while True:
        head = event_reader.head_position() if up_to is None else up_to
        if position >= head:
            return position
        reached, apply = step(position, head, size)
        with _apply_lock(projection.name):
            apply()
        position = reached
        save(position)
        if progress is not None:
            progress(position, max(target, position))
        if position < head:
            size = min(size * 2, ceiling)


def _events_step(projection: Projection, generation: int, types: list[str]) -> Step:
    """Events of the handled types read into Python, at most ``size`` of them within ``size × SCAN_FACTOR``
    positions; a batch that found fewer has consumed its whole scanned range."""
    def step(position: int, head: int, size: int) -> tuple[int, Callable[[], None]]:
        scan_to = min(head, position + size * SCAN_FACTOR)
        events = event_reader.events_after(position, limit=size, up_to=scan_to, types=types)
        reached = events[-1].position if len(events) == size else scan_to
        return reached, functools.partial(projection.apply_through, events, generation, reached)
    return step


def _log_range_step(projection: Projection, generation: int, types: list[str]) -> Step:
    """A range of ``size`` positions the projection reads from the log itself (no Python object per event)."""
    conninfo = event_reader.conninfo()

    def step(position: int, head: int, size: int) -> tuple[int, Callable[[], None]]:
        reached = min(head, position + size)
        batch = LogRange(position, reached, conninfo, event_reader.range_query(position, reached, types))
        return reached, functools.partial(projection.apply_log, generation, batch)
    return step


@dataclass(frozen=True)
class DrainResult:
    name: str
    ran: bool
    position: int
    applied_to: int


def drain(name: str) -> DrainResult:
    """Bring the active generation of ``name`` up to the head; skip if another instance runs."""
    projection = projection_named(name)
    with projection_lock(name) as acquired:
        if not acquired:
            return DrainResult(name, ran=False, position=-1, applied_to=-1)
        state = _state(projection)
        generation, start = state.active_generation, state.active_position
        stored = projection.applied_position(generation)
        if stored is not None and stored < start:
            # The store lost writes its checkpoint counts (say Redis restarted without them): replay it
            # from the position it still holds, and point readers at it again (that key may be lost too).
            log.error("projection %s: its store holds position %s but the checkpoint is %s; replaying from %s",
                        name, stored, start, stored)
            if stored == 0:
                projection.prepare(generation)  # nothing of it is left: recreate it empty (indices, mappings)
            start = stored
            _activated.pop(name, None)
        if _activated.get(name) != generation:
            # Readers follow the database's choice (heals a crash between a rebuild's two switch steps).
            _activate(projection, generation)

        def save(position: int) -> None:
            ProjectionState.objects.filter(name=name).update(active_position=position,
                                                             last_applied_at=timezone.now(), last_error="")
            positions.publish(name, generation=generation, position=position)

        try:
            end = _replay(projection, generation, start, up_to=None, save=save)
        except Exception as exc:
            ProjectionState.objects.filter(name=name).update(last_error=f"{type(exc).__name__}: {exc}"[:2000])
            raise
        if end == start:
            positions.publish(name, generation=generation, position=end)
        return DrainResult(name, ran=True, position=start, applied_to=end)


def drain_all(names: Iterable[str] | None = None) -> list[DrainResult]:
    """Drain every projection (or those ``names``, e.g. the ones a worker's queue owns), one after another.

    One that fails does not hold up the others: its error (also recorded in its ``last_error``) is
    raised once every projection has had its turn.
    """
    results, failures = [], []
    for name in projections() if names is None else names:
        try:
            result = drain(name)
            # A trigger that arrived while we held the lock was skipped; look once more.
            if result.ran and event_reader.head_position() > result.applied_to:
                result = drain(name)
        except Exception as exc:
            log.exception("projection %s failed to drain", name)
            failures.append(exc)
            continue
        results.append(result)
    if failures:
        raise failures[0]
    return results


def needing_drain(names: Iterable[str]) -> list[str]:
    """Those of ``names`` a drain would change anything for: never drained, behind the log's head, or whose
    published position (what readers and ``X-Min-Position`` go by) differs from the checkpoint.

    Two small queries and one Redis round trip, touching no read model: beat's safety net runs it every
    second and an idle system stops here.
    """
    names = list(names)
    head = event_reader.head_position()
    states = {s.name: s for s in ProjectionState.objects.filter(name__in=names).only("name", "active_generation",
                                                                                   "active_position")}
    published = positions.published(names)
    return [name for name in names
            if (state := states.get(name)) is None or state.active_position < head
            or published.get(name) != (state.active_generation, state.active_position)]


class RuntimeBookkeeping:
    """:class:`kernel.projection.Bookkeeping` over this runtime's table, locks and published positions, for
    a projection that orchestrates its own drain (``warehouse.catch_up``)."""

    def checkpoint(self, name: str) -> RuntimeCheckpoint | None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT s.active_generation, s.active_position, h.position FROM projection_state s, "
                           "event_log_head h WHERE s.name = %s AND h.id = 1", [name])
            row = cursor.fetchone()
        return None if row is None else RuntimeCheckpoint(*row)

    def set_position(self, name: str, generation: int, position: int) -> None:
        ProjectionState.objects.filter(name=name, active_generation=generation).update(active_position=position)

    def published(self, name: str) -> bool:
        return name in positions.published([name])

    def drain_lock(self, name: str) -> contextlib.AbstractContextManager[bool]:
        return projection_lock(name)

    def drain(self, name: str) -> None:
        drain(name)


BOOKKEEPING = RuntimeBookkeeping()


@dataclass(frozen=True)
class RebuildResult:
    name: str
    old_generation: int
    new_generation: int
    position: int
    events_per_second: float


def rebuild(name: str, *, progress: Progress | None = None, grace: float | None = None) -> RebuildResult:
    """Replay ``name`` from event 0 into a new generation, then switch readers to it atomically."""
    projection = projection_named(name)
    with projection_lock(name, purpose="rebuild") as acquired:
        if not acquired:
            raise RuntimeError(f"a rebuild of {name!r} is already running")
        state = _state(projection)
        if state.building_generation and state.building_generation != state.active_generation:
            projection.discard(state.building_generation)  # left by a rebuild that crashed
        generation = max(state.active_generation, state.building_generation or 0) + 1
        projection.discard(generation)
        projection.prepare(generation)
        ProjectionState.objects.filter(name=name).update(building_generation=generation, building_position=0)

        def save(position: int) -> None:
            ProjectionState.objects.filter(name=name).update(building_position=position)

        started = time.perf_counter()
        try:
            position = _replay(projection, generation, 0, up_to=None, save=save, progress=progress,
                               target=event_reader.head_position())
            with projection_lock(name, wait=True):
                position = _replay(projection, generation, position, up_to=None, save=save, progress=progress,
                                   target=event_reader.head_position())
                old = ProjectionState.objects.get(name=name).active_generation
                ProjectionState.objects.filter(name=name).update(
                    active_generation=generation, active_position=position, building_generation=None,
                    building_position=None, last_applied_at=timezone.now(), last_error="")
                _activate(projection, generation)
                positions.publish(name, generation=generation, position=position)
        except BaseException:
            if not ProjectionState.objects.filter(name=name, active_generation=generation).exists():
                ProjectionState.objects.filter(name=name).update(building_generation=None, building_position=None)
                projection.discard(generation)
            raise
        elapsed = max(time.perf_counter() - started, 1e-9)
        time.sleep(RETIRED_GENERATION_GRACE_SECONDS if grace is None else grace)
        projection.discard(old)
        return RebuildResult(name, old, generation, position, position / elapsed)


@dataclass(frozen=True)
class VerifyResult:
    name: str
    position: int
    matches: bool
    live_items: int
    replay_items: int
    differences: list[str]


def verify(name: str, *, progress: Progress | None = None) -> VerifyResult:
    """Replay from zero into a scratch generation and compare it with the live one at one position.

    The long replay runs while the live projection keeps draining; the drain is paused only to
    bring the scratch generation to the live position and take both snapshots.
    """
    projection = projection_named(name)
    with projection_lock(name, purpose="rebuild") as acquired:
        if not acquired:
            raise RuntimeError(f"a rebuild of {name!r} is running; verify later")
        state = _state(projection)
        scratch = max(state.active_generation, state.building_generation or 0) + 1000
        projection.discard(scratch)  # a verify that was killed may have left it
        projection.prepare_scratch(scratch)
        try:
            reached = _replay(projection, scratch, 0, up_to=state.active_position, save=lambda _p: None,
                              progress=progress, target=state.active_position)
            with projection_lock(name, wait=True):
                state = _state(projection)
                live_generation, position = state.active_generation, state.active_position
                _replay(projection, scratch, reached, up_to=position, save=lambda _p: None, progress=progress,
                        target=position)
                live, replayed = projection.snapshot(live_generation), projection.snapshot(scratch)
        finally:
            projection.discard(scratch)
    differences = _differences(live, replayed)
    return VerifyResult(name, position, not differences, _size(live), _size(replayed), differences)


def _size(snapshot: object) -> int:
    return len(snapshot) if isinstance(snapshot, Sized) else 1


def _differences(live: object, replayed: object, limit: int = 20) -> list[str]:
    """What differs between two snapshots, by item id (lists of documents) or by key (mappings)."""
    if live == replayed:
        return []
    if isinstance(live, list) and isinstance(replayed, list):
        live, replayed = _by_id(live), _by_id(replayed)
    if isinstance(live, dict) and isinstance(replayed, dict):
        out = [f"{key}: live={_short(live.get(key))} replay={_short(replayed.get(key))}"
               for key in sorted(set(live) | set(replayed), key=str) if live.get(key) != replayed.get(key)]
        return out[:limit]
    return ["snapshots differ"]


def _by_id(items: list[Any]) -> dict[str, Any]:
    return {str(i.get("id", n)) if isinstance(i, dict) else str(n): i for n, i in enumerate(items)}


def _short(value: object, width: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= width else text[:width] + "…"


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    generation: int
    position: int
    head: int
    lag_events: int
    lag_seconds: float
    last_applied_at: datetime | None
    building_generation: int | None
    building_position: int | None
    last_error: str
    store_position: int | None  # what the read model itself records holding; None: it keeps no position

    @property
    def store_behind(self) -> bool:
        """The store lost writes its checkpoint counts (the next drain replays them)."""
        return self.store_position is not None and self.store_position < self.position

    @property
    def health(self) -> str:
        if self.store_behind:
            return f"unhealthy: store at {self.store_position}, checkpoint at {self.position}"
        if self.last_error:
            return "error: " + self.last_error
        return "ok" if self.lag_events == 0 else "catching up"


def status() -> list[ProjectionStatus]:
    head = event_reader.head_position()
    out = []
    for name, projection in projections().items():
        state = _state(projection)
        lag_events = max(head - state.active_position, 0)
        lag_seconds = 0.0
        if lag_events:
            oldest = event_reader.recorded_at(state.active_position + 1)
            if oldest is not None:
                lag_seconds = max((timezone.now() - oldest).total_seconds(), 0.0)
        out.append(ProjectionStatus(name, state.active_generation, state.active_position, head, lag_events,
                                    round(lag_seconds, 3), state.last_applied_at, state.building_generation,
                                    state.building_position, state.last_error,
                                    _store_position(projection, state.active_generation)))
    return out


def _store_position(projection: Projection, generation: int) -> int | None:
    try:
        return projection.applied_position(generation)
    except Exception as exc:  # noqa: BLE001 - status reports an unreachable store, it does not fail on it
        log.warning("projection %s: cannot read its store's position: %s", projection.name, exc)
        return -1
