"""The shapes of the bookings' answers (see :mod:`api_conventions.payloads`)."""

from __future__ import annotations

from typing import Literal, TypedDict

from api_conventions.payloads import DateTime, Money, Uuid
from kernel import refund_policy
from write_api.bookings.models import Booking
from write_api.catalogue.payloads import ServiceType

BookingStatus = Literal[tuple(Booking.Status.values)]  # type: ignore[valid-type]


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
    refund_reason: Literal[refund_policy.REFUND_REASONS] | None  # type: ignore[valid-type]
    valid_until: DateTime | None
    session_ids: list[Uuid]
    children: list[BookingChild]
    cancelled_at: DateTime | None
    cancelled_by: Literal[tuple(Booking.Actor.values)] | None  # type: ignore[valid-type]
    completed_at: DateTime | None
    created_at: DateTime
