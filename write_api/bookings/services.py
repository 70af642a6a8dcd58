"""Commands of the booking context: book, schedule, reschedule, cancel, complete.

Concurrency: every command locks the practitioner's row (``SELECT … FOR UPDATE``) first — before its
booking, sessions or credit account, the one lock order of ``write_api.eventlog.services`` — and
before checking availability, so overlapping requests for one
practitioner are serialised in the database and the second sees the first's booking. Group
sessions lock their session rows (in id order) before counting seats. Money moves through the
credit ledger inside the same transaction, so a failed booking never charges and a refund is
recorded exactly once (dedupe key per booking and seat).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from api_conventions.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kernel import refund_policy
from kernel.events import (
    BookingCancelled,
    BookingCompleted,
    BookingConfirmed,
    BookingCreatedUnscheduled,
    BookingRescheduled,
    BookingScheduled,
    ServiceSessionScheduled,
)
from write_api.accounts.models import User
from write_api.bookings.availability_inputs import assert_bookable
from write_api.bookings.models import Booking, Seat
from write_api.catalogue.models import Service, ServiceSession
from write_api.catalogue.services import session_state
from write_api.credits.services import credits_refund, credits_spend
from write_api.eventlog.command_retry import retrying
from write_api.eventlog.services import event_append
from write_api.practitioners.services import practitioner_lock


def booking_state(b: Booking) -> dict[str, Any]:
    return {"booking_id": b.id, "client_id": b.client_id, "practitioner_id": b.practitioner_id,
            "service_id": b.service_id, "service_type": b.service.service_type, "status": b.status,
            "start_at": b.start_at, "end_at": b.end_at, "price_cents": b.price_cents,
            "session_ids": tuple(str(s.session_id) for s in b.seats.order_by("session__start_at")),
            "parent_id": b.parent_id, "practitioner_timezone": b.practitioner.timezone,
            "created_at": b.created_at}


def _reference(booking: Booking) -> dict[str, str]:
    return {"type": "booking", "id": str(booking.id)}


def _bookable_service(service_id: Any, client: User) -> Service:
    service = Service.objects.select_related("practitioner").filter(id=service_id).first()
    if service is None:
        raise NotFound("Service not found.")
    if service.status != Service.Status.ACTIVE or not service.practitioner.is_active:
        raise Conflict("This service is not available for booking.", code="service_unavailable")
    if service.practitioner.user_id == client.id:
        raise Conflict("You cannot book your own service.", code="own_service")
    return service


def _charge(client: User, booking: Booking, amount_cents: int, events: list[Any]) -> None:
    if amount_cents > 0:
        credits_spend(user=client, amount_cents=amount_cents, reference=_reference(booking),
                      dedupe_key=f"booking-charge:{booking.id}", events=events)
        booking.charged_cents = amount_cents
        booking.save(update_fields=["charged_cents"])


@retrying
@transaction.atomic(durable=True)
def booking_create(*, client: User, service_id: Any, start_at: datetime | None = None,
                   session_id: Any = None) -> Booking:
    service = _bookable_service(service_id, client)
    now = timezone.now()
    if service.service_type == Service.Type.SESSION:
        if start_at is None:
            raise ValidationFailed(errors={"start_at": ["Required to book a 1:1 session."]})
        return _book_session(client, service, start_at, now)
    if service.service_type == Service.Type.WORKSHOP:
        if session_id is None:
            raise ValidationFailed(errors={"session_id": ["Required to book a workshop."]})
        return _book_group(client, service, [session_id], now)
    if service.service_type == Service.Type.COURSE:
        ids = list(ServiceSession.objects.filter(service=service, status=ServiceSession.Status.SCHEDULED)
                   .values_list("id", flat=True))
        if not ids:
            raise Conflict("This course has no scheduled sessions yet.", code="no_sessions")
        return _book_group(client, service, ids, now)
    return _book_container(client, service, now)


def _book_session(client: User, service: Service, start_at: datetime, now: datetime) -> Booking:
    practitioner = practitioner_lock(service.practitioner_id)
    end_at = start_at + timedelta(minutes=service.duration_minutes)
    assert_bookable(practitioner, service, start_at, now=now)
    booking = Booking.objects.create(client=client, practitioner=practitioner, service=service,
                                     status=Booking.Status.CONFIRMED, start_at=start_at, end_at=end_at,
                                     price_cents=service.price_cents)
    events: list[Any] = []
    _charge(client, booking, service.price_cents, events)
    event_append([*events, BookingConfirmed(**booking_state(booking))], actor_id=client.id)
    return booking


def _book_group(client: User, service: Service, session_ids: list[Any], now: datetime) -> Booking:
    practitioner_lock(service.practitioner_id)
    sessions = list(ServiceSession.objects.select_for_update().filter(id__in=session_ids, service=service)
                    .order_by("id"))
    if len(sessions) != len(set(map(str, session_ids))):
        raise NotFound("Session not found for this service.")
    sessions.sort(key=lambda s: s.start_at)
    for session in sessions:
        if session.status != ServiceSession.Status.SCHEDULED:
            raise Conflict("This session was cancelled.", code="session_cancelled")
    if sessions[0].start_at <= now:
        raise Conflict("Booking closed: it has already started.", code="session_started")
    for session in sessions:
        if Seat.objects.filter(session=session, client=client, active=True).exists():
            raise Conflict("You already hold a seat in this session.", code="already_booked")
        if Seat.objects.filter(session=session, active=True).count() >= session.capacity:
            raise Conflict("This session is full.", code="session_full")
    booking = Booking.objects.create(client=client, practitioner_id=service.practitioner_id, service=service,
                                     status=Booking.Status.CONFIRMED, start_at=sessions[0].start_at,
                                     end_at=sessions[-1].end_at, price_cents=service.price_cents)
    try:
        with transaction.atomic():
            Seat.objects.bulk_create([Seat(booking=booking, session=s, client=client) for s in sessions])
    except IntegrityError:
        raise Conflict("You already hold a seat in this session.", code="already_booked")
    events: list[Any] = []
    _charge(client, booking, service.price_cents, events)
    event_append([*events, BookingConfirmed(**booking_state(booking))], actor_id=client.id)
    return booking


def _shares(total_cents: int, weights: list[int]) -> list[int]:
    """Split ``total_cents`` in proportion to ``weights`` (largest remainder, exact to the cent)."""
    if not weights:
        return []
    if sum(weights) == 0:
        return refund_policy.split_evenly(total_cents, len(weights))
    raw = [total_cents * w / sum(weights) for w in weights]
    shares = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - shares[i], reverse=True)[:total_cents - sum(shares)]:
        shares[i] += 1
    return shares


def _book_container(client: User, service: Service, now: datetime) -> Booking:
    practitioner_lock(service.practitioner_id)
    children = list(service.children.select_related("child").order_by("child_id"))
    if not children:
        raise Conflict("This package has no contents.", code="service_unavailable")
    valid_until = now + timedelta(days=service.validity_days)
    parent = Booking.objects.create(client=client, practitioner_id=service.practitioner_id, service=service,
                                    status=Booking.Status.CONFIRMED, price_cents=service.price_cents,
                                    valid_until=valid_until)
    units = [c.child for c in children for _ in range(c.quantity)]
    shares = _shares(service.price_cents, [u.price_cents for u in units])
    kids = Booking.objects.bulk_create(
        [Booking(client=client, practitioner_id=service.practitioner_id, service=unit, parent=parent,
                 status=Booking.Status.UNSCHEDULED, price_cents=share, valid_until=valid_until)
         for unit, share in zip(units, shares, strict=True)])
    events: list[Any] = []
    _charge(client, parent, service.price_cents, events)
    events.append(BookingConfirmed(**booking_state(parent)))
    for kid in kids:
        kid.refresh_from_db()
        events.append(BookingCreatedUnscheduled(**booking_state(kid), valid_until=valid_until))
    event_append(events, actor_id=client.id)
    return parent


def _locked_booking(booking_id: Any) -> Booking:
    """The booking, locked after its practitioner (the one lock order, see ``write_api.eventlog.services``)."""
    practitioner_id = Booking.objects.filter(id=booking_id).values_list("practitioner_id", flat=True).first()
    if practitioner_id is None:
        raise NotFound("Booking not found.")
    practitioner_lock(practitioner_id)
    return (Booking.objects.select_for_update(of=("self",)).select_related("service", "practitioner")
            .get(id=booking_id))


def _role(booking: Booking, actor: User) -> str:
    if actor.id == booking.client_id:
        return refund_policy.CLIENT
    if actor.id == booking.practitioner.user_id:
        return refund_policy.PRACTITIONER
    if actor.is_staff:
        return refund_policy.SYSTEM
    raise NotFound("Booking not found.")


@retrying
@transaction.atomic(durable=True)
def booking_schedule(*, booking_id: Any, actor: User, start_at: datetime) -> Booking:
    booking = _locked_booking(booking_id)
    if _role(booking, actor) != refund_policy.CLIENT:
        raise PermissionDenied("Only the client schedules their package sessions.")
    if booking.status != Booking.Status.UNSCHEDULED:
        raise Conflict("Only unscheduled package sessions can be scheduled.", code="booking_not_unscheduled")
    now = timezone.now()
    if booking.valid_until and start_at >= booking.valid_until:
        raise Conflict("The package expires before that time.", code="package_expired")
    practitioner = practitioner_lock(booking.practitioner_id)
    assert_bookable(practitioner, booking.service, start_at, now=now)
    booking.start_at, booking.end_at = start_at, start_at + timedelta(minutes=booking.service.duration_minutes)
    booking.status = Booking.Status.CONFIRMED
    booking.save()
    event_append([BookingScheduled(**booking_state(booking))], actor_id=actor.id)
    return booking


@retrying
@transaction.atomic(durable=True)
def booking_reschedule(*, booking_id: Any, actor: User, start_at: datetime) -> Booking:
    booking = _locked_booking(booking_id)
    role = _role(booking, actor)
    if booking.status != Booking.Status.CONFIRMED or booking.service.service_type != Service.Type.SESSION:
        raise Conflict("Only confirmed 1:1 sessions can be rescheduled.", code="booking_not_reschedulable")
    now = timezone.now()
    if not refund_policy.may_reschedule(start_at=booking.start_at, actor=role, now=now):
        raise Conflict("Too late to reschedule: less than 24 hours before the start.",
                       code="reschedule_window_closed")
    if booking.valid_until and start_at >= booking.valid_until:
        raise Conflict("The package expires before that time.", code="package_expired")
    practitioner = practitioner_lock(booking.practitioner_id)
    assert_bookable(practitioner, booking.service, start_at, now=now, exclude_booking_id=booking.id)
    previous = (booking.start_at, booking.end_at)
    booking.start_at, booking.end_at = start_at, start_at + (booking.end_at - booking.start_at)
    booking.save()
    event_append([BookingRescheduled(**booking_state(booking), previous_start_at=previous[0],
                                     previous_end_at=previous[1])], actor_id=actor.id)
    return booking


def _decide_refund(booking: Booking, role: str, now: datetime) -> refund_policy.RefundDecision:
    if booking.service.service_type == Service.Type.COURSE:
        # Sessions cancelled by the practitioner were refunded already (their seats are inactive).
        starts = [s.session.start_at for s in booking.seats.filter(active=True).select_related("session")]
        return refund_policy.course_refund(value_cents=booking.price_cents - booking.refund_cents,
                                           session_starts=starts,
                                           cancelled_by=role, now=now)
    return refund_policy.single_refund(value_cents=booking.price_cents, start_at=booking.start_at,
                                       cancelled_by=role, now=now)


def _cancel_one(booking: Booking, role: str, reason: str, now: datetime, events: list[Any]) -> None:
    decision = _decide_refund(booking, role, now)
    if not decision.allowed:
        raise Conflict(decision.reason, code="cancellation_window_closed")
    booking.status = Booking.Status.CANCELLED
    booking.cancelled_at, booking.cancelled_by = now, role
    booking.cancellation_reason = reason
    booking.refund_cents += decision.refund_cents
    booking.refund_reason = decision.refund_reason
    booking.save()
    Seat.objects.filter(booking=booking, active=True).update(active=False)
    if decision.refund_cents:
        credits_refund(user=booking.client, amount_cents=decision.refund_cents, reference=_reference(booking),
                       dedupe_key=f"booking-refund:{booking.id}", events=events)
    events.append(BookingCancelled(**booking_state(booking), cancelled_by=role, refund_cents=decision.refund_cents,
                                   reason=reason))


@retrying
@transaction.atomic(durable=True)
def booking_cancel(*, booking_id: Any, actor: User, reason: str = "") -> Booking:
    booking = _locked_booking(booking_id)
    role = _role(booking, actor)
    if booking.status not in Booking.ACTIVE:
        raise Conflict(f"A {booking.status} booking cannot be cancelled.", code="booking_not_cancellable")
    now = timezone.now()
    events = []
    if booking.service.service_type in Service.CONTAINER_TYPES:
        # Cancelling a package cancels every session of it still open, each by its own rule.
        for child in (Booking.objects.select_for_update().select_related("service", "practitioner")
                      .filter(parent=booking, status__in=Booking.ACTIVE).order_by("id")):
            decision = _decide_refund(child, role, now)
            if decision.allowed:
                _cancel_one(child, role, reason, now, events)
        booking.status = Booking.Status.CANCELLED
        booking.cancelled_at, booking.cancelled_by, booking.cancellation_reason = now, role, reason
        booking.refund_reason = refund_policy.PER_SESSION
        booking.save()
        events.append(BookingCancelled(**booking_state(booking), cancelled_by=role, refund_cents=0, reason=reason))
    else:
        _cancel_one(booking, role, reason, now, events)
    event_append(events, actor_id=actor.id)
    return booking


@retrying
@transaction.atomic(durable=True)
def booking_complete(*, booking_id: Any, actor: User | None, now: datetime | None = None) -> Booking:
    """Complete by the practitioner (once the session started) or by the system (``actor`` None)."""
    booking = _locked_booking(booking_id)
    now = now or timezone.now()
    if actor is not None and _role(booking, actor) == refund_policy.CLIENT:
        raise PermissionDenied("Only the practitioner completes a booking.")
    if booking.status != Booking.Status.CONFIRMED or booking.start_at is None:
        raise Conflict(f"A {booking.status} booking cannot be completed.", code="booking_not_completable")
    if booking.service.service_type in Service.CONTAINER_TYPES:
        raise Conflict("A package completes through its sessions.", code="booking_not_completable")
    if booking.start_at > now:
        raise Conflict("The session has not started yet.", code="booking_not_started")
    booking.status = Booking.Status.COMPLETED
    booking.completed_at = now
    booking.completed_by = Booking.Actor.SYSTEM if actor is None else Booking.Actor.PRACTITIONER
    booking.save()
    event_append([BookingCompleted(**booking_state(booking), completed_by=booking.completed_by)],
                 actor_id=actor.id if actor else None)
    return booking


def bookings_autocomplete(*, now: datetime | None = None, limit: int = 500) -> int:
    """Beat job: complete confirmed bookings whose end passed. Safe to run twice (each checks the status)."""
    now = now or timezone.now()
    due = list(Booking.objects.filter(status=Booking.Status.CONFIRMED, end_at__lte=now, start_at__isnull=False)
               .exclude(service__service_type__in=Service.CONTAINER_TYPES)
               .order_by("end_at").values_list("id", flat=True)[:limit])
    done = 0
    for booking_id in due:
        try:
            booking_complete(booking_id=booking_id, actor=None, now=now)
            done += 1
        except Conflict:
            continue  # completed or cancelled meanwhile
    return done


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
    events: list[Any] = []
    session.status = ServiceSession.Status.CANCELLED
    session.save(update_fields=["status"])
    for seat in Seat.objects.select_related("booking").filter(session=session, active=True).order_by("id"):
        booking = _locked_booking(seat.booking_id)
        if booking.service.service_type == Service.Type.COURSE:
            seat_ids = list(booking.seats.order_by("session__start_at").values_list("id", flat=True))
            share = refund_policy.split_evenly(booking.price_cents, len(seat_ids))[seat_ids.index(seat.id)]
            seat.active = False
            seat.save(update_fields=["active"])
            booking.refund_cents += share
            booking.save(update_fields=["refund_cents", "updated_at"])
            if share:
                credits_refund(user=booking.client, amount_cents=share, reference=_reference(booking),
                               dedupe_key=f"seat-refund:{seat.id}", events=events)
        else:
            _cancel_one(booking, refund_policy.PRACTITIONER, "Session cancelled by the practitioner.", now, events)
    events.append(ServiceSessionScheduled(**session_state(session)))
    event_append(events, actor_id=actor.id)
    return session
