"""The ``notifications`` projection: events become notification rows in PostgreSQL, each exactly once.

Notifications carry user state (read, deleted) that must outlive a rebuild, so this projection has
one table for every generation: a rebuild replays from zero into the same rows, and the unique
``dedupe_key`` (``event:<event id>:<recipient>``) turns every replayed insert into a no-op.
``verify`` replays into a *scratch* generation (the runtime announces it with ``prepare_scratch``): that
replay is a dry run that only collects the keys it would deliver, and the comparison is between
those keys and the event-made rows in the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from kernel.events import (
    ACCOUNT_EVENTS,
    FAVORITE_EVENTS,
    PRACTITIONER_EVENTS,
    SCHEDULE_EVENTS,
    SERVICE_EVENTS,
    SESSION_EVENTS,
    BookingCancelled,
    BookingCompleted,
    BookingConfirmed,
    BookingCreatedUnscheduled,
    BookingRescheduled,
    BookingScheduled,
    BookingState,
    CreditsAdjusted,
    CreditsPurchased,
    CreditsRefunded,
    CreditsSpent,
    RecordedEvent,
    ReviewDeleted,
    ReviewPublished,
    ReviewReplied,
    ReviewUpdated,
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
from kernel.vocabulary import CONTAINER_TYPES, Actor
from write_api.catalogue.models import Service
from write_api.notifications.models import Notification
from write_api.notifications.services import NotificationDraft, notifications_deliver
from write_api.practitioners.models import Practitioner

Type = Notification.Type
EVENT_KEY_PREFIX = "event:"


def _money(cents: int) -> str:
    return f"{cents / 100:.2f}"


def _when(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return "a time to be scheduled"
    try:
        local = moment.astimezone(ZoneInfo(zone))
    except (ValueError, KeyError):
        local = moment
    return f"{local:%a %d %b %Y, %H:%M} ({zone})"


class _Lookups:
    """Names the messages need, loaded once per batch (ids never change owner)."""

    def __init__(self, events: Sequence[RecordedEvent[Any]]) -> None:
        practitioner_ids = {e.payload["practitioner_id"] for e in events if "practitioner_id" in e.payload}
        service_ids = {e.payload["service_id"] for e in events if "service_id" in e.payload}
        self.practitioner_user = {str(pid): str(uid) for pid, uid in
                                  Practitioner.objects.filter(id__in=practitioner_ids).values_list("id", "user_id")}
        self.service_title = {str(sid): title for sid, title in
                              Service.objects.filter(id__in=service_ids).values_list("id", "title")}


class NotificationsProjection(Projection):
    name = "notifications"
    description = "Notification rows in PostgreSQL (exactly once per event and recipient, by dedupe key)."
    # Event types this read model does not need: whole contexts it needs nothing of, then single types (a new
    # type must be handled or ignored here).
    ignores = (ACCOUNT_EVENTS | PRACTITIONER_EVENTS | SCHEDULE_EVENTS | SERVICE_EVENTS | SESSION_EVENTS
               | FAVORITE_EVENTS
               | {BookingCreatedUnscheduled, CreditsAdjusted, CreditsPurchased, CreditsSpent, ReviewDeleted,
                  ReviewUpdated, StreamArchived, StreamLiked, StreamPublished, StreamSaved, StreamUnliked,
                  StreamUnsaved, StreamUpdated})

    def __init__(self) -> None:
        self._dry_runs: dict[int, dict[str, dict[str, Any]]] = {}
        self._lookups: _Lookups | None = None

    # --- lifecycle: one shared table ----------------------------------------------------------------
    def prepare(self, generation: int) -> None:
        self._dry_runs.pop(generation, None)

    def prepare_scratch(self, generation: int) -> None:
        """A verify replay delivers nothing: it only collects the keys it would deliver."""
        self._dry_runs[generation] = {}

    def activate(self, generation: int) -> None:
        """Nothing to switch: every generation writes the same rows."""

    def discard(self, generation: int) -> None:
        self._dry_runs.pop(generation, None)  # never delete rows: they hold users' read/deleted state

    def apply(self, events: Sequence[RecordedEvent[Any]], generation: int) -> None:
        self._lookups = _Lookups(events)
        drafts: list[NotificationDraft] = []
        for event in events:
            handler = self.handler_for(event.type)
            if handler is not None:
                drafts.extend(handler(event))
        self._lookups = None
        if generation in self._dry_runs:
            self._dry_runs[generation].update({d.dedupe_key: _image(d) for d in drafts})
        else:
            notifications_deliver(drafts)

    def snapshot(self, generation: int) -> list[dict[str, Any]]:
        if generation in self._dry_runs:
            return sorted(self._dry_runs[generation].values(), key=lambda i: i["id"])
        rows = (Notification.objects.filter(dedupe_key__startswith=EVENT_KEY_PREFIX)
                .values_list("dedupe_key", "user_id", "type").order_by("dedupe_key"))
        return [{"id": key, "user_id": str(user_id), "type": kind} for key, user_id, kind in rows]

    # --- helpers --------------------------------------------------------------------------------------
    @property
    def look(self) -> _Lookups:
        assert self._lookups is not None
        return self._lookups

    def _draft(self, event: RecordedEvent[Any], user_id: str | None, type: str, title: str, body: str,
               **data: Any) -> list[NotificationDraft]:
        if not user_id:
            return []
        return [NotificationDraft(user_id=user_id, type=type, title=title, body=body, created_at=event.recorded_at,
                                  dedupe_key=f"{EVENT_KEY_PREFIX}{event.event_id}:{user_id}",
                                  data={k: v for k, v in data.items() if v is not None})]

    def _booking_parties(self, booking: BookingState) -> tuple[str, str | None, str, str]:
        return (str(booking.client_id), self.look.practitioner_user.get(str(booking.practitioner_id)),
                self.look.service_title.get(str(booking.service_id), "your session"),
                _when(booking.start_at, booking.practitioner_timezone or "UTC"))

    def _both(self, event: RecordedEvent[BookingState], client_msg: tuple[str, str],
              practitioner_msg: tuple[str, str], type: str = Type.BOOKING) -> list[NotificationDraft]:
        booking = event.event
        client, practitioner_user, _, _ = self._booking_parties(booking)
        data = {"booking_id": str(booking.booking_id), "service_id": str(booking.service_id)}
        return (self._draft(event, client, type, *client_msg, **data)
                + self._draft(event, practitioner_user, type, *practitioner_msg, **data))

    # --- bookings ------------------------------------------------------------------------------------
    @on(BookingConfirmed)
    def on_booking_confirmed(self, event: RecordedEvent[BookingConfirmed]) -> list[NotificationDraft]:
        _, _, title, when = self._booking_parties(event.event)
        if event.event.service_type in CONTAINER_TYPES:
            return self._both(event, ("Purchase confirmed", f"You bought “{title}”. Schedule its sessions any time."),
                              ("New purchase", f"A client bought “{title}”."))
        return self._both(event, ("Booking confirmed", f"“{title}” is booked for {when}."),
                          ("New booking", f"A client booked “{title}” for {when}."))

    @on(BookingScheduled)
    def on_booking_scheduled(self, event: RecordedEvent[BookingScheduled]) -> list[NotificationDraft]:
        _, _, title, when = self._booking_parties(event.event)
        return self._both(event, ("Session scheduled", f"“{title}” is booked for {when}."),
                          ("Session scheduled", f"A client scheduled “{title}” for {when}."))

    @on(BookingRescheduled)
    def on_booking_rescheduled(self, event: RecordedEvent[BookingRescheduled]) -> list[NotificationDraft]:
        booking = event.event
        _, _, title, when = self._booking_parties(booking)
        before = _when(booking.previous_start_at, booking.practitioner_timezone or "UTC")
        body = f"“{title}” moved from {before} to {when}."
        return self._both(event, ("Booking rescheduled", body), ("Booking rescheduled", body))

    @on(BookingCancelled)
    def on_booking_cancelled(self, event: RecordedEvent[BookingCancelled]) -> list[NotificationDraft]:
        booking = event.event
        if booking.parent_id and not booking.start_at:
            return []  # an unscheduled session of a package cancelled with it: the package's notice says it all
        _, _, title, when = self._booking_parties(booking)
        refund = booking.refund_cents
        refund_text = f" {_money(refund)} credits were refunded." if refund else " No refund applies."
        by = {Actor.CLIENT: " by the client", Actor.PRACTITIONER: " by the practitioner"}.get(booking.cancelled_by, "")
        at = f" ({when})" if booking.start_at else ""
        body = f"“{title}”{at} was cancelled{by}."
        return self._both(event, ("Booking cancelled", body + refund_text), ("Booking cancelled", body))

    @on(BookingCompleted)
    def on_booking_completed(self, event: RecordedEvent[BookingCompleted]) -> list[NotificationDraft]:
        booking = event.event
        _, _, title, _ = self._booking_parties(booking)
        return self._draft(event, str(booking.client_id), Type.REVIEW, "How was your session?",
                           f"Tell others about “{title}”: leave a review.", booking_id=str(booking.booking_id),
                           service_id=str(booking.service_id), action="review")

    # --- reviews -------------------------------------------------------------------------------------
    @on(ReviewPublished)
    def on_review_published(self, event: RecordedEvent[ReviewPublished]) -> list[NotificationDraft]:
        review = event.event
        return self._draft(event, self.look.practitioner_user.get(str(review.practitioner_id)), Type.REVIEW,
                           f"New {review.rating}-star review",
                           f"{review.reviewer_name} reviewed “{review.service_title}”.",
                           review_id=str(review.review_id), service_id=str(review.service_id))

    @on(ReviewReplied)
    def on_review_replied(self, event: RecordedEvent[ReviewReplied]) -> list[NotificationDraft]:
        review = event.event
        return self._draft(event, str(review.client_id), Type.REVIEW, "Your review got a reply",
                           f"The practitioner replied to your review of “{review.service_title}”.",
                           review_id=str(review.review_id), service_id=str(review.service_id))

    # --- streams -------------------------------------------------------------------------------------
    @on(StreamUnlocked)
    def on_stream_unlocked(self, event: RecordedEvent[StreamUnlocked]) -> list[NotificationDraft]:
        unlock = event.event
        return self._draft(event, self.look.practitioner_user.get(str(unlock.practitioner_id)), Type.STREAM,
                           "Stream unlocked", f"A member unlocked “{unlock.title}” for {_money(unlock.amount_cents)} "
                           "credits.", stream_id=str(unlock.stream_id))

    # --- credits -------------------------------------------------------------------------------------
    @on(CreditsRefunded)
    def on_credits_refunded(self, event: RecordedEvent[CreditsRefunded]) -> list[NotificationDraft]:
        refund = event.event
        return self._draft(event, str(refund.user_id), Type.CREDITS, "Credits refunded",
                           f"{_money(refund.amount_cents)} credits were added back to your balance "
                           f"(balance now {_money(refund.balance_after_cents)}).",
                           transaction_id=str(refund.transaction_id), reference_type=refund.reference_type or None,
                           reference_id=refund.reference_id or None)


def _image(d: NotificationDraft) -> dict[str, Any]:
    return {"id": d.dedupe_key, "user_id": str(d.user_id), "type": str(d.type)}

