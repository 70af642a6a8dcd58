"""Query parameters of search and browsing: validated, normalised, turned into an engine request.

Every bad value is a 400 ``validation_error`` with per-field errors (never a 500): ``q`` over 200
characters, an unknown ``type``/``ordering``/``service_type``/``format``, non-numeric or negative prices,
``price_min`` above ``price_max``, coordinates out of range, ``distance`` without a point, ``ordering=distance``
without a point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rest_framework import serializers

from api_conventions.errors import ValidationFailed
from api_conventions.pagination import PageRequest
from api_conventions.serializers import StrictUUIDField, service_format_field
from search_index.engine import ORDERINGS, SearchFilters, SearchRequest
from search_index.geo import Point

MAX_QUERY_LENGTH = 200
MAX_RESULT_WINDOW = 10_000  # deepest result reachable by paging (Elasticsearch's max_result_window)
MAX_DISTANCE_KM = 20_000
TYPES = {"all": ("service", "practitioner", "stream"), "service": ("service",),
         "practitioner": ("practitioner",), "stream": ("stream",)}
SERVICE_TYPES = ("session", "workshop", "course", "package", "bundle")
FORMATS = ("online", "in_person", "hybrid")


class FiniteFloatField(serializers.FloatField):
    def to_internal_value(self, data: Any) -> float:
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value


def _price_field() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal(0), required=False,
                                    help_text="Major units, e.g. 45.5.")


class FilterParams(serializers.Serializer):
    q = serializers.CharField(required=False, default="", allow_blank=True, max_length=MAX_QUERY_LENGTH,
                              trim_whitespace=True)
    service_type = serializers.ChoiceField(choices=SERVICE_TYPES, required=False)
    format = service_format_field(FORMATS, required=False)
    price_min = _price_field()
    price_max = _price_field()
    latitude = FiniteFloatField(min_value=-90, max_value=90, required=False)
    longitude = FiniteFloatField(min_value=-180, max_value=180, required=False)
    distance = FiniteFloatField(min_value=0.001, max_value=MAX_DISTANCE_KM, required=False, help_text="Kilometres.")
    category = serializers.SlugField(max_length=60, required=False)
    modality = serializers.SlugField(max_length=60, required=False)
    rating_min = FiniteFloatField(min_value=0, max_value=5, required=False)
    practitioner = StrictUUIDField(required=False)
    ordering = serializers.ChoiceField(choices=ORDERINGS, required=False, default="relevance")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        has_lat, has_lon = "latitude" in attrs, "longitude" in attrs
        if has_lat != has_lon:
            errors["latitude" if not has_lat else "longitude"] = ["Give latitude and longitude together."]
        if "distance" in attrs and not (has_lat and has_lon):
            errors["distance"] = ["A distance needs a point: give latitude and longitude."]
        if attrs.get("ordering") == "distance" and not (has_lat and has_lon):
            errors["ordering"] = ["Ordering by distance needs a point: give latitude and longitude."]
        low, high = attrs.get("price_min"), attrs.get("price_max")
        if low is not None and high is not None and low > high:
            errors["price_min"] = ["Must not be greater than price_max."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class SearchParams(FilterParams):
    type = serializers.ChoiceField(choices=list(TYPES), required=False, default="all")


@dataclass(frozen=True)
class ParsedSearch:
    request: SearchRequest
    page: PageRequest
    filters_applied: dict[str, Any]
    ordering: str
    beyond_window: bool = False  # the page lies past MAX_RESULT_WINDOW: the request only counts the hits


def _cents(value: Decimal | None) -> int | None:
    return None if value is None else int((value * 100).to_integral_value())


def _validated(serializer: serializers.Serializer) -> dict[str, Any]:
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def parse(query_params: Any, *, kinds: tuple[str, ...] | None = None) -> ParsedSearch:
    """Search (``kinds`` None: from ``type``) or browsing (fixed ``kinds``) parameters → engine request."""
    data = _validated(SearchParams(data=query_params) if kinds is None else FilterParams(data=query_params))
    page = PageRequest.from_query(query_params)
    beyond_window = page.offset + page.page_size > MAX_RESULT_WINDOW
    near = Point(data["latitude"], data["longitude"]) if "latitude" in data else None
    filters = SearchFilters(
        service_type=data.get("service_type"), format=data.get("format"),
        price_min_cents=_cents(data.get("price_min")), price_max_cents=_cents(data.get("price_max")),
        category=data.get("category"), modality=data.get("modality"), rating_min=data.get("rating_min"),
        practitioner_id=str(data["practitioner"]) if "practitioner" in data else None,
        near=near, distance_km=data.get("distance"),
    )
    applied: dict[str, Any] = {}
    if kinds is None:
        applied = {"q": data["q"], "type": data["type"]}
    elif data["q"]:
        applied = {"q": data["q"]}
    for name in ("service_type", "format", "category", "modality", "rating_min", "latitude", "longitude",
                 "distance"):
        if name in data:
            applied[name] = data[name]
    for name in ("price_min", "price_max"):
        if name in data:
            applied[name] = float(data[name])
    if "practitioner" in data:
        applied["practitioner"] = str(data["practitioner"])
    request = SearchRequest(q=data["q"], kinds=TYPES[data["type"]] if kinds is None else kinds, filters=filters,
                            ordering=data["ordering"], offset=0 if beyond_window else page.offset,
                            limit=0 if beyond_window else page.page_size, facets=True, highlight=bool(data["q"]))
    return ParsedSearch(request=request, page=page, filters_applied=applied, ordering=data["ordering"],
                        beyond_window=beyond_window)


def check_window(parsed: ParsedSearch, total: int) -> None:
    """A page past the last hit is an empty page, however deep; a page with hits past the window is a 400."""
    if parsed.beyond_window and total > parsed.page.offset:
        raise ValidationFailed(errors={"page": [f"Only the first {MAX_RESULT_WINDOW} results can be paged through; "
                                                "narrow the search."]})
