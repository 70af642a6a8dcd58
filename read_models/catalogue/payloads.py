"""The shapes of service detail and time slot answers (see :mod:`api_conventions.payloads`)."""

from __future__ import annotations

from typing import TypedDict

from api_conventions.payloads import DateTime, Money, NotRequired, Uuid
from read_models.search.payloads import CategoryRef


class PractitionerBrief(TypedDict):
    id: Uuid
    display_name: str | None
    title: str | None
    timezone: str | None
    online_only: bool
    address: str | None
    latitude: float | None
    longitude: float | None
    modalities: list[str]


class UpcomingSession(TypedDict):
    id: Uuid
    start_at: DateTime
    end_at: DateTime
    capacity: int
    seats_taken: int
    seats_left: int


class RatingSummary(TypedDict):
    """Published reviews only; ``distribution`` counts reviews per rating ``"1"``…``"5"``."""

    average: float | None
    count: int
    distribution: dict[str, int]


class ContainedService(TypedDict):
    service_id: Uuid
    quantity: int


class Container(TypedDict):
    """An active package or bundle that includes this service, and how many sessions of it."""

    id: Uuid
    title: str
    service_type: str
    price_cents: int
    quantity: int


class ServiceDetail(TypedDict):
    """A service with its practitioner, upcoming sessions, rating summary and the packages containing it."""

    id: Uuid
    title: str
    description: str
    service_type: str
    format: str
    status: str
    price_cents: int
    price: Money
    duration_minutes: int
    step_minutes: int
    capacity: int
    validity_days: int | None
    category: CategoryRef | None
    modalities: list[str]
    children: list[ContainedService]
    practitioner: PractitionerBrief
    upcoming_sessions: list[UpcomingSession]
    reviews: RatingSummary
    included_in: list[Container]
    created_at: DateTime


class ZonedTimes(TypedDict):
    timezone: str
    start: DateTime
    end: DateTime


class TimeSlot(TypedDict):
    """A bookable start: UTC ``start``/``end``, and the same in the asked zone and the practitioner's.

    For workshops and courses, a scheduled session with seats left (its ``id`` and seats as well).
    """

    start: DateTime
    end: DateTime
    local: ZonedTimes
    practitioner_local: ZonedTimes
    id: NotRequired[Uuid]
    start_at: NotRequired[DateTime]
    end_at: NotRequired[DateTime]
    capacity: NotRequired[int]
    seats_taken: NotRequired[int]
    seats_left: NotRequired[int]
