"""The shapes of search, suggestion, browsing and profile answers (see :mod:`api_conventions.payloads`)."""

from __future__ import annotations

from typing import Literal, TypedDict

from api_conventions.payloads import DateTime, Money, NotRequired, Uuid, example
from api_conventions.shared_payloads import CategoryRef, GeoPoint

CardKind = Literal["service", "practitioner", "stream"]
"""The kinds of document the search index holds (``search_index.documents.KINDS``)."""


class SearchCard(TypedDict):
    """One search hit with what its card shows; the fields after ``distance_km`` depend on ``type``."""

    type: CardKind
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


_SERVICE_CARD: SearchCard = {
    "type": "service", "id": "6f1c2a4e-8b7d-4e5f-9a0b-1c2d3e4f5a6b", "title": "Vinyasa flow for beginners",
    "snippet": "An hour of breath-led <em>yoga</em>.", "highlights": {"description": "breath-led <em>yoga</em>"},
    "score": 7.4213, "rating": 4.6, "review_count": 38, "modalities": ["yoga"],
    "practitioner_id": "0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70", "practitioner_name": "Maya Okafor",
    "location": {"lat": 51.5074, "lon": -0.1278}, "distance_km": 1.204, "service_type": "session",
    "format": "in_person", "duration_minutes": 60, "category": {"slug": "movement", "name": "Movement & fitness"},
    "price_cents": 4500, "price": "45.00", "created_at": "2026-01-05T12:00:00+00:00"}
example(SearchCard, _SERVICE_CARD)
example(Suggestion, {"text": "Vinyasa flow for beginners", "type": "service",
                     "id": "6f1c2a4e-8b7d-4e5f-9a0b-1c2d3e4f5a6b"})
example(PractitionerProfile, {
    "id": "0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70", "display_name": "Maya Okafor", "title": "Yoga teacher",
    "bio": "Vinyasa and breathwork in East London.", "timezone": "Europe/London", "online_only": False,
    "address": "Shoreditch, London", "location": {"lat": 51.5074, "lon": -0.1278},
    "modalities": ["breathwork", "yoga"], "rating": 4.6, "review_count": 41, "created_at": "2026-01-05T12:00:00+00:00",
    "service_count": 1, "services": [{**_SERVICE_CARD, "distance_km": None, "snippet": "An hour of breath-led yoga.",
                                      "highlights": {}, "score": 0.0}]})
