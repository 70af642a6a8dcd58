"""Reviews and streams on the read API, from the ``reviews`` and ``streams`` read models.

Stream visibility is decided per caller from the JWT alone (no database): the owner is the caller
whose ``practitioner_id`` claim matches, an unlocker is a caller whose id is in ``unlocks:<user id>``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api_conventions.errors import NotAuthenticated, NotFound, ServiceUnavailable
from api_conventions.pagination import PageRequest, pagination_meta
from api_conventions.responses import ok
from api_conventions.serializers import StrictInput, StrictUUIDField
from kernel.vocabulary import ErrorCode
from read_models.engagement.payloads import PublishedReview, StreamCard
from read_models.engagement.reviews_projection import STORE as REVIEWS
from read_models.engagement.reviews_projection import review_key, reviews_index_key, summary_key
from read_models.engagement.streams_projection import STORE as STREAMS
from read_models.generation_store import GenerationStore
from read_models.views import ReadModelView


def active_generation(store: GenerationStore) -> int:
    generation = store.active_generation()
    if generation is None:
        raise ServiceUnavailable(f"The {store.namespace} read model is not built yet.",
                                 code=ErrorCode.PROJECTION_LAGGING)
    return generation


class PagedFilters(StrictInput):
    page = serializers.CharField(required=False)
    page_size = serializers.CharField(required=False)


# --- reviews -------------------------------------------------------------------------------------------


class ReviewListApi(ReadModelView):
    """``GET reviews/?practitioner=&service=``: published reviews, newest first, with the rating summary."""

    read_models = ("reviews",)
    payload = list[PublishedReview]

    class Filters(PagedFilters):
        practitioner = StrictUUIDField(required=False)
        service = StrictUUIDField(required=False)

    query_serializer = Filters

    def get(self, request: Request) -> Response:
        filters = self.Filters(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        page = PageRequest.from_query(request.query_params)
        applied = {k: str(v) for k, v in filters.validated_data.items() if k in ("practitioner", "service")}
        generation = active_generation(REVIEWS)
        keys = [reviews_index_key(name, value) for name, value in applied.items()] or [reviews_index_key()]
        ids, total = REVIEWS.newest_first(generation, keys, page.offset, page.page_size)
        items = [doc for doc in REVIEWS.docs(generation, [review_key(i) for i in ids]) if doc is not None]
        meta: dict[str, Any] = {"pagination": pagination_meta(request, page, total), "filters_applied": applied}
        scope = ("service", applied["service"]) if "service" in applied else (
            ("practitioner", applied["practitioner"]) if "practitioner" in applied else None)
        if scope is not None:
            summary = REVIEWS.doc(generation, summary_key(*scope))
            meta["summary"] = summary or {"average": None, "count": 0,
                                          "distribution": {str(i): 0 for i in range(1, 6)}}
        return ok(items, meta=meta)


# --- streams -------------------------------------------------------------------------------------------


class Caller:
    def __init__(self, request: Any) -> None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self.user_id: str | None = str(user.id)
            self.practitioner_id: str | None = getattr(user, "practitioner_id", None)
        else:
            self.user_id = self.practitioner_id = None

    def owns(self, doc: dict[str, Any]) -> bool:
        return self.practitioner_id is not None and self.practitioner_id == doc["practitioner_id"]


def _user_flags(generation: int, caller: Caller, ids: list[str]) -> dict[str, list[bool]]:
    if caller.user_id is None:
        return {name: [False] * len(ids) for name in ("unlocks", "likes", "saves")}
    return {name: STREAMS.is_member(generation, f"{name}:{caller.user_id}", ids)
            for name in ("unlocks", "likes", "saves")}


def stream_out(doc: dict[str, Any], practitioner: dict[str, Any] | None, caller: Caller, *, unlocked: bool,
               liked: bool, saved: bool) -> StreamCard:
    visible = doc["access"] == "free" or caller.owns(doc) or unlocked
    authenticated = caller.user_id is not None
    return {"id": doc["id"], "practitioner": {"id": doc["practitioner_id"],
                                              "display_name": (practitioner or {}).get("display_name")},
            "title": doc["title"], "description": doc["description"], "tags": doc["tags"],
            "modalities": doc["modalities"], "access": doc["access"], "price_cents": doc["price_cents"],
            "price": f"{doc['price_cents'] / 100:.2f}", "status": doc["status"], "locked": not visible,
            "body": doc["body"] if visible else None, "media_url": doc["media_url"] if visible else None,
            "unlocked": bool(authenticated and doc["access"] == "premium" and visible),
            "like_count": doc["like_count"], "save_count": doc["save_count"],
            "liked": liked if authenticated else None, "saved": saved if authenticated else None,
            "created_at": doc["created_at"], "updated_at": doc["updated_at"]}


def _render(generation: int, caller: Caller, docs: list[dict[str, Any]]) -> list[StreamCard]:
    ids = [d["id"] for d in docs]
    flags = _user_flags(generation, caller, ids)
    practitioners = {p["id"]: p for p in STREAMS.docs(generation, {f"practitioner:{d['practitioner_id']}"
                                                                   for d in docs}) if p}
    return [stream_out(d, practitioners.get(d["practitioner_id"]), caller, unlocked=flags["unlocks"][i],
                       liked=flags["likes"][i], saved=flags["saves"][i]) for i, d in enumerate(docs)]


_CALLER_SETS = {"saved": "saves", "unlocked": "unlocks"}


class StreamListApi(ReadModelView):
    """``GET streams/``: published streams of active practitioners, newest first, as the caller may see them."""

    read_models = ("streams",)
    payload = list[StreamCard]

    class Filters(PagedFilters):
        practitioner = StrictUUIDField(required=False)
        tag = serializers.CharField(max_length=50, required=False)
        modality = serializers.SlugField(max_length=60, required=False)
        access = serializers.ChoiceField(choices=["free", "premium"], required=False)
        saved = serializers.BooleanField(required=False, help_text="`true`: only the streams the caller saved "
                                                                   "(authentication required).")
        unlocked = serializers.BooleanField(required=False, help_text="`true`: only the premium streams the "
                                                                      "caller unlocked (authentication required).")

    query_serializer = Filters

    @extend_schema(operation_id="streams_list")
    def get(self, request: Request) -> Response:
        filters = self.Filters(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        page = PageRequest.from_query(request.query_params)
        mine = {name: True for name in ("saved", "unlocked") if filters.validated_data.get(name)}
        applied = {k: str(v) for k, v in filters.validated_data.items()
                   if k not in ("page", "page_size", "saved", "unlocked")}
        if "tag" in applied:
            applied["tag"] = " ".join(applied["tag"].strip().lower().split())
        caller = Caller(request)
        if mine and caller.user_id is None:
            raise NotAuthenticated("Sign in to list your saved or unlocked streams.")
        generation = active_generation(STREAMS)
        keys = [f"streams:{name}:{value}" for name, value in sorted(applied.items())] or ["streams:all"]
        # The caller's sets intersect the time-ordered listing (a plain set scores 1, the listing keeps its time).
        keys += [f"{_CALLER_SETS[name]}:{caller.user_id}" for name in mine]
        ids, total = STREAMS.newest_first(generation, keys, page.offset, page.page_size)
        docs = [d for d in STREAMS.docs(generation, [f"stream:{i}" for i in ids]) if d is not None]
        items = _render(generation, caller, docs)
        return ok(items, meta={"pagination": pagination_meta(request, page, total),
                               "filters_applied": {**applied, **mine}})


class StreamDetailApi(ReadModelView):
    read_models = ("streams",)
    payload = StreamCard

    def get(self, request: Request, stream_id: UUID) -> Response:
        generation = active_generation(STREAMS)
        doc = STREAMS.doc(generation, f"stream:{stream_id}")
        if doc is None:
            raise NotFound("Stream not found.")
        caller = Caller(request)
        item = _render(generation, caller, [doc])[0]
        practitioner = STREAMS.doc(generation, f"practitioner:{doc['practitioner_id']}") or {}
        listed = doc["status"] == "published" and practitioner.get("is_active", True)
        # Unlisted (archived, or the practitioner is inactive): the owner, and whoever paid for it, still see it.
        if not listed and not caller.owns(doc) and not item["unlocked"]:
            raise NotFound("Stream not found.")
        return ok(item)
