"""The shapes of search, suggestion, browsing and profile answers (see :mod:`api_conventions.payloads`)."""

from __future__ import annotations

from typing import Literal, TypedDict

from api_conventions.payloads import DateTime, Money, NotRequired, Uuid


class GeoPoint(TypedDict):
    lat: float
    lon: float


class CategoryRef(TypedDict):
    slug: str
    name: str | None


class SearchCard(TypedDict):
    """One search hit with what its card shows; the fields after ``distance_km`` depend on ``type``."""

    type: Literal["service", "practitioner", "stream"]
    id: Uuid
    title: str
    snippet: str
    highlights: dict[str, str]
    score: float
    rating: float | None
    review_count: int
    modalities: list[str]
    practitioner_id: Uuid | None
    practitioner_name: str | None
    location: GeoPoint | None
    distance_km: float | None
    # services
    service_type: NotRequired[str]
    format: NotRequired[str]
    duration_minutes: NotRequired[int]
    category: NotRequired[CategoryRef | None]
    # services and streams
    price_cents: NotRequired[int]
    price: NotRequired[Money]
    created_at: NotRequired[DateTime | None]
    # streams
    access: NotRequired[str | None]
    tags: NotRequired[list[str]]
    popularity: NotRequired[int]
    # practitioners
    headline: NotRequired[str]
    online_only: NotRequired[bool]
    address: NotRequired[str | None]


class Suggestion(TypedDict):
    """A title or name (``id`` set), or a popular past query (``type`` ``query``, ``id`` null)."""

    text: str
    type: Literal["service", "practitioner", "stream", "query"]
    id: Uuid | None


class PractitionerProfile(TypedDict):
    """An active practitioner's public profile with their active services."""

    id: Uuid
    display_name: str
    title: str
    bio: str
    timezone: str | None
    online_only: bool
    address: str | None
    location: GeoPoint | None
    modalities: list[str]
    rating: float | None
    review_count: int
    created_at: DateTime | None
    service_count: int
    services: list[SearchCard]
