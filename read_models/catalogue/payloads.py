"""The shapes of service detail and time slot answers (see :mod:`api_conventions.payloads`)."""

from __future__ import annotations

from typing import TypedDict

from api_conventions.payloads import DateTime, Money, NotRequired, Uuid, example
from api_conventions.shared_payloads import GeoPoint, ServiceFields


class PractitionerBrief(TypedDict):
    id: Uuid
    display_name: str | None
    title: str | None
    timezone: str | None
    online_only: bool
    address: str | None
    location: GeoPoint | None
    latitude: float | None  # deprecated: location
    longitude: float | None  # deprecated: location
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
    """Deprecated (``included_in``): an active package or bundle that includes this service."""

    id: Uuid
    title: str
    service_type: str
    price_cents: int
    quantity: int


class Offer(TypedDict):
    """A package or bundle containing this service (``packages``/``bundles``), or a service a package or bundle
    contains (``includes``), with ``quantity`` sessions of it."""

    id: Uuid
    title: str
    service_type: str
    price_cents: int
    price: Money
    quantity: int


class ServiceDetail(ServiceFields):
    """A service with its practitioner, upcoming sessions, rating summary, the packages and bundles containing it
    and (for a package or bundle) what it includes. ``reviews``, ``included_in`` and ``children`` are the
    deprecated 1.0 names of ``reviews_summary``, ``packages``/``bundles`` and ``includes``."""

    includes: list[Offer]
    practitioner: PractitionerBrief
    upcoming_sessions: list[UpcomingSession]
    reviews_summary: RatingSummary
    packages: list[Offer]
    bundles: list[Offer]
    created_at: DateTime
    reviews: RatingSummary
    included_in: list[Container]
    children: list[ContainedService]


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


example(ServiceDetail, {
    "id": "6f1c2a4e-8b7d-4e5f-9a0b-1c2d3e4f5a6b", "title": "Weekend yoga retreat workshop",
    "description": "Two hours of practice and rest.", "service_type": "workshop", "format": "in_person",
    "status": "active", "price_cents": 12000, "price": "120.00", "duration_minutes": 120, "step_minutes": 15,
    "capacity": 12, "validity_days": 180, "category": {"slug": "movement", "name": "Movement & fitness"},
    "modalities": ["yoga"], "includes": [],
    "practitioner": {"id": "0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70", "display_name": "Maya Okafor",
                     "title": "Yoga teacher", "timezone": "Europe/London", "online_only": False,
                     "address": "Shoreditch, London", "location": {"lat": 51.5074, "lon": -0.1278},
                     "latitude": 51.5074, "longitude": -0.1278, "modalities": ["breathwork", "yoga"]},
    "upcoming_sessions": [{"id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "start_at": "2026-03-14T10:00:00+00:00",
                           "end_at": "2026-03-14T12:00:00+00:00", "capacity": 12, "seats_taken": 3,
                           "seats_left": 9}],
    "reviews_summary": {"average": 4.6, "count": 12, "distribution": {"1": 0, "2": 0, "3": 1, "4": 3, "5": 8}},
    "packages": [], "bundles": [{"id": "7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b", "title": "Five retreats pass",
                                 "service_type": "bundle", "price_cents": 50000, "price": "500.00", "quantity": 5}],
    "created_at": "2026-01-05T12:00:00+00:00",
    "reviews": {"average": 4.6, "count": 12, "distribution": {"1": 0, "2": 0, "3": 1, "4": 3, "5": 8}},
    "included_in": [{"id": "7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b", "title": "Five retreats pass",
                     "service_type": "bundle", "price_cents": 50000, "quantity": 5}],
    "children": []})
example(TimeSlot, {
    "start": "2026-03-09T09:00:00+00:00", "end": "2026-03-09T10:00:00+00:00",
    "local": {"timezone": "Europe/Berlin", "start": "2026-03-09T10:00:00+01:00", "end": "2026-03-09T11:00:00+01:00"},
    "practitioner_local": {"timezone": "Europe/London", "start": "2026-03-09T09:00:00+00:00",
                           "end": "2026-03-09T10:00:00+00:00"}})
