"""The shapes of the streams' answers on the write API (see :mod:`api_conventions.payloads`)."""

from __future__ import annotations

from typing import Literal, TypedDict

from api_conventions.payloads import DateTime, Money, Uuid
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
