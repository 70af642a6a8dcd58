"""The catalogue projection: services, practitioners, schedules, sessions and busy time into Redis.

It feeds service detail, time slots and the practitioner profile on the read API.
"""

from __future__ import annotations

from typing import Any

from kernel.events import (
    ACCOUNT_EVENTS,
    CREDIT_EVENTS,
    FAVORITE_EVENTS,
    STREAM_EVENTS,
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
    ScheduleBlockAdded,
    ScheduleBlockRemoved,
    ScheduleOverrideSet,
    ScheduleUpdated,
    ServiceCreated,
    ServiceSessionCancelled,
    ServiceSessionScheduled,
    ServiceUpdated,
)
from kernel.projection import on
from kernel.vocabulary import CONTAINER_TYPES, SessionStatus
from read_models.catalogue import store as catalogue_store
from read_models.store_projection import StoreProjection


class CatalogueProjection(StoreProjection):
    name = "catalogue"
    description = "Service detail, practitioner profiles, schedules, sessions and busy time (Redis)."
    # Event types this read model does not need: whole contexts it needs nothing of, then single types (a new
    # type must be handled or ignored here).
    ignores = (ACCOUNT_EVENTS | FAVORITE_EVENTS | STREAM_EVENTS | CREDIT_EVENTS
               | {BookingCompleted, BookingCreatedUnscheduled})

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

    @on(PractitionerRegistered, PractitionerUpdated)
    def _profile(self, event: RecordedEvent[PractitionerRegistered | PractitionerUpdated]) -> None:
        p = event.payload
        doc = self._practitioner(p["practitioner_id"])
        doc.update({k: v for k, v in p.items() if k not in ("practitioner_id",)})
        doc["id"] = p["practitioner_id"]
        self.b.put(f"practitioner:{doc['id']}", doc)

    @on(ScheduleUpdated)
    def on_schedule_updated(self, event: RecordedEvent[ScheduleUpdated]) -> None:
        p = event.payload
        doc = self._practitioner(p["practitioner_id"])
        doc["timezone"] = p["timezone"]
        doc["windows"] = list(p["windows"])
        self.b.put(f"practitioner:{doc['id']}", doc)

    @on(ScheduleOverrideSet)
    def on_schedule_override_set(self, event: RecordedEvent[ScheduleOverrideSet]) -> None:
        p = event.payload
        doc = self._practitioner(p["practitioner_id"])
        overrides = dict(doc.get("overrides") or {})
        if p["windows"] is None:
            overrides.pop(p["date"], None)
        else:
            overrides[p["date"]] = [list(w) for w in p["windows"]]
        doc["overrides"] = overrides
        self.b.put(f"practitioner:{doc['id']}", doc)

    @on(ScheduleBlockAdded)
    def on_schedule_block_added(self, event: RecordedEvent[ScheduleBlockAdded]) -> None:
        block = event.event
        self.b.interval(f"blocks:{block.practitioner_id}", str(block.block_id), block.start_at.timestamp(),
                        block.end_at.timestamp())

    @on(ScheduleBlockRemoved)
    def on_schedule_block_removed(self, event: RecordedEvent[ScheduleBlockRemoved]) -> None:
        block = event.event
        self.b.drop_interval(f"blocks:{block.practitioner_id}", str(block.block_id))

    # --- services and sessions -------------------------------------------------------------------------
    @on(ServiceCreated, ServiceUpdated)
    def _service(self, event: RecordedEvent[ServiceCreated | ServiceUpdated]) -> None:
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

    @on(ServiceSessionScheduled, ServiceSessionCancelled)  # the same full state; status "cancelled"
    def on_service_session_scheduled(
            self, event: RecordedEvent[ServiceSessionScheduled | ServiceSessionCancelled]) -> None:
        p, session = event.payload, event.event  # the stored document keeps the event's JSON state
        session_id = str(session.session_id)
        doc = {"id": session_id, "service_id": p["service_id"], "start_at": p["start_at"], "end_at": p["end_at"],
               "capacity": p["capacity"], "status": p["status"]}
        self.b.put(f"session:{session_id}", doc)
        self.b.zadd(f"service:{session.service_id}:sessions", session_id, session.start_at.timestamp())
        busy = f"busy:{session.practitioner_id}"
        if session.status == SessionStatus.SCHEDULED:
            self.b.interval(busy, f"session:{session_id}", session.start_at.timestamp(), session.end_at.timestamp())
        else:
            self.b.drop_interval(busy, f"session:{session_id}")

    # --- bookings --------------------------------------------------------------------------------------
    @on(BookingConfirmed, BookingScheduled, BookingRescheduled)
    def _booking_holds_time(
            self, event: RecordedEvent[BookingConfirmed | BookingScheduled | BookingRescheduled]) -> None:
        booking = event.event
        if booking.session_ids:
            for session_id in booking.session_ids:
                self.b.sadd(f"session:{session_id}:seats", str(booking.booking_id))
            return
        if booking.service_type in CONTAINER_TYPES or booking.start_at is None or booking.end_at is None:
            return
        self.b.interval(f"busy:{booking.practitioner_id}", f"booking:{booking.booking_id}",
                        booking.start_at.timestamp(), booking.end_at.timestamp())

    @on(BookingCancelled)
    def on_booking_cancelled(self, event: RecordedEvent[BookingCancelled]) -> None:
        booking = event.event
        for session_id in booking.session_ids:
            self.b.srem(f"session:{session_id}:seats", str(booking.booking_id))
        self.b.drop_interval(f"busy:{booking.practitioner_id}", f"booking:{booking.booking_id}")

    # --- review summaries (event-carried: each review event has the exact summaries after it) -----------
    @on(ReviewPublished, ReviewUpdated, ReviewDeleted, ReviewReplied)
    def _review_summaries(
            self, event: RecordedEvent[ReviewPublished | ReviewUpdated | ReviewDeleted | ReviewReplied]) -> None:
        review = event.event
        service = self.b.get(f"service:{review.service_id}")
        if service is not None:
            service["reviews"] = review.service_rating
            self.b.put(f"service:{review.service_id}", service)
        practitioner = self._practitioner(str(review.practitioner_id))
        practitioner["reviews"] = review.practitioner_rating
        self.b.put(f"practitioner:{review.practitioner_id}", practitioner)

