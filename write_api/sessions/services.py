"""Commands of the session lifecycle: ``session_create``, ``session_update``, ``session_cancel``.

Each locks the practitioner's row first (the one lock order, see ``write_api.eventlog.services``)
before checking busy time, so a session and a booking cannot take the same time concurrently.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from api_conventions.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kernel.events import DomainEvent, ServiceSessionCancelled, ServiceSessionScheduled
from kernel.vocabulary import ErrorCode
from write_api.accounts.models import User
from write_api.bookings.conflicts import practitioner_busy_overlaps
from write_api.bookings.models import Seat
from write_api.bookings.services import bookings_release_cancelled_session
from write_api.catalogue.models import Service, ServiceSession
from write_api.catalogue.services import service_for_owner
from write_api.eventlog.command_retry import retrying
from write_api.eventlog.services import event_append
from write_api.practitioners.services import practitioner_lock


def session_state(session: ServiceSession) -> dict[str, Any]:
    return {"session_id": session.id, "service_id": session.service_id,
            "practitioner_id": session.service.practitioner_id, "start_at": session.start_at,
            "end_at": session.end_at, "capacity": session.capacity, "status": session.status}


def _check_session_fits(service: Service, start_at: datetime, end_at: datetime, *, exclude: Any = None) -> None:
    if end_at <= start_at:
        raise ValidationFailed(errors={"end_at": ["Must be after start_at."]})
    if start_at <= timezone.now():
        raise ValidationFailed(errors={"start_at": ["Must be in the future."]})
    if end_at - start_at > timedelta(hours=24):
        raise ValidationFailed(errors={"end_at": ["A session lasts at most 24 hours."]})
    if practitioner_busy_overlaps(service.practitioner, start_at, end_at, exclude_session_id=exclude):
        raise Conflict("The practitioner is busy at that time.", code=ErrorCode.SLOT_UNAVAILABLE)


@retrying
@transaction.atomic(durable=True)
def session_create(*, service_id: Any, actor: User, start_at: datetime, end_at: datetime | None = None,
                   capacity: int | None = None) -> ServiceSession:
    service = service_for_owner(service_id, actor)
    if service.service_type not in Service.SCHEDULED_TYPES:
        raise Conflict("Only workshops and courses have scheduled sessions.", code=ErrorCode.NOT_A_SCHEDULED_SERVICE)
    if service.status == Service.Status.ARCHIVED:
        raise Conflict("An archived service cannot change.", code=ErrorCode.SERVICE_ARCHIVED)
    end_at = end_at or start_at + timedelta(minutes=service.duration_minutes)
    _check_session_fits(service, start_at, end_at)
    session = ServiceSession.objects.create(service=service, start_at=start_at, end_at=end_at,
                                            capacity=capacity or service.capacity)
    event_append([ServiceSessionScheduled(**session_state(session))], actor_id=actor.id)
    return session


@retrying
@transaction.atomic(durable=True)
def session_update(*, service_id: Any, session_id: Any, actor: User, changes: dict[str, Any]) -> ServiceSession:
    service = service_for_owner(service_id, actor)
    session = ServiceSession.objects.select_for_update().filter(id=session_id, service=service).first()
    if session is None:
        raise NotFound("Session not found.")
    if session.status == ServiceSession.Status.CANCELLED:
        raise Conflict("A cancelled session cannot change.", code=ErrorCode.SESSION_CANCELLED)
    taken = Seat.objects.filter(session=session, active=True).count()
    if "capacity" in changes and changes["capacity"] < taken:
        raise Conflict(f"{taken} seats are already taken.", code=ErrorCode.CAPACITY_BELOW_TAKEN)
    start_at = changes.get("start_at", session.start_at)
    end_at = changes.get("end_at", start_at + (session.end_at - session.start_at))
    if (start_at, end_at) != (session.start_at, session.end_at):
        if taken:
            raise Conflict("Sessions with booked seats cannot move; cancel instead.",
                           code=ErrorCode.SESSION_HAS_BOOKINGS)
        _check_session_fits(service, start_at, end_at, exclude=session.id)
    session.start_at, session.end_at = start_at, end_at
    session.capacity = changes.get("capacity", session.capacity)
    session.save()
    event_append([ServiceSessionScheduled(**session_state(session))], actor_id=actor.id)
    return session


@retrying
@transaction.atomic(durable=True)
def session_cancel(*, service_id: Any, session_id: Any, actor: User) -> ServiceSession:
    """A practitioner cancels a group session: workshop seats are cancelled and refunded in full;
    course enrolments keep going and get that session's share back."""
    practitioner_id = Service.objects.filter(id=service_id).values_list("practitioner_id", flat=True).first()
    if practitioner_id is None:
        raise NotFound("Session not found.")
    practitioner_lock(practitioner_id)  # first, as every command (write_api.eventlog.services)
    session = (ServiceSession.objects.select_for_update(of=("self",)).select_related("service__practitioner")
               .filter(id=session_id, service_id=service_id).first())
    if session is None:
        raise NotFound("Session not found.")
    if session.service.practitioner.user_id != actor.id and not actor.is_staff:
        raise PermissionDenied("Only the owning practitioner can cancel this session.")
    if session.status == ServiceSession.Status.CANCELLED:
        return session
    now = timezone.now()
    events: list[DomainEvent] = []
    session.status = ServiceSession.Status.CANCELLED
    session.save(update_fields=["status"])
    bookings_release_cancelled_session(session=session, now=now, events=events)
    events.append(ServiceSessionCancelled(**session_state(session)))
    event_append(events, actor_id=actor.id)
    return session
