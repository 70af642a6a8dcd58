"""``GET /api/v1/practitioner/analytics/revenue/``, ``…/clients/``, ``…/bookings/trends/``.

Each answers for the caller's own practitioner profile only (the ``practitioner_id`` claim of the JWT:
401 without a token, 403 for a user who is not a practitioner) from the latest committed snapshot of the
lake, or with ``as_of_position=N`` from the snapshot that stood after event N (400 with the available
range when N is outside the retained history). ``X-Projection-Position`` is the answering snapshot's
position; ``X-Min-Position: N`` waits (bounded) for the lake to reach ``N``. Answers are cached per
snapshot (``X-Cache: hit|miss``). The catalog database unreachable is a 503 ``analytics_unavailable``.
"""

from __future__ import annotations

import contextlib
import logging
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any, ClassVar

import duckdb
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api_conventions.errors import ProjectionLagging, ServiceUnavailable, ValidationFailed
from api_conventions.responses import ok
from kernel.vocabulary import ErrorCode
from read_models.analytics import cache
from read_models.analytics.params import AnalyticsQuery, as_of_position, parse
from read_models.analytics.payloads import ClientsReport, RevenueReport, TrendsReport
from read_models.analytics.reports import REPORTS
from read_models.views import ReadModelView, answers_at
from warehouse.lake import LakeUnavailable
from warehouse.reader import LakeReader, NoWarehouse, PositionOutOfRange, View, shared

log = logging.getLogger(__name__)


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

    def has_permission(self, request: Request, view: APIView) -> bool:
        return practitioner_claim(request) is not None


class AnalyticsUnavailable(ServiceUnavailable):
    code = ErrorCode.ANALYTICS_UNAVAILABLE
    default_message = "Analytics are unavailable right now (the warehouse catalog cannot be reached); retry shortly."


def reader() -> LakeReader:
    return shared()


class AnalyticsView(ReadModelView):
    """Answers one report from one lake snapshot; positions come from that snapshot, not from Redis."""

    read_models = ("warehouse",)
    permission_classes = [IsPractitionerToken]
    report: ClassVar[str]

    def projection_position(self, minimum: int | None) -> int | None:
        """Only an ``X-Min-Position`` wait is settled here (on the lake's latest snapshot, by the read API's
        one rule); otherwise the answering snapshot gives the position (:meth:`_answer`)."""
        if minimum is None:
            return None
        self._validate_query()  # a bad question is a 400 before any wait on the lake
        with _lake_errors():
            return super().projection_position(minimum)

    def _validate_query(self) -> int | None:
        """Bad input is a 400 whatever state the lake is in (the zone only supplies a default, so any zone
        validates the same); returns ``as_of_position``."""
        query = self.request.query_params
        as_of = as_of_position(query)
        parse(query, practitioner_id=practitioner_claim(self.request) or "", default_zone="UTC", today=timezone.now())
        return as_of

    def applied_position(self) -> int:
        return reader().head().position

    def wait_until(self, minimum: int, timeout: float) -> int | None:
        reached = reader().wait_for_position(minimum, timeout=timeout)
        return None if reached is None else reached.position

    def get(self, request: Request) -> Response:
        practitioner_id = practitioner_claim(request)
        assert practitioner_id is not None  # IsPractitionerToken
        as_of = self._validate_query()
        with _lake_errors():
            try:
                cached = self._cached(request, practitioner_id) if as_of is None else None
                if cached is not None:
                    body, hit = cached, True
                else:
                    with reader().practitioner(practitioner_id, as_of) as (view, zone, connection):
                        body, hit = self._answer(request, practitioner_id, view, zone, connection)
            except PositionOutOfRange as exc:
                raise ValidationFailed(
                    f"as_of_position must lie in the retained history: {exc.earliest}…{exc.latest}.",
                    errors={"as_of_position": [f"Must be between {exc.earliest} and {exc.latest}."],
                            "available": {"earliest": exc.earliest, "latest": exc.latest}}) from None
        return ok(body["data"], meta=body["meta"], headers={"X-Cache": "hit" if hit else "miss"})

    def _cached(self, request: Request, practitioner_id: str) -> dict[str, Any] | None:
        """The answer cached for the latest snapshot, found without opening the lake: the head comes from one
        catalog query, the practitioner's zone (when the request names none) from this process's memory of
        that snapshot. None: not cached, or the zone not known here yet (the lake answers)."""
        head = reader().head()
        zone = request.query_params.get("timezone") or _zones.get((head.snapshot_id, practitioner_id))
        if zone is None:
            return None
        parsed = parse(request.query_params, practitioner_id=practitioner_id, default_zone=zone, today=timezone.now())
        cached = cache.get(cache.key(str(head.snapshot_id), self.report, parsed.cache_key()))
        if cached is not None:
            answers_at(request, head.position)
        return cached

    def _answer(self, request: Request, practitioner_id: str, view: View, known_zone: str | None,
                connection: Any) -> tuple[dict[str, Any], bool]:
        """The answer computed on ``connection`` (the practitioner's rows of ``view``'s snapshot)."""
        answers_at(request, view.position)
        zone = _remember_zone(view, practitioner_id, known_zone or "UTC")
        parsed = parse(request.query_params, practitioner_id=practitioner_id, default_zone=zone, today=timezone.now())
        key = cache.key(str(view.snapshot_id), self.report, parsed.cache_key())
        cached = cache.get(key)
        if cached is not None:
            return cached, True
        window = parsed.window
        body = {"data": REPORTS[self.report](connection, parsed, zone),
                "meta": {"filters_applied": parsed.filters_applied(),
                         "range": {"start": _iso_utc(window.lo), "end": _iso_utc(window.hi)},
                         "snapshot": {"id": view.snapshot_id, "generation": view.generation,
                                      "position": view.position}}}
        cache.put(key, body)
        return body, False


