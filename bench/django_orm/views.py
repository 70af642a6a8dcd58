"""The read scenarios, written the way a competent Django + DRF developer would (a baseline, not the product)."""

from __future__ import annotations

import functools
import math
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, TrigramSimilarity
from django.core.cache import cache
from django.db import connection
from django.db.models import Avg, Count, F, FloatField, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import ASin, Cos, Power, Radians, Sin, Sqrt, Trunc
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from rest_framework import generics
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.django_orm import serializers as s
from kernel import availability
from kernel.timezones import local_days_range, parse_zone
from write_api.accounts.models import User
from write_api.bookings.models import Booking
from write_api.catalogue.models import Service, ServiceChild, ServiceSession
from write_api.practitioners.models import Practitioner
from write_api.reviews.models import Review
from write_api.scheduling.models import DateOverride, ScheduleBlock, WeeklyWindow
from write_api.streams.models import Stream

PAGE_SIZE = 20
TRIGRAM_THRESHOLD = 0.3
EARTH_KM = 6371.0


def health(_request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@functools.cache
def has_trigram() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        return cursor.fetchone() is not None


def rating_subquery() -> Subquery:
    published = Review.objects.filter(service=OuterRef("pk"), status="published")
    return Subquery(published.values("service").annotate(a=Avg("rating")).values("a")[:1], output_field=FloatField())


def public_services() -> QuerySet[Service]:
    return (Service.objects.filter(status="active", practitioner__is_active=True)
            .select_related("practitioner", "category").defer("search_vector", "practitioner__search_vector"))


def page_number(request: Request) -> int:
    try:
        return max(int(request.query_params.get("page", 1)), 1)
    except ValueError:
        raise ValidationError({"page": ["Must be a whole number."]}) from None


def facets(queryset: QuerySet[Any]) -> dict[str, dict[str, int]]:
    return {name: {str(k): n for k, n in queryset.order_by().values_list(field).annotate(n=Count("id"))}
            for name, field in (("service_type", "service_type"), ("format", "format"),
                                ("category", "category__slug"))}


# --- search and suggestions -------------------------------------------------------------------------


class SearchView(APIView):
    """Services, practitioners and streams matching ``q``: stored tsvector @@ websearch query (GIN), ranked by
    ``ts_rank``, plus trigram similarity on titles when available; highlighted snippets, total and facets."""

    def get(self, request: Request) -> Response:
        q = request.query_params.get("q", "").strip()[:200]
        kind = request.query_params.get("type", "all")
        page = page_number(request)
        query = SearchQuery(q, search_type="websearch", config="english")
        sources = {
            "service": (public_services(), "title", "description", s.ServiceCardSerializer),
            "practitioner": (Practitioner.objects.filter(is_active=True).defer("search_vector"), "display_name", "bio",
                             s.PractitionerCardSerializer),
            "stream": (Stream.objects.filter(status="published", practitioner__is_active=True)
                       .select_related("practitioner").defer("search_vector", "practitioner__search_vector"),
                       "title", "description", s.StreamCardSerializer),
        }
        ranked: list[tuple[float, str, Any]] = []
        total, by_kind, service_facets = 0, {}, {}
        for name, (queryset, title, body, serializer) in sources.items():
            if kind not in ("all", name):
                continue
            match = Q(search_vector=query)
            if has_trigram():
                match |= Q(**{f"{title}__trigram_similar": q})
            hits = queryset.filter(match) if q else queryset
            count = hits.count()
            total += count
            by_kind[name] = count
            if name == "service":
                service_facets = facets(hits)
            rank: SearchRank | CombinedExpression = SearchRank(F("search_vector"), query)
            if has_trigram():
                rank = rank + TrigramSimilarity(title, q)
            top = hits.annotate(rank=rank, snippet=SearchHeadline(body, query, config="english", max_fragments=1))
            if name == "service":
                top = top.annotate(rating=rating_subquery())
            for row in top.order_by("-rank", "pk")[:page * PAGE_SIZE]:
                ranked.append((row.rank, name, serializer(row).data))
        ranked.sort(key=lambda r: -r[0])
        results = [{"type": name, "score": score, **data}
                   for score, name, data in ranked[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]]
        return Response({"count": total, "results": results, "facets": {"type": by_kind, **service_facets}})


class SuggestionsView(APIView):
    """Titles and names starting with ``q`` (or a word of them), ranked by prefix match and bookings."""

    def get(self, request: Request) -> Response:
        q = request.query_params.get("q", "").strip()[:100]
        try:
            limit = min(max(int(request.query_params.get("limit", 8)), 1), 20)
        except ValueError:
            raise ValidationError({"limit": ["Must be a whole number."]}) from None
        words = re.findall(r"\w+", q)
        if not words:
            return Response([])
        prefix = SearchQuery(" & ".join(f"{w}:*A" for w in words), search_type="raw", config="simple")
        counted = Q(bookings__status__in=("confirmed", "completed"))
        entries = []
        for queryset, field in ((public_services(), "title"),
                                (Practitioner.objects.filter(is_active=True).defer("search_vector"), "display_name")):
            match = Q(search_vector=prefix) | Q(**{f"{field}__istartswith": q})
            if has_trigram():
                match |= Q(**{f"{field}__trigram_similar": q})
            rows = (queryset.filter(match).annotate(popularity=Count("bookings", filter=counted))
                    .order_by("-popularity", field)[:limit * 4])
            for row in rows:
                text = getattr(row, field)
                starts = text.lower().startswith(q.lower())
                entries.append((not starts, -row.popularity, text, {"text": text, "type": row._meta.model_name,
                                                                    "id": str(row.pk)}))
        entries.sort(key=lambda e: e[:3])
        return Response([e[3] for e in entries[:limit]])


# --- catalogue ----------------------------------------------------------------------------------------


def km_from(lat: float, lng: float) -> Any:
    """Great-circle distance (haversine) from a point to the practitioner's location, in the database."""
    dlat = Radians(F("practitioner__latitude") - lat) / 2
    dlng = Radians(F("practitioner__longitude") - lng) / 2
    a = Power(Sin(dlat), 2) + Cos(Radians(lat)) * Cos(Radians(F("practitioner__latitude"))) * Power(Sin(dlng), 2)
    return 2 * EARTH_KM * ASin(Sqrt(a))


ORDERINGS = {"price": ("price_cents", "id"), "-price": ("-price_cents", "id"), "newest": ("-created_at", "id"),
             "rating": ("-rating", "id"), "distance": ("distance_km", "id")}


class ServiceListView(generics.ListAPIView):
    """``ServiceViewSet.list`` of the customer's plan: filters, haversine distance, ordering, page, facets."""

    serializer_class = s.ServiceCardSerializer

    def number(self, name: str) -> float | None:
        raw = self.request.query_params.get(name)
        try:
            return float(raw) if raw else None
        except ValueError:
            raise ValidationError({name: ["Must be a number."]}) from None

    def get_queryset(self) -> QuerySet[Service]:
        params = self.request.query_params
        queryset = public_services().annotate(rating=rating_subquery())
        for name, field in (("service_type", "service_type"), ("format", "format"), ("category", "category__slug"),
                            ("modality", "modalities__slug"), ("practitioner", "practitioner_id")):
            if params.get(name):
                queryset = queryset.filter(**{field: params[name].replace("-", "_") if name == "format"
                                              else params[name]})
        low, high, minimum = self.number("price_min"), self.number("price_max"), self.number("rating_min")
        if low is not None:
            queryset = queryset.filter(price_cents__gte=round(low * 100))
        if high is not None:
            queryset = queryset.filter(price_cents__lte=round(high * 100))
        if minimum is not None:
            queryset = queryset.filter(rating__gte=minimum)
        lat, lng, radius = self.number("latitude"), self.number("longitude"), self.number("distance")
        ordering = params.get("ordering") or "newest"
        if lat is not None and lng is not None:
            queryset = queryset.annotate(distance_km=km_from(lat, lng))
            if radius is not None:
                # a bounding box the point index can use, then the exact distance
                dlat = radius / 111.0
                dlng = radius / max(111.0 * abs(math.cos(math.radians(lat))), 1e-6)
                queryset = queryset.filter(practitioner__latitude__range=(lat - dlat, lat + dlat),
                                           practitioner__longitude__range=(lng - dlng, lng + dlng),
                                           distance_km__lte=radius)
        elif ordering == "distance":
            raise ValidationError({"ordering": ["distance needs latitude and longitude."]})
        if ordering not in ORDERINGS:
            raise ValidationError({"ordering": [f"One of {sorted(ORDERINGS)}."]})
        return queryset.order_by(*ORDERINGS[ordering])

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        response.data["facets"] = facets(self.get_queryset())
        return response


class ServiceDetailView(generics.RetrieveAPIView):
    """``ServiceViewSet.retrieve``: one query for the service and its relations, prefetches for the rest."""

    serializer_class = s.ServiceDetailSerializer

    def get_queryset(self) -> QuerySet[Service]:
        upcoming = (ServiceSession.objects.filter(status="scheduled", start_at__gt=datetime.now(UTC))
                    .annotate(seats_taken=Count("seats", filter=Q(seats__active=True))).order_by("start_at"))
        return (public_services().prefetch_related(
            "modalities", "practitioner__modalities", "children",
            Prefetch("sessions", queryset=upcoming, to_attr="upcoming_sessions"),
            Prefetch("contained_in", queryset=ServiceChild.objects.filter(parent__status="active")
                     .select_related("parent").defer("parent__search_vector"), to_attr="active_containers")))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        service = self.get_object()
        service.upcoming_sessions = service.upcoming_sessions[:20]
        return Response(self.get_serializer(service).data)


class TimeSlotsView(APIView):
    """Free 1:1 slots computed from ORM rows with the same :func:`kernel.availability.free_slots`."""

    def get(self, request: Request, pk: Any) -> Response:
        try:
            day = date.fromisoformat(request.query_params["date"])
            days = min(max(int(request.query_params.get("days", 1)), 1), 31)
        except (KeyError, ValueError):
            raise ValidationError({"date": ["YYYY-MM-DD required."]}) from None
        service = get_object_or_404(public_services(), pk=pk)
        practitioner = service.practitioner
        zone = parse_zone(practitioner.timezone)
        display = parse_zone(request.query_params.get("timezone") or zone.key)
        start, end = local_days_range(day, days, display)
        low, high = start - timedelta(days=2), end + timedelta(days=2)
        if service.service_type in ("workshop", "course"):
            sessions = (service.sessions.filter(status="scheduled", start_at__gte=start, start_at__lt=end,
                                                start_at__gt=datetime.now(UTC))
                        .annotate(seats_taken=Count("seats", filter=Q(seats__active=True)))
                        .filter(seats_taken__lt=F("capacity")))
            return Response(s.SessionSerializer(sessions, many=True).data)
        if service.service_type != "session":
            raise ValidationError({"service": ["Not schedulable."]})
        one_to_one = (Booking.objects.filter(practitioner=practitioner, status="confirmed", start_at__lt=high,
                                             end_at__gt=low, seats__isnull=True).values_list("start_at", "end_at"))
        hosted = (ServiceSession.objects.filter(service__practitioner=practitioner, status="scheduled",
                                                start_at__lt=high, end_at__gt=low).values_list("start_at", "end_at"))
        blocks = ScheduleBlock.objects.filter(practitioner=practitioner, start_at__lt=high, end_at__gt=low)
        overrides = DateOverride.objects.filter(practitioner=practitioner, date__range=(low.date(), high.date()))
        slots = availability.free_slots(
            rules=availability.Rules(zone=zone.key, buffer_minutes=practitioner.buffer_minutes,
                                     min_notice_minutes=practitioner.min_notice_minutes,
                                     max_advance_days=practitioner.max_advance_days,
                                     step_minutes=service.step_minutes),
            weekly=[availability.WeeklyWindow(w.weekday, w.start_minute, w.end_minute)
                    for w in WeeklyWindow.objects.filter(practitioner=practitioner)],
            overrides=[availability.DateOverride(date=o.date, windows=tuple(tuple(w) for w in o.windows))
                       for o in overrides],
            busy=[availability.Interval(a, b) for a, b in [*one_to_one, *hosted] if a is not None and b is not None],
            blocks=[availability.Interval(b.start_at, b.end_at) for b in blocks],
            duration_minutes=service.duration_minutes, range_start_utc=start, range_end_utc=end,
            now_utc=datetime.now(UTC))
        return Response(availability.present_slots(slots, practitioner_zone=zone, display_zone=display))


# --- analytics: ORM aggregates behind the plan's 5-minute cache ------------------------------------------


class AnalyticsView(APIView):
    permission_classes = [IsAuthenticated]

    def window(self, request: Request) -> dict[str, Any]:
        params = request.query_params
        try:
            first, last = date.fromisoformat(params["start"]), date.fromisoformat(params["end"])
            zone = parse_zone(params.get("timezone") or "UTC")
        except (KeyError, ValueError) as exc:
            raise ValidationError({"start": [str(exc)]}) from None
        grain = params.get("granularity", "month")
        if grain not in ("day", "week", "month"):
            raise ValidationError({"granularity": ["day, week or month."]})
        start = datetime(first.year, first.month, first.day, tzinfo=zone)
        end = datetime(last.year, last.month, last.day, tzinfo=zone) + timedelta(days=1)
        return {"start": start, "end": end, "previous": start - (end - start), "zone": zone, "grain": grain,
                "compare": params.get("compare") == "previous"}

    def get(self, request: Request) -> Response:
        assert isinstance(request.user, User)  # IsAuthenticated
        try:
            practitioner = request.user.practitioner
        except Practitioner.DoesNotExist:
            raise PermissionDenied("Practitioners only.") from None
        key = f"analytics:{type(self).__name__}:{practitioner.pk}:{request.GET.urlencode()}"
        data = cache.get(key)
        if data is None:
            data = self.compute(practitioner, self.window(request))
            # Declared by the bench's own settings (bench.django_orm.settings); mypy reads workers.settings.
            cache.set(key, data, settings.ANALYTICS_CACHE_SECONDS)  # type: ignore[misc]
        return Response(data)

    def compute(self, practitioner: Practitioner, w: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    @staticmethod
    def own(practitioner: Practitioner, w: dict[str, Any]) -> QuerySet[Booking]:
        return Booking.objects.filter(practitioner=practitioner, parent__isnull=True, created_at__gte=w["start"],
                                      created_at__lt=w["end"]).order_by()


class RevenueView(AnalyticsView):
    def compute(self, practitioner: Practitioner, w: dict[str, Any]) -> dict[str, Any]:
        rows = (self.own(practitioner, w)
                .annotate(period=Trunc("created_at", w["grain"], tzinfo=w["zone"]))
                .values("period", "service__service_type")
                .annotate(gross=Sum("charged_cents"), refunds=Sum("refund_cents")).order_by("period"))
        periods = [{"period": r["period"].date().isoformat(), "service_type": r["service__service_type"],
                    "gross_cents": r["gross"], "refunds_cents": r["refunds"], "net_cents": r["gross"] - r["refunds"]}
                   for r in rows]
        totals = {k: sum(p[f"{k}_cents"] for p in periods) for k in ("gross", "refunds", "net")}
        data: dict[str, Any] = {"periods": periods, "totals": totals}
        if w["compare"]:
            previous = Booking.objects.filter(practitioner=practitioner, parent__isnull=True,
                                              created_at__gte=w["previous"], created_at__lt=w["start"]).aggregate(
                gross=Sum("charged_cents", default=0), refunds=Sum("refund_cents", default=0))
            data["previous"] = {**previous, "net": previous["gross"] - previous["refunds"]}
        return data


class ClientsView(AnalyticsView):
    def compute(self, practitioner: Practitioner, w: dict[str, Any]) -> dict[str, Any]:
        mine = Booking.objects.filter(practitioner=practitioner, parent__isnull=True).order_by()
        firsts = dict(mine.values("client_id").annotate(first=Min("created_at")).values_list("client_id", "first"))
        period = self.own(practitioner, w)
        clients = set(period.values_list("client_id", flat=True).distinct())
        new = sum(1 for c in clients if firsts.get(c) and firsts[c] >= w["start"])
        cohorts: dict[str, dict[str, int]] = {}
        for client_id, month in (mine.filter(created_at__gte=w["start"], created_at__lt=w["end"])
                                 .annotate(month=Trunc("created_at", "month", tzinfo=w["zone"]))
                                 .values_list("client_id", "month").distinct()):
            cohort = firsts[client_id].astimezone(w["zone"]).strftime("%Y-%m")
            cohorts.setdefault(cohort, {}).setdefault(month.strftime("%Y-%m"), 0)
            cohorts[cohort][month.strftime("%Y-%m")] += 1
        top = (period.values("client_id").annotate(bookings=Count("id"),
                                                   spent=Sum(F("charged_cents") - F("refund_cents")))
               .order_by("-spent")[:10])
        repeat = period.values("client_id").annotate(n=Count("id")).filter(n__gt=1).count()
        return {"unique": len(clients), "new": new, "returning": len(clients) - new,
                "repeat_rate": repeat / len(clients) if clients else 0.0, "cohorts": cohorts,
                "top_clients": [{**t, "client_id": str(t["client_id"])} for t in top]}


class TrendsView(AnalyticsView):
    def compute(self, practitioner: Practitioner, w: dict[str, Any]) -> dict[str, Any]:
        period = self.own(practitioner, w)
        series = (period.annotate(p=Trunc("created_at", w["grain"], tzinfo=w["zone"])).values("p")
                  .annotate(bookings=Count("id"), cancellations=Count("id", filter=Q(status="cancelled")))
                  .order_by("p"))
        heat: dict[str, int] = {}
        leads = [0] * 13
        for start_at, created_at in period.filter(start_at__isnull=False).values_list("start_at", "created_at"):
            assert start_at is not None  # filtered
            local = start_at.astimezone(w["zone"])
            heat[f"{local.isoweekday()}:{local.hour}"] = heat.get(f"{local.isoweekday()}:{local.hour}", 0) + 1
            leads[min(int((start_at - created_at).total_seconds() // (5 * 86400)), 12)] += 1
        top = period.values("service_id", "service__title").annotate(n=Count("id")).order_by("-n")[:10]
        return {"periods": [{"period": r["p"].date().isoformat(), "bookings": r["bookings"],
                             "cancellations": r["cancellations"]} for r in series],
                "heatmap": heat, "lead_time_buckets": leads,
                "top_services": [{"id": str(t["service_id"]), "title": t["service__title"], "bookings": t["n"]}
                                 for t in top]}
