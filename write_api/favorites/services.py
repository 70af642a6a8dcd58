"""Commands of favourites: add (idempotent) and remove (idempotent)."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Q

from api_conventions.errors import NotFound, ValidationFailed
from kernel.events import FavoriteAdded, FavoriteRemoved
from write_api.accounts.models import User
from write_api.catalogue.models import Service
from write_api.eventlog.services import event_append
from write_api.favorites.models import Favorite
from write_api.practitioners.models import Practitioner
from write_api.streams.models import Stream

FavoriteType = Literal["practitioner", "service", "stream"]
FAVORITE_MODELS: dict[FavoriteType, type[models.Model]] = {"practitioner": Practitioner, "service": Service,
                                                          "stream": Stream}
FAVORITE_TYPES: tuple[FavoriteType, ...] = tuple(FAVORITE_MODELS)


def favorite_content_type(object_type: str) -> ContentType:
    for name, model in FAVORITE_MODELS.items():
        if name == object_type:
            return ContentType.objects.get_for_model(model)
    raise ValidationFailed(errors={"type": [f"Must be one of: {', '.join(FAVORITE_TYPES)}."]})


def visible_objects(object_type: str, user: User) -> models.QuerySet:
    """The objects of ``object_type`` a user may favourite: public ones, and their own."""
    if object_type == "practitioner":
        return Practitioner.objects.filter(Q(is_active=True) | Q(user=user))
    if object_type == "service":
        return Service.objects.filter(Q(status=Service.Status.ACTIVE, practitioner__is_active=True)
                                      | Q(practitioner__user=user))
    return Stream.objects.filter(Q(status=Stream.Status.PUBLISHED) | Q(practitioner__user=user))


@transaction.atomic(durable=True)
def favorite_add(*, user: User, object_type: str, object_id: UUID) -> tuple[Favorite, bool]:
    """Favourite an object; returns ``(favourite, created)``. Adding twice is not an error."""
    content_type = favorite_content_type(object_type)
    if not visible_objects(object_type, user).filter(id=object_id).exists():
        raise NotFound(f"No {object_type} with this id.")
    favorite, created = Favorite.objects.get_or_create(user=user, content_type=content_type, object_id=object_id)
    if created:
        event_append([FavoriteAdded(user_id=user.id, object_type=object_type, object_id=object_id)],
                     actor_id=user.id)
    return favorite, created


@transaction.atomic(durable=True)
def favorite_remove(*, user: User, object_type: str, object_id: Any) -> bool:
    """Remove a favourite; removing a missing one is not an error. Returns whether one was removed."""
    content_type = favorite_content_type(object_type)
    deleted, _ = Favorite.objects.filter(user=user, content_type=content_type, object_id=object_id).delete()
    if deleted:
        event_append([FavoriteRemoved(user_id=user.id, object_type=object_type, object_id=object_id)],
                     actor_id=user.id)
    return bool(deleted)
