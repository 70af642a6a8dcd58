"""The shapes of the catalogue's answers on the write API (see :mod:`api_conventions.payloads`)."""

from __future__ import annotations

from typing import TypedDict

from api_conventions.payloads import DateTime, Uuid, example
from api_conventions.shared_payloads import ServiceFields, ServiceType
from kernel.vocabulary import SessionStatus

__all__ = ["ServiceChild", "ServicePayload", "ServiceType", "SessionPayload"]


class ServiceChild(TypedDict):
    """A service contained in a package or bundle, and how many sessions of it."""

    service_id: Uuid
    quantity: int


class ServicePayload(ServiceFields):
    """A service as its practitioner manages it (every status)."""

    practitioner_id: Uuid
    children: list[ServiceChild]
    created_at: DateTime
    updated_at: DateTime


class SessionPayload(TypedDict):
    """A scheduled occurrence of a workshop or course, with its seats."""

    id: Uuid
    service_id: Uuid
    start_at: DateTime
    end_at: DateTime
    capacity: int
    seats_taken: int
    seats_left: int
    status: SessionStatus


example(ServicePayload, {
    "id": "6f1c2a4e-8b7d-4e5f-9a0b-1c2d3e4f5a6b", "practitioner_id": "0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70",
    "title": "Vinyasa flow for beginners", "description": "An hour of breath-led movement.",
    "service_type": "session", "format": "in_person", "status": "active", "price_cents": 4500, "price": "45.00",
    "duration_minutes": 60, "step_minutes": 15, "capacity": 1, "validity_days": 180,
    "category": {"slug": "movement", "name": "Movement & fitness"},
    "modalities": ["yoga"], "children": [], "created_at": "2026-03-02T09:00:00+00:00",
    "updated_at": "2026-03-02T09:00:00+00:00"})
example(SessionPayload, {
    "id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "service_id": "6f1c2a4e-8b7d-4e5f-9a0b-1c2d3e4f5a6b",
    "start_at": "2026-03-14T10:00:00+00:00", "end_at": "2026-03-14T12:00:00+00:00", "capacity": 12,
    "seats_taken": 3, "seats_left": 9, "status": "scheduled"})
