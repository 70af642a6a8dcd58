"""Commands of the catalogue context: services (all five types), their children and sessions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from api_conventions.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kernel.events import ServiceCreated, ServiceSessionScheduled, ServiceUpdated
from write_api.accounts.models import User
from write_api.catalogue.models import Category, Modality, Service, ServiceChild, ServiceSession
from write_api.eventlog.command_retry import retrying
from write_api.eventlog.services import event_append
from write_api.practitioners.models import Practitioner
from write_api.practitioners.services import practitioner_lock

EDITABLE_FIELDS = ("title", "description", "format", "status", "price_cents", "duration_minutes", "step_minutes",
                   "capacity", "validity_days")


def service_state(s: Service) -> dict[str, Any]:
    return {"service_id": s.id, "practitioner_id": s.practitioner_id, "title": s.title,
            "description": s.description, "service_type": s.service_type, "format": s.format,
            "status": s.status, "price_cents": s.price_cents, "duration_minutes": s.duration_minutes,
            "created_at": s.created_at, "category": s.category.slug if s.category_id else None,
            "category_name": s.category.name if s.category_id else None,
            "modalities": tuple(sorted(m.slug for m in s.modalities.all())), "step_minutes": s.step_minutes,
            "capacity": s.capacity, "validity_days": s.validity_days,
            "children": tuple({"service_id": str(c.child_id), "quantity": c.quantity}
                              for c in s.children.order_by("child_id"))}


def _practitioner_of(actor: User) -> Practitioner:
    practitioner = Practitioner.objects.filter(user=actor).first()
    if practitioner is None:
        raise PermissionDenied("Become a practitioner before creating services.", code="not_a_practitioner")
    return practitioner_lock(practitioner.id)


def _category(slug: str | None) -> Category | None:
    if slug is None:
        return None
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise ValidationFailed(errors={"category": [f"Unknown category {slug!r}."]})
    return category


def _modalities(slugs: list[str]) -> list[Modality]:
    found = list(Modality.objects.filter(slug__in=slugs))
    missing = sorted(set(slugs) - {m.slug for m in found})
    if missing:
        raise ValidationFailed(errors={"modalities": [f"Unknown modality {s!r}." for s in missing]})
    return found


def _set_children(service: Service, children: list[dict[str, Any]]) -> None:
    """Packages hold several different services; a bundle holds N sessions of one service."""
    if service.service_type not in Service.CONTAINER_TYPES:
        if children:
            raise ValidationFailed(errors={"children": ["Only packages and bundles have children."]})
        return
    if not children:
        raise ValidationFailed(errors={"children": ["A package or bundle needs its contents."]})
    ids = [str(c["service_id"]) for c in children]
    if len(set(ids)) != len(ids):
        raise ValidationFailed(errors={"children": ["Each service may appear once."]})
    found = {str(s.id): s for s in Service.objects.filter(id__in=ids, practitioner=service.practitioner)}
    errors = []
    for child_id in ids:
        child = found.get(child_id)
        if child is None:
            errors.append(f"{child_id}: not one of your services.")
        elif child.service_type != Service.Type.SESSION:
            errors.append(f"{child_id}: only 1:1 sessions can be contained (it is a {child.service_type}).")
        elif child.status == Service.Status.ARCHIVED:
            errors.append(f"{child_id}: archived.")
    if service.service_type == Service.Type.BUNDLE and (len(ids) != 1 or int(children[0]["quantity"]) < 2):
        errors.append("A bundle is N ≥ 2 sessions of exactly one service.")
    if service.service_type == Service.Type.PACKAGE and len(ids) < 2:
        errors.append("A package combines at least two different services.")
    if errors:
        raise ValidationFailed(errors={"children": errors})
    service.children.all().delete()
    ServiceChild.objects.bulk_create(
        [ServiceChild(parent=service, child=found[str(c["service_id"])], quantity=int(c["quantity"]))
         for c in children])


@retrying
@transaction.atomic(durable=True)
def service_create(*, actor: User, title: str, service_type: str, price_cents: int, description: str = "",
                   format: str = Service.Format.ONLINE, status: str = Service.Status.ACTIVE,
                   duration_minutes: int = 60, category: str | None = None, modalities: list[str] | None = None,
                   step_minutes: int = 15, capacity: int = 1, validity_days: int = 180,
                   children: list[dict[str, Any]] | None = None) -> Service:
    practitioner = _practitioner_of(actor)
    service = Service.objects.create(
        practitioner=practitioner, title=title, description=description, service_type=service_type, format=format,
        status=status, price_cents=price_cents, duration_minutes=duration_minutes, category=_category(category),
        step_minutes=step_minutes, capacity=capacity, validity_days=validity_days)
    service.modalities.set(_modalities(modalities or []))
    _set_children(service, children or [])
    event_append([ServiceCreated(**service_state(service))], actor_id=actor.id)
    return service


def _owned_service(service_id: Any, actor: User, *, lock: bool = True) -> Service:
    """The service ``actor`` may change; with ``lock``, its practitioner's row and then its own are locked
    (in the one lock order, see ``write_api.eventlog.services``)."""
    query = Service.objects.select_related("practitioner", "category")
    service = query.filter(id=service_id).first()
    if service is None:
        raise NotFound("Service not found.")
    if service.practitioner.user_id != actor.id and not actor.is_staff:
        raise PermissionDenied("Only the owning practitioner can change this service.")
    if lock:
        practitioner_lock(service.practitioner_id)
        service = query.select_for_update(of=("self",)).get(id=service.id)
    return service


@retrying
@transaction.atomic(durable=True)
def service_update(*, service_id: Any, actor: User, changes: dict[str, Any]) -> Service:
    service = _owned_service(service_id, actor)
    if service.status == Service.Status.ARCHIVED:
        raise Conflict("An archived service cannot change.", code="service_archived")
    for field, value in changes.items():
        if field in EDITABLE_FIELDS:
            setattr(service, field, value)
    if "category" in changes:
        service.category = _category(changes["category"])
    service.save()
    if "modalities" in changes:
        service.modalities.set(_modalities(changes["modalities"]))
    if "children" in changes:
        _set_children(service, changes["children"])
    event_append([ServiceUpdated(**service_state(service))], actor_id=actor.id)
    return service


def service_archive(*, service_id: Any, actor: User) -> Service:
    """Delete means archive: the service leaves search and browsing, its history stays."""
    return service_update(service_id=service_id, actor=actor, changes={"status": Service.Status.ARCHIVED})


# --- sessions -------------------------------------------------------------------------------------


def session_state(session: ServiceSession) -> dict[str, Any]:
    return {"session_id": session.id, "service_id": session.service_id,
            "practitioner_id": session.service.practitioner_id, "start_at": session.start_at,
            "end_at": session.end_at, "capacity": session.capacity, "status": session.status}


def _check_session_fits(service: Service, start_at: datetime, end_at: datetime, *, exclude: Any = None) -> None:
    from write_api.bookings.conflicts import practitioner_busy_overlaps  # bookings depend on catalogue

    if end_at <= start_at:
        raise ValidationFailed(errors={"end_at": ["Must be after start_at."]})
    if start_at <= timezone.now():
        raise ValidationFailed(errors={"start_at": ["Must be in the future."]})
    if end_at - start_at > timedelta(hours=24):
        raise ValidationFailed(errors={"end_at": ["A session lasts at most 24 hours."]})
    if practitioner_busy_overlaps(service.practitioner, start_at, end_at, exclude_session_id=exclude):
        raise Conflict("The practitioner is busy at that time.", code="slot_unavailable")


@retrying
@transaction.atomic(durable=True)
def session_create(*, service_id: Any, actor: User, start_at: datetime, end_at: datetime | None = None,
                   capacity: int | None = None) -> ServiceSession:
    service = _owned_service(service_id, actor)
    if service.service_type not in Service.SCHEDULED_TYPES:
        raise Conflict("Only workshops and courses have scheduled sessions.", code="not_a_scheduled_service")
    if service.status == Service.Status.ARCHIVED:
        raise Conflict("An archived service cannot change.", code="service_archived")
    end_at = end_at or start_at + timedelta(minutes=service.duration_minutes)
    _check_session_fits(service, start_at, end_at)
    session = ServiceSession.objects.create(service=service, start_at=start_at, end_at=end_at,
                                            capacity=capacity or service.capacity)
    event_append([ServiceSessionScheduled(**session_state(session))], actor_id=actor.id)
    return session


@retrying
@transaction.atomic(durable=True)
def session_update(*, service_id: Any, session_id: Any, actor: User, changes: dict[str, Any]) -> ServiceSession:
    from write_api.bookings.models import Seat

    service = _owned_service(service_id, actor)
    session = ServiceSession.objects.select_for_update().filter(id=session_id, service=service).first()
    if session is None:
        raise NotFound("Session not found.")
    if session.status == ServiceSession.Status.CANCELLED:
        raise Conflict("A cancelled session cannot change.", code="session_cancelled")
    taken = Seat.objects.filter(session=session, active=True).count()
    if "capacity" in changes and changes["capacity"] < taken:
        raise Conflict(f"{taken} seats are already taken.", code="capacity_below_taken")
    start_at = changes.get("start_at", session.start_at)
    end_at = changes.get("end_at", start_at + (session.end_at - session.start_at))
    if (start_at, end_at) != (session.start_at, session.end_at):
        if taken:
            raise Conflict("Sessions with booked seats cannot move; cancel instead.", code="session_has_bookings")
        _check_session_fits(service, start_at, end_at, exclude=session.id)
    session.start_at, session.end_at = start_at, end_at
    session.capacity = changes.get("capacity", session.capacity)
    session.save()
    event_append([ServiceSessionScheduled(**session_state(session))], actor_id=actor.id)
    return session
