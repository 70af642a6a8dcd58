"""The shapes of review and stream answers on the read API (see :mod:`api_conventions.payloads`)."""

from __future__ import annotations

from typing import Literal, TypedDict

from api_conventions.payloads import DateTime, Money, Uuid


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
