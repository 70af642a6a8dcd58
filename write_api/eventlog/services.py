"""Appending to the event log, as the last step of a command's transaction.

**The lock order.** Every command takes its row locks in this one order, so no two commands can wait
for each other in a cycle (a deadlock):

1. the practitioner's row (``practitioner_lock``) — first in every command that changes a
   practitioner's services, sessions or bookings, before any availability check;
2. the command's own aggregate rows: the service, then its sessions in id order, then bookings (a
   booking is looked up unlocked, its practitioner locked, then the booking), then seats;
3. the client's credit account (``credits``), when money moves;
4. ``event_log_head``, taken by :func:`event_append` as the command's last statement and held until
   commit (this is what makes positions visible in order). Under an ``Idempotency-Key`` the
   append also marks the request's own claim row applied (:func:`applying_claim`): that row is
   only ever written by the request holding the claim, so it waits for no one.

Commands are wrapped in ``command_retry.retrying``, so a conflict PostgreSQL still reports (a lock
taken implicitly, e.g. by a foreign key check) is retried transparently a bounded number of times.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator, Sequence
from uuid import UUID

from django.db import connection, transaction
from django.utils import timezone

from api_conventions.request_context import current_request_id
from kernel.events import DomainEvent
from write_api.eventlog.dispatch import after_commit_dispatch
from write_api.eventlog.models import Event

log = logging.getLogger(__name__)

# One statement that creates the head row if missing and otherwise locks and advances it.
_CLAIM_POSITIONS = (
    "INSERT INTO event_log_head (id, position) VALUES (1, %s) "
    "ON CONFLICT (id) DO UPDATE SET position = event_log_head.position + EXCLUDED.position "
    "RETURNING position"
)

# Per-thread record of the last position appended by the current request, for X-Event-Position.
_last_position: contextvars.ContextVar[int | None] = contextvars.ContextVar("last_event_position", default=None)


# The idempotency claim (its record id) of the command running in this context, if any.
_applying_claim: contextvars.ContextVar[int | None] = contextvars.ContextVar("applying_claim", default=None)

_MARK_APPLIED = "UPDATE idempotency_record SET applied_position = %s WHERE id = %s"


@contextlib.contextmanager
def applying_claim(record_id: int) -> Iterator[None]:
    """While the block runs, each :func:`event_append` marks idempotency record ``record_id`` applied in
    the command's own transaction: the mark commits exactly when the command's effects do."""
    token = _applying_claim.set(record_id)
    try:
        yield
    finally:
        _applying_claim.reset(token)


def last_appended_position() -> int | None:
    return _last_position.get()


def reset_appended_position() -> None:
    _last_position.set(None)


def event_append(events: Sequence[DomainEvent], *, actor_id: UUID | None) -> int:
    """Append ``events`` and return the position of the last one.

    Must run inside the command's transaction, as its last statement: the head row's lock is held
    until commit, which is what makes positions visible in order.
    """
    if not events:
        raise ValueError("event_append needs at least one event")
    if not connection.in_atomic_block:
        raise RuntimeError("event_append must run inside the command's transaction")
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_POSITIONS, [len(events)])
        last = int(cursor.fetchone()[0])
    now = timezone.now()
    request_id = current_request_id()
    first = last - len(events) + 1
    Event.objects.bulk_create(
        [
            Event(
                position=first + offset,
                type=domain_event.event_type,
                version=domain_event.version,
                aggregate_type=domain_event.aggregate_type,
                aggregate_id=domain_event.aggregate_id(),
                payload=domain_event.payload(),
                actor_id=actor_id,
                request_id=request_id,
                recorded_at=now,
            )
            for offset, domain_event in enumerate(events)
        ]
    )
    claim = _applying_claim.get()
    if claim is not None:
        with connection.cursor() as cursor:
            cursor.execute(_MARK_APPLIED, [last, claim])
    _last_position.set(last)
    transaction.on_commit(lambda: after_commit_dispatch(last))
    return last
