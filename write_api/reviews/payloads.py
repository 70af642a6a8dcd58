"""The shapes of the reviews' answers on the write API (see :mod:`api_conventions.payloads`)."""

from __future__ import annotations

from typing import Literal, TypedDict

from api_conventions.payloads import DateTime, Uuid
from write_api.reviews.models import Review


class ReviewedService(TypedDict):
    id: Uuid
    title: str


class Reviewer(TypedDict):
    name: str


class ReviewReply(TypedDict):
    text: str
    replied_at: DateTime


class ReviewPayload(TypedDict):
    """A review, its practitioner's reply, and until when its author may edit it."""

    id: Uuid
    booking_id: Uuid
    service: ReviewedService
    practitioner_id: Uuid
    reviewer: Reviewer
    rating: int
    comment: str
    status: Literal[tuple(Review.Status.values)]  # type: ignore[valid-type]
    reply: ReviewReply | None
    editable_until: DateTime
    created_at: DateTime
    updated_at: DateTime
