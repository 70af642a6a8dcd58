"""Typed, versioned domain events: the contract between commands and projections.

Each event type is a frozen dataclass registered under a stable ``type`` string and ``version``.
Commands build them; the event log stores ``payload`` as JSON; projections receive
:class:`RecordedEvent` objects whose ``event`` is that payload decoded back into its dataclass. ``docs/events.md`` lists
every type, and a test keeps that file and this registry in step.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar, cast
from uuid import UUID

from kernel.vocabulary import (
    DEFAULT_BUFFER_MINUTES,
    DEFAULT_MAX_ADVANCE_DAYS,
    DEFAULT_MIN_NOTICE_MINUTES,
    DEFAULT_STEP_MINUTES,
    Actor,
)

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


def event_class_of(event_type: str) -> type[DomainEvent] | None:
    """The dataclass registered under ``event_type`` (None for a type this code does not know)."""
    return _REGISTRY.get(event_type)


E = TypeVar("E", bound=DomainEvent, covariant=True)


@dataclass(frozen=True)
class RecordedEvent(Generic[E]):
    """An event as read back from the log, in position order.

    ``event`` is the payload decoded once, through the registry, into its dataclass (on first use, so a
    batch that never looks at an event never pays for it); ``payload`` keeps the stored JSON.
    """

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

    @functools.cached_property
    def event(self) -> E:
        return cast(E, decode(self.type, self.payload))


def decode(event_type: str, payload: dict[str, Any]) -> DomainEvent:
    """The registered dataclass of ``event_type`` built from its JSON ``payload``.

    UUIDs, datetimes and tuples come back as such; a field missing from an older payload takes the
    dataclass default (so adding a field with a default keeps old logs decodable). An unknown type, an
    unknown field or a missing field without a default raises ``ValueError``.
    """
    cls = event_class_of(event_type)
    if cls is None:
        raise ValueError(f"unknown event type {event_type!r}")
    hints = _field_types(event_type)
    unknown = sorted(set(payload) - set(hints))
    if unknown:
        raise ValueError(f"{event_type} has no fields {', '.join(unknown)}")
    try:
        return cls(**{name: _from_json(hints[name], value) for name, value in payload.items()})
    except TypeError as exc:  # a required field missing
        raise ValueError(f"{event_type}: {exc}") from exc


@functools.cache
def _field_types(event_type: str) -> dict[str, Any]:
    cls = _REGISTRY[event_type]
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _from_json(annotation: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(annotation)
    if origin is types.UnionType or origin is typing.Union:
        (inner,) = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _from_json(inner, value)
    if annotation is UUID:
        return value if isinstance(value, UUID) else UUID(value)
    if annotation is datetime:
        return value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if annotation is float:
        return float(value)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return annotation(value)
    if origin is tuple:
        args = typing.get_args(annotation)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_from_json(args[0], v) for v in value)
        return tuple(_from_json(a, v) for a, v in zip(args, value, strict=True))
    return value


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


@dataclass(frozen=True)
class _PractitionerProfile(DomainEvent):
    """The full practitioner profile after the change (event-carried state)."""

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
    buffer_minutes: int = DEFAULT_BUFFER_MINUTES
    min_notice_minutes: int = DEFAULT_MIN_NOTICE_MINUTES
    max_advance_days: int = DEFAULT_MAX_ADVANCE_DAYS

    def aggregate_id(self) -> UUID:
        return self.practitioner_id


@event
@dataclass(frozen=True)
class PractitionerRegistered(_PractitionerProfile):
    """A user became a practitioner. Payload is the full profile (event-carried state)."""

    event_type: ClassVar[str] = "practitioner.registered"


@event
@dataclass(frozen=True)
class PractitionerUpdated(_PractitionerProfile):
    """The profile changed. Payload is the full profile after the change."""

    event_type: ClassVar[str] = "practitioner.updated"


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


@dataclass(frozen=True)
class _ServiceState(DomainEvent):
    """The full service after the change (event-carried state); ``status`` ``archived`` when deleted."""

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
    step_minutes: int = DEFAULT_STEP_MINUTES
    capacity: int = 1
    validity_days: int = 180
    children: tuple[dict[str, Any], ...] = ()

    def aggregate_id(self) -> UUID:
        return self.service_id


@event
@dataclass(frozen=True)
class ServiceCreated(_ServiceState):
    """A service was created. Payload is the full service (event-carried state)."""

    event_type: ClassVar[str] = "service.created"


@event
@dataclass(frozen=True)
class ServiceUpdated(_ServiceState):
    """A service changed (including status changes such as archive). Payload is the full service."""

    event_type: ClassVar[str] = "service.updated"


# --- Sessions (occurrences of workshops and courses) ----------------------------------------------


@dataclass(frozen=True)
class _SessionState(DomainEvent):
    """A workshop's or course's session after the change (event-carried state)."""

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


@event
@dataclass(frozen=True)
class ServiceSessionScheduled(_SessionState):
    """A session was scheduled or changed (full state). Logs written before ``service_session.cancelled``
    existed also carry cancellations as this type, with ``status`` ``cancelled``."""

    event_type: ClassVar[str] = "service_session.scheduled"


@event
@dataclass(frozen=True)
class ServiceSessionCancelled(_SessionState):
    """The practitioner cancelled a session (full state, ``status`` ``cancelled``); its seats were cancelled
    or refunded in the same transaction (see the ``booking.cancelled`` and ``credits.refunded`` events)."""

    event_type: ClassVar[str] = "service_session.cancelled"


# --- Bookings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookingState(DomainEvent):
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
class BookingConfirmed(BookingState):
    """Paid and confirmed at creation (sessions, workshops, courses, and package/bundle purchases)."""

    event_type: ClassVar[str] = "booking.confirmed"


@event
@dataclass(frozen=True)
class BookingCreatedUnscheduled(BookingState):
    """A package/bundle child waiting for the client to pick a time, valid until ``valid_until``."""

    event_type: ClassVar[str] = "booking.created_unscheduled"
    valid_until: datetime | None = None


@event
@dataclass(frozen=True)
class BookingScheduled(BookingState):
    """An unscheduled package/bundle child got its time."""

    event_type: ClassVar[str] = "booking.scheduled"


@event
@dataclass(frozen=True)
class BookingRescheduled(BookingState):
    event_type: ClassVar[str] = "booking.rescheduled"
    previous_start_at: datetime | None = None
    previous_end_at: datetime | None = None


@event
@dataclass(frozen=True)
class BookingCancelled(BookingState):
    """``cancelled_by``: client, practitioner or system; ``refund_cents`` credited back (maybe 0)."""

    event_type: ClassVar[str] = "booking.cancelled"
    cancelled_by: Actor = Actor.CLIENT
    refund_cents: int = 0
    reason: str = ""


@event
@dataclass(frozen=True)
class BookingCompleted(BookingState):
    """``completed_by``: practitioner or system (the auto-completion job)."""

    event_type: ClassVar[str] = "booking.completed"
    completed_by: Actor = Actor.PRACTITIONER


# --- Engagement: favourites, reviews, streams ------------------------------------------------------


@dataclass(frozen=True)
class _FavoriteChange(DomainEvent):
    aggregate_type: ClassVar[str] = "user"
    user_id: UUID
    object_type: str
    object_id: UUID

    def aggregate_id(self) -> UUID:
        return self.user_id


@event
@dataclass(frozen=True)
class FavoriteAdded(_FavoriteChange):
    """A user favourited a practitioner, service or stream (``object_type``)."""

    event_type: ClassVar[str] = "favorite.added"


@event
@dataclass(frozen=True)
class FavoriteRemoved(_FavoriteChange):
    event_type: ClassVar[str] = "favorite.removed"


@dataclass(frozen=True)
class ReviewState(DomainEvent):
    """Full state of a review after the change, plus the rating summaries it changed.

    ``service_rating`` / ``practitioner_rating``: ``{"average": float | None, "count": int,
    "distribution": {"1": n, …, "5": n}}`` over the *published* reviews of the service and of the
    practitioner after this change (computed under the practitioner's row lock, so exact).
    """

    aggregate_type: ClassVar[str] = "review"
    review_id: UUID
    booking_id: UUID
    client_id: UUID
    practitioner_id: UUID
    service_id: UUID
    service_title: str
    reviewer_name: str
    rating: int
    comment: str
    status: str
    reply: str
    replied_at: datetime | None
    created_at: datetime
    updated_at: datetime
    service_rating: dict[str, Any]
    practitioner_rating: dict[str, Any]

    def aggregate_id(self) -> UUID:
        return self.review_id


@event
@dataclass(frozen=True)
class ReviewPublished(ReviewState):
    """The client of a completed booking reviewed it."""

    event_type: ClassVar[str] = "review.published"


@event
@dataclass(frozen=True)
class ReviewUpdated(ReviewState):
    """The author edited rating or comment (within 24 hours)."""

    event_type: ClassVar[str] = "review.updated"


@event
@dataclass(frozen=True)
class ReviewDeleted(ReviewState):
    """Deleted by its author (within 24 hours) or by staff; ``status`` is ``deleted``."""

    event_type: ClassVar[str] = "review.deleted"
    deleted_by: str = "author"


@event
@dataclass(frozen=True)
class ReviewReplied(ReviewState):
    """The reviewed practitioner replied (once)."""

    event_type: ClassVar[str] = "review.replied"


@dataclass(frozen=True)
class _StreamState(DomainEvent):
    """Full state of a stream (content item) after the change, premium content included.

    ``access`` is ``free`` or ``premium``; ``price_cents`` is the unlock price in credits (cents);
    ``body`` and ``media_url`` are the premium content the read side hides from callers who have
    not unlocked it; ``status`` is ``published`` or ``archived``.
    """

    aggregate_type: ClassVar[str] = "stream"
    stream_id: UUID
    practitioner_id: UUID
    title: str
    description: str
    body: str
    media_url: str
    tags: tuple[str, ...]
    modalities: tuple[str, ...]
    access: str
    price_cents: int
    status: str
    like_count: int
    save_count: int
    created_at: datetime
    updated_at: datetime

    def aggregate_id(self) -> UUID:
        return self.stream_id


@event
@dataclass(frozen=True)
class StreamPublished(_StreamState):
    event_type: ClassVar[str] = "stream.published"


@event
@dataclass(frozen=True)
class StreamUpdated(_StreamState):
    event_type: ClassVar[str] = "stream.updated"


@event
@dataclass(frozen=True)
class StreamArchived(_StreamState):
    """Deleted by its owner (delete = archive; unlocks stay valid)."""

    event_type: ClassVar[str] = "stream.archived"


@dataclass(frozen=True)
class StreamReaction(DomainEvent):
    """A user's like or save changed; the counts are the stream's after the change."""

    aggregate_type: ClassVar[str] = "stream"
    stream_id: UUID
    practitioner_id: UUID
    user_id: UUID
    like_count: int
    save_count: int

    def aggregate_id(self) -> UUID:
        return self.stream_id


@event
@dataclass(frozen=True)
class StreamLiked(StreamReaction):
    event_type: ClassVar[str] = "stream.liked"


@event
@dataclass(frozen=True)
class StreamUnliked(StreamReaction):
    event_type: ClassVar[str] = "stream.unliked"


@event
@dataclass(frozen=True)
class StreamSaved(StreamReaction):
    event_type: ClassVar[str] = "stream.saved"


@event
@dataclass(frozen=True)
class StreamUnsaved(StreamReaction):
    event_type: ClassVar[str] = "stream.unsaved"


@event
@dataclass(frozen=True)
class StreamUnlocked(DomainEvent):
    """A user unlocked a premium stream; ``method`` ``credits`` or ``card`` (bought credits, then spent)."""

    event_type: ClassVar[str] = "stream.unlocked"
    aggregate_type: ClassVar[str] = "stream"
    unlock_id: UUID
    stream_id: UUID
    practitioner_id: UUID
    user_id: UUID
    title: str
    method: str
    amount_cents: int
    unlocked_at: datetime

    def aggregate_id(self) -> UUID:
        return self.stream_id


# --- Credits ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CreditMovement(DomainEvent):
    """One ledger row: ``amount_cents`` is signed (in > 0, out < 0), ``balance_after_cents`` the user's balance
    after it, ``sequence`` the row's place in the user's ledger (1, 2, 3…); ``reference_type``/``reference_id``
    name what it paid for or came from (``booking``/id, ``payment``/charge id, ``stream``/id), or are empty."""

    aggregate_type: ClassVar[str] = "credit_account"
    transaction_id: UUID
    user_id: UUID
    sequence: int
    amount_cents: int
    balance_after_cents: int
    reference_type: str
    reference_id: str
    created_at: datetime

    def aggregate_id(self) -> UUID:
        return self.user_id


@event
@dataclass(frozen=True)
class CreditsPurchased(_CreditMovement):
    """Credits bought through the payment provider (``reference_type`` ``payment``, ``reference_id`` the charge)."""

    event_type: ClassVar[str] = "credits.purchased"
    provider: str = ""


@event
@dataclass(frozen=True)
class CreditsSpent(_CreditMovement):
    """Credits paid for a booking or an unlock (``amount_cents`` negative)."""

    event_type: ClassVar[str] = "credits.spent"


@event
@dataclass(frozen=True)
class CreditsRefunded(_CreditMovement):
    """Credits given back, e.g. for a cancelled booking (exactly once per refund)."""

    event_type: ClassVar[str] = "credits.refunded"


@event
@dataclass(frozen=True)
class CreditsAdjusted(_CreditMovement):
    """A staff correction (either sign); ``reason`` says why, the event's ``actor_id`` is the staff member."""

    event_type: ClassVar[str] = "credits.adjusted"
    reason: str = ""


# --- Contexts: each event type belongs to the one context that emits it ---------------------------------
# A projection that needs nothing of a context ignores all of it (``ignores = CREDIT_EVENTS | ...``), its
# future event types included; one that handles part of a context names the others it ignores one by one.
# tests/test_projection_decisions.py checks that every registered type is in exactly one context.

ACCOUNT_EVENTS: frozenset[type[DomainEvent]] = frozenset({UserRegistered})
PRACTITIONER_EVENTS: frozenset[type[DomainEvent]] = frozenset({PractitionerRegistered, PractitionerUpdated})
SCHEDULE_EVENTS: frozenset[type[DomainEvent]] = frozenset({
    ScheduleUpdated, ScheduleOverrideSet, ScheduleBlockAdded, ScheduleBlockRemoved})
SERVICE_EVENTS: frozenset[type[DomainEvent]] = frozenset({ServiceCreated, ServiceUpdated})
SESSION_EVENTS: frozenset[type[DomainEvent]] = frozenset({ServiceSessionScheduled, ServiceSessionCancelled})
BOOKING_EVENTS: frozenset[type[DomainEvent]] = frozenset({
    BookingConfirmed, BookingCreatedUnscheduled, BookingScheduled, BookingRescheduled, BookingCancelled,
    BookingCompleted})
FAVORITE_EVENTS: frozenset[type[DomainEvent]] = frozenset({FavoriteAdded, FavoriteRemoved})
REVIEW_EVENTS: frozenset[type[DomainEvent]] = frozenset({ReviewPublished, ReviewUpdated, ReviewDeleted, ReviewReplied})
STREAM_EVENTS: frozenset[type[DomainEvent]] = frozenset({
    StreamPublished, StreamUpdated, StreamArchived, StreamLiked, StreamUnliked, StreamSaved, StreamUnsaved,
    StreamUnlocked})
CREDIT_EVENTS: frozenset[type[DomainEvent]] = frozenset({
    CreditsPurchased, CreditsSpent, CreditsRefunded, CreditsAdjusted})

CONTEXTS: dict[str, frozenset[type[DomainEvent]]] = {
    "accounts": ACCOUNT_EVENTS, "practitioners": PRACTITIONER_EVENTS, "scheduling": SCHEDULE_EVENTS,
    "catalogue": SERVICE_EVENTS, "sessions": SESSION_EVENTS, "bookings": BOOKING_EVENTS,
    "favorites": FAVORITE_EVENTS, "reviews": REVIEW_EVENTS, "streams": STREAM_EVENTS, "credits": CREDIT_EVENTS,
}
