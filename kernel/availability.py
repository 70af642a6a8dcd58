"""The one availability function: which session starts a practitioner can be booked at (SPEC §4).

Listing slots (read API) and validating a booking (write API) both call this module and go through the
same predicates, so they cannot disagree: :func:`_on_grid` (the start's local wall time is a grid time),
:func:`_fits` (the slot lies inside one window of its start's local day) and :func:`_rejection` (notice,
advance, blocks, busy time with buffers). :func:`free_slots` lists every grid instant that passes all three;
:func:`is_bookable` applies them to one start and says which failed.

Pure: data in, data out; no clock (``now_utc`` is a parameter), no database, no framework.

Contract
--------
Inputs are in the practitioner's zone (``Rules.zone``, an IANA name) where they are wall-clock rules
(weekly windows, date overrides) and UTC instants where they are events in time (busy time, blocks,
``now``, the query range). Every datetime must be timezone-aware; naive ones raise ``ValueError``.

*Local day and windows.* A weekly window ``(weekday, start_minute, end_minute)`` gives minutes from local
midnight, ``0 <= start < end <= 1440`` (1440 = the following midnight); it never crosses midnight. A
:class:`DateOverride` replaces every weekly window of its local date (no windows = day off). A day's
windows that overlap or touch on the wall clock are merged (two windows that only meet in real time
because a spring-forward gap lies between them stay separate). A window of local day ``D`` is the set of
*instants* at which the practitioner's clock reads a wall time in ``[D + start, D + end)``: a
spring-forward gap shortens it, a fall-back repeated hour lengthens it (the window covers both
occurrences).

*Grid.* Candidate starts are the wall times ``D 00:00 + k * step_minutes`` (``k >= 0``, before the next
midnight; the grid restarts at every local midnight). A wall time that does not exist (spring-forward gap)
gives no candidate; a wall time that occurs twice (fall-back) gives two candidates, one per instant
(``fold`` 0 and 1). Slots are keyed by their UTC start instant.

*Fit.* A slot is ``[start, start + duration)`` in absolute time (a 60-minute slot lasts 60 real minutes
even across a DST change). It must lie wholly inside one window of the local day of its start.

*Rules.* With half-open intervals throughout:

- minimum notice: ``start >= now + min_notice_minutes``;
- maximum advance: ``start <= now + max_advance_days * 24 h`` (absolute days);
- blocks: the slot must not overlap a block; no buffer is added around blocks (a block is time the
  practitioner is away, not a session; to keep a margin, block a longer interval);
- busy time (confirmed bookings and hosted group sessions): the slot must not overlap any busy interval
  widened by ``buffer_minutes`` on both sides, i.e. any two of the practitioner's sessions are at least
  ``buffer_minutes`` apart (exactly ``buffer_minutes`` apart is allowed). The caller leaves out the booking
  being rescheduled.

:func:`free_slots` returns, sorted and without duplicates, every slot satisfying all of the above whose
start lies in ``[range_start_utc, range_end_utc)``. :func:`is_bookable` accepts ``start`` exactly when
:func:`free_slots` over any range containing ``start`` lists it, and otherwise says why not.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from kernel.timezones import (
    day_offset,
    ensure_utc,
    instants_at,
    instants_with_wall_time_in,
    iso_in_zone,
    parse_zone,
    wall_time,
)

MINUTES_PER_DAY = 1440
_FAR_FUTURE = datetime.max.replace(tzinfo=UTC) - timedelta(days=2)


def _check_minutes(start_minute: int, end_minute: int) -> None:
    for value in (start_minute, end_minute):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"window minutes must be integers, not {value!r}")
    if not 0 <= start_minute < end_minute <= MINUTES_PER_DAY:
        raise ValueError(f"window must satisfy 0 <= start < end <= 1440 minutes: ({start_minute}, {end_minute})")


@dataclass(frozen=True)
class WeeklyWindow:
    """Bookable hours every ``weekday`` (0 = Monday … 6 = Sunday), minutes from local midnight."""

    weekday: int
    start_minute: int
    end_minute: int

    def __post_init__(self) -> None:
        if not isinstance(self.weekday, int) or isinstance(self.weekday, bool) or not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) … 6 (Sunday): {self.weekday!r}")
        _check_minutes(self.start_minute, self.end_minute)


@dataclass(frozen=True)
class DateOverride:
    """The windows of one local ``date``, replacing the weekly ones; ``windows == ()`` is a day off."""

    date: date
    windows: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.date, date) or isinstance(self.date, datetime):
            raise TypeError(f"override date must be a date: {self.date!r}")
        windows = tuple((int(start), int(end)) for start, end in self.windows)
        for start, end in windows:
            _check_minutes(start, end)
        object.__setattr__(self, "windows", windows)


@dataclass(frozen=True)
class Interval:
    """A half-open interval ``[start, end)`` of absolute time, stored in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        start, end = ensure_utc(self.start, "interval start"), ensure_utc(self.end, "interval end")
        if end <= start:
            raise ValueError(f"interval must end after it starts: [{start}, {end})")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)


