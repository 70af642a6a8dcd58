"""``GET /api/v1/search/``: unified search over services and practitioners."""

from __future__ import annotations

from rest_framework import serializers

from api_conventions.pagination import PageRequest, pagination_meta
from api_conventions.responses import ok
from read_models.views import ReadModelView
from search_index.engine import SearchHit, SearchRequest
from search_index.engines import configured_engine

TYPES = {"all": ("service", "practitioner"), "service": ("service",), "practitioner": ("practitioner",)}
MAX_QUERY_LENGTH = 200


class SearchQuery(serializers.Serializer):
    q = serializers.CharField(required=False, default="", allow_blank=True, max_length=MAX_QUERY_LENGTH,
                              trim_whitespace=True)
    type = serializers.ChoiceField(choices=list(TYPES), required=False, default="all")


def hit_out(hit: SearchHit) -> dict:
    doc = hit.document
    card = {"type": hit.kind, "id": hit.id, "title": doc["title"], "snippet": hit.snippet or doc["description"][:200],
            "score": round(hit.score, 4), "practitioner_id": doc.get("practitioner_id"),
            "practitioner_name": doc.get("practitioner_name")}
    if hit.kind == "service":
        card.update(service_type=doc["service_type"], format=doc["format"], price_cents=doc["price_cents"],
                    price=f"{doc['price_cents'] / 100:.2f}", duration_minutes=doc["duration_minutes"])
    return card


class SearchApi(ReadModelView):
    read_models = ("search",)

    def get(self, request):
        params = SearchQuery(data=request.query_params)
        params.is_valid(raise_exception=True)
        page = PageRequest.from_query(request.query_params)
        q, kind = params.validated_data["q"], params.validated_data["type"]
        result = configured_engine().search(
            SearchRequest(q=q, kinds=TYPES[kind], offset=page.offset, limit=page.page_size))
        meta = {"pagination": pagination_meta(request, page, result.total),
                "filters_applied": {"q": q, "type": kind}}
        return ok([hit_out(h) for h in result.hits], meta=meta)
