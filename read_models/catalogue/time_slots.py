"""``GET /api/v1/services/{id}/time-slots/``: free 1:1 slots, or group sessions with seats left.

The inputs come from the catalogue read model; the slots come from :mod:`kernel.availability`, the
same function the write API validates bookings with. Answers are as fresh as the catalogue
projection (``X-Projection-Position``); send ``X-Min-Position`` to include your own latest write.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api_conventions.errors import Conflict, ValidationFailed
from api_conventions.responses import ok
from api_conventions.serializers import CalendarDateField
from kernel import availability
from kernel.timezones import MAX_QUERY_DAYS, UnknownTimeZone, local_days_range, parse_zone
from kernel.vocabulary import (
    DEFAULT_BUFFER_MINUTES,
    DEFAULT_MAX_ADVANCE_DAYS,
    DEFAULT_MIN_NOTICE_MINUTES,
    DEFAULT_STEP_MINUTES,
    SCHEDULED_TYPES,
    ErrorCode,
    ServiceType,
    SessionStatus,
)
from read_models.catalogue import store
from read_models.catalogue.payloads import TimeSlot
from read_models.catalogue.views import active_generation, session_out, visible_service
from read_models.views import ReadModelView

_MARGIN = 2 * 86400
_UNLIMITED_DAYS = 200 * 366  # past any range a query can ask (dates end at 2100)
MEMO_SIZE = 256  # computed answers kept per process (a 31-day answer is ~1,500 slots)


class TimeSlotQuery(serializers.Serializer):
    date = CalendarDateField()
    days = serializers.IntegerField(min_value=1, max_value=MAX_QUERY_DAYS, required=False, default=1)
    timezone = serializers.CharField(max_length=64, required=False)

    def validate_timezone(self, value: str) -> str:
        try:
            parse_zone(value)
        except UnknownTimeZone as exc:
            raise serializers.ValidationError(str(exc)) from exc
        return value

    def validate_date(self, value: dt.date) -> dt.date:  # (``date`` is the field in this class body)
        if not date(2000, 1, 1) <= value <= date(2100, 1, 1):
            raise serializers.ValidationError("Must be between 2000-01-01 and 2100-01-01.")
        return value


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def _inputs(generation: int, practitioner: dict[str, Any], start: datetime, end: datetime) -> SlotInputs:
    """What the slots of [start, end) depend on besides the clock, as one hashable value."""
    pid = practitioner["id"]
    low, high = start.timestamp() - _MARGIN, end.timestamp() + _MARGIN
    busy, blocks = store.read_calendar(generation, pid, low, high)
    return SlotInputs(
        weekly=tuple((w["weekday"], w["start_minute"], w["end_minute"]) for w in practitioner.get("windows", [])),
        overrides=tuple(sorted((d, tuple((w[0], w[1]) for w in ws))
                               for d, ws in (practitioner.get("overrides") or {}).items())),
        busy=tuple(busy),
        blocks=tuple(blocks),
    )


@dataclass(frozen=True)
class SlotInputs:
    weekly: tuple[tuple[int, int, int], ...]
    overrides: tuple[tuple[str, tuple[tuple[int, int], ...]], ...]  # date, its (start, end) minutes
    busy: tuple[tuple[float, float], ...]  # epoch seconds
    blocks: tuple[tuple[float, float], ...]


@functools.lru_cache(maxsize=MEMO_SIZE)
def _slots_before_clock_rules(rules: availability.Rules, duration: int, inputs: SlotInputs, start: datetime,
                              end: datetime, display_zone: str) -> tuple[tuple[datetime, dict[str, Any]], ...]:
    """The presented slots of [start, end) with minimum notice and maximum advance lifted.

    Those two rules are the only ones that depend on the clock, and each rejects a start on its own
    (:func:`kernel.availability.free_slots` checks them independently of windows, busy time and blocks),
    so the answer at any moment is this list filtered to ``now + notice <= start <= now + advance``.
    Memoised on everything it depends on (the read model's inputs included), so a repeated question
    costs a filter, and any change to the practitioner's calendar is a different key.
    """
    unlimited = replace(rules, min_notice_minutes=0, max_advance_days=_UNLIMITED_DAYS)
    slots = availability.free_slots(
        rules=unlimited, duration_minutes=duration, range_start_utc=start, range_end_utc=end, now_utc=start,
        weekly=[availability.WeeklyWindow(*w) for w in inputs.weekly],
        overrides=[availability.DateOverride(date=date.fromisoformat(d), windows=ws) for d, ws in inputs.overrides],
        busy=[availability.Interval(_utc(s), _utc(e)) for s, e in inputs.busy],
        blocks=[availability.Interval(_utc(s), _utc(e)) for s, e in inputs.blocks])
    presented = availability.present_slots(slots, practitioner_zone=rules.zone_info,
                                           display_zone=parse_zone(display_zone))
    return tuple((slot.start, shown) for slot, shown in zip(slots, presented, strict=True))


def free_presented_slots(rules: availability.Rules, duration: int, inputs: SlotInputs, start: datetime,
                         end: datetime, display_zone: str, now: datetime) -> list[dict[str, Any]]:
    """What ``present_slots(free_slots(...))`` answers at ``now``, from the memo."""
    earliest = now + timedelta(minutes=rules.min_notice_minutes)
    try:
        latest = now + timedelta(days=rules.max_advance_days)
    except OverflowError:
        latest = datetime.max.replace(tzinfo=UTC)
    return [shown for slot_start, shown in _slots_before_clock_rules(rules, duration, inputs, start, end, display_zone)
            if earliest <= slot_start <= latest]


class TimeSlotsApi(ReadModelView):
    """Free 1:1 slots of a session service, or the scheduled sessions with seats left of a workshop or course,
    over ``days`` local days from ``date`` in ``timezone`` (default: the practitioner's)."""

    read_models = ("catalogue",)
    query_serializer = TimeSlotQuery
    payload = list[TimeSlot]
    conflicts = ("not_schedulable",)

    def get(self, request: Request, service_id: UUID) -> Response:
        query = TimeSlotQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        generation = active_generation()
        service, practitioner = visible_service(request, generation, str(service_id))
        practitioner_zone = parse_zone(practitioner.get("timezone") or "UTC")
        display_zone = parse_zone(query.validated_data.get("timezone") or practitioner_zone.key)
        try:
            start, end = local_days_range(query.validated_data["date"], query.validated_data["days"], display_zone)
        except ValueError as exc:
            raise ValidationFailed(errors={"date": [str(exc)]}) from exc
        filters = {"date": query.validated_data["date"].isoformat(), "days": query.validated_data["days"],
                   "timezone": display_zone.key, "service_type": service["service_type"]}
        meta = {"filters_applied": filters, "range": {"start": start.isoformat(), "end": end.isoformat()}}
        kind = service["service_type"]
        if kind in SCHEDULED_TYPES:
            now = time.time()
            sessions = [s for s in store.read_sessions(generation, service["id"], start.timestamp(), end.timestamp())
                        if s["status"] == SessionStatus.SCHEDULED
                        and datetime.fromisoformat(s["start_at"]).timestamp() > now
                        and s["seats_taken"] < s["capacity"]]
            return ok([{**session_out(s), **_local(s, practitioner_zone, display_zone)} for s in sessions], meta=meta)
        if kind != ServiceType.SESSION:
            raise Conflict("Packages and bundles are scheduled through their sessions: book the package, then "
                           "pick times for its sessions with the child service's time slots.",
                           code=ErrorCode.NOT_SCHEDULABLE)
        rules = availability.Rules(
            zone=practitioner_zone.key,
            buffer_minutes=practitioner.get("buffer_minutes", DEFAULT_BUFFER_MINUTES),
            min_notice_minutes=practitioner.get("min_notice_minutes", DEFAULT_MIN_NOTICE_MINUTES),
            max_advance_days=practitioner.get("max_advance_days", DEFAULT_MAX_ADVANCE_DAYS),
            step_minutes=service.get("step_minutes", DEFAULT_STEP_MINUTES))
        slots = free_presented_slots(rules, service["duration_minutes"], _inputs(generation, practitioner, start, end),
                                     start, end, display_zone.key, datetime.now(UTC))
        return ok(slots, meta=meta)


def _local(session: dict[str, Any], practitioner_zone: Any, display_zone: Any) -> dict[str, Any]:
    slot = availability.Slot(datetime.fromisoformat(session["start_at"]), datetime.fromisoformat(session["end_at"]))
    presented = availability.present_slot(slot, practitioner_zone=practitioner_zone, display_zone=display_zone)
    return {"start": presented["start"], "end": presented["end"], "local": presented["local"],
            "practitioner_local": presented["practitioner_local"]}


