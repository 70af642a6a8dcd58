"""``GET /api/v1/practitioner/analytics/revenue/``, ``…/clients/``, ``…/bookings/trends/``.

Each answers for the caller's own practitioner profile only (the ``practitioner_id`` claim of the JWT:
401 without a token, 403 for a user who is not a practitioner) from the newest published warehouse
snapshot. ``X-Projection-Position`` is that snapshot's position; ``X-Min-Position: N`` waits (bounded)
for a snapshot at ``N`` or later. Answers are cached per snapshot (``X-Cache: hit|miss``).
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api_conventions.errors import ProjectionLagging, ValidationFailed
from api_conventions.responses import ok
from read_models.analytics import cache
from read_models.analytics.params import AnalyticsQuery, parse
from read_models.analytics.payloads import ClientsReport, RevenueReport, TrendsReport
from read_models.analytics.reports import REPORTS
from read_models.views import ReadModelView
from warehouse import snapshots
from warehouse.queries import practitioner_zone


def practitioner_claim(request: Request) -> str | None:
    user = request.user
    if not (user and user.is_authenticated):
        return None
    token = getattr(user, "token", None)
    value = token.get("practitioner_id") if token is not None else getattr(user, "practitioner_id", None)
    return str(value) if value else None


class IsPractitionerToken(BasePermission):
    """The token says the caller has a practitioner profile (the read API has no user table to ask)."""

    message = "Analytics are for practitioners; become one at POST /api/v1/practitioners/."

    def has_permission(self, request, view) -> bool:
        return practitioner_claim(request) is not None


@functools.cache
def reader() -> snapshots.SnapshotReader:
    return snapshots.SnapshotReader()


class AnalyticsView(ReadModelView):
    """Answers one report from a warehouse snapshot; positions come from the snapshot, not from Redis."""

    read_models = ("warehouse",)
    permission_classes = [IsPractitionerToken]
    report: ClassVar[str]

    def initial(self, request: Request, *args, **kwargs) -> None:
        APIView.initial(self, request, *args, **kwargs)  # auth, permissions, throttles; not the Redis wait
        published = snapshots.current()
        if published is not None:
            request.projection_position = published.position  # type: ignore[attr-defined]
        raw = request.headers.get("X-Min-Position")
        if raw is None:
            return
        try:
            minimum = int(raw) if raw.strip().isascii() else -1
            if not 0 <= minimum < 2**63:
                raise ValueError
        except ValueError:
            raise ValidationFailed(errors={"X-Min-Position": ["Must be a non-negative whole number."]}) from None
        reached = snapshots.wait_for_position(minimum, timeout=settings.MIN_POSITION_WAIT_SECONDS)
        if reached is None:
            current = snapshots.current()
            raise ProjectionLagging(errors={"requested_position": minimum,
                                            "projection_position": current.position if current else 0})
        request.projection_position = reached.position  # type: ignore[attr-defined]

    def get(self, request: Request) -> Response:
        practitioner_id = practitioner_claim(request)
        assert practitioner_id is not None  # IsPractitionerToken
        try:
            with reader().open() as (info, connection):
                body, hit = self._answer(request, practitioner_id, info, connection)
        except snapshots.NoSnapshot:
            raise ProjectionLagging("Analytics have not been published yet; retry shortly.") from None
        return ok(body["data"], meta=body["meta"], headers={"X-Cache": "hit" if hit else "miss"})

    def _answer(self, request: Request, practitioner_id: str, info: snapshots.SnapshotInfo,
                connection: Any) -> tuple[dict[str, Any], bool]:
        request.projection_position = info.position  # type: ignore[attr-defined]
        zone = practitioner_zone(connection, practitioner_id) or "UTC"
        parsed = parse(request.query_params, practitioner_id=practitioner_id, default_zone=zone, today=timezone.now())
        key = cache.key(info.id, self.report, parsed.cache_key())
        cached = cache.get(key)
        if cached is not None:
            return cached, True
        window = parsed.window
        body = {"data": REPORTS[self.report](connection, parsed, zone),
                "meta": {"filters_applied": parsed.filters_applied(),
                         "range": {"start": _iso_utc(window.lo), "end": _iso_utc(window.hi)},
                         "snapshot": {"id": info.id, "position": info.position, "published_at": info.published_at}}}
        cache.put(key, body)
        return body, False


def _iso_utc(naive_utc: Any) -> str:
    return naive_utc.isoformat() + "Z"


_PARAMETERS = [
    OpenApiParameter("start", str, description="First local date (YYYY-MM-DD), included; default 29 days before end."),
    OpenApiParameter("end", str, description="Last local date (YYYY-MM-DD), included; default today."),
    OpenApiParameter("granularity", str, enum=["day", "week", "month"], description="Period size; default day."),
    OpenApiParameter("timezone", str, description="IANA zone of dates and periods; default the practitioner's."),
    OpenApiParameter("compare", str, enum=["previous"], description="Add the previous period's totals."),
]


class RevenueApi(AnalyticsView):
    report = "revenue"
    payload = RevenueReport

    @extend_schema(summary="Revenue: gross, refunds and net per period and service type (own practitioner)",
                   parameters=_PARAMETERS)
    def get(self, request: Request) -> Response:
        return super().get(request)


class ClientsApi(AnalyticsView):
    report = "clients"
    payload = ClientsReport

    @extend_schema(summary="Clients: unique, new vs returning, repeat rate, retention cohorts, top clients",
                   parameters=_PARAMETERS)
    def get(self, request: Request) -> Response:
        return super().get(request)


class BookingTrendsApi(AnalyticsView):
    report = "trends"
    payload = TrendsReport

    @extend_schema(summary="Booking trends: bookings and cancellations per period, heat map, lead times, "
                           "most booked services", parameters=_PARAMETERS)
    def get(self, request: Request) -> Response:
        return super().get(request)


__all__ = ["AnalyticsQuery", "BookingTrendsApi", "ClientsApi", "RevenueApi"]
