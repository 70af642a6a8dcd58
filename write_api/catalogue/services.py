"""Commands of the catalogue context."""

from __future__ import annotations

from django.db import transaction

from api_conventions.errors import Conflict, NotFound, PermissionDenied
from kernel.events import ServiceCreated, ServiceUpdated
from write_api.accounts.models import User
from write_api.catalogue.models import Service
from write_api.eventlog.services import event_append
from write_api.practitioners.models import Practitioner

EDITABLE_FIELDS = ("title", "description", "format", "status", "price_cents", "duration_minutes")


def _service_state(s: Service) -> dict:
    return {"service_id": s.id, "practitioner_id": s.practitioner_id, "title": s.title,
            "description": s.description, "service_type": s.service_type, "format": s.format,
            "status": s.status, "price_cents": s.price_cents, "duration_minutes": s.duration_minutes,
            "created_at": s.created_at}


def _practitioner_of(actor: User) -> Practitioner:
    practitioner = Practitioner.objects.filter(user=actor).first()
    if practitioner is None:
        raise PermissionDenied("Become a practitioner before creating services.", code="not_a_practitioner")
    return practitioner


@transaction.atomic(durable=True)
def service_create(*, actor: User, title: str, service_type: str, price_cents: int,
                   description: str = "", format: str = Service.Format.ONLINE,
                   status: str = Service.Status.ACTIVE, duration_minutes: int = 60) -> Service:
    practitioner = _practitioner_of(actor)
    service = Service.objects.create(practitioner=practitioner, title=title, description=description,
                                     service_type=service_type, format=format, status=status,
                                     price_cents=price_cents, duration_minutes=duration_minutes)
    event_append([ServiceCreated(**_service_state(service))], actor_id=actor.id)
    return service


@transaction.atomic(durable=True)
def service_update(*, service_id: str, actor: User, changes: dict) -> Service:
    service = Service.objects.select_for_update().select_related("practitioner").filter(id=service_id).first()
    if service is None:
        raise NotFound("Service not found.")
    if service.practitioner.user_id != actor.id and not actor.is_staff:
        raise PermissionDenied("Only the owning practitioner can change this service.")
    if service.status == Service.Status.ARCHIVED:
        raise Conflict("An archived service cannot change.", code="service_archived")
    for field, value in changes.items():
        if field in EDITABLE_FIELDS:
            setattr(service, field, value)
    service.save()
    event_append([ServiceUpdated(**_service_state(service))], actor_id=actor.id)
    return service


def service_archive(*, service_id: str, actor: User) -> Service:
    """Delete means archive: the service leaves search and browsing, its history stays."""
    return service_update(service_id=service_id, actor=actor, changes={"status": Service.Status.ARCHIVED})
