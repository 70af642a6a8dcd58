"""Search, suggestions, service browsing and public practitioner profiles, from the search read model.

* ``GET /api/v1/search/?q=&type=all|service|practitioner|stream`` + service filters and ``ordering``;
* ``GET /api/v1/search/suggestions/?q=&limit=`` — titles and names by prefix (one typo tolerated), and
  popular past queries;
* ``GET /api/v1/services/`` — the same filters over services, ``q`` optional;
* ``GET /api/v1/practitioners/{id}/`` — an active practitioner's public profile and services.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from api_conventions.errors import NotFound, ServiceUnavailable
from api_conventions.pagination import PageQuery, pagination_meta
from api_conventions.responses import ok
from kernel.vocabulary import ErrorCode
from read_models import timing
from read_models.search import popular_queries
from read_models.search.cards import card
from read_models.search.params import (
    MAX_QUERY_LENGTH,
    FilterParams,
    ParsedSearch,
    SearchParams,
    check_window,
    parse,
)
from read_models.search.payloads import PractitionerProfile, SearchCard, Suggestion
from read_models.views import ReadModelView
from search_index.engine import (
    SearchEngine,
    SearchFilters,
    SearchRequest,
    SearchResult,
    SearchUnavailable,
    SuggestRequest,
)
from search_index.engines import configured_engine
from search_index.text import normalised_query

FACET_NAMES = {"type": "kind", "service_type": "service_type", "format": "format", "category": "category"}
DEFAULT_SUGGESTIONS = 8
MAX_SUGGESTIONS = 20
SUGGESTION_CANDIDATES = 3  # times ``limit`` asked of the engine, so that dropping repeated titles still fills it
PROFILE_SERVICES = 100


class _NoFormatOverride:
    """DRF's settings, except that ``?format=`` does not pick a renderer."""

    def __getattr__(self, name: str) -> Any:
        return None if name == "URL_FORMAT_OVERRIDE" else getattr(api_settings, name)


class FormatIsAFilter(DefaultContentNegotiation):
    """``format`` (online, in_person, hybrid) is a service filter here, not DRF's renderer override."""

    settings = _NoFormatOverride()  # type: ignore[assignment]  # only the one setting negotiation reads


class SearchReadView(ReadModelView):
    """A view answering from the search engine: an unreachable engine is a 503 ``search_unavailable``."""

    read_models = ("search",)
    content_negotiation_class = FormatIsAFilter

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, SearchUnavailable):
            unavailable = ServiceUnavailable("Search is unavailable; retry shortly.", code=ErrorCode.SEARCH_UNAVAILABLE)
            unavailable.__cause__ = exc
            exc = unavailable
        return super().handle_exception(exc)


def engine() -> SearchEngine:
    return configured_engine()


@timing.fetch
def run_search(request: SearchRequest) -> SearchResult:
    return engine().search(request)


def search_page(parsed: ParsedSearch) -> SearchResult:
    result = run_search(parsed.request)
    check_window(parsed, result.total)
    return result


def search_response(http_request: Any, parsed: ParsedSearch, result: SearchResult) -> Response:
    near = parsed.request.filters.near
    meta = {
        "pagination": pagination_meta(http_request, parsed.page, result.total),
        "filters_applied": parsed.filters_applied,
        "ordering": parsed.ordering,
        "facets": {name: dict(sorted(result.facets.get(source, {}).items())) for name, source in FACET_NAMES.items()},
    }
    return ok([card(hit, near) for hit in result.hits], meta=meta)


class SearchApi(SearchReadView):
    """Unified search over services, practitioners and streams, with facets and highlighted snippets."""

    query_serializer = (SearchParams, PageQuery)  # documents the query parameters (api_conventions.schema)
    payload = list[SearchCard]

    def get(self, request: Request) -> Response:
        parsed = parse(request.query_params)
        result = search_page(parsed)
        if parsed.request.q and result.total and parsed.page.page == 1:
            user = request.user
            popular_queries.record(parsed.request.q, user_id=str(user.id) if user.is_authenticated else None)
        return search_response(request, parsed, result)


class ServiceBrowseApi(SearchReadView):
    """Active services of active practitioners, filtered and ordered like search (``q`` optional)."""

    query_serializer = (FilterParams, PageQuery)  # documents the query parameters (api_conventions.schema)
    payload = list[SearchCard]

    def get(self, request: Request) -> Response:
        parsed = parse(request.query_params, kinds=("service",))
        return search_response(request, parsed, search_page(parsed))


class SuggestionParams(serializers.Serializer):
    q = serializers.CharField(required=False, default="", allow_blank=True, max_length=MAX_QUERY_LENGTH)
    limit = serializers.IntegerField(required=False, default=DEFAULT_SUGGESTIONS, min_value=1,
                                     max_value=MAX_SUGGESTIONS)


class SuggestionsApi(SearchReadView):
    """At most ``limit`` entries ``{text, type, id}``: titles and names first by match quality, then by
    popularity; popular past queries (``type`` ``query``, ``id`` null) fill at most half of them. No text
    appears twice (of identical titles, the best ranked stands for all)."""

    query_serializer = SuggestionParams  # documents the query parameters (api_conventions.schema)
    payload = list[Suggestion]

    def get(self, request: Request) -> Response:
        params = SuggestionParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        q, limit = params.validated_data["q"], params.validated_data["limit"]
        if not q.strip():
            return ok([], meta={"filters_applied": {"q": q, "limit": limit}})
        with timing.fetching():
            found = engine().suggest(SuggestRequest(q=q, limit=limit * SUGGESTION_CANDIDATES))
        distinct = {normalised_query(s.text): s for s in reversed(found)}  # the best of identical titles
        documents = sorted(distinct.values(), key=found.index)[:limit]
        entries = [(s.quality, s.popularity, 0, {"text": s.text, "type": s.kind, "id": s.id}) for s in documents]
        seen = {normalised_query(s.text) for s in documents}
        queries = [p for p in popular_queries.starting_with(q, limit) if p.text not in seen]
        entries += [(3, p.count, 1, {"text": p.text, "type": "query", "id": None})
                    for p in queries[:max(1, limit // 2)]]
        entries.sort(key=lambda e: (-e[0], -e[1], e[2]))
        return ok([e[3] for e in entries[:limit]], meta={"filters_applied": {"q": q, "limit": limit}})


class PractitionerProfileApi(SearchReadView):
    """An active practitioner's public profile with their active services (from the search read model)."""

    payload = PractitionerProfile

    def get(self, request: Request, practitioner_id: UUID) -> Response:
        with timing.fetching():
            doc = engine().fetch("practitioner", str(practitioner_id))
        if doc is None or not doc.get("visible"):
            raise NotFound("Practitioner not found.")
        services = run_search(SearchRequest(kinds=("service",), ordering="newest", limit=PROFILE_SERVICES,
                                            filters=SearchFilters(practitioner_id=doc["id"])))
        data: PractitionerProfile = {
            "id": doc["id"], "display_name": doc["title"], "title": doc.get("headline", ""),
            "bio": doc.get("bio", ""), "timezone": doc.get("timezone"), "online_only": doc.get("online_only", True),
            "address": doc.get("address") or None, "location": doc.get("location"),
            "modalities": doc.get("modalities", []), "rating": doc.get("rating"),
            "review_count": doc.get("review_count", 0), "created_at": doc.get("created_at"),
            "service_count": services.total,
            "services": [card(hit) for hit in services.hits],
        }
        return ok(data)
