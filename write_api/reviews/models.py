"""Reviews of completed bookings, one per booking, and the practitioner's one reply."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from write_api.bookings.models import Booking
from write_api.catalogue.models import Service
from write_api.practitioners.models import Practitioner

COMMENT_MAX = 2000


class Review(models.Model):
    class Status(models.TextChoices):
        PUBLISHED = "published"
        DELETED = "deleted"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    booking = models.OneToOneField(Booking, on_delete=models.PROTECT, related_name="review",
                                   help_text="One review per booking, ever (a deleted one still counts).")
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="reviews")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="reviews")
    rating = models.PositiveSmallIntegerField()
    comment = models.CharField(max_length=COMMENT_MAX, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PUBLISHED)
    reply = models.CharField(max_length=COMMENT_MAX, blank=True, default="")
    replied_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "review"
        constraints = [
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"),
        ]
        indexes = [
            models.Index(fields=["service", "status"]),
            models.Index(fields=["practitioner", "status"]),
        ]
