"""Typed, versioned domain events: the contract between commands and projections.

Each event type is a frozen dataclass registered under a stable ``type`` string and ``version``.
Commands build them; the event log stores ``payload`` as JSON; projections receive
:class:`RecordedEvent` objects carrying the payload back as a plain dict. ``docs/events.md`` lists
every type, and a test keeps that file and this registry in step.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

_REGISTRY: dict[str, type[DomainEvent]] = {}


@dataclass(frozen=True)
class DomainEvent:
    """Base of every event payload. Subclasses declare ``event_type``, ``version``, ``aggregate_type``."""

    event_type: ClassVar[str]
    version: ClassVar[int] = 1
    aggregate_type: ClassVar[str]

    def aggregate_id(self) -> UUID:
        raise NotImplementedError

    def payload(self) -> dict[str, Any]:
        return {k: _jsonable(v) for k, v in dataclasses.asdict(self).items()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def event(cls: type[DomainEvent]) -> type[DomainEvent]:
    """Class decorator registering an event type; duplicate type names are refused."""
    if cls.event_type in _REGISTRY:
        raise ValueError(f"event type {cls.event_type!r} registered twice")
    _REGISTRY[cls.event_type] = cls
    return cls


def registered_events() -> dict[str, type[DomainEvent]]:
    return dict(_REGISTRY)


@dataclass(frozen=True)
class RecordedEvent:
    """An event as read back from the log, in position order."""

    position: int
    event_id: UUID
    type: str
    version: int
    aggregate_type: str
    aggregate_id: UUID
    payload: dict[str, Any]
    actor_id: UUID | None
    request_id: str | None
    recorded_at: datetime


# --- Identity and practitioners -------------------------------------------------------------


@event
@dataclass(frozen=True)
class UserRegistered(DomainEvent):
    event_type: ClassVar[str] = "user.registered"
    aggregate_type: ClassVar[str] = "user"
    user_id: UUID
    email: str
    first_name: str
    last_name: str

    def aggregate_id(self) -> UUID:
        return self.user_id


@event
@dataclass(frozen=True)
class PractitionerRegistered(DomainEvent):
    """A user became a practitioner. Payload is the full profile (event-carried state)."""

    event_type: ClassVar[str] = "practitioner.registered"
    aggregate_type: ClassVar[str] = "practitioner"
    practitioner_id: UUID
    user_id: UUID
    display_name: str
    title: str
    bio: str
    timezone: str
    is_active: bool
    online_only: bool = True
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    modalities: tuple[str, ...] = ()
    buffer_minutes: int = 15
    min_notice_minutes: int = 1440
    max_advance_days: int = 60

    def aggregate_id(self) -> UUID:
        return self.practitioner_id


@event
@dataclass(frozen=True)
class PractitionerUpdated(DomainEvent):
    """The profile changed. Payload is the full profile after the change."""

    event_type: ClassVar[str] = "practitioner.updated"
    aggregate_type: ClassVar[str] = "practitioner"
    practitioner_id: UUID
    user_id: UUID
    display_name: str
    title: str
    bio: str
    timezone: str
    is_active: bool
    online_only: bool = True
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    modalities: tuple[str, ...] = ()
    buffer_minutes: int = 15
    min_notice_minutes: int = 1440
    max_advance_days: int = 60

    def aggregate_id(self) -> UUID:
        return self.practitioner_id


# --- Schedule (availability inputs) -------------------------------------------------------------


@event
@dataclass(frozen=True)
class ScheduleUpdated(DomainEvent):
    """Weekly windows replaced. ``windows``: [{weekday, start_minute, end_minute}] in ``timezone``."""

    event_type: ClassVar[str] = "schedule.updated"
    aggregate_type: ClassVar[str] = "practitioner"
    practitioner_id: UUID
    timezone: str
    windows: tuple[dict[str, int], ...]

    def aggregate_id(self) -> UUID:
        return self.practitioner_id


@event
@dataclass(frozen=True)
class ScheduleOverrideSet(DomainEvent):
    """One local date's windows replaced (``windows`` empty: day off); ``windows`` None removes the override."""

    event_type: ClassVar[str] = "schedule.override_set"
    aggregate_type: ClassVar[str] = "practitioner"
    practitioner_id: UUID
    date: str
    windows: tuple[tuple[int, int], ...] | None

    def aggregate_id(self) -> UUID:
        return self.practitioner_id


@event
@dataclass(frozen=True)
class ScheduleBlockAdded(DomainEvent):
    event_type: ClassVar[str] = "schedule.block_added"
    aggregate_type: ClassVar[str] = "practitioner"
    block_id: UUID
    practitioner_id: UUID
    start_at: datetime
    end_at: datetime
    reason: str

    def aggregate_id(self) -> UUID:
        return self.practitioner_id


