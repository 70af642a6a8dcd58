"""The search projection: practitioners and services (streams later) into the configured engine.

Each batch is written in one engine commit, which also records the batch's last position in the index
(so an index that lost writes is seen as behind its checkpoint and replayed). Handlers read the current
documents through :meth:`SearchProjection._current`, which sees this batch's pending writes first. Counters that events
of other contexts accumulate (popularity now; ratings when reviews land) are idempotent through the
document version: an event at or below a document's version was already applied to it, because the
projection applies events in position order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kernel.events import (
    ACCOUNT_EVENTS,
    CREDIT_EVENTS,
    FAVORITE_EVENTS,
    SCHEDULE_EVENTS,
    SESSION_EVENTS,
    BookingCancelled,
    BookingCompleted,
    BookingConfirmed,
    BookingCreatedUnscheduled,
    BookingRescheduled,
    BookingScheduled,
    PractitionerRegistered,
    PractitionerUpdated,
    RecordedEvent,
    ReviewDeleted,
    ReviewPublished,
    ReviewReplied,
    ReviewUpdated,
    ServiceCreated,
    ServiceUpdated,
    StreamArchived,
    StreamLiked,
    StreamPublished,
    StreamSaved,
    StreamUnliked,
    StreamUnlocked,
    StreamUnsaved,
    StreamUpdated,
)
from kernel.projection import Projection, on
from search_index import documents
from search_index.engine import SearchEngine

# Payload keys naming a search document (services, practitioners, streams share one id space: UUIDs).
_REFERENCES = ("service_id", "practitioner_id", "stream_id")


class SearchProjection(Projection):
    name = "search"
    description = "Unified search documents (services, practitioners; streams later) in the configured engine."
    # Event types this read model does not need: whole contexts it needs nothing of, then single types (a new
    # type must be handled or ignored here).
    ignores = (ACCOUNT_EVENTS | SCHEDULE_EVENTS | SESSION_EVENTS | FAVORITE_EVENTS | CREDIT_EVENTS
               | {BookingCancelled, BookingCompleted, BookingCreatedUnscheduled, BookingRescheduled, BookingScheduled,
                  ReviewReplied, StreamUnlocked})

    def __init__(self, engine: SearchEngine) -> None:
        self.engine = engine
        self._pending: dict[str, dict[str, Any]] = {}
        self._pending_of: dict[str, dict[str, dict[str, Any]]] = {}  # practitioner id → its pending documents
        self._stored: dict[str, dict[str, Any] | None] = {}  # prefetched for the batch; None: no such document
        self._generation = 0

    # --- lifecycle ------------------------------------------------------------------------------
    def prepare(self, generation: int) -> None:
        self.engine.prepare(generation)

    def activate(self, generation: int) -> None:
        self.engine.activate(generation)

    def discard(self, generation: int) -> None:
        self.engine.discard(generation)

    def snapshot(self, generation: int) -> list[dict[str, Any]]:
        return self.engine.all_documents(generation)

    def applied_position(self, generation: int) -> int:
        return self.engine.applied_position(generation)

    def apply(self, events: Sequence[RecordedEvent[Any]], generation: int) -> None:
        self.apply_through(events, generation, None)

    def apply_through(self, events: Sequence[RecordedEvent[Any]], generation: int, position: int | None) -> None:
        self._pending, self._pending_of = {}, {}
        self._generation = generation
        # Every document the batch's events name, fetched in one query (a batch of bookings touches
        # thousands of services and practitioners; one lookup each made bulk replays crawl).
        named = {str(event.payload[key]) for event in events for key in _REFERENCES if event.payload.get(key)}
        self._stored = {doc_id: None for doc_id in named} | self.engine.get_many(generation, named)
        try:
            for event in events:
                handler = self.handler_for(event.type)
                if handler is not None:
                    handler(event)
            self.engine.write(generation, self._pending.values(), position=position)
        finally:
            self._pending, self._pending_of, self._stored = {}, {}, {}

    # --- lookups that see this batch's pending writes ----------------------------------------
    def _current(self, kind: str, doc_id: str) -> dict[str, Any] | None:
        doc = self._pending.get(doc_id)
        if doc is None:
            doc = self._stored[doc_id] if doc_id in self._stored else self.engine.get(self._generation, kind, doc_id)
        return doc if doc is not None and doc["kind"] == kind else None

    def _documents_of(self, practitioner_id: str) -> list[dict[str, Any]]:
        stored = {d["id"]: d for d in self.engine.practitioner_documents(self._generation, practitioner_id)}
        stored.update(self._pending_of.get(practitioner_id, {}))
        return list(stored.values())

    def _put(self, doc: dict[str, Any]) -> None:
        self._pending[doc["id"]] = doc
        if doc["kind"] != "practitioner" and doc.get("practitioner_id"):
            self._pending_of.setdefault(doc["practitioner_id"], {})[doc["id"]] = doc

    # --- practitioners --------------------------------------------------------------------------
    @on(PractitionerRegistered, PractitionerUpdated)
    def _practitioner_changed(self, event: RecordedEvent[PractitionerRegistered | PractitionerUpdated]) -> None:
        previous = self._current("practitioner", str(event.event.practitioner_id))
        practitioner = documents.practitioner_document(event.payload, event.position, previous=previous,
                                                       recorded_at=event.recorded_at)
        self._put(practitioner)
        if previous is None:
            return  # just registered: services and streams name a practitioner only after registration
        for doc in self._documents_of(practitioner["id"]):
            self._put(documents.with_practitioner(doc, practitioner, event.position))

    # --- services -------------------------------------------------------------------------------
    @on(ServiceCreated, ServiceUpdated)
    def _service_changed(self, event: RecordedEvent[ServiceCreated | ServiceUpdated]) -> None:
        practitioner = self._current("practitioner", str(event.event.practitioner_id))
        previous = self._current("service", str(event.event.service_id))
        self._put(documents.service_document(event.payload, practitioner, event.position, previous=previous))

    # --- bookings: popularity -------------------------------------------------------------------
    @on(BookingConfirmed)
    def on_booking_confirmed(self, event: RecordedEvent[BookingConfirmed]) -> None:
        """A paid booking makes its service and practitioner more popular (ranking and suggestions)."""
        booking = event.event
        if booking.parent_id:
            return  # a package/bundle child: the purchase counted once, on the parent
        for kind, doc_id in (("service", str(booking.service_id)), ("practitioner", str(booking.practitioner_id))):
            doc = self._current(kind, doc_id)
            if doc is not None and int(doc["version"]) < event.position:
                self._put(documents.with_booking(doc, event.position))

    # --- streams ----------------------------------------------------------------------------------
    @on(StreamPublished, StreamUpdated, StreamArchived)
    def _stream_changed(self, event: RecordedEvent[StreamPublished | StreamUpdated | StreamArchived]) -> None:
        practitioner = self._current("practitioner", str(event.event.practitioner_id))
        previous = self._current("stream", str(event.event.stream_id))
        self._put(documents.stream_document(event.payload, practitioner, event.position, previous=previous))

    @on(StreamLiked, StreamUnliked, StreamSaved, StreamUnsaved)
    def _reaction(self, event: RecordedEvent[StreamLiked | StreamUnliked | StreamSaved | StreamUnsaved]) -> None:
        reaction = event.event
        doc = self._current("stream", str(reaction.stream_id))
        if doc is not None and int(doc["version"]) < event.position:
            self._put(documents.with_reactions(doc, reaction.like_count, reaction.save_count, event.position))

    # --- reviews: ratings (each review event carries the summaries after it) -----------------------
    @on(ReviewPublished, ReviewUpdated, ReviewDeleted)
    def _rated(self, event: RecordedEvent[ReviewPublished | ReviewUpdated | ReviewDeleted]) -> None:
        review = event.event
        for kind, doc_id, summary in (("service", str(review.service_id), review.service_rating),
                                      ("practitioner", str(review.practitioner_id), review.practitioner_rating)):
            doc = self._current(kind, doc_id)
            if doc is not None and int(doc["version"]) < event.position:
                self._put(documents.with_rating(doc, summary, event.position))

