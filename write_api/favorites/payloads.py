"""The shapes of the favourites' answers (see :mod:`api_conventions.payloads`)."""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from api_conventions.payloads import DateTime, Uuid
from write_api.favorites.services import FAVORITE_TYPES


class FavoritePayload(TypedDict):
    """A favourite and a brief of its object (null once the object is gone)."""

    id: Uuid
    type: Literal[FAVORITE_TYPES]  # type: ignore[valid-type]
    object_id: Uuid
    object: dict[str, Any] | None
    created_at: DateTime


class FavoriteIdsPayload(TypedDict):
    """Every id the caller favourited, newest first, per type: what a list of cards needs for its hearts."""

    practitioner: list[Uuid]
    service: list[Uuid]
    stream: list[Uuid]
