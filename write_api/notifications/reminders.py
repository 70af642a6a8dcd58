"""The scheduled session reminder: 24 hours before each session, once per booking and start time.

Beat runs :func:`notifications_send_session_reminders` every few minutes; it reminds of every
confirmed session starting within the next 24 hours that has not been reminded yet. The dedupe key
holds the booking (or session) and the start instant, so running twice changes nothing, and a
rescheduled booking is reminded of its new time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from write_api.bookings.models import Booking, Seat
from write_api.catalogue.models import Service
from write_api.notifications.models import Notification
from write_api.notifications.services import NotificationDraft, notifications_deliver

REMIND_BEFORE = timedelta(hours=24)


def _when(start: datetime, zone: str) -> str:
    return f"{start.astimezone(ZoneInfo(zone)):%a %d %b %Y, %H:%M} ({zone})"


def _reminder(user_id: object, key: str, title: str, start: datetime, zone: str, now: datetime,
              **data: object) -> NotificationDraft:
    return NotificationDraft(user_id=user_id, type=Notification.Type.BOOKING, title="Session tomorrow",
                             body=f"“{title}” starts {_when(start, zone)}.", dedupe_key=key, created_at=now,
                             data={**{k: str(v) for k, v in data.items()}, "start_at": start.isoformat()})


def notifications_send_session_reminders(*, now: datetime | None = None) -> int:
    """Remind clients (and the practitioner) of sessions starting in the next 24 h. Returns how many were new."""
    now = now or timezone.now()
    horizon = now + REMIND_BEFORE
    drafts: list[NotificationDraft] = []
    one_to_one = (Booking.objects.filter(status=Booking.Status.CONFIRMED, start_at__gt=now, start_at__lte=horizon,
                                         service__service_type=Service.Type.SESSION)
                  .select_related("service", "practitioner"))
    for b in one_to_one:
        assert b.start_at is not None  # filtered on start_at above
        stamp = int(b.start_at.timestamp())
        zone = b.practitioner.timezone
        drafts.append(_reminder(b.client_id, f"reminder:booking:{b.id}:{stamp}", b.service.title, b.start_at, zone,
                                now, booking_id=b.id, service_id=b.service_id))
        drafts.append(_reminder(b.practitioner.user_id, f"reminder:practitioner:{b.id}:{stamp}", b.service.title,
                                b.start_at, zone, now, booking_id=b.id, service_id=b.service_id))
    seats = (Seat.objects.filter(active=True, booking__status=Booking.Status.CONFIRMED, session__status="scheduled",
                                 session__start_at__gt=now, session__start_at__lte=horizon)
             .select_related("session", "booking__service", "booking__practitioner"))
    sessions_reminded: set[object] = set()
    for seat in seats:
        b, session = seat.booking, seat.session
        stamp = int(session.start_at.timestamp())
        zone = b.practitioner.timezone
        drafts.append(_reminder(b.client_id, f"reminder:booking:{b.id}:session:{session.id}:{stamp}",
                                b.service.title, session.start_at, zone, now, booking_id=b.id,
                                service_id=b.service_id, session_id=session.id))
        if session.id not in sessions_reminded:
            sessions_reminded.add(session.id)
            drafts.append(_reminder(b.practitioner.user_id, f"reminder:session:{session.id}:{stamp}",
                                    b.service.title, session.start_at, zone, now, service_id=b.service_id,
                                    session_id=session.id))
    return notifications_deliver(drafts)
