"""The shapes of the notifications' answers (see :mod:`api_conventions.payloads`)."""

from __future__ import annotations

from typing import Any, TypedDict

from api_conventions.payloads import DateTime, Uuid, example
from write_api.notifications.models import Notification


class NotificationPayload(TypedDict):
    """One of the caller's notifications; ``data`` holds the ids it is about (booking, review, stream…)."""

    id: Uuid
    type: Notification.Type
    title: str
    body: str
    data: dict[str, Any]
    is_read: bool
    read_at: DateTime | None
    created_at: DateTime


class UnreadCountPayload(TypedDict):
    unread: int


class ReadAllPayload(TypedDict):
    marked_read: int
    unread: int


example(NotificationPayload, {
    "id": "4d5e6f7a-8b9c-4d0e-8f1a-2b3c4d5e6f7a", "type": "booking", "title": "Booking confirmed",
    "body": "Vinyasa flow for beginners with Maya Okafor, Tue 10 Mar 10:00.",
    "data": {"booking_id": "2b4d6f80-1a3c-4e5f-8a9b-0c1d2e3f4a5b"}, "is_read": False, "read_at": None,
    "created_at": "2026-03-02T09:30:01+00:00"})
example(UnreadCountPayload, {"unread": 3})
example(ReadAllPayload, {"marked_read": 3, "unread": 0})
