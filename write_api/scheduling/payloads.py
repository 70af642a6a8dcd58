"""The shapes of the schedule's answers (see :mod:`api_conventions.payloads`)."""

from __future__ import annotations

from typing import TypedDict

from api_conventions.payloads import Date, DateTime, Uuid, example


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


example(SchedulePayload, {
    "timezone": "Europe/London", "buffer_minutes": 15, "min_notice_minutes": 1440, "max_advance_days": 60,
    "windows": [{"weekday": 0, "start_minute": 540, "end_minute": 1020}],
    "overrides": [{"date": "2026-12-24", "windows": []}]})
example(BlockPayload, {"id": "7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a", "start_at": "2026-03-20T12:00:00+00:00",
                       "end_at": "2026-03-20T14:00:00+00:00", "reason": "Dentist"})
