"""The shapes of the reviews' answers on the write API (see :mod:`api_conventions.payloads`)."""

from __future__ import annotations

from typing import TypedDict

from api_conventions.payloads import DateTime, Uuid, example
from api_conventions.shared_payloads import ReviewedService, Reviewer, ReviewReply
from write_api.reviews.models import Review


class ReviewPayload(TypedDict):
    """A review, its practitioner's reply, and until when its author may edit it."""

    id: Uuid
    booking_id: Uuid
    service: ReviewedService
    practitioner_id: Uuid
    reviewer: Reviewer
    rating: int
    comment: str
    status: Review.Status
    reply: ReviewReply | None
    editable_until: DateTime
    created_at: DateTime
    updated_at: DateTime


example(ReviewPayload, {
    "id": "8e9f0a1b-2c3d-4e4f-8a5b-6c7d8e9f0a1b", "booking_id": "2b4d6f80-1a3c-4e5f-8a9b-0c1d2e3f4a5b",
    "service": {"id": "6f1c2a4e-8b7d-4e5f-9a0b-1c2d3e4f5a6b", "title": "Vinyasa flow for beginners"},
    "practitioner_id": "0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70", "reviewer": {"name": "Casey C."}, "rating": 5,
    "comment": "Wonderful session, I left feeling lighter.", "status": "published",
    "reply": {"text": "Thank you so much, see you next time!", "replied_at": "2026-03-12T09:00:00+00:00"},
    "editable_until": "2026-03-12T08:00:00+00:00", "created_at": "2026-03-11T08:00:00+00:00",
    "updated_at": "2026-03-12T09:00:00+00:00"})
