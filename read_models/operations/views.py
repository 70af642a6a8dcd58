"""``GET /api/v1/projections/`` (staff): each projection's position and lag."""

from __future__ import annotations

import time

import orjson
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api_conventions.payloads import example
from api_conventions.responses import ok
from read_models import positions
from read_models.views import ReadModelView, answers_at


class IsStaffToken(BasePermission):
    """Staff, as the token says (``is_staff`` claim): the read API has no user table to ask."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated and getattr(request.user, "is_staff", False))


class ProjectionOut(serializers.Serializer):
    name = serializers.CharField()
    generation = serializers.IntegerField()
    position = serializers.IntegerField(help_text="Last event position applied.")
    head = serializers.IntegerField(help_text="Last event position committed to the event log.")
    lag_events = serializers.IntegerField()
    lag_seconds = serializers.FloatField(help_text="Age of the oldest event not yet applied; 0 when caught up.")
    seconds_since_update = serializers.FloatField()
    last_error = serializers.CharField(allow_blank=True)
    store_position = serializers.IntegerField(allow_null=True, help_text=(
        "The position the read model itself records holding (null: it keeps none); below `position` means "
        "it lost data, and the workers are replaying it."))
    health = serializers.CharField(help_text="`ok`, `catching up`, `error: …` or `unhealthy: …` (store behind).")


example(ProjectionOut, {"name": "search", "generation": 3, "position": 48210, "head": 48212, "lag_events": 2,
                        "lag_seconds": 0.4, "seconds_since_update": 0.2, "last_error": "", "store_position": 48210,
                        "health": "ok"})


class ProjectionsApi(ReadModelView):
    permission_classes = [IsStaffToken]
    output_serializer = ProjectionOut(many=True)

    @extend_schema(summary="Projection positions and lag (staff)")
    def get(self, request: Request) -> Response:
        head = positions.head()
        now = time.time()
        published = positions.client().get("projections:status")
        detail = {row["name"]: row for row in orjson.loads(published)} if published else {}
        published_positions = positions.all_projections()
        # A projection whose published position is gone (Redis lost it) is still listed, from the status the
        # workers publish, so staff see the loss rather than nothing.
        for name in detail.keys() - published_positions.keys():
            published_positions[name] = positions.ModelPosition(int(detail[name].get("generation") or 0),
                                                                int(detail[name].get("position") or 0), 0.0)
        rows = []
        for name, state in sorted(published_positions.items()):
            lag_events = max(head - state.position, 0)
            rows.append({"name": name, "generation": state.generation, "position": state.position, "head": head,
                         "lag_events": lag_events,
                         "lag_seconds": detail.get(name, {}).get("lag_seconds", 0.0) if lag_events else 0.0,
                         "seconds_since_update": round(max(now - state.updated_at, 0.0), 3),
                         "last_error": detail.get(name, {}).get("last_error", ""),
                         "store_position": detail.get(name, {}).get("store_position"),
                         "health": detail.get(name, {}).get("health", "ok" if not lag_events else "catching up")})
        # This view answers from every projection: its position is the lowest of them.
        answers_at(request, min((row["position"] for row in rows), default=head))
        return ok(rows)
