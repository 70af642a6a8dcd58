"""Shapes both APIs answer with for the same object (see :mod:`api_conventions.payloads`).

A stream, a review's parts, a location and a category look the same whichever API answers, and every
DELETE of a gone object
answers the same; declaring them once here keeps them so (each side's ``payloads.py`` builds on these).
"""

from __future__ import annotations

from typing import Literal, TypedDict

from api_conventions.payloads import DateTime, Money, NotRequired, Uuid, example
from kernel.vocabulary import ServiceFormat, ServiceStatus, ServiceType, StreamAccess, StreamStatus


class GeoPoint(TypedDict):
    lat: float
    lon: float


class CategoryRef(TypedDict):
    slug: str
    name: str | None


class ServiceFields(TypedDict):
    """What a service is, the same on both APIs (each adds its own context to it)."""

    id: Uuid
    title: str
    description: str
    service_type: ServiceType
    format: ServiceFormat
    status: ServiceStatus
    price_cents: int
    price: Money
    duration_minutes: int
    step_minutes: int
    capacity: int
    validity_days: int | None
    category: CategoryRef | None
    modalities: list[str]


class Deleted(TypedDict):
    """What a DELETE answers when its object is gone (``api_conventions.responses.deleted``)."""

    id: Uuid
    deleted: Literal[True]
    type: NotRequired[str]


class StreamAuthor(TypedDict):
    id: Uuid
    display_name: str | None


class StreamPayload(TypedDict):
    """A stream as the caller may see it: ``body`` and ``media_url`` are null while ``locked``;
    ``liked``/``saved`` are null for anonymous callers."""

    id: Uuid
    practitioner: StreamAuthor
    title: str
    description: str
    tags: list[str]
    modalities: list[str]
    access: StreamAccess
    price_cents: int
    price: Money
    status: StreamStatus
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


class ReviewedService(TypedDict):
    id: Uuid
    title: str


class Reviewer(TypedDict):
    name: str


class ReviewReply(TypedDict):
    text: str
    replied_at: DateTime


example(Deleted, {"id": "4d5e6f7a-8b9c-4d0e-8f1a-2b3c4d5e6f7a", "deleted": True})
example(StreamPayload, {
    "id": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
    "practitioner": {"id": "0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70", "display_name": "Maya Okafor"},
    "title": "Deep hip opening sequence", "description": "Forty minutes for tight hips.", "tags": ["yoga"],
    "modalities": ["yoga"], "access": "premium", "price_cents": 400, "price": "4.00", "status": "published",
    "locked": True, "body": None, "media_url": None, "unlocked": False, "like_count": 12, "save_count": 4,
    "liked": False, "saved": True, "created_at": "2026-02-01T08:00:00+00:00",
    "updated_at": "2026-02-01T08:00:00+00:00"})
