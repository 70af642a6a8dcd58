"""Per-user notifications, created by workers from events and by scheduled reminders.

``dedupe_key`` is unique: a projector replay, a rebuild or a reminder job run twice inserts nothing
new. Deleting is soft (``deleted_at``) so that the key survives and a rebuild never brings a deleted
notification back. ``NotificationCounter`` keeps each user's unread count, so ``unread-count`` is
one primary-key read whatever the volume; every change of ``is_read``/``deleted_at`` and every
insert adjusts it in the same transaction (see ``services``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Notification(models.Model):
    class Type(models.TextChoices):
        BOOKING = "booking"
        REVIEW = "review"
        STREAM = "stream"
        CREDITS = "credits"
        SYSTEM = "system"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    type = models.CharField(max_length=16, choices=Type.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, default="")
    data = models.JSONField(default=dict, blank=True, help_text="Ids the frontend links to (booking_id, …).")
    is_read = models.BooleanField(default=False)
    read_at = models.DateTimeField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "notification"
        indexes = [
            models.Index(fields=["user", "-created_at"], condition=models.Q(deleted_at__isnull=True),
                         name="notification_user_live"),
            models.Index(fields=["user"], condition=models.Q(deleted_at__isnull=True, is_read=False),
                         name="notification_user_unread"),
        ]


class NotificationCounter(models.Model):
    """A user's unread (and not deleted) notifications, maintained with every change."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
                                related_name="notification_counter")
    unread = models.IntegerField(default=0)

    class Meta:
        db_table = "notification_counter"
        constraints = [models.CheckConstraint(condition=models.Q(unread__gte=0), name="notification_unread_gte_0")]
