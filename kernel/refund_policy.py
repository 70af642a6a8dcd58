"""The cancellation and refund rules of SPEC §4, as pure functions (no clock, no database).

* client ≥ 24 h before start: 100 % of the seat's value; < 24 h: 0 %;
* practitioner or system: 100 %;
* unscheduled package/bundle sessions: 100 %;
* a course: cancellable by the client only until 14 days after its first session starts, refunding the
  sessions that have not started yet (the course price split over its sessions, to the cent);
* reschedule is allowed while a cancellation would still refund (for the client: ≥ 24 h before start).

Every decision names its rule in ``refund_reason`` (one of ``REFUND_REASONS``), which a booking keeps
and shows, so a client refunded 0 learns why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal, TypeGuard

from kernel.vocabulary import Actor

FULL_REFUND_NOTICE = timedelta(hours=24)
COURSE_CANCELLATION_WINDOW = timedelta(days=14)

CLIENT = Actor.CLIENT
PRACTITIONER = Actor.PRACTITIONER
SYSTEM = Actor.SYSTEM

# Why a cancellation refunded what it did (``RefundDecision.refund_reason``, ``booking.refund_reason``).
RefundReason = Literal["cancelled_by_practitioner", "cancelled_by_system", "unscheduled", "inside_cancellation_window",
                       "outside_cancellation_window", "undelivered_course_sessions", "refunded_per_session"]
CANCELLED_BY_PRACTITIONER: Final = "cancelled_by_practitioner"
CANCELLED_BY_SYSTEM: Final = "cancelled_by_system"
UNSCHEDULED: Final = "unscheduled"
INSIDE_CANCELLATION_WINDOW: Final = "inside_cancellation_window"
OUTSIDE_CANCELLATION_WINDOW: Final = "outside_cancellation_window"
UNDELIVERED_COURSE_SESSIONS: Final = "undelivered_course_sessions"
PER_SESSION: Final = "refunded_per_session"
REFUND_REASONS: tuple[RefundReason, ...] = (
    CANCELLED_BY_PRACTITIONER, CANCELLED_BY_SYSTEM, UNSCHEDULED, INSIDE_CANCELLATION_WINDOW,
    OUTSIDE_CANCELLATION_WINDOW, UNDELIVERED_COURSE_SESSIONS, PER_SESSION)


def is_refund_reason(value: str) -> TypeGuard[RefundReason]:
    """Whether ``value`` (a booking's stored ``refund_reason``, empty while it has none) names a rule."""
    return value in REFUND_REASONS


@dataclass(frozen=True)
class RefundDecision:
    allowed: bool
    refund_cents: int
    reason: str = ""
    refund_reason: str = ""


def split_evenly(total_cents: int, parts: int) -> list[int]:
    """``total_cents`` over ``parts`` shares that differ by at most a cent and add up exactly."""
    if parts <= 0:
        return []
    return [total_cents * (i + 1) // parts - total_cents * i // parts for i in range(parts)]


def single_refund(*, value_cents: int, start_at: datetime | None, cancelled_by: str, now: datetime) -> RefundDecision:
    """A 1:1 session, a workshop seat or a package/bundle child (``start_at`` None = unscheduled)."""
    if cancelled_by in (PRACTITIONER, SYSTEM):
        return RefundDecision(True, value_cents, refund_reason=_by(cancelled_by))
    if start_at is None:
        return RefundDecision(True, value_cents, refund_reason=UNSCHEDULED)
    if start_at <= now:
        return RefundDecision(False, 0, "The session has already started.")
    if start_at - now >= FULL_REFUND_NOTICE:
        return RefundDecision(True, value_cents, refund_reason=INSIDE_CANCELLATION_WINDOW)
    return RefundDecision(True, 0, "Cancelled less than 24 hours before the start: no refund.",
                          refund_reason=OUTSIDE_CANCELLATION_WINDOW)


def _by(cancelled_by: str) -> str:
    return CANCELLED_BY_PRACTITIONER if cancelled_by == PRACTITIONER else CANCELLED_BY_SYSTEM


def course_refund(*, value_cents: int, session_starts: Sequence[datetime], cancelled_by: str,
                  now: datetime) -> RefundDecision:
    starts = sorted(session_starts)
    shares = split_evenly(value_cents, len(starts))
    undelivered = sum(share for share, start in zip(shares, starts, strict=True) if start > now)
    if cancelled_by in (PRACTITIONER, SYSTEM):
        return RefundDecision(True, undelivered, refund_reason=_by(cancelled_by))
    if not starts:
        return RefundDecision(True, value_cents, refund_reason=UNSCHEDULED)
    if now >= starts[0] + COURSE_CANCELLATION_WINDOW:
        return RefundDecision(False, 0, "A course can be cancelled only within 14 days of its first session.")
    return RefundDecision(True, undelivered, refund_reason=UNDELIVERED_COURSE_SESSIONS)


def may_reschedule(*, start_at: datetime | None, actor: str, now: datetime) -> bool:
    if start_at is None or start_at <= now:
        return False
    return actor in (PRACTITIONER, SYSTEM) or start_at - now >= FULL_REFUND_NOTICE
