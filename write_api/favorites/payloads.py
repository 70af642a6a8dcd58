"""The shapes of the favourites' answers (see :mod:`api_conventions.payloads`)."""

from __future__ import annotations

from typing import Any, TypedDict

from api_conventions.payloads import DateTime, Uuid, example
from write_api.favorites.services import FavoriteType


class FavoritePayload(TypedDict):
    """A favourite and a brief of its object (null once the object is gone)."""

    id: Uuid
    type: FavoriteType
    object_id: Uuid
    object: dict[str, Any] | None
    created_at: DateTime


class FavoriteIdsPayload(TypedDict):
    """Every id the caller favourited, newest first, per type: what a list of cards needs for its hearts."""

    practitioner: list[Uuid]
    service: list[Uuid]
    stream: list[Uuid]


example(FavoritePayload, {
    "id": "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b", "type": "service",
    "object_id": "6f1c2a4e-8b7d-4e5f-9a0b-1c2d3e4f5a6b",
    "object": {"id": "6f1c2a4e-8b7d-4e5f-9a0b-1c2d3e4f5a6b", "title": "Vinyasa flow for beginners",
               "service_type": "session", "format": "in_person", "status": "active", "price_cents": 4500,
               "price": "45.00", "practitioner": {"id": "0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70",
                                                  "display_name": "Maya Okafor"}},
    "created_at": "2026-03-02T10:00:00+00:00"})
example(FavoriteIdsPayload, {"practitioner": ["0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70"],
                             "service": ["6f1c2a4e-8b7d-4e5f-9a0b-1c2d3e4f5a6b"], "stream": []})
