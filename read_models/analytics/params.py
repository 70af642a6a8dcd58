"""The query string every analytics endpoint takes: ``start``, ``end``, ``granularity``, ``timezone``, ``compare``
and ``as_of_position``.

``start`` and ``end`` are local calendar dates (``YYYY-MM-DD``, both included) in ``timezone`` (an IANA
name; default: the practitioner's zone). Defaults: ``end`` today, ``start`` 29 days before ``end``,
``granularity`` ``day``. The range may cover at most :data:`MAX_DAYS` days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from rest_framework import serializers

from api_conventions.errors import ValidationFailed
from api_conventions.serializers import CalendarDateField
from kernel.timezones import UnknownTimeZone, parse_zone
from warehouse.queries import GRANULARITIES, Window

MAX_DAYS = 3 * 365 + 1  # three years, one of them a leap year
DEFAULT_DAYS = 30
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


class AnalyticsQuery(serializers.Serializer):
    start = CalendarDateField(required=False,
                                  help_text="First local date (YYYY-MM-DD), included. Default: 29 days before end.")
    end = CalendarDateField(required=False,
                                help_text="Last local date (YYYY-MM-DD), included. Default: today.")
    granularity = serializers.ChoiceField(choices=GRANULARITIES, required=False, default="day")
    timezone = serializers.CharField(max_length=64, required=False,
                                     help_text="IANA zone of the dates and periods. Default: the practitioner's.")
    compare = serializers.ChoiceField(choices=["previous"], required=False,
                                      help_text="`previous`: add the totals of the same number of days before.")
    as_of_position = serializers.IntegerField(min_value=0, max_value=2**63 - 1, required=False,
                                              help_text="Answer as the figures stood after event N.")

    def validate_timezone(self, value: str) -> str:
        try:
            parse_zone(value)
        except UnknownTimeZone as exc:
            raise serializers.ValidationError(str(exc)) from exc
        return value

    def _within_bounds(self, value: date) -> date:
        if not EARLIEST <= value <= LATEST:
            raise serializers.ValidationError(f"Must be between {EARLIEST} and {LATEST}.")
        return value

    def validate_start(self, value: date) -> date:
        return self._within_bounds(value)

    def validate_end(self, value: date) -> date:
        return self._within_bounds(value)


@dataclass(frozen=True)
class AnalyticsRequest:
    window: Window
    compare: bool

    def filters_applied(self) -> dict[str, Any]:
        return {"start": self.window.start.isoformat(), "end": self.window.end.isoformat(),
                "granularity": self.window.granularity, "timezone": self.window.timezone,
                "compare": "previous" if self.compare else None}

    def cache_key(self) -> str:
        w = self.window
        return f"{w.practitioner_id}:{w.start}:{w.end}:{w.granularity}:{w.timezone}:{int(self.compare)}"


def as_of_position(query_params: Any) -> int | None:
    """The ``as_of_position`` asked for (None: the latest snapshot); 400 ``validation_error`` if malformed."""
    field = AnalyticsQuery().fields["as_of_position"]
    raw = query_params.get("as_of_position")
    if raw is None:
        return None
    try:
        return int(field.run_validation(raw))
    except serializers.ValidationError as exc:
        raise ValidationFailed(errors={"as_of_position": exc.detail}) from None


def parse(query_params: Any, *, practitioner_id: str, default_zone: str, today: datetime) -> AnalyticsRequest:
    """Validate the query string (400 ``validation_error`` with field errors) into a request."""
    query = AnalyticsQuery(data=query_params)
    query.is_valid(raise_exception=True)
    values = query.validated_data
    zone = values.get("timezone") or default_zone
    end = values.get("end") or today.astimezone(parse_zone(zone)).date()
    start = values.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
    if end < start:
        raise ValidationFailed(errors={"end": ["Must be on or after start."]})
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationFailed(errors={"end": [f"The range may cover at most {MAX_DAYS} days (three years)."]})
    if start < EARLIEST:
        raise ValidationFailed(errors={"start": [f"Must be between {EARLIEST} and {LATEST}."]})
    window = Window(UUID(practitioner_id), start, end, values["granularity"], zone)
    return AnalyticsRequest(window, values.get("compare") == "previous")
