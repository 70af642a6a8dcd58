"""Streams: content items a practitioner publishes, and what users do with them (like, save, unlock)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from kernel.vocabulary import StreamAccess, StreamStatus
from write_api.practitioners.models import Practitioner


class Stream(models.Model):
    Access = StreamAccess
    Status = StreamStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="streams")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="", help_text="Public teaser, shown to everyone.")
    body = models.TextField(blank=True, default="", help_text="The content; hidden on premium items until unlocked.")
    media_url = models.URLField(max_length=2000, blank=True, default="",
                                help_text="The media; hidden on premium items until unlocked.")
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    modalities = models.ManyToManyField("reference.Modality", blank=True, related_name="streams")
    access = models.CharField(max_length=16, choices=StreamAccess.choices, default=StreamAccess.FREE)
    price_cents = models.PositiveIntegerField(default=0, help_text="Unlock price in credits (cents); premium only.")
    status = models.CharField(max_length=16, choices=StreamStatus.choices, default=StreamStatus.PUBLISHED)
    like_count = models.PositiveIntegerField(default=0)
    save_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "stream"
        indexes = [models.Index(fields=["practitioner", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(access="free", price_cents=0) | models.Q(access="premium", price_cents__gt=0)),
                name="stream_price_matches_access"),
        ]

    def __str__(self) -> str:
        return self.title


class StreamLike(models.Model):
    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="likes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stream_likes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "stream_like"
        constraints = [models.UniqueConstraint(fields=["stream", "user"], name="stream_like_once")]


class StreamSave(models.Model):
    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="saves")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stream_saves")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "stream_save"
        constraints = [models.UniqueConstraint(fields=["stream", "user"], name="stream_save_once")]


class StreamUnlock(models.Model):
    """Paid access to a premium stream, at most one per (stream, user): the unique key makes charging once."""

    class Method(models.TextChoices):
        CREDITS = "credits"
        CARD = "card"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    stream = models.ForeignKey(Stream, on_delete=models.PROTECT, related_name="unlocks")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="stream_unlocks")
    method = models.CharField(max_length=16, choices=Method.choices)
    amount_cents = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "stream_unlock"
        constraints = [models.UniqueConstraint(fields=["stream", "user"], name="stream_unlock_once")]