@event
@dataclass(frozen=True)
class ScheduleBlockRemoved(DomainEvent):
    event_type: ClassVar[str] = "schedule.block_removed"
    aggregate_type: ClassVar[str] = "practitioner"
    block_id: UUID
    practitioner_id: UUID

    def aggregate_id(self) -> UUID:
        return self.practitioner_id


# --- Catalogue --------------------------------------------------------------------------------


@event
@dataclass(frozen=True)
class ServiceCreated(DomainEvent):
    """A service was created. Payload is the full service (event-carried state)."""

    event_type: ClassVar[str] = "service.created"
    aggregate_type: ClassVar[str] = "service"
    service_id: UUID
    practitioner_id: UUID
    title: str
    description: str
    service_type: str
    format: str
    status: str
    price_cents: int
    duration_minutes: int
    created_at: datetime
    category: str | None = None
    category_name: str | None = None
    modalities: tuple[str, ...] = ()
    step_minutes: int = 15
    capacity: int = 1
    validity_days: int = 180
    children: tuple[dict[str, Any], ...] = ()

    def aggregate_id(self) -> UUID:
        return self.service_id


@event
@dataclass(frozen=True)
class ServiceUpdated(DomainEvent):
    """A service changed (including status changes such as archive). Payload is the full service."""

    event_type: ClassVar[str] = "service.updated"
    aggregate_type: ClassVar[str] = "service"
    service_id: UUID
    practitioner_id: UUID
    title: str
    description: str
    service_type: str
    format: str
    status: str
    price_cents: int
    duration_minutes: int
    created_at: datetime
    category: str | None = None
    category_name: str | None = None
    modalities: tuple[str, ...] = ()
    step_minutes: int = 15
    capacity: int = 1
    validity_days: int = 180
    children: tuple[dict[str, Any], ...] = ()

    def aggregate_id(self) -> UUID:
        return self.service_id


# --- Sessions (occurrences of workshops and courses) ----------------------------------------------


@event
@dataclass(frozen=True)
class ServiceSessionScheduled(DomainEvent):
    """A session was scheduled or changed (full state; ``status`` ``cancelled`` when cancelled)."""

    event_type: ClassVar[str] = "service_session.scheduled"
    aggregate_type: ClassVar[str] = "service"
    session_id: UUID
    service_id: UUID
    practitioner_id: UUID
    start_at: datetime
    end_at: datetime
    capacity: int
    status: str

    def aggregate_id(self) -> UUID:
        return self.service_id


# --- Bookings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _BookingState(DomainEvent):
    """Full state of a booking after the change (event-carried state transfer)."""

    aggregate_type: ClassVar[str] = "booking"
    booking_id: UUID
    client_id: UUID
    practitioner_id: UUID
    service_id: UUID
    service_type: str
    status: str
    start_at: datetime | None
    end_at: datetime | None
    price_cents: int
    session_ids: tuple[str, ...]
    parent_id: UUID | None
    practitioner_timezone: str
    created_at: datetime

    def aggregate_id(self) -> UUID:
        return self.booking_id


@event
@dataclass(frozen=True)
class BookingConfirmed(_BookingState):
    """Paid and confirmed at creation (sessions, workshops, courses, and package/bundle purchases)."""

    event_type: ClassVar[str] = "booking.confirmed"


@event
@dataclass(frozen=True)
class BookingCreatedUnscheduled(_BookingState):
    """A package/bundle child waiting for the client to pick a time, valid until ``valid_until``."""

    event_type: ClassVar[str] = "booking.created_unscheduled"
    valid_until: datetime | None = None


@event
@dataclass(frozen=True)
class BookingScheduled(_BookingState):
    """An unscheduled package/bundle child got its time."""

    event_type: ClassVar[str] = "booking.scheduled"


@event
@dataclass(frozen=True)
class BookingRescheduled(_BookingState):
    event_type: ClassVar[str] = "booking.rescheduled"
    previous_start_at: datetime | None = None
    previous_end_at: datetime | None = None


@event
@dataclass(frozen=True)
class BookingCancelled(_BookingState):
    """``cancelled_by``: client, practitioner or system; ``refund_cents`` credited back (maybe 0)."""

    event_type: ClassVar[str] = "booking.cancelled"
    cancelled_by: str = "client"
    refund_cents: int = 0
    reason: str = ""


@event
@dataclass(frozen=True)
class BookingCompleted(_BookingState):
    """``completed_by``: practitioner or system (the auto-completion job)."""

    event_type: ClassVar[str] = "booking.completed"
    completed_by: str = "practitioner"
