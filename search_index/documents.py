"""The search index: its definition (``elasticsearch.dsl`` documents) and the documents built from events.

**Definition.** One physical index per kind and generation, ``<prefix>_<kind>_g<generation>``, behind the
alias ``<prefix>_<kind>`` that readers use; a rebuild fills a new generation and swaps every alias in one
atomic request. Text is analysed the same way by every engine: words are maximal runs of letters and
digits (every other character becomes a space before the ``standard`` tokenizer runs, so it cuts where
tantivy's ``simple`` tokenizer does), lowercased and ASCII-folded; full-text fields are then stemmed
with Snowball English (``porter2``, the stemmer tantivy ships) and keep an unstemmed ``.words`` copy
for typo tolerance. ``title.prefix`` holds edge n-grams of the title's words for search-as-you-type
and suggestions; ``title.sort`` is the folded title as one keyword.

**Documents.** Pure functions build the stored document (a dict, the ``_source``) from event payloads.
A service document denormalises its practitioner's name, location and active flag; ``visible`` is the
SPEC §4 rule (active service of an active practitioner) evaluated at projection time, so queries filter
on one field. ``version`` is the position of the last event applied, used as the external version.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from elasticsearch.dsl import (
    Boolean,
    Date,
    Document,
    Float,
    GeoPoint,
    Index,
    Integer,
    Keyword,
    Long,
    MetaField,
    Text,
    analyzer,
    char_filter,
    normalizer,
    token_filter,
)

from search_index.text import PREFIX_MAX_LENGTH

KINDS = ("service", "practitioner", "stream")
MAX_TOKEN_LENGTH = 255

# --- analysis ---------------------------------------------------------------------------------------
# A custom ``pattern`` tokenizer would say this directly, but osmem-server (the OpenSearch test server)
# does not index with one; a char filter in front of ``standard`` gives the same tokens everywhere.
_separators = char_filter("non_words_as_spaces", "pattern_replace", pattern=r"[^\p{L}\p{N}]+", replacement=" ")
_long_tokens = token_filter("drop_long_tokens", "length", min=1, max=MAX_TOKEN_LENGTH)
_english_stemmer = token_filter("english_porter2", "stemmer", language="porter2")
_edges = token_filter("word_edges", "edge_ngram", min_gram=1, max_gram=PREFIX_MAX_LENGTH)

FOLDING_ENGLISH = analyzer("folding_english", char_filter=[_separators], tokenizer="standard",
                           filter=["lowercase", "asciifolding", _long_tokens, _english_stemmer])
FOLDING = analyzer("folding", char_filter=[_separators], tokenizer="standard",
                   filter=["lowercase", "asciifolding", _long_tokens])
FOLDING_PREFIX = analyzer("folding_prefix", char_filter=[_separators], tokenizer="standard",
                          filter=["lowercase", "asciifolding", _edges])
FOLDING_KEYWORD = normalizer("folding_keyword", filter=["lowercase", "asciifolding"])

# Full-text fields and their weights, shared by every engine's query.
TEXT_FIELDS: dict[str, float] = {"title": 3.0, "practitioner_name": 2.0, "keywords": 1.5, "description": 1.0,
                                 "address": 1.0}
FACETS = ("kind", "service_type", "format", "category")


def _full_text() -> Text:
    """Stemmed for matching words, with an unstemmed ``.words`` copy for typo tolerance (a stem hides typos:
    ``meditaton`` is one edit from ``meditation`` but four from its stem ``medit``)."""
    return Text(analyzer=FOLDING_ENGLISH, fields={"words": Text(analyzer=FOLDING)})


class SearchableDocument(Document):
    """Fields every kind has: text, the shared filters and sort keys, the read-side card fields."""

    id = Keyword()
    kind = Keyword()
    title = Text(analyzer=FOLDING_ENGLISH, fields={
        "words": Text(analyzer=FOLDING),
        "sort": Keyword(normalizer=FOLDING_KEYWORD, ignore_above=512),
        "prefix": Text(analyzer=FOLDING_PREFIX, search_analyzer=FOLDING),
    })
    description = _full_text()
    practitioner_id = Keyword()
    practitioner_name = _full_text()
    keywords = _full_text()
    address = _full_text()
    modalities = Keyword()
    location = GeoPoint()
    rating = Float()
    review_count = Integer()
    popularity = Long()
    visible = Boolean()
    created_at = Date()
    version = Long()

    class Meta:
        dynamic = MetaField(False)  # other card fields ride along in _source without being indexed


class ServiceDocument(SearchableDocument):
    service_type = Keyword()
    format = Keyword()
    status = Keyword()
    category = Keyword()
    price_cents = Long()
    duration_minutes = Integer()


class PractitionerDocument(SearchableDocument):
    timezone = Keyword()
    online_only = Boolean()


class StreamDocument(SearchableDocument):
    """Published stream items (filled when the streams issue lands; the index exists from now on)."""

    access = Keyword()
    tags = Keyword()
    price_credits = Integer()


DOCUMENT_CLASSES: dict[str, type[SearchableDocument]] = {
    "service": ServiceDocument, "practitioner": PractitionerDocument, "stream": StreamDocument}


def alias_name(prefix: str, kind: str) -> str:
    return f"{prefix}_{kind}"


def index_name(prefix: str, kind: str, generation: int) -> str:
    return f"{prefix}_{kind}_g{generation}"


def index_definition(prefix: str, kind: str, generation: int) -> Index:
    index = Index(index_name(prefix, kind, generation))
    index.settings(number_of_shards=1)
    index.document(DOCUMENT_CLASSES[kind])
    return index


def index_body(prefix: str, kind: str, generation: int) -> dict[str, Any]:
    """``{"settings": ..., "mappings": ...}`` for creating one physical index."""
    return index_definition(prefix, kind, generation).to_dict()


# --- documents from events ------------------------------------------------------------------------
def doc_key(doc_id: str) -> int:
    """An integer ordered like the id string (first 60 bits of the UUID), for engines sorting on numbers."""
    try:
        return int(uuid.UUID(doc_id).hex[:15], 16)
    except ValueError:
        return int(uuid.uuid5(uuid.NAMESPACE_OID, doc_id).hex[:15], 16)


def _location(payload: dict[str, Any]) -> dict[str, float] | None:
    lat, lon = payload.get("latitude"), payload.get("longitude")
    if lat is None or lon is None:
        return None
    return {"lat": float(lat), "lon": float(lon)}


def _keywords(*parts: Any) -> str:
    """Reference data as searchable words (``sound-healing`` → ``sound healing``)."""
    out: list[str] = []
    for part in parts:
        if not part:
            continue
        values = part if isinstance(part, (list, tuple)) else [part]
        out.extend(str(v).replace("-", " ") for v in values if v)
    return " ".join(out)


def _carried(previous: dict[str, Any] | None) -> dict[str, Any]:
    """What events of other contexts (reviews, bookings) accumulated on a document; kept across updates."""
    previous = previous or {}
    return {"rating": previous.get("rating"), "review_count": previous.get("review_count", 0),
            "popularity": previous.get("popularity", 0)}


def practitioner_document(payload: dict[str, Any], position: int, *, previous: dict[str, Any] | None = None,
                          recorded_at: datetime | None = None) -> dict[str, Any]:
    active = bool(payload["is_active"])
    created_at = (previous or {}).get("created_at") or (recorded_at.isoformat() if recorded_at else None)
    headline, bio = payload.get("title", "") or "", payload.get("bio", "") or ""
    return {
        "id": payload["practitioner_id"],
        "kind": "practitioner",
        "title": payload["display_name"],
        "headline": headline,
        "bio": bio,
        "description": " ".join(p for p in (headline, bio) if p),
        "practitioner_id": payload["practitioner_id"],
        "practitioner_name": payload["display_name"],
        "practitioner_active": active,
        "keywords": _keywords(payload.get("modalities")),
        "modalities": sorted(payload.get("modalities") or []),
        "timezone": payload.get("timezone", "UTC"),
        "online_only": bool(payload.get("online_only", True)),
        "address": payload.get("address") or "",
        "location": _location(payload),
        **_carried(previous),
        "created_at": created_at,
        "visible": active,
        "version": position,
    }


def service_document(payload: dict[str, Any], practitioner: dict[str, Any] | None, position: int, *,
                     previous: dict[str, Any] | None = None) -> dict[str, Any]:
    practitioner_active = bool(practitioner and practitioner["practitioner_active"])
    category = payload.get("category")
    return {
        "id": payload["service_id"],
        "kind": "service",
        "title": payload["title"],
        "description": payload.get("description", ""),
        "service_type": payload["service_type"],
        "format": payload["format"],
        "status": payload["status"],
        "price_cents": int(payload["price_cents"]),
        "duration_minutes": int(payload["duration_minutes"]),
        "category": category,
        "category_name": payload.get("category_name") if category else None,
        "modalities": sorted(payload.get("modalities") or []),
        "keywords": _keywords(payload.get("category_name"), payload.get("modalities")),
        "created_at": payload["created_at"],
        "practitioner_id": payload["practitioner_id"],
        "practitioner_name": practitioner["practitioner_name"] if practitioner else "",
        "practitioner_active": practitioner_active,
        "address": practitioner.get("address", "") if practitioner else "",
        "location": practitioner.get("location") if practitioner else None,
        **_carried(previous),
        "visible": payload["status"] == "active" and practitioner_active,
        "version": position,
    }


def with_practitioner(doc: dict[str, Any], practitioner: dict[str, Any], position: int) -> dict[str, Any]:
    """A service (or stream) document re-denormalised after its practitioner changed."""
    active = bool(practitioner["practitioner_active"])
    own_rule = doc.get("status", "active") == "active" if doc["kind"] == "service" else doc.get("published", True)
    return {**doc, "practitioner_name": practitioner["practitioner_name"], "practitioner_active": active,
            "address": practitioner.get("address", ""), "location": practitioner.get("location"),
            "visible": bool(own_rule) and active, "version": position}


def stream_document(payload: dict[str, Any], practitioner: dict[str, Any] | None, position: int, *,
                    previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """A stream as search sees it: title, description (the public teaser) and tags; never the premium body."""
    practitioner_active = bool(practitioner and practitioner["practitioner_active"])
    published = payload["status"] == "published"
    return {
        "id": payload["stream_id"],
        "kind": "stream",
        "title": payload["title"],
        "description": payload.get("description", ""),
        "access": payload["access"],
        "price_credits": int(payload.get("price_cents") or 0),
        "tags": sorted(payload.get("tags") or []),
        "modalities": sorted(payload.get("modalities") or []),
        "keywords": _keywords(payload.get("tags"), payload.get("modalities")),
        "created_at": payload["created_at"],
        "practitioner_id": payload["practitioner_id"],
        "practitioner_name": practitioner["practitioner_name"] if practitioner else "",
        "practitioner_active": practitioner_active,
        "address": "",
        "location": None,
        **_carried(previous),
        "popularity": int(payload.get("like_count", 0)) + int(payload.get("save_count", 0)),
        "published": published,
        "visible": published and practitioner_active,
        "version": position,
    }


def with_rating(doc: dict[str, Any], summary: dict[str, Any], position: int) -> dict[str, Any]:
    """The published reviews' summary (event-carried) on a service or practitioner document."""
    return {**doc, "rating": summary.get("average"), "review_count": int(summary.get("count", 0)),
            "version": position}


def with_reactions(doc: dict[str, Any], like_count: int, save_count: int, position: int) -> dict[str, Any]:
    return {**doc, "popularity": int(like_count) + int(save_count), "version": position}


def with_booking(doc: dict[str, Any], position: int) -> dict[str, Any]:
    """One more confirmed booking counts towards the document's popularity."""
    return {**doc, "popularity": int(doc.get("popularity", 0)) + 1, "version": position}
