"""Reads of the caller's notifications."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from write_api.accounts.models import User
from write_api.notifications.models import Notification, NotificationCounter
from write_api.notifications.payloads import NotificationPayload


def notifications_of(*, user: User, is_read: bool | None = None, type: str | None = None) -> QuerySet[Notification]:
    query = Notification.objects.filter(user=user, deleted_at__isnull=True)
    if is_read is not None:
        query = query.filter(is_read=is_read)
    if type is not None:
        query = query.filter(type=type)
    return query.order_by("-created_at", "-id")


def notification_of(*, user: User, notification_id: Any) -> Notification | None:
    return Notification.objects.filter(id=notification_id, user=user, deleted_at__isnull=True).first()


def unread_count(*, user: User) -> int:
    """One primary-key read of the maintained counter, whatever the number of notifications."""
    return NotificationCounter.objects.filter(user=user).values_list("unread", flat=True).first() or 0


def notification_out(n: Notification) -> NotificationPayload:
    return {"id": str(n.id), "type": Notification.Type(n.type), "title": n.title, "body": n.body, "data": n.data,
            "is_read": n.is_read, "read_at": n.read_at.isoformat() if n.read_at else None,
            "created_at": n.created_at.isoformat()}
