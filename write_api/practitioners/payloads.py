"""The shapes of the practitioners' answers on the write API (see :mod:`api_conventions.payloads`)."""

from __future__ import annotations

from typing import TypedDict

from api_conventions.payloads import DateTime, Uuid


class PractitionerPayload(TypedDict):
    """A practitioner's profile and booking rules."""

    id: Uuid
    user_id: Uuid
    display_name: str
    title: str
    bio: str
    timezone: str
    is_active: bool
    buffer_minutes: int
    min_notice_minutes: int
    max_advance_days: int
    online_only: bool
    address: str
    latitude: float | None
    longitude: float | None
    modalities: list[str]
    created_at: DateTime


class TokenPair(TypedDict):
    access: str
    refresh: str


class BecamePractitionerPayload(TypedDict):
    """The new profile and a token pair carrying its ``practitioner_id`` claim (use it from now on)."""

    practitioner: PractitionerPayload
    tokens: TokenPair
