"""The shapes of review and stream answers on the read API (see :mod:`api_conventions.payloads`); a stream
is :class:`api_conventions.shared_payloads.StreamPayload`, the same on both APIs."""

from __future__ import annotations

from typing import TypedDict

from api_conventions.payloads import DateTime, Uuid, example
from api_conventions.shared_payloads import ReviewedService, Reviewer, ReviewReply
from api_conventions.shared_payloads import StreamPayload as StreamCard


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


example(PublishedReview, {
    "id": "8e9f0a1b-2c3d-4e4f-8a5b-6c7d8e9f0a1b",
    "service": {"id": "6f1c2a4e-8b7d-4e5f-9a0b-1c2d3e4f5a6b", "title": "Vinyasa flow for beginners"},
    "practitioner_id": "0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70", "reviewer": {"name": "Casey C."}, "rating": 5,
    "comment": "Wonderful session, I left feeling lighter.",
    "reply": {"text": "Thank you so much, see you next time!", "replied_at": "2026-03-12T09:00:00+00:00"},
    "created_at": "2026-03-11T08:00:00+00:00", "updated_at": "2026-03-12T09:00:00+00:00"})

__all__ = ["PublishedReview", "StreamCard"]