# (snapshot id, practitioner id) -> the practitioner's zone in that snapshot, for the cache lookup of requests
# that name no timezone (bounded: the oldest entries go first).
_zones: OrderedDict[tuple[int, str], str] = OrderedDict()
_ZONES_KEPT = 4096


def _remember_zone(view: View, practitioner_id: str, zone: str) -> str:
    _zones[(view.snapshot_id, practitioner_id)] = zone
    while len(_zones) > _ZONES_KEPT:
        with contextlib.suppress(KeyError):
            _zones.popitem(last=False)
    return zone


@contextlib.contextmanager
def _lake_errors() -> Iterator[None]:
    """The lake's failures as envelopes: not built yet → 503 ``projection_lagging``; catalog unreachable →
    503 ``analytics_unavailable`` (never a 500)."""
    try:
        yield
    except NoWarehouse:
        raise ProjectionLagging("Analytics have not been built yet; retry shortly.") from None
    except LakeUnavailable:
        log.warning("analytics unavailable", exc_info=True)
        raise AnalyticsUnavailable() from None
    except duckdb.Error:
        log.warning("analytics unavailable", exc_info=True)
        reader().close()
        raise AnalyticsUnavailable() from None


def _iso_utc(naive_utc: Any) -> str:
    return naive_utc.isoformat() + "Z"


_PARAMETERS = [
    OpenApiParameter("start", str, description="First local date (YYYY-MM-DD), included; default 29 days before end."),
    OpenApiParameter("end", str, description="Last local date (YYYY-MM-DD), included; default today."),
    OpenApiParameter("granularity", str, enum=["day", "week", "month"], description="Period size; default day."),
    OpenApiParameter("timezone", str, description="IANA zone of dates and periods; default the practitioner's."),
    OpenApiParameter("compare", str, enum=["previous"], description="Add the previous period's totals."),
    OpenApiParameter("as_of_position", int, description=(
        "Time travel: answer as the figures stood after event N (the newest lake snapshot committed at or "
        "before N; `X-Projection-Position` says which). Outside the retained history (see "
        "`WAREHOUSE_HISTORY_SECONDS`): 400 with `errors.available` = {earliest, latest}.")),
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
