"""Request bodies for Elasticsearch and OpenSearch, built once with ``elasticsearch.dsl``.

The same plan as every engine (:mod:`search_index.query_plan`): each word must match a full-text field
exactly (after stemming) or, unstemmed, with one edit; the last word may match a title-word prefix through the
``title.prefix`` edge n-grams; filters run in filter context; the sort keys end with ``id``; facets are
``terms`` aggregations over the filtered hits.
"""

from __future__ import annotations

from typing import Any

from elasticsearch.dsl import Q, Search
from elasticsearch.dsl.query import Query

from search_index.documents import FACETS, KINDS, TEXT_FIELDS
from search_index.engine import SearchRequest, SuggestRequest
from search_index.query_plan import SuggestPlan, WordClause, sort_keys, suggest_plan, word_clauses

SNIPPET_CHARS = 150
FUZZY_EXPANSIONS = 200
_UNMAPPED_TYPES = {"price_cents": "long", "rating": "float", "review_count": "integer", "popularity": "long",
                   "created_at": "date", "id": "keyword"}
_BOOSTED_FIELDS = [f"{name}^{boost:g}" for name, boost in TEXT_FIELDS.items()]
_BOOSTED_WORD_FIELDS = [f"{name}.words^{boost:g}" for name, boost in TEXT_FIELDS.items()]


def _word_query(clause: WordClause) -> Query:
    should = [Q("multi_match", query=clause.word, fields=_BOOSTED_FIELDS, boost=2)]
    if clause.fuzzy:
        should.append(Q("multi_match", query=clause.word, fields=_BOOSTED_WORD_FIELDS, fuzziness=1, prefix_length=0,
                        max_expansions=FUZZY_EXPANSIONS, fuzzy_transpositions=True))
    if clause.prefix:
        should.append(Q("match", **{"title.prefix": {"query": clause.prefix}}))
    return Q("bool", should=should, minimum_should_match=1)


def _filters(request: SearchRequest) -> list[Query]:
    f = request.filters
    out = [Q("term", visible=True)]
    if set(request.kinds) != set(KINDS):
        out.append(Q("terms", kind=list(request.kinds)))
    for name, value in (("service_type", f.service_type), ("format", f.format), ("category", f.category),
                        ("modalities", f.modality), ("practitioner_id", f.practitioner_id)):
        if value is not None:
            out.append(Q("term", **{name: value}))
    if f.price_min_cents is not None or f.price_max_cents is not None:
        bounds = {k: v for k, v in (("gte", f.price_min_cents), ("lte", f.price_max_cents)) if v is not None}
        out.append(Q("range", price_cents=bounds))
    if f.rating_min is not None:
        out.append(Q("range", rating={"gte": f.rating_min}))
    if f.near is not None and f.distance_km is not None:
        out.append(Q("geo_distance", distance=f"{f.distance_km}km", distance_type="arc",
                     location={"lat": f.near.latitude, "lon": f.near.longitude}))
    return out


def _sort(request: SearchRequest) -> list[Any]:
    out: list[Any] = []
    for key in sort_keys(request):
        order = "desc" if key.descending else "asc"
        if key.field == "_score":
            out.append({"_score": {"order": order}})
        elif key.field == "_distance":
            near = request.filters.near
            assert near is not None, "ordering by distance needs a point"
            out.append({"_geo_distance": {"location": {"lat": near.latitude, "lon": near.longitude},
                                          "order": order, "unit": "km", "distance_type": "arc",
                                          "ignore_unmapped": True}})
        else:
            out.append({key.field: {"order": order, "missing": "_last",
                                    "unmapped_type": _UNMAPPED_TYPES[key.field]}})
    return out


def search_body(request: SearchRequest) -> dict[str, Any]:
    clauses = word_clauses(request.q)
    must = [_word_query(c) for c in clauses] or [Q("match_all")]
    search = Search().query(Q("bool", must=must, filter=_filters(request)))
    search = search.sort(*_sort(request)).extra(track_total_hits=True, track_scores=True)
    search = search[request.offset:request.offset + request.limit]
    if request.facets:
        for name in FACETS:
            search.aggs.bucket(name, "terms", field=name, size=1000)
    if request.highlight:
        text = " ".join(c.word for c in clauses)
        for name in ("title", "description"):
            highlight_query = Q("match", **{name: text}) if text else Q("match_none")
            search = search.highlight(name, fragment_size=SNIPPET_CHARS, number_of_fragments=1,
                                      no_match_size=SNIPPET_CHARS, highlight_query=highlight_query.to_dict())
        search = search.highlight_options(pre_tags=["<em>"], post_tags=["</em>"], encoder="html")
    return search.to_dict()


def _suggest_query(plan: SuggestPlan) -> Query:
    prefixes = [Q("match", **{"title.prefix": {"query": w}}) for w in plan.words]
    typos = [Q("match", **{"title.prefix": {"query": w, "fuzziness": 1 if fuzzy else 0, "prefix_length": 0,
                                            "max_expansions": FUZZY_EXPANSIONS, "fuzzy_transpositions": True}})
             for w, fuzzy in zip(plan.words, plan.fuzzy, strict=True)]
    return Q("dis_max", tie_breaker=0, queries=[
        Q("constant_score", filter=Q("prefix", **{"title.sort": plan.phrase}), boost=3),
        Q("constant_score", filter=Q("bool", must=prefixes), boost=2),
        Q("constant_score", filter=Q("bool", must=typos), boost=1),
    ])


def suggest_body(request: SuggestRequest) -> dict[str, Any] | None:
    plan = suggest_plan(request)
    if plan is None:
        return None
    filters = [Q("term", visible=True)]
    if set(request.kinds) != set(KINDS):
        filters.append(Q("terms", kind=list(request.kinds)))
    search = Search().query(Q("bool", must=[_suggest_query(plan)], filter=filters))
    search = search.sort({"_score": {"order": "desc"}},
                         {"popularity": {"order": "desc", "missing": "_last", "unmapped_type": "long"}},
                         {"title.sort": {"order": "asc", "missing": "_last", "unmapped_type": "keyword"}},
                         {"id": {"order": "asc"}})
    search = search.extra(track_scores=True, track_total_hits=False).source(["id", "kind", "title", "popularity"])
    return search[:request.limit].to_dict()
