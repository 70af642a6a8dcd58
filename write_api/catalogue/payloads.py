"""The shapes of the catalogue's answers on the write API (see :mod:`api_conventions.payloads`)."""

from __future__ import annotations

from typing import Literal, TypedDict

from api_conventions.payloads import DateTime, Money, Uuid
from write_api.catalogue.models import Service, ServiceSession

ServiceType = Literal[tuple(Service.Type.values)]  # type: ignore[valid-type]
ServiceFormat = Literal[tuple(Service.Format.values)]  # type: ignore[valid-type]
ServiceStatus = Literal[tuple(Service.Status.values)]  # type: ignore[valid-type]


class ServiceChild(TypedDict):
    """A service contained in a package or bundle, and how many sessions of it."""

    service_id: Uuid
    quantity: int


class ServicePayload(TypedDict):
    """A service as its practitioner manages it (every status)."""

    id: Uuid
    practitioner_id: Uuid
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
    category: str | None
    modalities: list[str]
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
    status: Literal[tuple(ServiceSession.Status.values)]  # type: ignore[valid-type]