@dataclass(frozen=True)
class Slot:
    """A bookable slot ``[start, end)`` in UTC."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Rules:
    """The practitioner's booking rules, and the service's grid step."""

    zone: str
    buffer_minutes: int = 15
    min_notice_minutes: int = 1440
    max_advance_days: int = 60
    step_minutes: int = 15
    zone_info: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone_info", parse_zone(self.zone))
        for name in ("buffer_minutes", "min_notice_minutes", "max_advance_days"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer: {value!r}")
        step = self.step_minutes
        if not isinstance(step, int) or isinstance(step, bool) or not 1 <= step <= MINUTES_PER_DAY:
            raise ValueError(f"step_minutes must be an integer from 1 to 1440: {step!r}")


class Reason(StrEnum):
    """Why a start cannot be booked (checked in this order)."""

    OFF_GRID = "off_grid"
    OUTSIDE_AVAILABILITY = "outside_availability"
    TOO_SOON = "too_soon"
    TOO_FAR_AHEAD = "too_far_ahead"
    BLOCKED = "blocked"
    CONFLICT = "conflict"


REASON_MESSAGES: dict[Reason, str] = {
    Reason.OFF_GRID: "The start time is not on the practitioner's booking grid.",
    Reason.OUTSIDE_AVAILABILITY: "The practitioner is not available for the whole session at that time.",
    Reason.TOO_SOON: "The start time is sooner than the practitioner's minimum notice.",
    Reason.TOO_FAR_AHEAD: "The start time is further ahead than the practitioner accepts bookings.",
    Reason.BLOCKED: "The practitioner has blocked that time.",
    Reason.CONFLICT: "That time conflicts with another session of the practitioner (buffers included).",
}


@dataclass(frozen=True)
class Verdict:
    """The answer of :func:`is_bookable`: truthy when bookable, else ``reason`` says why not."""

    reason: Reason | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None

    @property
    def message(self) -> str:
        return "" if self.reason is None else REASON_MESSAGES[self.reason]

    def __bool__(self) -> bool:
        return self.ok


class _Disjoint:
    """Merged, sorted half-open intervals with an O(log n) overlap test."""

    def __init__(self, intervals: Iterable[tuple[datetime, datetime]]) -> None:
        merged: list[list[datetime]] = []
        for start, end in sorted(intervals):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self._starts = [start for start, _ in merged]
        self._ends = [end for _, end in merged]

    def overlaps(self, start: datetime, end: datetime) -> bool:
        index = bisect_right(self._ends, start)  # first interval ending after ``start``
        return index < len(self._starts) and self._starts[index] < end


@dataclass(frozen=True)
class _Context:
    zone: ZoneInfo
    step: int
    duration: timedelta
    weekly: dict[int, tuple[tuple[int, int], ...]]
    overrides: dict[date, tuple[tuple[int, int], ...]]
    busy: _Disjoint
    blocks: _Disjoint
    earliest: datetime
    latest: datetime
    window_instants: dict[date, tuple[tuple[datetime, datetime], ...]] = field(default_factory=dict)


def _merge_minutes(windows: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def _context(*, rules: Rules, weekly: Iterable[WeeklyWindow], overrides: Iterable[DateOverride],
             busy: Iterable[Interval], blocks: Iterable[Interval], duration_minutes: int,
             now_utc: datetime) -> _Context:
    if not isinstance(duration_minutes, int) or isinstance(duration_minutes, bool) or duration_minutes <= 0:
        raise ValueError(f"duration_minutes must be a positive integer: {duration_minutes!r}")
    now = ensure_utc(now_utc, "now_utc")
    by_weekday: dict[int, list[tuple[int, int]]] = {}
    for window in weekly:
        by_weekday.setdefault(window.weekday, []).append((window.start_minute, window.end_minute))
    by_date: dict[date, tuple[tuple[int, int], ...]] = {}
    for override in overrides:
        if override.date in by_date:
            raise ValueError(f"two overrides for {override.date}")
        by_date[override.date] = _merge_minutes(override.windows)
    buffer = timedelta(minutes=rules.buffer_minutes)
    try:
        latest = now + timedelta(days=rules.max_advance_days)
    except OverflowError:
        latest = _FAR_FUTURE
    return _Context(
        zone=rules.zone_info,
        step=rules.step_minutes,
        duration=timedelta(minutes=duration_minutes),
        weekly={weekday: _merge_minutes(windows) for weekday, windows in by_weekday.items()},
        overrides=by_date,
        busy=_Disjoint((interval.start - buffer, interval.end + buffer) for interval in busy),
        blocks=_Disjoint((interval.start, interval.end) for interval in blocks),
        earliest=now + timedelta(minutes=rules.min_notice_minutes),
        latest=min(latest, _FAR_FUTURE),
    )


def _day_windows(context: _Context, day: date) -> tuple[tuple[int, int], ...]:
    if day in context.overrides:
        return context.overrides[day]
    return context.weekly.get(day.weekday(), ())


def _window_instants(context: _Context, day: date) -> tuple[tuple[datetime, datetime], ...]:
    """The day's windows as absolute UTC intervals (each window separately; computed once per day)."""
    cached = context.window_instants.get(day)
    if cached is None:
        midnight = datetime.combine(day, time(0))
        cached = tuple(
            interval
            for start_minute, end_minute in _day_windows(context, day)
            for interval in instants_with_wall_time_in(context.zone, midnight + timedelta(minutes=start_minute),
                                                       midnight + timedelta(minutes=end_minute)))
        context.window_instants[day] = cached
    return cached


