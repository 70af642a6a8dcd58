"""The input every analytics query takes: whose data, which local dates, how to bucket, in which zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from uuid import UUID

from kernel.timezones import first_instant_at_or_after, parse_zone

GRANULARITIES = ("day", "week", "month")


@dataclass(frozen=True)
class Window:
    """Local calendar days ``start``…``end`` (inclusive) in ``timezone`` for one practitioner.

    The instants covered are ``[lo, hi)``: from the first instant of ``start`` to the first instant of
    the day after ``end`` in ``timezone`` (a day that begins in a DST gap begins when the clock jumps).
    """

    practitioner_id: UUID
    start: date
    end: date
    granularity: str
    timezone: str

    def __post_init__(self) -> None:
        if self.granularity not in GRANULARITIES:
            raise ValueError(f"granularity must be one of {GRANULARITIES}")
        if self.end < self.start:
            raise ValueError("end is before start")
        parse_zone(self.timezone)

    @cached_property
    def lo(self) -> datetime:
        return _first_instant(self.start, self.timezone)

    @cached_property
    def hi(self) -> datetime:
        return _first_instant(self.end + timedelta(days=1), self.timezone)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def first_month(self) -> date:
        return self.start.replace(day=1)

    @property
    def last_month(self) -> date:
        return self.end.replace(day=1)

    def previous(self) -> Window:
        """The window of the same number of days just before this one."""
        return Window(self.practitioner_id, self.start - timedelta(days=self.days), self.start - timedelta(days=1),
                      self.granularity, self.timezone)

    def parameters(self) -> dict[str, object]:
        """Every named parameter a query may use (each query binds the ones its SQL names)."""
        return {"practitioner_id": str(self.practitioner_id), "lo": self.lo, "hi": self.hi, "tz": self.timezone,
                "grain": self.granularity, "start_date": self.start, "end_date": self.end,
                "first_month": self.first_month, "last_month": self.last_month}


def _first_instant(day: date, zone_name: str) -> datetime:
    """Naive UTC of the first instant of local ``day`` in the zone (the warehouse stores naive UTC)."""
    instant = first_instant_at_or_after(parse_zone(zone_name), datetime.combine(day, time(0)))
    return instant.astimezone(UTC).replace(tzinfo=None)
