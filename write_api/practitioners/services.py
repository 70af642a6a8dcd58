"""Commands of the practitioner context."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from api_conventions.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kernel.events import PractitionerRegistered, PractitionerUpdated
from write_api.accounts.models import User
from write_api.catalogue.models import Modality
from write_api.eventlog.services import event_append
from write_api.practitioners.models import Practitioner

PROFILE_FIELDS = ("display_name", "title", "bio", "timezone", "buffer_minutes", "min_notice_minutes",
                  "max_advance_days", "online_only", "address", "latitude", "longitude")


def practitioner_lock(practitioner_id: Any) -> Practitioner:
    """Lock the practitioner's row until the transaction ends: the first lock of every command that changes
    a practitioner's services, sessions or bookings (the lock order: ``write_api.eventlog.services``)."""
    return Practitioner.objects.select_for_update().get(id=practitioner_id)


def profile_state(p: Practitioner) -> dict[str, Any]:
    return {"practitioner_id": p.id, "user_id": p.user_id, "display_name": p.display_name, "title": p.title,
            "bio": p.bio, "timezone": p.timezone, "is_active": p.is_active, "online_only": p.online_only,
            "address": p.address, "latitude": p.latitude, "longitude": p.longitude,
            "modalities": tuple(sorted(m.slug for m in p.modalities.all())), "buffer_minutes": p.buffer_minutes,
            "min_notice_minutes": p.min_notice_minutes, "max_advance_days": p.max_advance_days}


def _modalities(slugs: list[str]) -> list[Modality]:
    found = list(Modality.objects.filter(slug__in=slugs))
    missing = sorted(set(slugs) - {m.slug for m in found})
    if missing:
        raise ValidationFailed(errors={"modalities": [f"Unknown modality {s!r}." for s in missing]})
    return found


def _check_location(p: Practitioner) -> None:
    if (p.latitude is None) != (p.longitude is None):
        raise ValidationFailed(errors={"latitude": ["Give both latitude and longitude, or neither."]})
    if not p.online_only and p.latitude is None:
        raise ValidationFailed(errors={"latitude": ["In-person practitioners need a location."]})


@transaction.atomic(durable=True)
def practitioner_register(*, user: User, display_name: str, modalities: list[str] | None = None,
                          **profile: Any) -> Practitioner:
    if Practitioner.objects.filter(user=user).exists():
        raise Conflict("You already have a practitioner profile.", code="already_practitioner")
    practitioner = Practitioner(user=user, display_name=display_name,
                                **{k: v for k, v in profile.items() if k in PROFILE_FIELDS})
    if "online_only" not in profile and practitioner.latitude is not None:
        practitioner.online_only = False
    _check_location(practitioner)
    try:
        with transaction.atomic():
            practitioner.save()
    except IntegrityError:
        raise Conflict("You already have a practitioner profile.", code="already_practitioner")
    practitioner.modalities.set(_modalities(modalities or []))
    event_append([PractitionerRegistered(**profile_state(practitioner))], actor_id=user.id)
    return practitioner


@transaction.atomic(durable=True)
def practitioner_update(*, practitioner_id: Any, actor: User, changes: dict[str, Any]) -> Practitioner:
    practitioner = Practitioner.objects.select_for_update().filter(id=practitioner_id).first()
    if practitioner is None:
        raise NotFound("Practitioner not found.")
    if practitioner.user_id != actor.id and not actor.is_staff:
        raise PermissionDenied("Only the practitioner can change this profile.")
    if "is_active" in changes and not actor.is_staff:
        raise PermissionDenied("Only staff can activate or suspend a practitioner.")
    allowed = set(PROFILE_FIELDS) | ({"is_active"} if actor.is_staff else set())
    for field, value in changes.items():
        if field in allowed:
            setattr(practitioner, field, value)
    _check_location(practitioner)
    practitioner.save()
    if "modalities" in changes:
        practitioner.modalities.set(_modalities(changes["modalities"]))
    event_append([PractitionerUpdated(**profile_state(practitioner))], actor_id=actor.id)
    return practitioner
