"""The shapes of the streams' answers on the write API (see :mod:`api_conventions.payloads`)."""

from __future__ import annotations

from typing import Literal, TypedDict

from api_conventions.payloads import DateTime, Money, Uuid, example
from write_api.streams.models import Stream


class StreamPractitioner(TypedDict):
    id: Uuid
    display_name: str | None


class StreamPayload(TypedDict):
    """A stream as the caller may see it: ``body`` and ``media_url`` are null while ``locked``."""

    id: Uuid
    practitioner: StreamPractitioner
    title: str
    description: str
    tags: list[str]
    modalities: list[str]
    access: Literal[tuple(Stream.Access.values)]  # type: ignore[valid-type]
    price_cents: int
    price: Money
    status: Literal[tuple(Stream.Status.values)]  # type: ignore[valid-type]
    locked: bool
    body: str | None
    media_url: str | None
    unlocked: bool
    like_count: int
    save_count: int
    liked: bool | None
    saved: bool | None
    created_at: DateTime
    updated_at: DateTime


class LikePayload(TypedDict):
    liked: bool
    like_count: int


class SavePayload(TypedDict):
    saved: bool
    save_count: int


example(StreamPayload, {
    "id": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
    "practitioner": {"id": "0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70", "display_name": "Maya Okafor"},
    "title": "Deep hip opening sequence", "description": "Forty minutes for tight hips.",
    "tags": ["yoga"], "modalities": ["yoga"], "access": "premium", "price_cents": 400, "price": "4.00",
    "status": "published", "locked": False, "body": "Begin seated…", "media_url": "https://media.example.com/hips.mp4",
    "unlocked": True, "like_count": 12, "save_count": 4, "liked": True, "saved": False,
    "created_at": "2026-02-01T08:00:00+00:00", "updated_at": "2026-02-01T08:00:00+00:00"})
example(LikePayload, {"liked": True, "like_count": 13})
example(SavePayload, {"saved": True, "save_count": 5})
