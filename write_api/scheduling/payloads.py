"""The shapes of the schedule's answers (see :mod:`api_conventions.payloads`)."""

from __future__ import annotations

from typing import TypedDict

from api_conventions.payloads import Date, DateTime, Uuid


class WeeklyWindowPayload(TypedDict):
    """Minutes from local midnight, ``weekday`` 0 = Monday."""

    weekday: int
    start_minute: int
    end_minute: int


class DateOverridePayload(TypedDict):
    """The windows of one day, replacing the weekly ones: ``[[start_minute, end_minute], …]``; ``[]`` = day off."""

    date: Date
    windows: list[list[int]]


class SchedulePayload(TypedDict):
    """The calling practitioner's availability rules, in their zone."""

    timezone: str
    buffer_minutes: int
    min_notice_minutes: int
    max_advance_days: int
    windows: list[WeeklyWindowPayload]
    overrides: list[DateOverridePayload]


class BlockPayload(TypedDict):
    """An interval nobody can book."""

    id: Uuid
    start_at: DateTime
    end_at: DateTime
    reason: str