def _fits(context: _Context, day: date, start: datetime) -> bool:
    """Whether ``[start, start + duration)`` lies wholly inside one window of local ``day``."""
    end = start + context.duration
    return any(low <= start and end <= high for low, high in _window_instants(context, day))


def _on_grid(context: _Context, wall: datetime) -> bool:
    return not (wall.second or wall.microsecond or (wall.hour * 60 + wall.minute) % context.step)


def _day_candidates(context: _Context, day: date) -> list[datetime]:
    """Every instant whose wall time is a grid time of local ``day`` and whose slot fits a window, sorted.

    Only grid times inside a window's wall-clock range are tried: a start outside it cannot fit.
    """
    midnight = datetime.combine(day, time(0))
    uniform_offset = day_offset(context.zone, day)
    found: set[datetime] = set()
    for start_minute, end_minute in _day_windows(context, day):
        first = -(-start_minute // context.step) * context.step  # first grid minute >= start_minute
        for minute in range(first, end_minute, context.step):
            wall = midnight + timedelta(minutes=minute)
            if uniform_offset is not None:  # the common case: one offset all day, one instant per wall time
                instants: tuple[datetime, ...] = ((wall - uniform_offset).replace(tzinfo=UTC),)
            else:
                instants = instants_at(context.zone, wall)
            found.update(start for start in instants if _fits(context, day, start))
    return sorted(found)


def _rejection(context: _Context, start: datetime) -> Reason | None:
    """Why the candidate ``start`` cannot be booked, or None (the rules after the window fit)."""
    if start < context.earliest:
        return Reason.TOO_SOON
    if start > context.latest:
        return Reason.TOO_FAR_AHEAD
    end = start + context.duration
    if context.blocks.overlaps(start, end):
        return Reason.BLOCKED
    if context.busy.overlaps(start, end):
        return Reason.CONFLICT
    return None


def free_slots(*, rules: Rules, weekly: Iterable[WeeklyWindow], overrides: Iterable[DateOverride] = (),
               busy: Iterable[Interval] = (), blocks: Iterable[Interval] = (), duration_minutes: int,
               range_start_utc: datetime, range_end_utc: datetime, now_utc: datetime) -> list[Slot]:
    """Every bookable slot of ``duration_minutes`` starting in ``[range_start_utc, range_end_utc)``.

    Sorted by start, one per UTC instant. See the module docstring for the exact rules.
    """
    context = _context(rules=rules, weekly=weekly, overrides=overrides, busy=busy, blocks=blocks,
                       duration_minutes=duration_minutes, now_utc=now_utc)
    # Starts outside [earliest, latest] are rejected anyway: skip the days they fall on.
    low = max(ensure_utc(range_start_utc, "range_start_utc"), context.earliest)
    high = min(ensure_utc(range_end_utc, "range_end_utc"), context.latest + timedelta(microseconds=1))
    if low >= high:
        return []
    slots: list[Slot] = []
    day = wall_time(low, context.zone).date() - timedelta(days=1)
    last_day = wall_time(high, context.zone).date() + timedelta(days=1)
    while day <= last_day:
        for start in _day_candidates(context, day):
            if low <= start < high and _rejection(context, start) is None:
                slots.append(Slot(start, start + context.duration))
        day += timedelta(days=1)
    slots.sort(key=lambda slot: slot.start)
    return slots


def is_bookable(*, rules: Rules, weekly: Iterable[WeeklyWindow], overrides: Iterable[DateOverride] = (),
                busy: Iterable[Interval] = (), blocks: Iterable[Interval] = (), duration_minutes: int,
                start_utc: datetime, now_utc: datetime) -> Verdict:
    """Whether a session of ``duration_minutes`` can start at ``start_utc``: exactly when
    :func:`free_slots` would list it. The verdict is truthy when bookable; otherwise its ``reason``
    (a :class:`Reason`) and ``message`` say why."""
    context = _context(rules=rules, weekly=weekly, overrides=overrides, busy=busy, blocks=blocks,
                       duration_minutes=duration_minutes, now_utc=now_utc)
    start = ensure_utc(start_utc, "start_utc")
    # ``start`` is one of the instants of its own wall time, so it is among the candidates that
    # :func:`_day_candidates` generates for its local day exactly when its wall time is on the grid and it fits.
    local = wall_time(start, context.zone)
    if not _on_grid(context, local):
        return Verdict(Reason.OFF_GRID)
    if not _fits(context, local.date(), start):
        return Verdict(Reason.OUTSIDE_AVAILABILITY)
    return Verdict(_rejection(context, start))


def present_slot(slot: Slot, *, practitioner_zone: ZoneInfo, display_zone: ZoneInfo) -> dict[str, Any]:
    """A slot as the read API returns it: UTC start/end and the local times in both zones (ISO 8601)."""
    return {
        "start": slot.start.isoformat(),
        "end": slot.end.isoformat(),
        "local": {
            "timezone": display_zone.key,
            "start": iso_in_zone(slot.start, display_zone),
            "end": iso_in_zone(slot.end, display_zone),
        },
        "practitioner_local": {
            "timezone": practitioner_zone.key,
            "start": iso_in_zone(slot.start, practitioner_zone),
            "end": iso_in_zone(slot.end, practitioner_zone),
        },
    }


def present_slots(slots: Sequence[Slot], *, practitioner_zone: ZoneInfo,
                  display_zone: ZoneInfo) -> list[dict[str, Any]]:
    """:func:`present_slot` of each slot. Consecutive slots share instants (a slot's end is a later slot's
    start), so each instant is formatted once per zone and reused: the same strings at a fraction of the cost."""
    same_zone = practitioner_zone.key == display_zone.key
    formatted: dict[datetime, tuple[str, str, str]] = {}

    def strings(instant: datetime) -> tuple[str, str, str]:
        known = formatted.get(instant)
        if known is None:
            local = iso_in_zone(instant, display_zone)
            known = formatted[instant] = (instant.isoformat(), local,
                                          local if same_zone else iso_in_zone(instant, practitioner_zone))
        return known

    out = []
    for slot in slots:
        start, end = strings(slot.start), strings(slot.end)
        out.append({"start": start[0], "end": end[0],
                    "local": {"timezone": display_zone.key, "start": start[1], "end": end[1]},
                    "practitioner_local": {"timezone": practitioner_zone.key, "start": start[2], "end": end[2]}})
    return out
