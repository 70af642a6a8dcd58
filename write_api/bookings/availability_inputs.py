"""Loads a practitioner's availability inputs from PostgreSQL and asks :mod:`kernel.availability`.

The read API builds the same inputs from its read model and calls the same function to list slots,
so a start the listing offers is exactly a start this accepts (at the same event position).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from api_conventions.errors import Conflict
from kernel import availability
from kernel.vocabulary import ErrorCode
from write_api.bookings.conflicts import block_intervals, busy_intervals
from write_api.catalogue.models import Service
from write_api.practitioners.models import Practitioner
from write_api.scheduling.models import DateOverride, WeeklyWindow

_MARGIN = timedelta(days=2)  # beyond any buffer or session length


def rules_for(practitioner: Practitioner, service: Service) -> availability.Rules:
    return availability.Rules(zone=practitioner.timezone, buffer_minutes=practitioner.buffer_minutes,
                              min_notice_minutes=practitioner.min_notice_minutes,
                              max_advance_days=practitioner.max_advance_days, step_minutes=service.step_minutes)


def _overrides(practitioner: Practitioner, around: date) -> list[availability.DateOverride]:
    rows = DateOverride.objects.filter(practitioner=practitioner, date__gte=around - timedelta(days=2),
                                       date__lte=around + timedelta(days=2))
    return [availability.DateOverride(date=o.date, windows=tuple(tuple(w) for w in o.windows)) for o in rows]


def verdict(practitioner: Practitioner, service: Service, start_at: datetime, *, now: datetime,
            exclude_booking_id: Any = None) -> availability.Verdict:
    end_at = start_at + timedelta(minutes=service.duration_minutes)
    window = (start_at - _MARGIN, end_at + _MARGIN)
    weekly = [availability.WeeklyWindow(w.weekday, w.start_minute, w.end_minute)
              for w in WeeklyWindow.objects.filter(practitioner=practitioner)]
    busy = [availability.Interval(s, e) for s, e in
            busy_intervals(practitioner, *window, exclude_booking_id=exclude_booking_id)]
    blocks = [availability.Interval(s, e) for s, e in block_intervals(practitioner, *window)]
    return availability.is_bookable(rules=rules_for(practitioner, service), weekly=weekly,
                                    overrides=_overrides(practitioner, start_at.date()), busy=busy, blocks=blocks,
                                    duration_minutes=service.duration_minutes, start_utc=start_at, now_utc=now)


def assert_bookable(practitioner: Practitioner, service: Service, start_at: datetime, *, now: datetime,
                    exclude_booking_id: Any = None) -> None:
    """409 ``slot_unavailable`` (with the reason) unless the slot listing would offer ``start_at``."""
    result = verdict(practitioner, service, start_at, now=now, exclude_booking_id=exclude_booking_id)
    if result.reason is not None:  # the same as ``not result``, spelt so the type checker sees the reason
        raise Conflict(result.message, code=ErrorCode.SLOT_UNAVAILABLE, errors={"start_at": [result.reason.value]})
