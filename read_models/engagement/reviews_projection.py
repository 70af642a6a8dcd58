"""The ``reviews`` projection: published reviews and rating summaries in Redis, for ``GET /reviews/``.

Keys (generation prefix ``rm:reviews:g<g>:``):

* ``review:<id>`` — the public review document;
* ``reviews:all``, ``reviews:service:<id>``, ``reviews:practitioner:<id>`` — sorted sets of review ids
  by publication time (epoch seconds);
* ``summary:service:<id>``, ``summary:practitioner:<id>`` — ``{average, count, distribution}`` as the
  events carry them (exact, computed by the command under the practitioner's lock).

Deleted reviews leave every key. All writes are SET/DEL/ZADD/ZREM from event-carried state, so a
replay changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kernel.events import RecordedEvent
from read_models.generation_store import GenerationStore
from read_models.store_projection import StoreProjection

STORE = GenerationStore("reviews")


def review_doc(p: dict[str, Any]) -> dict[str, Any]:
    return {"id": p["review_id"], "service": {"id": p["service_id"], "title": p["service_title"]},
            "practitioner_id": p["practitioner_id"], "reviewer": {"name": p["reviewer_name"]},
            "rating": p["rating"], "comment": p["comment"],
            "reply": {"text": p["reply"], "replied_at": p["replied_at"]} if p.get("replied_at") else None,
            "created_at": p["created_at"], "updated_at": p["updated_at"]}


class ReviewsProjection(StoreProjection):
    name = "reviews"
    description = "Published reviews by service and practitioner, with rating summaries (Redis)."
    store = STORE

    def _indexes(self, p: dict[str, Any]) -> list[str]:
        return ["reviews:all", f"reviews:service:{p['service_id']}", f"reviews:practitioner:{p['practitioner_id']}"]

    def _summaries(self, p: dict[str, Any]) -> None:
        self.b.put(f"summary:service:{p['service_id']}", p["service_rating"])
        self.b.put(f"summary:practitioner:{p['practitioner_id']}", p["practitioner_rating"])

    def _published(self, event: RecordedEvent) -> None:
        p = event.payload
        self.b.put(f"review:{p['review_id']}", review_doc(p))
        score = datetime.fromisoformat(p["created_at"]).timestamp()
        for key in self._indexes(p):
            self.b.zadd(key, p["review_id"], score)
        self._summaries(p)

    def on_review_published(self, event: RecordedEvent) -> None:
        self._published(event)

    def on_review_updated(self, event: RecordedEvent) -> None:
        self._published(event)

    def on_review_replied(self, event: RecordedEvent) -> None:
        self._published(event)

    def on_review_deleted(self, event: RecordedEvent) -> None:
        p = event.payload
        self.b.delete(f"review:{p['review_id']}")
        for key in self._indexes(p):
            self.b.zrem(key, p["review_id"])
        self._summaries(p)
