"""The cancellation and refund rules of SPEC §4, as pure functions (no clock, no database).

* client ≥ 24 h before start: 100 % of the seat's value; < 24 h: 0 %;
* practitioner or system: 100 %;
* unscheduled package/bundle sessions: 100 %;
* a course: cancellable by the client only until 14 days after its first session starts, refunding the
  sessions that have not started yet (the course price split over its sessions, to the cent);
* reschedule is allowed while a cancellation would still refund (for the client: ≥ 24 h before start).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from kernel.vocabulary import Actor

FULL_REFUND_NOTICE = timedelta(hours=24)
COURSE_CANCELLATION_WINDOW = timedelta(days=14)

CLIENT = Actor.CLIENT
PRACTITIONER = Actor.PRACTITIONER
SYSTEM = Actor.SYSTEM


@dataclass(frozen=True)
class RefundDecision:
    allowed: bool
    refund_cents: int
    reason: str = ""


def split_evenly(total_cents: int, parts: int) -> list[int]:
    """``total_cents`` over ``parts`` shares that differ by at most a cent and add up exactly."""
    if parts <= 0:
        return []
    return [total_cents * (i + 1) // parts - total_cents * i // parts for i in range(parts)]


def single_refund(*, value_cents: int, start_at: datetime | None, cancelled_by: str, now: datetime) -> RefundDecision:
    """A 1:1 session, a workshop seat or a package/bundle child (``start_at`` None = unscheduled)."""
    if cancelled_by in (PRACTITIONER, SYSTEM) or start_at is None:
        return RefundDecision(True, value_cents)
    if start_at <= now:
        return RefundDecision(False, 0, "The session has already started.")
    if start_at - now >= FULL_REFUND_NOTICE:
        return RefundDecision(True, value_cents)
    return RefundDecision(True, 0, "Cancelled less than 24 hours before the start: no refund.")


def course_refund(*, value_cents: int, session_starts: Sequence[datetime], cancelled_by: str,
                  now: datetime) -> RefundDecision:
    starts = sorted(session_starts)
    shares = split_evenly(value_cents, len(starts))
    undelivered = sum(share for share, start in zip(shares, starts, strict=True) if start > now)
    if cancelled_by in (PRACTITIONER, SYSTEM):
        return RefundDecision(True, undelivered)
    if not starts:
        return RefundDecision(True, value_cents)
    if now >= starts[0] + COURSE_CANCELLATION_WINDOW:
        return RefundDecision(False, 0, "A course can be cancelled only within 14 days of its first session.")
    return RefundDecision(True, undelivered)


def may_reschedule(*, start_at: datetime | None, actor: str, now: datetime) -> bool:
    if start_at is None or start_at <= now:
        return False
    return actor in (PRACTITIONER, SYSTEM) or start_at - now >= FULL_REFUND_NOTICE
