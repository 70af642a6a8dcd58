from __future__ import annotations

import uuid

from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from api_conventions.errors import ValidationFailed
from api_conventions.pagination import PageRequest, pagination_meta
from api_conventions.responses import created, deleted, ok
from api_conventions.serializers import StrictInput, StrictUUIDField
from write_api.favorites import selectors, services


class FavoriteListApi(APIView):
    """``GET`` the caller's favourites (``?type=``), ``POST`` ``{type, id}`` to add one (201, or 200 if present)."""

    permission_classes = [IsAuthenticated]
    success_status = {"get": 200, "post": 201}

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


class FavoriteDetailApi(APIView):
    """``DELETE favorites/{type}/{id}/``: 204 whether or not it was a favourite."""

    permission_classes = [IsAuthenticated]

    def delete(self, request, object_type: str, object_id: str):
        try:
            parsed = uuid.UUID(object_id)
        except ValueError:
            raise ValidationFailed(errors={"id": ["Must be a valid UUID."]})
        services.favorite_remove(user=request.user, object_type=object_type, object_id=parsed)
        return deleted(parsed, type=object_type, message="Removed from favourites.")
