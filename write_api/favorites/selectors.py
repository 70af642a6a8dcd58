"""Reads of favourites: the caller's list, each with a brief of the favourited object."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import QuerySet

from write_api.accounts.models import User
from write_api.catalogue.models import Service
from write_api.favorites.models import Favorite
from write_api.favorites.payloads import FavoriteIdsPayload, FavoritePayload
from write_api.favorites.services import FAVORITE_MODELS, favorite_content_type
from write_api.practitioners.models import Practitioner
from write_api.streams.models import Stream


def favorites_of(*, user: User, object_type: str | None = None) -> QuerySet[Favorite]:
    query = Favorite.objects.filter(user=user)
    if object_type is not None:
        query = query.filter(content_type=favorite_content_type(object_type))
    return query.order_by("-created_at", "id")


def favorite_ids_of(*, user: User) -> FavoriteIdsPayload:
    """The caller's favourite ids per type (every type present, newest first), in one query."""
    type_of = {favorite_content_type(name).id: name for name in FAVORITE_MODELS}
    ids: dict[str, list[str]] = {name: [] for name in FAVORITE_MODELS}
    for content_type_id, object_id in favorites_of(user=user).values_list("content_type_id", "object_id"):
        ids[type_of[content_type_id]].append(str(object_id))
    return FavoriteIdsPayload(practitioner=ids["practitioner"], service=ids["service"], stream=ids["stream"])


def _practitioner_brief(p: Practitioner) -> dict[str, Any]:
    return {"id": str(p.id), "display_name": p.display_name, "title": p.title, "is_active": p.is_active}


def _service_brief(s: Service) -> dict[str, Any]:
    return {"id": str(s.id), "title": s.title, "service_type": s.service_type, "format": s.format,
            "status": s.status, "price_cents": s.price_cents, "price": f"{s.price_cents / 100:.2f}",
            "practitioner": {"id": str(s.practitioner_id), "display_name": s.practitioner.display_name}}


def _stream_brief(s: Stream) -> dict[str, Any]:
    return {"id": str(s.id), "title": s.title, "access": s.access, "price_cents": s.price_cents,
            "status": s.status, "practitioner": {"id": str(s.practitioner_id),
                                                 "display_name": s.practitioner.display_name}}


_BRIEFS: dict[str, tuple[Callable[[set[Any]], Iterable[Any]], Callable[[Any], dict[str, Any]]]] = {
    "practitioner": (lambda ids: Practitioner.objects.filter(id__in=ids), _practitioner_brief),
    "service": (lambda ids: Service.objects.filter(id__in=ids).select_related("practitioner"), _service_brief),
    "stream": (lambda ids: Stream.objects.filter(id__in=ids).select_related("practitioner"), _stream_brief),
}


def favorites_with_briefs(favorites: list[Favorite]) -> list[FavoritePayload]:
    """One query per object type, whatever the page size."""
    type_of = {favorite_content_type(name).id: name for name in FAVORITE_MODELS}
    wanted: dict[str, set[Any]] = defaultdict(set)
    for favorite in favorites:
        wanted[type_of[favorite.content_type_id]].add(favorite.object_id)
    briefs: dict[tuple[str, str], dict[str, Any]] = {}
    for name, ids in wanted.items():
        load, brief = _BRIEFS[name]
        for obj in load(ids):
            briefs[(name, str(obj.id))] = brief(obj)
    out: list[FavoritePayload] = []
    for favorite in favorites:
        name = type_of[favorite.content_type_id]
        out.append({"id": str(favorite.id), "type": name, "object_id": str(favorite.object_id),
                    "object": briefs.get((name, str(favorite.object_id))),
                    "created_at": favorite.created_at.isoformat()})
    return out
