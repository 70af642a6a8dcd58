"""The shapes of the bookings' answers (see :mod:`api_conventions.payloads`)."""

from __future__ import annotations

from typing import TypedDict

from api_conventions.payloads import DateTime, Money, Uuid, example
from kernel import refund_policy
from kernel.vocabulary import Actor, BookingStatus, ServiceType


class BookingService(TypedDict):
    id: Uuid
    title: str
    service_type: ServiceType


class BookingPractitioner(TypedDict):
    id: Uuid
    display_name: str
    timezone: str


class BookingChild(TypedDict):
    """One session of a package or bundle purchase (``unscheduled`` until the client schedules it)."""

    id: Uuid
    service_id: Uuid
    status: BookingStatus
    start_at: DateTime | None


class BookingPayload(TypedDict):
    """A booking as its client and its practitioner see it."""

    id: Uuid
    status: BookingStatus
    service: BookingService
    practitioner: BookingPractitioner
    client_id: Uuid
    client_name: str
    parent_id: Uuid | None
    start_at: DateTime | None
    end_at: DateTime | None
    price_cents: int
    price: Money
    charged_cents: int
    refund_cents: int
    refund_reason: refund_policy.RefundReason | None
    valid_until: DateTime | None
    session_ids: list[Uuid]
    children: list[BookingChild]
    cancelled_at: DateTime | None
    cancelled_by: Actor | None
    completed_at: DateTime | None
    created_at: DateTime


example(BookingPayload, {
    "id": "2b4d6f80-1a3c-4e5f-8a9b-0c1d2e3f4a5b", "status": "cancelled",
    "service": {"id": "6f1c2a4e-8b7d-4e5f-9a0b-1c2d3e4f5a6b", "title": "Vinyasa flow for beginners",
                "service_type": "session"},
    "practitioner": {"id": "0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70", "display_name": "Maya Okafor",
                     "timezone": "Europe/London"},
    "client_id": "5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f", "client_name": "Casey Client", "parent_id": None,
    "start_at": "2026-03-10T10:00:00+00:00", "end_at": "2026-03-10T11:00:00+00:00", "price_cents": 4500,
    "price": "45.00", "charged_cents": 4500, "refund_cents": 0, "refund_reason": "outside_cancellation_window",
    "valid_until": None, "session_ids": [], "children": [], "cancelled_at": "2026-03-10T06:00:00+00:00",
    "cancelled_by": "client", "completed_at": None, "created_at": "2026-03-02T09:30:00+00:00"})
