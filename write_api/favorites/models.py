"""One generic favourite per (user, object) for practitioners, services and streams."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models


class Favorite(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favorites")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.UUIDField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "favorite"
        constraints = [
            models.UniqueConstraint(fields=["user", "content_type", "object_id"], name="favorite_once_per_object"),
        ]
        indexes = [models.Index(fields=["user", "content_type", "-created_at"])]
