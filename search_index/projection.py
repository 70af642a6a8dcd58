"""The search projection: practitioners and services into the configured engine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kernel.events import RecordedEvent
from kernel.projection import Projection
from search_index import documents
from search_index.engine import SearchEngine


class SearchProjection(Projection):
    name = "search"
    description = "Unified search documents (services, practitioners) in the configured engine."

    def __init__(self, engine: SearchEngine) -> None:
        self.engine = engine
        self._pending: dict[str, dict[str, Any]] = {}
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

    def apply(self, events: Sequence[RecordedEvent], generation: int) -> None:
        self._pending = {}
        self._generation = generation
        for event in events:
            handler = self.handler_for(event.type)
            if handler is not None:
                handler(event)
        self.engine.write(generation, self._pending.values())
        self._pending = {}

    # --- lookups that see this batch's pending writes ----------------------------------------
    def _current(self, doc_id: str) -> dict[str, Any] | None:
        return self._pending.get(doc_id) or self.engine.get(self._generation, doc_id)

    def _services_of(self, practitioner_id: str) -> list[dict[str, Any]]:
        stored = {d["id"]: d for d in self.engine.find(self._generation, field_name="practitioner_id",
                                                         value=practitioner_id) if d["kind"] == "service"}
        for doc in self._pending.values():
            if doc["kind"] == "service" and doc["practitioner_id"] == practitioner_id:
                stored[doc["id"]] = doc
        return list(stored.values())

    def _put(self, doc: dict[str, Any]) -> None:
        self._pending[doc["id"]] = doc

    # --- handlers -------------------------------------------------------------------------------
    def on_practitioner_registered(self, event: RecordedEvent) -> None:
        self._practitioner_changed(event)

    def on_practitioner_updated(self, event: RecordedEvent) -> None:
        self._practitioner_changed(event)

    def _practitioner_changed(self, event: RecordedEvent) -> None:
        practitioner = documents.practitioner_document(event.payload, event.position)
        self._put(practitioner)
        for service in self._services_of(practitioner["id"]):
            self._put(documents.with_practitioner(service, practitioner, event.position))

    def on_service_created(self, event: RecordedEvent) -> None:
        self._service_changed(event)

    def on_service_updated(self, event: RecordedEvent) -> None:
        self._service_changed(event)

    def _service_changed(self, event: RecordedEvent) -> None:
        practitioner = self._current(event.payload["practitioner_id"])
        self._put(documents.service_document(event.payload, practitioner, event.position))
