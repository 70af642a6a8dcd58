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

from typing import Any

from kernel.events import (
    ACCOUNT_EVENTS,
    BOOKING_EVENTS,
    CREDIT_EVENTS,
    FAVORITE_EVENTS,
    PRACTITIONER_EVENTS,
    SCHEDULE_EVENTS,
    SERVICE_EVENTS,
    SESSION_EVENTS,
    STREAM_EVENTS,
    RecordedEvent,
    ReviewDeleted,
    ReviewPublished,
    ReviewReplied,
    ReviewState,
    ReviewUpdated,
)
from kernel.projection import on
from read_models.generation_store import GenerationStore
from read_models.store_projection import StoreProjection

STORE = GenerationStore("reviews")


# --- keys: the projection writes them, the reviews view reads them -----------------------------------

def review_key(review_id: object) -> str:
    """The review document."""
    return f"review:{review_id}"


def reviews_index_key(scope: str = "all", scope_id: object = None) -> str:
    """Review ids by creation time: every review (``all``), or one ``service``'s or ``practitioner``'s."""
    return "reviews:all" if scope == "all" else f"reviews:{scope}:{scope_id}"


def summary_key(scope: str, scope_id: object) -> str:
    """The rating summary of one ``service`` or ``practitioner``."""
    return f"summary:{scope}:{scope_id}"


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
    # Event types this read model does not need: whole contexts it needs nothing of, then single types (a new
    # type must be handled or ignored here).
    ignores = (ACCOUNT_EVENTS | PRACTITIONER_EVENTS | SCHEDULE_EVENTS | SERVICE_EVENTS | SESSION_EVENTS
               | BOOKING_EVENTS | FAVORITE_EVENTS | STREAM_EVENTS | CREDIT_EVENTS)

    def _indexes(self, review: ReviewState) -> list[str]:
        return [reviews_index_key(), reviews_index_key("service", review.service_id),
                reviews_index_key("practitioner", review.practitioner_id)]

    def _summaries(self, review: ReviewState) -> None:
        self.b.put(summary_key("service", review.service_id), review.service_rating)
        self.b.put(summary_key("practitioner", review.practitioner_id), review.practitioner_rating)

    @on(ReviewPublished, ReviewUpdated, ReviewReplied)
    def _published(self, event: RecordedEvent[ReviewPublished | ReviewUpdated | ReviewReplied]) -> None:
        review = event.event
        self.b.put(review_key(review.review_id), review_doc(event.payload))  # the event-carried JSON state
        for key in self._indexes(review):
            self.b.zadd(key, str(review.review_id), review.created_at.timestamp())
        self._summaries(review)

    @on(ReviewDeleted)
    def on_review_deleted(self, event: RecordedEvent[ReviewDeleted]) -> None:
        review = event.event
        self.b.delete(review_key(review.review_id))
        for key in self._indexes(review):
            self.b.zrem(key, str(review.review_id))
        self._summaries(review)
