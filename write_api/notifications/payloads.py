"""The shapes of the notifications' answers (see :mod:`api_conventions.payloads`)."""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from api_conventions.payloads import DateTime, Uuid
from write_api.notifications.models import Notification


class NotificationPayload(TypedDict):
    """One of the caller's notifications; ``data`` holds the ids it is about (booking, review, stream…)."""

    id: Uuid
    type: Literal[tuple(Notification.Type.values)]  # type: ignore[valid-type]
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
