"""The words both sides share, declared once: service types, formats, statuses, actors, rule defaults
and error codes.

The write side's model fields take their choices from these enums, events carry their values, and the
read side, the search index and the warehouse compare against them. Every enum is a ``StrEnum``, so a
member equals (and serialises as) its plain string: ``ServiceType.WORKSHOP == "workshop"``.
"""

from __future__ import annotations

from enum import EnumType, StrEnum


class _VocabularyType(EnumType):
    @property
    def choices(cls) -> list[tuple[str, str]]:
        """Django's ``(value, label)`` pairs, labels derived from member names as ``TextChoices`` does
        (``IN_PERSON`` -> ``In Person``), so model fields and their migrations see the same choices."""
        members: list[StrEnum] = list(cls)
        return [(member.value, member.name.replace("_", " ").title()) for member in members]

    @property
    def values(cls) -> list[str]:
        """Every value, in declaration order (as Django's ``TextChoices.values``)."""
        return [value for value, _ in cls.choices]


class Vocabulary(StrEnum, metaclass=_VocabularyType):
    """A closed set of words; ``ServiceType.choices`` gives Django's ``(value, label)`` pairs."""


class ServiceType(Vocabulary):
    SESSION = "session"
    WORKSHOP = "workshop"
    COURSE = "course"
    PACKAGE = "package"
    BUNDLE = "bundle"


SCHEDULED_TYPES: tuple[ServiceType, ...] = (ServiceType.WORKSHOP, ServiceType.COURSE)
"""Types sold as seats in scheduled group sessions."""

CONTAINER_TYPES: tuple[ServiceType, ...] = (ServiceType.PACKAGE, ServiceType.BUNDLE)
"""Types that contain other services (bought once, booked session by session)."""


class ServiceFormat(Vocabulary):
    ONLINE = "online"
    IN_PERSON = "in_person"
    HYBRID = "hybrid"


class ServiceStatus(Vocabulary):
    DRAFT = "draft"
    ACTIVE = "active"
    INACTIVE = "inactive"
    ARCHIVED = "archived"


class SessionStatus(Vocabulary):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class BookingStatus(Vocabulary):
    UNSCHEDULED = "unscheduled"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class StreamAccess(Vocabulary):
    FREE = "free"
    PREMIUM = "premium"


class StreamStatus(Vocabulary):
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Actor(Vocabulary):
    """Who made a change that has more than one possible author (a cancellation, a completion)."""

    CLIENT = "client"
    PRACTITIONER = "practitioner"
    SYSTEM = "system"


# --- a practitioner's booking rules: the defaults of a new profile ---------------------------------

DEFAULT_BUFFER_MINUTES = 15
"""Free time kept around each booking."""

DEFAULT_MIN_NOTICE_MINUTES = 1440
"""How long before its start a slot can still be booked."""

DEFAULT_MAX_ADVANCE_DAYS = 60
"""How far ahead slots are offered."""

DEFAULT_STEP_MINUTES = 15
"""A service's slot grid step from local midnight."""


class ErrorCode(StrEnum):
    """Every stable ``code`` an error envelope can carry (clients switch on these)."""

    # generic, by HTTP status
    BAD_REQUEST = "bad_request"
    VALIDATION_ERROR = "validation_error"
    MALFORMED_REQUEST = "malformed_request"
    NOT_AUTHENTICATED = "not_authenticated"
    TOKEN_NOT_VALID = "token_not_valid"
    INVALID_CREDENTIALS = "invalid_credentials"
    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_ACCEPTABLE = "not_acceptable"
    CONFLICT = "conflict"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    THROTTLED = "throttled"
    SERVER_ERROR = "server_error"
    SERVICE_UNAVAILABLE = "service_unavailable"
    NOT_READY = "not_ready"
    PROJECTION_LAGGING = "projection_lagging"
    POSITION_BEYOND_HEAD = "position_beyond_head"
    SEARCH_UNAVAILABLE = "search_unavailable"
    ANALYTICS_UNAVAILABLE = "analytics_unavailable"
    # idempotent commands
    IDEMPOTENCY_KEY_IN_PROGRESS = "idempotency_key_in_progress"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    IDEMPOTENCY_RESPONSE_LOST = "idempotency_response_lost"
    # accounts and practitioners
    EMAIL_TAKEN = "email_taken"
    ALREADY_PRACTITIONER = "already_practitioner"
    NOT_A_PRACTITIONER = "not_a_practitioner"
    # catalogue and sessions
    NOT_A_SCHEDULED_SERVICE = "not_a_scheduled_service"
    SERVICE_ARCHIVED = "service_archived"
    SESSION_CANCELLED = "session_cancelled"
    SESSION_HAS_BOOKINGS = "session_has_bookings"
    CAPACITY_BELOW_TAKEN = "capacity_below_taken"
    # bookings
    SLOT_UNAVAILABLE = "slot_unavailable"
    OWN_SERVICE = "own_service"
    ALREADY_BOOKED = "already_booked"
    SESSION_FULL = "session_full"
    SESSION_STARTED = "session_started"
    NO_SESSIONS = "no_sessions"
    NOT_SCHEDULABLE = "not_schedulable"
    PACKAGE_EXPIRED = "package_expired"
    BOOKING_NOT_UNSCHEDULED = "booking_not_unscheduled"
    BOOKING_NOT_RESCHEDULABLE = "booking_not_reschedulable"
    RESCHEDULE_WINDOW_CLOSED = "reschedule_window_closed"
    BOOKING_NOT_CANCELLABLE = "booking_not_cancellable"
    CANCELLATION_WINDOW_CLOSED = "cancellation_window_closed"
    BOOKING_NOT_COMPLETABLE = "booking_not_completable"
    BOOKING_NOT_STARTED = "booking_not_started"
    BOOKING_NOT_COMPLETED = "booking_not_completed"
    # credits and payments
    INSUFFICIENT_CREDITS = "insufficient_credits"
    CREDITS_DEDUPE_CONFLICT = "credits_dedupe_conflict"
    PAYMENT_DECLINED = "payment_declined"
    PAYMENT_PROVIDER_UNAVAILABLE = "payment_provider_unavailable"
    # reviews
    ALREADY_REVIEWED = "already_reviewed"
    ALREADY_REPLIED = "already_replied"
    EDIT_WINDOW_CLOSED = "edit_window_closed"
    # streams
    OWN_STREAM = "own_stream"
    STREAM_ARCHIVED = "stream_archived"
    STREAM_NOT_PREMIUM = "stream_not_premium"
