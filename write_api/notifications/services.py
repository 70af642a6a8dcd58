"""Commands of notifications: deliver (workers), mark read or unread, mark all read, delete.

Unread counter discipline: every command that changes a user's unread set takes that user's
``NotificationCounter`` row lock *first*, then changes notification rows and adjusts the counter
by the number of rows it actually changed. :func:`notifications_deliver` inserts rows first and
upserts counters last (in user order), so no two paths wait on each other in opposite orders.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from api_conventions.errors import NotFound
from write_api.accounts.models import User
from write_api.notifications.models import Notification, NotificationCounter

_INSERT_CHUNK = 500


@dataclass(frozen=True)
class NotificationDraft:
    """A notification to deliver at most once (``dedupe_key``)."""

    user_id: Any
    type: str
    title: str
    body: str
    dedupe_key: str
    created_at: datetime
    data: dict[str, Any] = field(default_factory=dict)


def notifications_deliver(drafts: Sequence[NotificationDraft]) -> int:
    """Insert the drafts whose key is new; count them as unread. Returns how many were new. Idempotent."""
    unique = list({d.dedupe_key: d for d in drafts}.values())
    if not unique:
        return 0
    new_per_user: Counter[str] = Counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for i in range(0, len(unique), _INSERT_CHUNK):
            chunk = unique[i:i + _INSERT_CHUNK]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s::jsonb, false, %s, %s)"] * len(chunk))
            params: list[Any] = []
            for d in chunk:
                params += [uuid.uuid4(), d.user_id, d.type, d.title[:200], d.body, orjson.dumps(d.data).decode(),
                           d.dedupe_key[:255], d.created_at]
            cursor.execute(
                f"INSERT INTO {Notification._meta.db_table} "  # noqa: S608 - table name from the model
                "(id, user_id, type, title, body, data, is_read, dedupe_key, created_at) "
                f"VALUES {values} ON CONFLICT (dedupe_key) DO NOTHING RETURNING user_id", params)
            new_per_user.update(str(row[0]) for row in cursor.fetchall())
        for user_id in sorted(new_per_user):
            cursor.execute(
                f"INSERT INTO {NotificationCounter._meta.db_table} (user_id, unread) VALUES (%s, %s) "
                "ON CONFLICT (user_id) DO UPDATE SET unread = notification_counter.unread + EXCLUDED.unread",
                [user_id, new_per_user[user_id]])
    return sum(new_per_user.values())


def _lock_counter(user: User) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {NotificationCounter._meta.db_table} (user_id, unread) VALUES (%s, 0) "
                       "ON CONFLICT (user_id) DO NOTHING", [user.id])
    NotificationCounter.objects.select_for_update().filter(user=user).get()


def _adjust_counter(user: User, delta: int) -> None:
    if delta:
        NotificationCounter.objects.filter(user=user).update(unread=F("unread") + delta)


def _live(user: User, notification_id: Any) -> Notification:
    notification = Notification.objects.filter(id=notification_id, user=user, deleted_at__isnull=True).first()
    if notification is None:
        raise NotFound("Notification not found.")
    return notification


@transaction.atomic(durable=True)
def notification_mark_read(*, user: User, notification_id: Any) -> Notification:
    _lock_counter(user)
    notification = _live(user, notification_id)
    if not notification.is_read:
        now = timezone.now()
        changed = Notification.objects.filter(id=notification.id, is_read=False).update(is_read=True, read_at=now)
        _adjust_counter(user, -changed)
        notification.is_read, notification.read_at = True, now
    return notification


@transaction.atomic(durable=True)
def notification_mark_unread(*, user: User, notification_id: Any) -> Notification:
    """Undo a read: the notification counts as unread again (once, however often it is asked)."""
    _lock_counter(user)
    notification = _live(user, notification_id)
    if notification.is_read:
        changed = Notification.objects.filter(id=notification.id, is_read=True).update(is_read=False, read_at=None)
        _adjust_counter(user, changed)
        notification.is_read, notification.read_at = False, None
    return notification


@transaction.atomic(durable=True)
def notifications_mark_all_read(*, user: User) -> int:
    _lock_counter(user)
    changed = (Notification.objects.filter(user=user, is_read=False, deleted_at__isnull=True)
               .update(is_read=True, read_at=timezone.now()))
    _adjust_counter(user, -changed)
    return changed


@transaction.atomic(durable=True)
def notification_delete(*, user: User, notification_id: Any) -> None:
    """Soft delete: the row (and its dedupe key) stays, so a projector replay never brings it back."""
    _lock_counter(user)
    notification = _live(user, notification_id)
    Notification.objects.filter(id=notification.id).update(deleted_at=timezone.now())
    if not notification.is_read:
        _adjust_counter(user, -1)
