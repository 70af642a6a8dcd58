"""The pure availability function (kernel.availability): grid, windows, buffers, notice, DST, odd offsets.

No database and no clock: every call gets a fixed ``now_utc``.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kernel.availability import (
    DateOverride,
    Interval,
    Reason,
    Rules,
    Slot,
    WeeklyWindow,
    free_slots,
    is_bookable,
    present_slot,
    present_slots,
)
from kernel.timezones import (
    UnknownTimeZone,
    first_instant_at_or_after,
    instants_at,
    local_days_range,
    parse_zone,
)

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def at(zone: str, *args: int, fold: int = 0) -> datetime:
    """The UTC instant of a local wall time (asserted to exist)."""
    wall = datetime(*args)  # type: ignore[arg-type]  # (year, month, day, hour, minute)
    instants = instants_at(ZoneInfo(zone), wall)
    assert instants, f"{wall} does not exist in {zone}"
    return instants[min(fold, len(instants) - 1)]


def hm(hours: int, minutes: int = 0) -> int:
    return hours * 60 + minutes


def rules(zone: str = "Europe/Paris", *, buffer: int = 0, notice: int = 0, advance: int = 365,
          step: int = 15) -> Rules:
    return Rules(zone=zone, buffer_minutes=buffer, min_notice_minutes=notice, max_advance_days=advance,
                 step_minutes=step)


def day_slots(rule: Rules, weekly, day: date, duration: int, *, now: datetime, busy=(), blocks=(), overrides=(),
              display_zone: str | None = None) -> list[Slot]:
    start, end = local_days_range(day, 1, ZoneInfo(display_zone or rule.zone))
    return free_slots(rules=rule, weekly=weekly, overrides=overrides, busy=busy, blocks=blocks,
                      duration_minutes=duration, range_start_utc=start, range_end_utc=end, now_utc=now)


def starts(slots: list[Slot]) -> list[datetime]:
    return [slot.start for slot in slots]


def local_starts(slots: list[Slot], zone: str) -> list[str]:
    return [slot.start.astimezone(ZoneInfo(zone)).strftime("%H:%M") for slot in slots]


def verdict(rule: Rules, weekly, start: datetime, duration: int, *, now: datetime, busy=(), blocks=(),
            overrides=()):
    return is_bookable(rules=rule, weekly=weekly, overrides=overrides, busy=busy, blocks=blocks,
                       duration_minutes=duration, start_utc=start, now_utc=now)


def assert_listing_matches_validation(rule: Rules, weekly, day: date, duration: int, *, now: datetime,
                                      busy=(), blocks=(), overrides=()) -> None:
    """Every grid start of the day (step 5 probes) is bookable exactly when it is listed."""
    listed = set(starts(day_slots(rule, weekly, day, duration, now=now, busy=busy, blocks=blocks,
                                  overrides=overrides)))
    low, high = local_days_range(day, 1, rule.zone_info)
    probe = low
    while probe < high:
        answer = verdict(rule, weekly, probe, duration, now=now, busy=busy, blocks=blocks, overrides=overrides)
        assert bool(answer) == (probe in listed), (probe, answer)
        probe += timedelta(minutes=5)


NOW = utc(2025, 1, 1)  # far enough before the days used below for notice and advance not to matter


# --- The grid, windows and rules -----------------------------------------------------------------


def test_simple_day() -> None:
    rule = rules("Europe/Paris")  # UTC+1 in January
    weekly = [WeeklyWindow(MON, hm(9), hm(12))]
    slots = day_slots(rule, weekly, date(2025, 1, 13), 60, now=NOW)
    assert starts(slots) == [utc(2025, 1, 13, 8) + timedelta(minutes=15 * i) for i in range(9)]
    assert slots[0] == Slot(utc(2025, 1, 13, 8), utc(2025, 1, 13, 9))
    assert slots[-1] == Slot(utc(2025, 1, 13, 10), utc(2025, 1, 13, 11))  # ends exactly at 12:00 local
    # Other weekdays have no window.
    assert day_slots(rule, weekly, date(2025, 1, 14), 60, now=NOW) == []
    assert verdict(rule, weekly, utc(2025, 1, 13, 10), 60, now=NOW)
    assert verdict(rule, weekly, utc(2025, 1, 13, 10, 15), 60, now=NOW).reason == Reason.OUTSIDE_AVAILABILITY


def test_grid_counts_from_local_midnight_not_from_window_start() -> None:
    weekly = [WeeklyWindow(MON, hm(9, 10), hm(12))]
    rule = rules("Europe/Paris", step=15)
    slots = day_slots(rule, weekly, date(2025, 1, 13), 50, now=NOW)
    # First grid point at or after 09:10 is 09:15; the last 50-minute slot ending by 12:00 starts at 11:00.
    assert local_starts(slots, "Europe/Paris") == ["09:15", "09:30", "09:45", "10:00", "10:15", "10:30",
                                                   "10:45", "11:00"]
    assert all(slot.end - slot.start == timedelta(minutes=50) for slot in slots)
    assert verdict(rule, weekly, at("Europe/Paris", 2025, 1, 13, 9, 10), 50, now=NOW).reason == Reason.OFF_GRID
    assert verdict(rule, weekly, at("Europe/Paris", 2025, 1, 13, 9, 0), 50,
                   now=NOW).reason == Reason.OUTSIDE_AVAILABILITY
    assert verdict(rule, weekly, at("Europe/Paris", 2025, 1, 13, 11, 15), 50,
                   now=NOW).reason == Reason.OUTSIDE_AVAILABILITY

    # A 50-minute step: the grid is 00:00, 00:50, 01:40 … so inside 09:00–12:00 it is 09:10, 10:00, 10:50, 11:40.
    rule50 = rules("Europe/Paris", step=50)
    slots = day_slots(rule50, [WeeklyWindow(MON, hm(9), hm(12))], date(2025, 1, 13), 50, now=NOW)
    assert local_starts(slots, "Europe/Paris") == ["09:10", "10:00", "10:50"]
    assert_listing_matches_validation(rule, weekly, date(2025, 1, 13), 50, now=NOW)


def test_window_until_midnight_and_no_slot_across_midnight() -> None:
    rule = rules("Europe/Paris", step=30)
    weekly = [WeeklyWindow(MON, hm(22), 1440), WeeklyWindow(TUE, 0, hm(2))]
    assert local_starts(day_slots(rule, weekly, date(2025, 1, 13), 60, now=NOW), "Europe/Paris") == [
        "22:00", "22:30", "23:00"]
    start_2330 = at("Europe/Paris", 2025, 1, 13, 23, 30)
    assert verdict(rule, weekly, start_2330, 60, now=NOW).reason == Reason.OUTSIDE_AVAILABILITY


def test_touching_windows_of_a_day_merge() -> None:
    rule = rules("Europe/Paris", step=30)
    weekly = [WeeklyWindow(MON, hm(12), hm(14)), WeeklyWindow(MON, hm(9), hm(12)), WeeklyWindow(MON, hm(10), hm(11))]
    assert local_starts(day_slots(rule, weekly, date(2025, 1, 13), 90, now=NOW), "Europe/Paris") == [
        "09:00", "09:30", "10:00", "10:30", "11:00", "11:30", "12:00", "12:30"]
    # Separate windows do not merge: no 90-minute slot straddles the 12:00–13:00 gap.
    apart = [WeeklyWindow(MON, hm(9), hm(12)), WeeklyWindow(MON, hm(13), hm(15))]
    assert local_starts(day_slots(rule, apart, date(2025, 1, 13), 90, now=NOW), "Europe/Paris") == [
        "09:00", "09:30", "10:00", "10:30", "13:00", "13:30"]


def test_buffers_identical_in_listing_and_booking() -> None:
    rule = rules("Europe/Paris", buffer=15)
    weekly = [WeeklyWindow(MON, hm(9), hm(13))]
    busy = [Interval(at("Europe/Paris", 2025, 1, 13, 10), at("Europe/Paris", 2025, 1, 13, 11))]
    slots = day_slots(rule, weekly, date(2025, 1, 13), 30, now=NOW, busy=busy)
    # 09:15–09:45 ends exactly 15 min before the booking; 11:15 starts exactly 15 min after it.
    assert local_starts(slots, "Europe/Paris") == ["09:00", "09:15", "11:15", "11:30", "11:45", "12:00",
                                                   "12:15", "12:30"]
    for hour, minute in [(9, 30), (10, 0), (10, 45), (11, 0)]:
        answer = verdict(rule, weekly, at("Europe/Paris", 2025, 1, 13, hour, minute), 30, now=NOW, busy=busy)
        assert answer.reason == Reason.CONFLICT
        assert not answer
    assert verdict(rule, weekly, at("Europe/Paris", 2025, 1, 13, 9, 15), 30, now=NOW, busy=busy).ok
    assert verdict(rule, weekly, at("Europe/Paris", 2025, 1, 13, 11, 15), 30, now=NOW, busy=busy).ok
    assert_listing_matches_validation(rule, weekly, date(2025, 1, 13), 30, now=NOW, busy=busy)
    # Without a buffer the neighbours touch the booking.
    no_buffer = rules("Europe/Paris", buffer=0)
    assert "09:30" in local_starts(day_slots(no_buffer, weekly, date(2025, 1, 13), 30, now=NOW, busy=busy),
                                   "Europe/Paris")
    assert verdict(no_buffer, weekly, at("Europe/Paris", 2025, 1, 13, 11), 30, now=NOW, busy=busy)


def test_busy_time_outside_the_windows_still_applies_its_buffer() -> None:
    rule = rules("Europe/Paris", buffer=30)
    weekly = [WeeklyWindow(MON, hm(9), hm(12))]
    # A hosted workshop 08:00–09:00 (before the window opens) pushes the first 1:1 slot to 09:30.
    busy = [Interval(at("Europe/Paris", 2025, 1, 13, 8), at("Europe/Paris", 2025, 1, 13, 9))]
    slots = day_slots(rule, weekly, date(2025, 1, 13), 60, now=NOW, busy=busy)
    assert local_starts(slots, "Europe/Paris")[0] == "09:30"


def test_blocks_have_no_buffer() -> None:
    rule = rules("Europe/Paris", buffer=15)
    weekly = [WeeklyWindow(MON, hm(9), hm(13))]
    blocks = [Interval(at("Europe/Paris", 2025, 1, 13, 10), at("Europe/Paris", 2025, 1, 13, 11))]
    slots = day_slots(rule, weekly, date(2025, 1, 13), 30, now=NOW, blocks=blocks)
    assert local_starts(slots, "Europe/Paris") == ["09:00", "09:15", "09:30", "11:00", "11:15", "11:30",
                                                   "11:45", "12:00", "12:15", "12:30"]
    assert verdict(rule, weekly, at("Europe/Paris", 2025, 1, 13, 10, 45), 30,
                   now=NOW, blocks=blocks).reason == Reason.BLOCKED
    assert verdict(rule, weekly, at("Europe/Paris", 2025, 1, 13, 9, 45), 30,
                   now=NOW, blocks=blocks).reason == Reason.BLOCKED
    assert verdict(rule, weekly, at("Europe/Paris", 2025, 1, 13, 11), 30, now=NOW, blocks=blocks).ok
    assert_listing_matches_validation(rule, weekly, date(2025, 1, 13), 30, now=NOW, blocks=blocks)
    # A block over a whole week empties it.
    week = [Interval(utc(2025, 1, 12), utc(2025, 1, 20))]
    assert day_slots(rule, weekly, date(2025, 1, 13), 30, now=NOW, blocks=week) == []


def test_overrides_replace_a_day_and_empty_is_a_day_off() -> None:
    rule = rules("Europe/Paris", step=60)
    weekly = [WeeklyWindow(MON, hm(9), hm(12)), WeeklyWindow(TUE, hm(9), hm(12))]
    overrides = [DateOverride(date(2025, 1, 13), ((hm(14), hm(16)), (hm(18), hm(19)))),
                 DateOverride(date(2025, 1, 14), ()),
                 DateOverride(date(2025, 1, 15), ((hm(7), hm(8)),))]
    monday = day_slots(rule, weekly, date(2025, 1, 13), 60, now=NOW, overrides=overrides)
    assert local_starts(monday, "Europe/Paris") == ["14:00", "15:00", "18:00"]
    assert day_slots(rule, weekly, date(2025, 1, 14), 60, now=NOW, overrides=overrides) == []
    assert local_starts(day_slots(rule, weekly, date(2025, 1, 15), 60, now=NOW, overrides=overrides),
                        "Europe/Paris") == ["07:00"]  # a Wednesday with no weekly window
    # The next Monday follows the weekly windows again.
    assert local_starts(day_slots(rule, weekly, date(2025, 1, 20), 60, now=NOW, overrides=overrides),
                        "Europe/Paris") == ["09:00", "10:00", "11:00"]
    nine = at("Europe/Paris", 2025, 1, 13, 9)
    assert verdict(rule, weekly, nine, 60, now=NOW, overrides=overrides).reason == Reason.OUTSIDE_AVAILABILITY
    assert verdict(rule, weekly, at("Europe/Paris", 2025, 1, 14, 9), 60,
                   now=NOW, overrides=overrides).reason == Reason.OUTSIDE_AVAILABILITY
    assert verdict(rule, weekly, at("Europe/Paris", 2025, 1, 13, 14), 60, now=NOW, overrides=overrides).ok
    with pytest.raises(ValueError):
        free_slots(rules=rule, weekly=weekly, overrides=overrides + [DateOverride(date(2025, 1, 13), ())],
                   duration_minutes=60, range_start_utc=NOW, range_end_utc=NOW, now_utc=NOW)


def test_min_notice_and_max_advance() -> None:
    rule = rules("Europe/Paris", notice=120, advance=2, step=60)
    weekly = [WeeklyWindow(day, hm(8), hm(18)) for day in range(7)]
    now = at("Europe/Paris", 2025, 1, 13, 8, 30)  # Monday 08:30 local
    monday = day_slots(rule, weekly, date(2025, 1, 13), 60, now=now)
    assert local_starts(monday, "Europe/Paris")[0] == "11:00"  # 10:30 is the earliest start; 11:00 is on the grid
    assert verdict(rule, weekly, at("Europe/Paris", 2025, 1, 13, 10), 60, now=now).reason == Reason.TOO_SOON
    exactly = at("Europe/Paris", 2025, 1, 13, 8)
    assert verdict(rule, weekly, exactly + timedelta(hours=2), 60, now=exactly).ok  # start == now + notice
    wednesday = day_slots(rule, weekly, date(2025, 1, 15), 60, now=now)
    assert local_starts(wednesday, "Europe/Paris") == ["08:00"]  # latest start is Wednesday 08:30
    assert verdict(rule, weekly, at("Europe/Paris", 2025, 1, 15, 9), 60, now=now).reason == Reason.TOO_FAR_AHEAD
    assert verdict(rule, weekly, at("Europe/Paris", 2025, 1, 15, 8), 60, now=exactly).ok  # start == now + 2 days
    assert day_slots(rule, weekly, date(2025, 1, 16), 60, now=now) == []
    # The past is always too soon, even with no notice.
    no_notice = rules("Europe/Paris", notice=0, step=60)
    assert verdict(no_notice, weekly, at("Europe/Paris", 2025, 1, 13, 8), 60, now=now).reason == Reason.TOO_SOON
    assert local_starts(day_slots(no_notice, weekly, date(2025, 1, 13), 60, now=now), "Europe/Paris")[0] == "09:00"
    assert_listing_matches_validation(rule, weekly, date(2025, 1, 13), 60, now=now)
    assert_listing_matches_validation(rule, weekly, date(2025, 1, 15), 60, now=now)


# --- Daylight saving time --------------------------------------------------------------------------


def test_spring_forward_new_york() -> None:
    # 2025-03-09: at 02:00 EST the clocks jump to 03:00 EDT; 02:00–02:59 does not exist.
    rule = rules("America/New_York")
    weekly = [WeeklyWindow(SUN, 0, hm(6))]
    slots = day_slots(rule, weekly, date(2025, 3, 9), 15, now=NOW)
    assert len(slots) == 24 - 4
    assert not any(slot.start.astimezone(ZoneInfo("America/New_York")).hour == 2 for slot in slots)
    assert starts(slots)[7:9] == [utc(2025, 3, 9, 6, 45), utc(2025, 3, 9, 7)]  # 01:45 EST, then 03:00 EDT
    # The window is 5 real hours that day: 60-minute slots start 00:00 … 01:45 EST and 03:00 … 05:00 EDT.
    hour_slots = day_slots(rule, weekly, date(2025, 3, 9), 60, now=NOW)
    assert len(hour_slots) == 8 + 9
    assert Slot(utc(2025, 3, 9, 6, 45), utc(2025, 3, 9, 7, 45)) in hour_slots  # 01:45 EST → 03:45 EDT
    # A window that straddles the gap: 01:00–03:00 local lasts one real hour.
    short = [WeeklyWindow(SUN, hm(1), hm(3))]
    assert starts(day_slots(rule, short, date(2025, 3, 9), 30, now=NOW)) == [
        utc(2025, 3, 9, 6), utc(2025, 3, 9, 6, 15), utc(2025, 3, 9, 6, 30)]
    assert starts(day_slots(rule, short, date(2025, 3, 9), 60, now=NOW)) == [utc(2025, 3, 9, 6)]
    # A window that opens inside the gap starts when the clock lands at 03:00.
    inside = [WeeklyWindow(SUN, hm(2, 30), hm(4))]
    assert starts(day_slots(rule, inside, date(2025, 3, 9), 60, now=NOW)) == [utc(2025, 3, 9, 7)]
    assert_listing_matches_validation(rule, weekly, date(2025, 3, 9), 60, now=NOW)
    # The naive "02:30" read with either fold lands on an instant the grid does not offer for that wall time.
    for fold in (0, 1):
        ghost = datetime(2025, 3, 9, 2, 30, fold=fold, tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)
        assert ghost.astimezone(ZoneInfo("America/New_York")).hour != 2


def test_nonexistent_grid_time_is_not_shifted_onto_a_neighbour() -> None:
    # With a 45-minute grid, 02:15 falls in the gap. Read naively it becomes 01:15 EST or 03:15 EDT, neither of
    # which is on the grid: no slot may appear at either.
    rule = rules("America/New_York", step=45)
    weekly = [WeeklyWindow(SUN, 0, hm(6))]
    slots = day_slots(rule, weekly, date(2025, 3, 9), 45, now=NOW)
    assert local_starts(slots, "America/New_York") == ["00:00", "00:45", "01:30", "03:00", "03:45", "04:30",
                                                       "05:15"]
    for ghost in (utc(2025, 3, 9, 6, 15), utc(2025, 3, 9, 7, 15)):
        assert verdict(rule, weekly, ghost, 45, now=NOW).reason == Reason.OFF_GRID
    assert_listing_matches_validation(rule, weekly, date(2025, 3, 9), 45, now=NOW)


def test_spring_forward_london() -> None:
    # 2025-03-30: at 01:00 GMT the clocks jump to 02:00 BST.
    rule = rules("Europe/London", step=30)
    weekly = [WeeklyWindow(SUN, 0, hm(4))]
    slots = day_slots(rule, weekly, date(2025, 3, 30), 30, now=NOW)
    assert local_starts(slots, "Europe/London") == ["00:00", "00:30", "02:00", "02:30", "03:00", "03:30"]
    assert starts(slots) == [utc(2025, 3, 30, 0) + timedelta(minutes=30 * i) for i in range(6)]
    # A normal Sunday offers 8.
    assert len(day_slots(rule, weekly, date(2025, 3, 23), 30, now=NOW)) == 8
    assert_listing_matches_validation(rule, weekly, date(2025, 3, 30), 30, now=NOW)


def test_fall_back_repeated_hour_offers_both_instants() -> None:
    # 2025-11-02: at 02:00 EDT the clocks go back to 01:00 EST; 01:00–01:59 happens twice.
    rule = rules("America/New_York", step=30)
    weekly = [WeeklyWindow(SUN, 0, hm(3))]
    slots = day_slots(rule, weekly, date(2025, 11, 2), 30, now=NOW)
    assert starts(slots) == [utc(2025, 11, 2, 4) + timedelta(minutes=30 * i) for i in range(8)]
    assert local_starts(slots, "America/New_York") == ["00:00", "00:30", "01:00", "01:30", "01:00", "01:30",
                                                       "02:00", "02:30"]
    first, second = at("America/New_York", 2025, 11, 2, 1, fold=0), at("America/New_York", 2025, 11, 2, 1, fold=1)
    assert (first, second) == (utc(2025, 11, 2, 5), utc(2025, 11, 2, 6))
    assert verdict(rule, weekly, first, 30, now=NOW) and verdict(rule, weekly, second, 30, now=NOW)
    # Booking the first 01:00 leaves the second 01:00 free (slots are keyed by instant, not wall time).
    busy = [Interval(first, first + timedelta(minutes=30))]
    booked = day_slots(rule, weekly, date(2025, 11, 2), 30, now=NOW, busy=busy)
    assert first not in starts(booked) and second in starts(booked)
    assert verdict(rule, weekly, first, 30, now=NOW, busy=busy).reason == Reason.CONFLICT
    # A 90-minute session from the first 01:30 lasts 90 real minutes and ends at 02:00 EST.
    long = day_slots(rule, weekly, date(2025, 11, 2), 90, now=NOW)
    assert Slot(utc(2025, 11, 2, 5, 30), utc(2025, 11, 2, 7)) in long
    assert starts(long)[-1] == utc(2025, 11, 2, 6, 30)  # 01:30 EST → 03:00 EST, the end of the window
    assert_listing_matches_validation(rule, weekly, date(2025, 11, 2), 30, now=NOW)
    assert_listing_matches_validation(rule, weekly, date(2025, 11, 2), 90, now=NOW, busy=busy)


def test_fall_back_london_and_window_inside_the_repeated_hour() -> None:
    # 2025-10-26: at 02:00 BST the clocks go back to 01:00 GMT.
    rule = rules("Europe/London", step=15)
    weekly = [WeeklyWindow(SUN, hm(1), hm(2))]  # "01:00–02:00" lasts two real hours that day
    slots = day_slots(rule, weekly, date(2025, 10, 26), 60, now=NOW)
    assert starts(slots) == [utc(2025, 10, 26, 0) + timedelta(minutes=15 * i) for i in range(5)]
    assert local_starts(slots, "Europe/London") == ["01:00", "01:15", "01:30", "01:45", "01:00"]


# --- Offsets that are not whole hours, and the date line --------------------------------------------------


def test_half_hour_zone_kolkata() -> None:
    rule = rules("Asia/Kolkata", step=30)  # UTC+05:30, no DST
    weekly = [WeeklyWindow(MON, hm(9), hm(11))]
    assert starts(day_slots(rule, weekly, date(2025, 6, 16), 60, now=NOW)) == [
        utc(2025, 6, 16, 3, 30), utc(2025, 6, 16, 4), utc(2025, 6, 16, 4, 30)]
    hourly = rules("Asia/Kolkata", step=60)
    assert starts(day_slots(hourly, weekly, date(2025, 6, 16), 60, now=NOW)) == [
        utc(2025, 6, 16, 3, 30), utc(2025, 6, 16, 4, 30)]
    assert verdict(hourly, weekly, utc(2025, 6, 16, 4), 60, now=NOW).reason == Reason.OFF_GRID  # 09:30 local
    assert verdict(hourly, weekly, utc(2025, 6, 16, 4, 30), 60, now=NOW)
    assert_listing_matches_validation(hourly, weekly, date(2025, 6, 16), 60, now=NOW)


def test_forty_five_minute_zone_kathmandu() -> None:
    rule = rules("Asia/Kathmandu", step=60)  # UTC+05:45
    weekly = [WeeklyWindow(MON, hm(9), hm(12))]
    slots = day_slots(rule, weekly, date(2025, 6, 16), 60, now=NOW)
    assert starts(slots) == [utc(2025, 6, 16, 3, 15), utc(2025, 6, 16, 4, 15), utc(2025, 6, 16, 5, 15)]
    assert verdict(rule, weekly, utc(2025, 6, 16, 4), 60, now=NOW).reason == Reason.OFF_GRID
    assert verdict(rule, weekly, utc(2025, 6, 16, 4, 15), 60, now=NOW)
    # Displayed to a client in London (BST): 04:15 and 05:15 and 06:15.
    shown = present_slots(slots, practitioner_zone=ZoneInfo("Asia/Kathmandu"), display_zone=ZoneInfo("Europe/London"))
    assert shown[0] == {
        "start": "2025-06-16T03:15:00+00:00",
        "end": "2025-06-16T04:15:00+00:00",
        "local": {"timezone": "Europe/London", "start": "2025-06-16T04:15:00+01:00",
                  "end": "2025-06-16T05:15:00+01:00"},
        "practitioner_local": {"timezone": "Asia/Kathmandu", "start": "2025-06-16T09:00:00+05:45",
                               "end": "2025-06-16T10:00:00+05:45"},
    }
    assert_listing_matches_validation(rule, weekly, date(2025, 6, 16), 60, now=NOW)


def test_date_line_practitioner_in_kiritimati_client_in_pago_pago() -> None:
    # Kiritimati is UTC+14, Pago Pago UTC-11: a day apart, and more.
    rule = rules("Pacific/Kiritimati", step=60)
    weekly = [WeeklyWindow(MON, hm(9), hm(11))]
    # Monday 09:00 in Kiritimati is Sunday 19:00 UTC and Sunday 08:00 in Pago Pago.
    sunday_for_client = day_slots(rule, weekly, date(2025, 6, 15), 60, now=NOW, display_zone="Pacific/Pago_Pago")
    assert starts(sunday_for_client) == [utc(2025, 6, 15, 19), utc(2025, 6, 15, 20)]
    assert day_slots(rule, weekly, date(2025, 6, 16), 60, now=NOW, display_zone="Pacific/Pago_Pago") == []
    assert starts(day_slots(rule, weekly, date(2025, 6, 16), 60, now=NOW)) == [utc(2025, 6, 15, 19),
                                                                             utc(2025, 6, 15, 20)]
    shown = present_slot(sunday_for_client[0], practitioner_zone=ZoneInfo("Pacific/Kiritimati"),
                         display_zone=ZoneInfo("Pacific/Pago_Pago"))
    assert shown["local"]["start"] == "2025-06-15T08:00:00-11:00"
    assert shown["practitioner_local"]["start"] == "2025-06-16T09:00:00+14:00"
    assert shown["start"] == "2025-06-15T19:00:00+00:00"


def test_date_line_practitioner_in_pago_pago_client_in_kiritimati() -> None:
    rule = rules("Pacific/Pago_Pago", step=60)
    weekly = [WeeklyWindow(FRI, hm(20), 1440)]
    # Friday 20:00–24:00 in Pago Pago is Saturday 07:00–11:00 UTC and Saturday 21:00–Sunday 01:00 in Kiritimati.
    saturday = day_slots(rule, weekly, date(2025, 6, 14), 60, now=NOW, display_zone="Pacific/Kiritimati")
    assert starts(saturday) == [utc(2025, 6, 14, 7), utc(2025, 6, 14, 8), utc(2025, 6, 14, 9)]
    sunday = day_slots(rule, weekly, date(2025, 6, 15), 60, now=NOW, display_zone="Pacific/Kiritimati")
    assert starts(sunday) == [utc(2025, 6, 14, 10)]
    shown = present_slots(saturday + sunday, practitioner_zone=ZoneInfo("Pacific/Pago_Pago"),
                          display_zone=ZoneInfo("Pacific/Kiritimati"))
    assert [slot["local"]["start"] for slot in shown] == [
        "2025-06-14T21:00:00+14:00", "2025-06-14T22:00:00+14:00", "2025-06-14T23:00:00+14:00",
        "2025-06-15T00:00:00+14:00"]
    assert [slot["practitioner_local"]["start"] for slot in shown] == [
        "2025-06-13T20:00:00-11:00", "2025-06-13T21:00:00-11:00", "2025-06-13T22:00:00-11:00",
        "2025-06-13T23:00:00-11:00"]
    # Friday in Kiritimati is still Thursday in Pago Pago: nothing.
    assert day_slots(rule, weekly, date(2025, 6, 13), 60, now=NOW, display_zone="Pacific/Kiritimati") == []


# --- Time-zone helpers and input validation --------------------------------------------------------------


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "../../etc/passwd", "/usr/share/zoneinfo/UTC",
                                  "localtime", "europe/london", "X" * 300, None, 5])
def test_unknown_zones_are_refused(name: object) -> None:
    with pytest.raises(UnknownTimeZone):
        parse_zone(name)


def test_rules_refuse_an_unknown_zone_and_bad_numbers() -> None:
    assert parse_zone("Asia/Kathmandu") == ZoneInfo("Asia/Kathmandu")
    with pytest.raises(UnknownTimeZone):
        Rules(zone="Nowhere/Land")
    with pytest.raises(ValueError):
        Rules(zone="UTC", step_minutes=0)
    with pytest.raises(ValueError):
        Rules(zone="UTC", buffer_minutes=-1)
    with pytest.raises(ValueError):
        WeeklyWindow(MON, hm(12), hm(9))
    with pytest.raises(ValueError):
        WeeklyWindow(7, 0, 60)
    with pytest.raises(ValueError):
        DateOverride(date(2025, 1, 1), ((0, 1441),))
    with pytest.raises(ValueError):
        Interval(utc(2025, 1, 2), utc(2025, 1, 1))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        Interval(datetime(2025, 1, 1), datetime(2025, 1, 2))
    with pytest.raises(ValueError):
        is_bookable(rules=rules(), weekly=[], duration_minutes=60, start_utc=datetime(2025, 1, 13, 9), now_utc=NOW)
    with pytest.raises(ValueError):
        free_slots(rules=rules(), weekly=[], duration_minutes=60, range_start_utc=NOW, range_end_utc=NOW,
                   now_utc=datetime(2025, 1, 1))
    with pytest.raises(ValueError):
        free_slots(rules=rules(), weekly=[], duration_minutes=0, range_start_utc=NOW, range_end_utc=NOW, now_utc=NOW)


def test_local_days_range() -> None:
    new_york = ZoneInfo("America/New_York")
    assert local_days_range(date(2025, 3, 9), 1, new_york) == (utc(2025, 3, 9, 5), utc(2025, 3, 10, 4))  # 23 h
    assert local_days_range(date(2025, 11, 2), 1, new_york) == (utc(2025, 11, 2, 4), utc(2025, 11, 3, 5))  # 25 h
    assert local_days_range(date(2025, 1, 1), 31, ZoneInfo("Asia/Kathmandu")) == (
        utc(2024, 12, 31, 18, 15), utc(2025, 1, 31, 18, 15))
    # Santiago skipped midnight on 2024-09-08 (00:00 → 01:00): the day starts when the clock lands.
    assert local_days_range(date(2024, 9, 8), 1, ZoneInfo("America/Santiago"))[0] == utc(2024, 9, 8, 4)
    assert first_instant_at_or_after(new_york, datetime(2025, 3, 9, 2, 30)) == utc(2025, 3, 9, 7)
    for bad in (0, 32, -1, True):
        with pytest.raises(ValueError):
            local_days_range(date(2025, 1, 1), bad, new_york)
    with pytest.raises(ValueError):
        local_days_range(date(9999, 12, 31), 1, ZoneInfo("Pacific/Kiritimati"))


def test_a_month_of_slots_across_a_dst_change() -> None:
    rule = rules("Europe/Berlin", buffer=15, notice=60, advance=60)
    weekly = [WeeklyWindow(day, hm(8), hm(18)) for day in range(5)]
    low, high = local_days_range(date(2025, 3, 17), 31, rule.zone_info)
    busy = [Interval(at("Europe/Berlin", 2025, 3, 17 + n, 10), at("Europe/Berlin", 2025, 3, 17 + n, 11))
            for n in range(0, 14)]
    slots = free_slots(rules=rule, weekly=weekly, busy=busy, duration_minutes=60, range_start_utc=low,
                       range_end_utc=high, now_utc=utc(2025, 3, 1))
    # 23 weekdays × 37 starts (08:00 … 17:00), minus 9 starts per busy weekday (09:00 … 11:00 are within
    # the hour-plus-buffer of the 10:00 session) on the 10 weekdays among the first 14 days.
    assert len(slots) == 23 * 37 - 10 * 9
    assert all(slot.start.astimezone(rule.zone_info).strftime("%H:%M") >= "08:00" for slot in slots)
    assert {slot.start.astimezone(rule.zone_info).utcoffset() for slot in slots} == {
        timedelta(hours=1), timedelta(hours=2)}


# --- Property: listing and validation agree, and both match a brute-force reading of the rules ----------

_INTERESTING = {
    "America/New_York": [date(2025, 3, 9), date(2025, 11, 2)],
    "Europe/London": [date(2025, 3, 30), date(2025, 10, 26)],
    "Australia/Lord_Howe": [date(2025, 4, 6), date(2025, 10, 5)],  # 30-minute DST shift
    "America/Santiago": [date(2025, 4, 5), date(2025, 9, 7)],  # changes at midnight
    "Pacific/Apia": [date(2011, 12, 29), date(2011, 12, 30)],  # skipped 30 December 2011 entirely
    "Asia/Kolkata": [date(2025, 6, 16)],
    "Asia/Kathmandu": [date(2025, 6, 16)],
    "Pacific/Kiritimati": [date(2025, 6, 16)],
    "Pacific/Pago_Pago": [date(2025, 6, 16)],
    "Europe/Dublin": [date(2025, 3, 30), date(2025, 10, 26)],  # negative DST in the tz database
    "UTC": [date(2025, 1, 1)],
}


def _merged(windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    result: list[tuple[int, int]] = []
    for start, end in sorted(windows):
        if result and start <= result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], end))
        else:
            result.append((start, end))
    return result


def _oracle(zone: ZoneInfo, weekly: list[WeeklyWindow], overrides: list[DateOverride], busy: list[Interval],
            blocks: list[Interval], rule: Rules, duration: int, low: datetime, high: datetime,
            now: datetime) -> list[datetime]:
    """SPEC §4 read literally, minute by minute (exact: every offset and change here is whole minutes)."""
    by_date = {override.date: list(override.windows) for override in overrides}

    def windows_of(day: date) -> list[tuple[int, int]]:
        if day in by_date:
            return _merged(by_date[day])
        return _merged([(w.start_minute, w.end_minute) for w in weekly if w.weekday == day.weekday()])

    buffer = timedelta(minutes=rule.buffer_minutes)
    found = []
    instant = low
    while instant < high:
        local = instant.astimezone(zone)
        minute = local.hour * 60 + local.minute
        end = instant + timedelta(minutes=duration)
        if (minute % rule.step_minutes == 0
                and now + timedelta(minutes=rule.min_notice_minutes) <= instant
                <= now + timedelta(days=rule.max_advance_days)
                and not any(b.start < end and instant < b.end for b in blocks)
                and not any(b.start - buffer < end and instant < b.end + buffer for b in busy)):
            for start_minute, end_minute in windows_of(local.date()):
                inside = True
                for offset in range(duration):
                    moment = (instant + timedelta(minutes=offset)).astimezone(zone)
                    moment_minute = moment.hour * 60 + moment.minute
                    if moment.date() != local.date() or not start_minute <= moment_minute < end_minute:
                        inside = False
                        break
                if inside:
                    found.append(instant)
                    break
        instant += timedelta(minutes=1)
    return found


def _random_windows(rng: random.Random, count: int) -> list[tuple[int, int]]:
    windows = []
    for _ in range(count):
        start = rng.choice([0, hm(1), hm(1, 30), hm(2), hm(8), hm(9), hm(22), rng.randrange(0, 1439)])
        end = rng.choice([1440, start + rng.randint(1, 600)])
        windows.append((start, min(end, 1440)))
    return windows


def _random_intervals(rng: random.Random, low: datetime, count: int) -> list[Interval]:
    result = []
    for _ in range(count):
        start = low + timedelta(minutes=rng.randrange(0, 3 * 1440, 5))
        result.append(Interval(start, start + timedelta(minutes=rng.choice([15, 30, 50, 60, 90, 180]))))
    return result


def test_property_listing_equals_validation_equals_the_rules() -> None:
    rng = random.Random(20250309)
    checked_slots = 0
    for case in range(200):
        zone_name = rng.choice(sorted(_INTERESTING))
        zone = ZoneInfo(zone_name)
        base = rng.choice(_INTERESTING[zone_name]) + timedelta(days=rng.choice([-1, 0, 0, 0, 1]))
        rule = Rules(zone=zone_name, buffer_minutes=rng.choice([0, 5, 15, 30]),
                     min_notice_minutes=rng.choice([0, 0, 60, 1440]), max_advance_days=rng.choice([0, 1, 2, 60]),
                     step_minutes=rng.choice([5, 10, 15, 15, 20, 30, 45, 50, 60, 90]))
        duration = rng.choice([15, 30, 45, 50, 60, 90, 120])
        weekly = [WeeklyWindow(weekday, start, end) for weekday in range(7)
                  for start, end in _random_windows(rng, rng.choice([0, 1, 1, 2]))]
        low, high = local_days_range(base, 2, zone)
        overrides = [DateOverride(base + timedelta(days=n), tuple(_random_windows(rng, rng.choice([0, 1, 2]))))
                     for n in range(-1, 3) if rng.random() < 0.3]
        busy = _random_intervals(rng, low - timedelta(hours=12), rng.choice([0, 1, 3, 5]))
        blocks = _random_intervals(rng, low - timedelta(hours=12), rng.choice([0, 0, 1, 2]))
        now = low - timedelta(minutes=rng.choice([0, 30, 600, 1440, 2000, 4000]))
        inputs: dict[str, Any] = dict(rules=rule, weekly=weekly, overrides=overrides, busy=busy, blocks=blocks,
                      duration_minutes=duration, now_utc=now)

        listed = free_slots(range_start_utc=low, range_end_utc=high, **inputs)
        expected = _oracle(zone, weekly, overrides, busy, blocks, rule, duration, low, high, now)
        assert starts(listed) == expected, (case, zone_name, base)
        assert all(slot.end - slot.start == timedelta(minutes=duration) for slot in listed)
        checked_slots += len(listed)

        # Validation agrees on every start the listing offers, on every grid start it does not, and on
        # random minutes.
        expected_set = set(expected)
        probes = set(expected)
        instant = low
        while instant < high:
            local = instant.astimezone(zone)
            if (local.hour * 60 + local.minute) % rule.step_minutes == 0:
                probes.add(instant)
            instant += timedelta(minutes=5)
        probes.update(low + timedelta(minutes=rng.randrange(0, 2880)) for _ in range(20))
        for probe in probes:
            answer = is_bookable(start_utc=probe, **inputs)
            assert bool(answer) == (probe in expected_set), (case, zone_name, probe, answer)
            assert (answer.reason is None) == answer.ok
        # A range split in two lists the same slots as the whole range.
        middle = low + (high - low) / 2
        halves = (free_slots(range_start_utc=low, range_end_utc=middle, **inputs)
                  + free_slots(range_start_utc=middle, range_end_utc=high, **inputs))
        assert halves == listed
    assert checked_slots > 1000  # the random inputs are not all empty
