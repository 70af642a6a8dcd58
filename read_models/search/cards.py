"""What a search result shows: the card fields of each kind, taken from the stored document."""

from __future__ import annotations

import html
from typing import Any, cast

from read_models.search.payloads import CardKind, SearchCard
from search_index.engine import SearchHit
from search_index.geo import Point, haversine_km

SNIPPET_CHARS = 150


def _price(cents: int) -> str:
    return f"{cents / 100:.2f}"


def distance_km(doc: dict[str, Any], near: Point | None) -> float | None:
    location = doc.get("location")
    if near is None or not location:
        return None
    return round(haversine_km(near, Point(location["lat"], location["lon"])), 3)


def card(hit: SearchHit, near: Point | None = None) -> SearchCard:
    doc = hit.document
    plain = html.escape((doc.get("description") or "")[:SNIPPET_CHARS])
    out: SearchCard = {
        "type": cast(CardKind, hit.kind), "id": hit.id, "title": doc["title"],
        "snippet": hit.highlights.get("description", plain),
        "highlights": hit.highlights,
        "score": round(hit.score, 4),
        "rating": doc.get("rating"), "review_count": doc.get("review_count", 0),
        "modalities": doc.get("modalities", []),
        "practitioner_id": doc.get("practitioner_id"), "practitioner_name": doc.get("practitioner_name"),
        "location": doc.get("location"), "distance_km": distance_km(doc, near),
    }
    if hit.kind == "service":
        out["service_type"], out["format"] = doc["service_type"], doc["format"]
        out["price_cents"], out["price"] = doc["price_cents"], _price(doc["price_cents"])
        out["duration_minutes"] = doc["duration_minutes"]
        out["category"] = {"slug": doc["category"], "name": doc.get("category_name")} if doc.get("category") else None
        out["created_at"] = doc.get("created_at")
    elif hit.kind == "stream":
        out["access"] = doc.get("access")
        out["price_cents"], out["price"] = doc.get("price_credits", 0), _price(doc.get("price_credits", 0))
        out["tags"], out["popularity"] = doc.get("tags", []), doc.get("popularity", 0)
        out["created_at"] = doc.get("created_at")
    elif hit.kind == "practitioner":
        out["headline"], out["online_only"] = doc.get("headline", ""), doc.get("online_only", True)
        out["address"] = doc.get("address") or None
    return out
