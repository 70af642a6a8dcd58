"""The shapes of review and stream answers on the read API (see :mod:`api_conventions.payloads`)."""

from __future__ import annotations

from typing import Literal, TypedDict

from api_conventions.payloads import DateTime, Money, Uuid, example


class ReviewedService(TypedDict):
    id: Uuid
    title: str


class Reviewer(TypedDict):
    name: str


class ReviewReply(TypedDict):
    text: str
    replied_at: DateTime


class PublishedReview(TypedDict):
    """A published review and its practitioner's reply."""

    id: Uuid
    service: ReviewedService
    practitioner_id: Uuid
    reviewer: Reviewer
    rating: int
    comment: str
    reply: ReviewReply | None
    created_at: DateTime
    updated_at: DateTime


class StreamAuthor(TypedDict):
    id: Uuid
    display_name: str | None


class StreamCard(TypedDict):
    """A stream as the caller may see it: ``body`` and ``media_url`` are null while ``locked``;
    ``liked``/``saved`` are null for anonymous callers."""

    id: Uuid
    practitioner: StreamAuthor
    title: str
    description: str
    tags: list[str]
    modalities: list[str]
    access: Literal["free", "premium"]
    price_cents: int
    price: Money
    status: Literal["published", "archived"]
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


example(PublishedReview, {
    "id": "8e9f0a1b-2c3d-4e4f-8a5b-6c7d8e9f0a1b",
    "service": {"id": "6f1c2a4e-8b7d-4e5f-9a0b-1c2d3e4f5a6b", "title": "Vinyasa flow for beginners"},
    "practitioner_id": "0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70", "reviewer": {"name": "Casey C."}, "rating": 5,
    "comment": "Wonderful session, I left feeling lighter.",
    "reply": {"text": "Thank you so much, see you next time!", "replied_at": "2026-03-12T09:00:00+00:00"},
    "created_at": "2026-03-11T08:00:00+00:00", "updated_at": "2026-03-12T09:00:00+00:00"})
example(StreamCard, {
    "id": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
    "practitioner": {"id": "0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70", "display_name": "Maya Okafor"},
    "title": "Deep hip opening sequence", "description": "Forty minutes for tight hips.", "tags": ["yoga"],
    "modalities": ["yoga"], "access": "premium", "price_cents": 400, "price": "4.00", "status": "published",
    "locked": True, "body": None, "media_url": None, "unlocked": False, "like_count": 12, "save_count": 4,
    "liked": False, "saved": True, "created_at": "2026-02-01T08:00:00+00:00",
    "updated_at": "2026-02-01T08:00:00+00:00"})
