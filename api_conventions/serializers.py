"""Input serializers and fields of both APIs: strict about what they accept.

- :class:`StrictInput` refuses fields it does not know (a typo must not be silently ignored); fields it
  declares ``read_only`` are accepted and ignored, so a client may send back what it read.
- :class:`StrictUUIDField` takes a UUID string only (DRF's also takes an integer, ``42`` → a UUID).
- :class:`AwareDateTimeField` takes an ISO-8601 string with a UTC offset only (a naive time is ambiguous),
  within :data:`EARLIEST`..:data:`LATEST` (so arithmetic on it never leaves ``datetime``'s range).
- :class:`AliasedChoiceField` also takes the customer plan's spelling of a choice (``in-person``) and
  answers with the canonical one (``in_person``).
- :class:`CalendarDateField` takes ``YYYY-MM-DD`` only and tells a nonexistent day (``2027-02-30``) apart
  from a malformed one.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from rest_framework import serializers

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
_DATE_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}")
OUT_OF_RANGE = f"Must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}."


class StrictInput(serializers.Serializer):
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class StrictUUIDField(serializers.UUIDField):
    default_error_messages = {"invalid": "Must be a valid UUID string."}

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class AwareDateTimeField(serializers.DateTimeField):
    default_error_messages = {
        "naive": "Must include a UTC offset, e.g. 2027-03-01T09:00:00+01:00 or 2027-03-01T08:00:00Z.",
        "out_of_range": OUT_OF_RANGE,
        "overflow": OUT_OF_RANGE,  # an offset pushed it past year 9999 in UTC
    }

    def to_internal_value(self, value: Any) -> datetime:
        if not isinstance(value, str):
            self.fail("invalid", format="ISO-8601 string with a UTC offset")
        parsed = super().to_internal_value(value)
        if not EARLIEST <= parsed.astimezone(UTC).date() <= LATEST:
            self.fail("out_of_range")
        return parsed

    def enforce_timezone(self, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            self.fail("naive")
        return super().enforce_timezone(value)


class CalendarDateField(serializers.DateField):
    default_error_messages = {
        "nonexistent": "Not a valid date: {value} does not exist in the calendar.",
        "out_of_range": OUT_OF_RANGE,
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(**kwargs)

    def to_internal_value(self, value: Any) -> date:
        if isinstance(value, str) and _DATE_SHAPE.fullmatch(value.strip()):
            try:
                date.fromisoformat(value.strip())
            except ValueError:
                self.fail("nonexistent", value=value.strip())
        parsed = super().to_internal_value(value)
        if not EARLIEST <= parsed <= LATEST:
            self.fail("out_of_range")
        return parsed


class AliasedChoiceField(serializers.ChoiceField):
    def __init__(self, choices: Any, *, aliases: dict[str, str], **kwargs: Any) -> None:
        self.aliases = aliases
        kwargs.setdefault("help_text", "Also accepted: " + ", ".join(f"`{a}` for `{c}`" for a, c in aliases.items())
                          + ".")
        # The aliases are listed too, so that the OpenAPI enum admits them; input is normalised below.
        super().__init__([*choices, *((alias, canonical) for alias, canonical in aliases.items())], **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        return super().to_internal_value(self.aliases.get(data, data) if isinstance(data, str) else data)


def service_format_field(choices: Any, **kwargs: Any) -> AliasedChoiceField:
    """A service ``format`` input or filter: ``online``, ``in_person`` (or the plan's ``in-person``), ``hybrid``."""
    return AliasedChoiceField(choices, aliases={"in-person": "in_person"}, **kwargs)
