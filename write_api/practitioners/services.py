"""Commands of the practitioner context."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from api_conventions.errors import Conflict, NotFound, PermissionDenied
from kernel.events import PractitionerRegistered, PractitionerUpdated
from write_api.accounts.models import User
from write_api.eventlog.services import event_append
from write_api.practitioners.models import Practitioner

PROFILE_FIELDS = ("display_name", "title", "bio", "timezone", "buffer_minutes", "min_notice_minutes",
                  "max_advance_days")


def _profile_state(p: Practitioner) -> dict:
    return {"practitioner_id": p.id, "user_id": p.user_id, "display_name": p.display_name, "title": p.title,
            "bio": p.bio, "timezone": p.timezone, "is_active": p.is_active}


@transaction.atomic(durable=True)
def practitioner_register(*, user: User, display_name: str, title: str = "", bio: str = "",
                          timezone: str = "UTC", **settings: int) -> Practitioner:
    if Practitioner.objects.filter(user=user).exists():
        raise Conflict("You already have a practitioner profile.", code="already_practitioner")
    try:
        with transaction.atomic():
            practitioner = Practitioner.objects.create(user=user, display_name=display_name, title=title,
                                                       bio=bio, timezone=timezone, **settings)
    except IntegrityError:
        raise Conflict("You already have a practitioner profile.", code="already_practitioner")
    event_append([PractitionerRegistered(**_profile_state(practitioner))], actor_id=user.id)
    return practitioner


@transaction.atomic(durable=True)
def practitioner_update(*, practitioner_id: str, actor: User, changes: dict) -> Practitioner:
    practitioner = Practitioner.objects.select_for_update().filter(id=practitioner_id).first()
    if practitioner is None:
        raise NotFound("Practitioner not found.")
    if practitioner.user_id != actor.id and not actor.is_staff:
        raise PermissionDenied("Only the practitioner can change this profile.")
    allowed = set(PROFILE_FIELDS) | ({"is_active"} if actor.is_staff else set())
    for field, value in changes.items():
        if field in allowed:
            setattr(practitioner, field, value)
    practitioner.save()
    event_append([PractitionerUpdated(**_profile_state(practitioner))], actor_id=actor.id)
    return practitioner
