from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from kernel.vocabulary import DEFAULT_BUFFER_MINUTES, DEFAULT_MAX_ADVANCE_DAYS, DEFAULT_MIN_NOTICE_MINUTES


class Practitioner(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="practitioner")
    display_name = models.CharField(max_length=120)
    title = models.CharField(max_length=120, blank=True, default="")
    bio = models.TextField(blank=True, default="")
    timezone = models.CharField(max_length=64, default="UTC")
    is_active = models.BooleanField(default=True)
    online_only = models.BooleanField(default=True)
    address = models.CharField(max_length=300, blank=True, default="")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    modalities = models.ManyToManyField("reference.Modality", blank=True, related_name="practitioners")
    buffer_minutes = models.PositiveIntegerField(default=DEFAULT_BUFFER_MINUTES)
    min_notice_minutes = models.PositiveIntegerField(default=DEFAULT_MIN_NOTICE_MINUTES)
    max_advance_days = models.PositiveIntegerField(default=DEFAULT_MAX_ADVANCE_DAYS)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "practitioner"

    def __str__(self) -> str:
        return self.display_name
