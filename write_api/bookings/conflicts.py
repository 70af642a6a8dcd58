"""Busy time of a practitioner as the write side sees it (under the practitioner's row lock)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q

from write_api.bookings.models import Booking
from write_api.catalogue.models import ServiceSession
from write_api.practitioners.models import Practitioner
from write_api.scheduling.models import ScheduleBlock


def busy_intervals(practitioner: Practitioner, start: datetime, end: datetime, *,
                   exclude_booking_id: Any = None, exclude_session_id: Any = None) -> list[tuple[datetime, datetime]]:
    """Confirmed 1:1 bookings and scheduled group sessions overlapping [start, end)."""
    bookings = Booking.objects.filter(practitioner=practitioner, status=Booking.Status.CONFIRMED,
                                      start_at__lt=end, end_at__gt=start)
    if exclude_booking_id is not None:
        bookings = bookings.exclude(id=exclude_booking_id)
    sessions = ServiceSession.objects.filter(service__practitioner=practitioner,
                                             status=ServiceSession.Status.SCHEDULED,
                                             start_at__lt=end, end_at__gt=start)
    if exclude_session_id is not None:
        sessions = sessions.exclude(id=exclude_session_id)
    # Seats in group sessions are not separate busy time: the session itself is.
    bookings = bookings.filter(seats__isnull=True)
    # Confirmed 1:1 bookings always have their times (the filter above compares them).
    timed = [(b.start_at, b.end_at) for b in bookings if b.start_at is not None and b.end_at is not None]
    return sorted(timed + [(s.start_at, s.end_at) for s in sessions])


def block_intervals(practitioner: Practitioner, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    blocks = ScheduleBlock.objects.filter(Q(practitioner=practitioner), Q(start_at__lt=end), Q(end_at__gt=start))
    return [(b.start_at, b.end_at) for b in blocks]


def practitioner_busy_overlaps(practitioner: Practitioner, start: datetime, end: datetime, *,
                               exclude_session_id: Any = None) -> bool:
    """True when [start, end) hits a block, or comes within ``buffer_minutes`` of other busy time."""
    buffer = timedelta(minutes=practitioner.buffer_minutes)
    if busy_intervals(practitioner, start - buffer, end + buffer, exclude_session_id=exclude_session_id):
        return True
    return bool(block_intervals(practitioner, start, end))
