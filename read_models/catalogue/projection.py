"""The catalogue projection: services, practitioners, schedules, sessions and busy time into Redis.

It feeds service detail, time slots and the practitioner profile on the read API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kernel.events import RecordedEvent
from read_models.catalogue import store as catalogue_store
from read_models.store_projection import StoreProjection

GROUP_TYPES = ("workshop", "course")
CONTAINER_TYPES = ("package", "bundle")


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


class CatalogueProjection(StoreProjection):
    name = "catalogue"
    description = "Service detail, practitioner profiles, schedules, sessions and busy time (Redis)."
    store = catalogue_store.STORE
    batch: catalogue_store.Batch | None

    def new_batch(self, generation: int) -> catalogue_store.Batch:
        return catalogue_store.Batch(self.store.prefix(generation))

    @property
    def b(self) -> catalogue_store.Batch:
        assert self.batch is not None
        return self.batch

    # --- practitioners and schedules ----------------------------------------------------------------
    def _practitioner(self, practitioner_id: str) -> dict[str, Any]:
        return self.b.get(f"practitioner:{practitioner_id}") or {"id": practitioner_id, "windows": [],
                                                                  "overrides": {}}

    def on_practitioner_registered(self, event: RecordedEvent) -> None:
        self._profile(event)

    def on_practitioner_updated(self, event: RecordedEvent) -> None:
        self._profile(event)

    def _profile(self, event: RecordedEvent) -> None:
        p = event.payload
        doc = self._practitioner(p["practitioner_id"])
        doc.update({k: v for k, v in p.items() if k not in ("practitioner_id",)})
        doc["id"] = p["practitioner_id"]
        self.b.put(f"practitioner:{doc['id']}", doc)

    def on_schedule_updated(self, event: RecordedEvent) -> None:
        p = event.payload
        doc = self._practitioner(p["practitioner_id"])
        doc["timezone"] = p["timezone"]
        doc["windows"] = list(p["windows"])
        self.b.put(f"practitioner:{doc['id']}", doc)

    def on_schedule_override_set(self, event: RecordedEvent) -> None:
        p = event.payload
        doc = self._practitioner(p["practitioner_id"])
        overrides = dict(doc.get("overrides") or {})
        if p["windows"] is None:
            overrides.pop(p["date"], None)
        else:
            overrides[p["date"]] = [list(w) for w in p["windows"]]
        doc["overrides"] = overrides
        self.b.put(f"practitioner:{doc['id']}", doc)

    def on_schedule_block_added(self, event: RecordedEvent) -> None:
        p = event.payload
        self.b.interval(f"blocks:{p['practitioner_id']}", p["block_id"], _epoch(p["start_at"]), _epoch(p["end_at"]))

    def on_schedule_block_removed(self, event: RecordedEvent) -> None:
        p = event.payload
        self.b.drop_interval(f"blocks:{p['practitioner_id']}", p["block_id"])

    # --- services and sessions -------------------------------------------------------------------------
    def on_service_created(self, event: RecordedEvent) -> None:
        self._service(event)

    def on_service_updated(self, event: RecordedEvent) -> None:
        self._service(event)

    def _service(self, event: RecordedEvent) -> None:
        p = event.payload
        service_id = p["service_id"]
        previous = self.b.get(f"service:{service_id}") or {}
        doc = {k: v for k, v in p.items() if k != "service_id"}
        doc["id"] = service_id
        if "reviews" in previous:  # the rating summary comes from review events; keep it across updates
            doc["reviews"] = previous["reviews"]
        self.b.put(f"service:{service_id}", doc)
        self.b.sadd(f"practitioner:{p['practitioner_id']}:services", service_id)
        old = {c["service_id"] for c in previous.get("children", [])}
        new = {c["service_id"] for c in p.get("children", [])}
        for child in sorted(old - new):
            self.b.srem(f"service:{child}:containers", service_id)
        for child in sorted(new):
            self.b.sadd(f"service:{child}:containers", service_id)

    def on_service_session_scheduled(self, event: RecordedEvent) -> None:
        p = event.payload
        session_id = p["session_id"]
        doc = {"id": session_id, "service_id": p["service_id"], "start_at": p["start_at"], "end_at": p["end_at"],
               "capacity": p["capacity"], "status": p["status"]}
        self.b.put(f"session:{session_id}", doc)
        self.b.zadd(f"service:{p['service_id']}:sessions", session_id, _epoch(p["start_at"]))
        busy = f"busy:{p['practitioner_id']}"
        if p["status"] == "scheduled":
            self.b.interval(busy, f"session:{session_id}", _epoch(p["start_at"]), _epoch(p["end_at"]))
        else:
            self.b.drop_interval(busy, f"session:{session_id}")

    # --- bookings --------------------------------------------------------------------------------------
    def _booking_holds_time(self, event: RecordedEvent) -> None:
        p = event.payload
        if p["session_ids"]:
            for session_id in p["session_ids"]:
                self.b.sadd(f"session:{session_id}:seats", p["booking_id"])
            return
        if p["service_type"] in CONTAINER_TYPES or not p["start_at"]:
            return
        self.b.interval(f"busy:{p['practitioner_id']}", f"booking:{p['booking_id']}", _epoch(p["start_at"]),
                        _epoch(p["end_at"]))

    def on_booking_confirmed(self, event: RecordedEvent) -> None:
        self._booking_holds_time(event)

    def on_booking_scheduled(self, event: RecordedEvent) -> None:
        self._booking_holds_time(event)

    def on_booking_rescheduled(self, event: RecordedEvent) -> None:
        self._booking_holds_time(event)

    def on_booking_cancelled(self, event: RecordedEvent) -> None:
        p = event.payload
        for session_id in p["session_ids"]:
            self.b.srem(f"session:{session_id}:seats", p["booking_id"])
        self.b.drop_interval(f"busy:{p['practitioner_id']}", f"booking:{p['booking_id']}")

    # --- review summaries (event-carried: each review event has the exact summaries after it) -----------
    def _review_summaries(self, event: RecordedEvent) -> None:
        p = event.payload
        service = self.b.get(f"service:{p['service_id']}")
        if service is not None:
            service["reviews"] = p["service_rating"]
            self.b.put(f"service:{p['service_id']}", service)
        practitioner = self._practitioner(p["practitioner_id"])
        practitioner["reviews"] = p["practitioner_rating"]
        self.b.put(f"practitioner:{p['practitioner_id']}", practitioner)

    def on_review_published(self, event: RecordedEvent) -> None:
        self._review_summaries(event)

    def on_review_updated(self, event: RecordedEvent) -> None:
        self._review_summaries(event)

    def on_review_deleted(self, event: RecordedEvent) -> None:
        self._review_summaries(event)

    def on_review_replied(self, event: RecordedEvent) -> None:
        self._review_summaries(event)
