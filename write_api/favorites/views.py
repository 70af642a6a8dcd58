from __future__ import annotations

import uuid

from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from api_conventions.errors import ValidationFailed
from api_conventions.pagination import PageRequest, pagination_meta
from api_conventions.responses import created, deleted, ok
from api_conventions.serializers import StrictInput, StrictUUIDField
from api_conventions.shared_payloads import Deleted
from write_api.favorites import selectors, services
from write_api.favorites.payloads import FavoriteIdsPayload, FavoritePayload


class FavoriteListApi(APIView):
    """``GET`` the caller's favourites (``?type=``), ``POST`` ``{type, id}`` to add one (201, or 200 if present)."""

    permission_classes = [IsAuthenticated]
    success_status = {"get": 200, "post": (201, 200)}
    payload = {"get": list[FavoritePayload], "post": FavoritePayload}

    class Filters(StrictInput):
        type = serializers.ChoiceField(choices=services.FAVORITE_TYPES, required=False)
        page = serializers.CharField(required=False)
        page_size = serializers.CharField(required=False)

    class Input(StrictInput):
        type = serializers.ChoiceField(choices=services.FAVORITE_TYPES)
        id = StrictUUIDField()

    query_serializer = Filters

    def get(self, request):
        filters = self.Filters(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        page = PageRequest.from_query(request.query_params)
        object_type = filters.validated_data.get("type")
        query = selectors.favorites_of(user=request.user, object_type=object_type)
        count = query.count()
        items = selectors.favorites_with_briefs(list(query[page.offset:page.offset + page.page_size]))
        applied = {"type": object_type} if object_type else {}
        return ok(items, meta={"pagination": pagination_meta(request, page, count), "filters_applied": applied})

    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        favorite, was_created = services.favorite_add(user=request.user, object_type=data.validated_data["type"],
                                                      object_id=data.validated_data["id"])
        item = selectors.favorites_with_briefs([favorite])[0]
        if was_created:
            return created(item, message="Added to favourites.")
        return ok(item, message="Already a favourite.")


class FavoriteIdsApi(APIView):
    """``GET favorites/ids/``: every id the caller favourited, by type, in one small answer.

    What a screen of cards calls once to draw its hearts (``is_favorite``) without a call per card; the
    read API's cards stay the same for every caller (and cacheable).
    """

    permission_classes = [IsAuthenticated]
    payload = FavoriteIdsPayload

    def get(self, request):
        return ok(selectors.favorite_ids_of(user=request.user))


class FavoriteDetailApi(APIView):
    """``DELETE favorites/{type}/{id}/``: 200 whether or not it was a favourite."""

    permission_classes = [IsAuthenticated]
    payload = Deleted

    def delete(self, request, object_type: str, object_id: str):
        try:
            parsed = uuid.UUID(object_id)
        except ValueError:
            raise ValidationFailed(errors={"id": ["Must be a valid UUID."]})
        services.favorite_remove(user=request.user, object_type=object_type, object_id=parsed)
        return deleted(parsed, type=object_type, message="Removed from favourites.")
