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

from kernel.events import RecordedEvent
from kernel.projection import Projection
from search_index import documents
from search_index.engine import SearchEngine

# Payload keys naming a search document (services, practitioners, streams share one id space: UUIDs).
_REFERENCES = ("service_id", "practitioner_id", "stream_id")


class SearchProjection(Projection):
    name = "search"
    description = "Unified search documents (services, practitioners; streams later) in the configured engine."

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

    def apply(self, events: Sequence[RecordedEvent], generation: int) -> None:
        self.apply_through(events, generation, None)

    def apply_through(self, events: Sequence[RecordedEvent], generation: int, position: int | None) -> None:
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
    def on_practitioner_registered(self, event: RecordedEvent) -> None:
        self._practitioner_changed(event)

    def on_practitioner_updated(self, event: RecordedEvent) -> None:
        self._practitioner_changed(event)

    def _practitioner_changed(self, event: RecordedEvent) -> None:
        previous = self._current("practitioner", event.payload["practitioner_id"])
        practitioner = documents.practitioner_document(event.payload, event.position, previous=previous,
                                                       recorded_at=event.recorded_at)
        self._put(practitioner)
        if previous is None:
            return  # just registered: services and streams name a practitioner only after registration
        for doc in self._documents_of(practitioner["id"]):
            self._put(documents.with_practitioner(doc, practitioner, event.position))

    # --- services -------------------------------------------------------------------------------
    def on_service_created(self, event: RecordedEvent) -> None:
        self._service_changed(event)

    def on_service_updated(self, event: RecordedEvent) -> None:
        self._service_changed(event)

    def _service_changed(self, event: RecordedEvent) -> None:
        practitioner = self._current("practitioner", event.payload["practitioner_id"])
        previous = self._current("service", event.payload["service_id"])
        self._put(documents.service_document(event.payload, practitioner, event.position, previous=previous))

    # --- bookings: popularity -------------------------------------------------------------------
    def on_booking_confirmed(self, event: RecordedEvent) -> None:
        """A paid booking makes its service and practitioner more popular (ranking and suggestions)."""
        if event.payload.get("parent_id"):
            return  # a package/bundle child: the purchase counted once, on the parent
        for kind, doc_id in (("service", event.payload["service_id"]),
                             ("practitioner", event.payload["practitioner_id"])):
            doc = self._current(kind, doc_id)
            if doc is not None and int(doc["version"]) < event.position:
                self._put(documents.with_booking(doc, event.position))

    # --- streams ----------------------------------------------------------------------------------
    def on_stream_published(self, event: RecordedEvent) -> None:
        self._stream_changed(event)

    def on_stream_updated(self, event: RecordedEvent) -> None:
        self._stream_changed(event)

    def on_stream_archived(self, event: RecordedEvent) -> None:
        self._stream_changed(event)

    def _stream_changed(self, event: RecordedEvent) -> None:
        practitioner = self._current("practitioner", event.payload["practitioner_id"])
        previous = self._current("stream", event.payload["stream_id"])
        self._put(documents.stream_document(event.payload, practitioner, event.position, previous=previous))

    def _reaction(self, event: RecordedEvent) -> None:
        doc = self._current("stream", event.payload["stream_id"])
        if doc is not None and int(doc["version"]) < event.position:
            self._put(documents.with_reactions(doc, event.payload["like_count"], event.payload["save_count"],
                                               event.position))

    def on_stream_liked(self, event: RecordedEvent) -> None:
        self._reaction(event)

    def on_stream_unliked(self, event: RecordedEvent) -> None:
        self._reaction(event)

    def on_stream_saved(self, event: RecordedEvent) -> None:
        self._reaction(event)

    def on_stream_unsaved(self, event: RecordedEvent) -> None:
        self._reaction(event)

    # --- reviews: ratings (each review event carries the summaries after it) -----------------------
    def _rated(self, event: RecordedEvent) -> None:
        for kind, doc_id, summary in (("service", event.payload["service_id"], event.payload["service_rating"]),
                                      ("practitioner", event.payload["practitioner_id"],
                                       event.payload["practitioner_rating"])):
            doc = self._current(kind, doc_id)
            if doc is not None and int(doc["version"]) < event.position:
                self._put(documents.with_rating(doc, summary, event.position))

    def on_review_published(self, event: RecordedEvent) -> None:
        self._rated(event)

    def on_review_updated(self, event: RecordedEvent) -> None:
        self._rated(event)

    def on_review_deleted(self, event: RecordedEvent) -> None:
        self._rated(event)
