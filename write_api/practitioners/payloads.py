"""The shapes of the practitioners' answers on the write API (see :mod:`api_conventions.payloads`)."""

from __future__ import annotations

from typing import TypedDict

from api_conventions.payloads import DateTime, Uuid, example
from api_conventions.shared_payloads import GeoPoint


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
    location: GeoPoint | None
    latitude: float | None  # deprecated: location
    longitude: float | None  # deprecated: location
    modalities: list[str]
    created_at: DateTime


class TokenPair(TypedDict):
    access: str
    refresh: str


class BecamePractitionerPayload(TypedDict):
    """The new profile and a token pair carrying its ``practitioner_id`` claim (use it from now on)."""

    practitioner: PractitionerPayload
    tokens: TokenPair


_PROFILE: PractitionerPayload = {
    "id": "0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70", "user_id": "1e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b",
    "display_name": "Maya Okafor", "title": "Yoga teacher", "bio": "Vinyasa and breathwork in East London.",
    "timezone": "Europe/London", "is_active": True, "buffer_minutes": 15, "min_notice_minutes": 1440,
    "max_advance_days": 60, "online_only": False, "address": "Shoreditch, London",
    "location": {"lat": 51.5074, "lon": -0.1278}, "latitude": 51.5074,
    "longitude": -0.1278, "modalities": ["breathwork", "yoga"], "created_at": "2026-01-05T12:00:00+00:00"}
example(PractitionerPayload, _PROFILE)
example(BecamePractitionerPayload, {"practitioner": _PROFILE,
                                    "tokens": {"access": "eyJhbGciOi…", "refresh": "eyJhbGciOi…"}})
